import datetime as dt

import pytest


def next_weekday(offset: int = 0) -> dt.date:
    from django.utils import timezone

    day = timezone.localdate() + dt.timedelta(days=offset)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def grade_leader(world):
    """A 年级组长 of school A's junior grade (build_world has none)."""
    from core.models import RoleGrant, StaffPost
    from core.testing import make_person, make_user

    person = make_person("钱组长", born=dt.date(1978, 2, 2), gender="2")
    StaffPost.objects.create(person=person, school=world.school_a, post="grade_leader")
    user = make_user(person, "grade_leader_a")
    RoleGrant.objects.create(
        user=user, role="grade_leader", district=world.district, school=world.school_a, grade=world.grade_a
    )
    world.grade_leader_a = user
    return user


@pytest.fixture
def code_a1(world):
    from homeschool import services

    return services.invitation_code_create(actor=world.head_teacher_a1, klass=world.class_a1)


@pytest.fixture
def school_day(monkeypatch):
    """Today — or, at a weekend, the Friday before standing in for today (no school, no attendance at weekends),
    so the attendance flows are tested every day of the week."""
    import datetime as dt

    from django.utils import timezone

    real = timezone.localdate
    today = real()
    if today.weekday() >= 5:
        friday = today - dt.timedelta(days=today.weekday() - 4)

        def localdate(value=None, timezone=None):
            return friday if value is None else real(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return timezone.localdate()
