"""网上选课 under load (PostgreSQL, real parallel connections): many students try for the last seats of a teaching
group at the same moment and the group never takes more than it seats; one student choosing two groups at once
ends in exactly one. Runs in the PostgreSQL pass (ZX_TEST_DATABASE_URL=postgres://…)."""

import datetime as dt

import pytest
from django.db import connection

from core.testing import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]  # deselected in the SQLite pass


@pytest.fixture
def pg_world(transactional_db):
    assert connection.vendor == "postgresql", "run with ZX_TEST_DATABASE_URL (PostgreSQL)"
    from core.testing import build_world
    from timetable.testing import choosing_open, tt_world

    return choosing_open(tt_world(build_world()))


def _students(w, n):
    from core.models import Student
    from core.testing import make_person, make_user

    out = []
    for i in range(n):
        person = make_person(f"学生{i:02d}", born=dt.date(2014, 1, 1) + dt.timedelta(days=i))
        klass = (w.class_a1, w.class_a2)[i % 2]
        st = Student.objects.create(
            person=person,
            district=w.district,
            school=w.school_a,
            klass=klass,
            student_no=f"G{person.id_number}",
            class_no=10 + i,
        )
        out.append((st, make_user(person, f"race{i}")))
    return out


def test_the_last_seats_go_to_as_many_students_as_the_group_seats(pg_world):
    from timetable import services

    w = pg_world
    w.group_a.size = 3
    w.group_a.save()
    racers = _students(w, 8)
    for _ in range(3):
        w.group_a.students.clear()
        results = race(
            *[
                (lambda st=st, u=u: services.elective_choose(actor=u, block=w.block_a, student=st, group=w.group_a))
                for st, u in racers
            ]
        )
        assert results.count("ok") == 3 and results.count("ValidationError") == 5, results
        assert w.group_a.students.count() == 3


def test_one_student_choosing_two_groups_at_once_ends_in_one(pg_world):
    from timetable import services
    from timetable.models import TeachingGroup

    w = pg_world
    for _ in range(5):
        TeachingGroup.students.through.objects.filter(student=w.student_a1).delete()
        results = race(
            lambda: services.elective_choose(
                actor=w.student_user_a1, block=w.block_a, student=w.student_a1, group=w.group_a
            ),
            lambda: services.elective_choose(actor=w.parent1, block=w.block_a, student=w.student_a1, group=w.group_a2),
        )
        assert results == ["ok", "ok"], results
        assert TeachingGroup.students.through.objects.filter(student=w.student_a1).count() == 1
