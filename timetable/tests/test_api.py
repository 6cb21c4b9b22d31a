"""/api/v1/timetable/: the scope cases (anonymous 401, out of scope 404 / empty, in scope the data), lessons
with times, and 代课 request → approval through the API."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from core.testing import check_api_scope_case, client_for
from timetable.api import timetable_api_scope_cases
from timetable.models import Substitution
from timetable.testing import tt_world

pytestmark = pytest.mark.django_db
API = "/api/v1/timetable"


def test_scope_cases(world):
    cases = timetable_api_scope_cases(world)
    assert len(cases) >= 5
    for case in cases:
        check_api_scope_case(world, case)


def test_my_lessons_have_times_and_names(world):
    w = tt_world(world)
    data = client_for(w.student_user_a1).get(f"{API}/my").json()
    lessons = sorted(data["items"], key=lambda x: x["period"])
    assert [(x["subject"], x["teacher"], x["start"], x["end"]) for x in lessons] == [
        ("数学", w.math_a.name, "08:00", "08:45"),
        ("语文", w.head_a1.name, "08:55", "09:40"),
    ]
    assert data["timetables"][0]["name"] == "矩阵课表"


def test_substitution_through_the_api(world):
    w = tt_world(world)
    today = timezone.localdate()
    date = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    teacher = client_for(w.teacher_a)
    bad = teacher.post(
        f"{API}/substitutions",
        json.dumps(
            {"entry": w.entry_a1_math.pk, "date": date.isoformat(), "reason": "培训", "substitute": w.head_a2.pk}
        ),
        content_type="application/json",
    )
    assert bad.status_code in (400, 422) and "已有课" in bad.json()["detail"]
    ok = teacher.post(
        f"{API}/substitutions",
        json.dumps(
            {"entry": w.entry_a1_math.pk, "date": date.isoformat(), "reason": "培训", "substitute": w.head_a1.pk}
        ),
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    sid = ok.json()["id"]
    # the teacher may not approve; another school's admin does not even see it
    assert (
        teacher.post(
            f"{API}/substitutions/{sid}/decide", json.dumps({"approve": True}), content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client_for(w.school_admin_b)
        .post(f"{API}/substitutions/{sid}/decide", json.dumps({"approve": True}), content_type="application/json")
        .status_code
        == 404
    )
    done = client_for(w.school_admin_a).post(
        f"{API}/substitutions/{sid}/decide", json.dumps({"approve": True}), content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert Substitution.objects.get(pk=sid).substitute == w.head_a1
    week = client_for(w.student_user_a1).get(f"{API}/my?week={date.isoformat()}").json()
    math = next(x for x in week["items"] if x["subject"] == "数学")
    assert math["badge"] == "代" and math["teacher"] == w.head_a1.name
