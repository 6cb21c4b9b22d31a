"""The district 教研员 (researcher role): organises a 联考 and reads its analysis, without admin rights."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from core import services as core_services
from core.models import RoleGrant
from core.testing import login, make_person, make_user
from exams import services

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def researcher(world):
    user = make_user(make_person("钱教研", born=dt.date(1979, 1, 1)), "researcher1")
    RoleGrant.objects.create(user=user, role="researcher", district=world.district)
    return user


def test_researcher_runs_a_district_exam(world, researcher):
    w = world
    c = Client()
    login(c, researcher)
    assert c.get("/").status_code == 200
    page = c.get("/exams/").content.decode()
    assert "新建考试" in page
    exam = services.exam_create(
        actor=researcher,
        district_id=w.district.pk,
        code="r1",
        name="教研联考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 12),
        subjects=[(w.math, 100)],
    )
    es = exam.subjects.get()
    for cand in exam.candidates.all():
        services.score_set(actor=researcher, candidate=cand, exam_subject=es, value=75)
    services.exam_publish(actor=researcher, exam=exam)
    r = c.get(f"/exams/{exam.pk}/report/")
    assert r.status_code == 200 and "全区分析" in r.content.decode()
    # not an administrator: no schools or role grants to manage
    with pytest.raises(PermissionDenied):
        core_services.school_create(
            actor=researcher, district=w.district, code="3133000099", name="x", school_type="junior"
        )
