"""/api/v1/resources/: search, detail, my uploads, review queue and actions, push, tasks — scoped like the pages."""

import datetime as dt
import json

import pytest
from django.test import Client

from core.testing import login
from resources.api import resources_api_scope_cases
from resources.models import Level
from resources.testing import make_resource, matrix

pytestmark = pytest.mark.django_db
API = "/api/v1/resources"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def post(c, url, data):
    return c.post(url, json.dumps(data), content_type="application/json")


def test_scope_cases(world):
    for case in resources_api_scope_cases(world):
        assert Client().get(case.url).status_code == 401
        out = client_for(getattr(world, case.out_of_scope)).get(case.url)
        inside = client_for(getattr(world, case.in_scope)).get(case.url)
        assert inside.status_code == 200, case
        if case.kind == "detail":
            assert out.status_code == 404, case
            assert inside.json()["id"] == int(case.url.rsplit("/", 1)[-1])
        else:
            assert out.status_code == 200 and out.json()["count"] == 0, case
            assert inside.json()["count"] >= 1, case


def test_search_ranks_and_filters(world):
    w = matrix(world)
    make_resource(
        w, owner=w.teacher_b, school=w.school_b, level=Level.DISTRICT, title="有理数乘法运算律微课", kind="micro"
    )
    data = client_for(w.head_teacher_a1).get(f"{API}/search", {"q": "有理数", "sort": "relevance"}).json()
    assert {i["title"] for i in data["items"]} == {"矩阵校级资源·有理数的加法课件", "有理数乘法运算律微课"}
    only = client_for(w.head_teacher_a1).get(f"{API}/search", {"q": "有理数", "kind": "micro"}).json()
    assert [i["kind_label"] for i in only["items"]] == ["微课"]
    assert client_for(w.teacher_b).get(f"{API}/search", {"q": "加法"}).json()["count"] == 0


def test_review_actions_and_chinese_errors(world):
    w = matrix(world)
    c = client_for(w.school_admin_a)
    r = post(c, f"{API}/{w.res_pending.pk}/review", {"action": "return", "reason": ""})
    assert r.status_code == 422 and r.json()["errors"]["reason"] == ["请填写退回原因"]
    r = post(c, f"{API}/{w.res_pending.pk}/review", {"action": "school_approve", "recommend": True})
    assert r.status_code == 200 and r.json()["review_state"] == "pending_district"
    assert [s["action"] for s in r.json()["reviews"]] == ["school_approve", "recommend"]
    queue = client_for(w.district_admin).get(f"{API}/review-queue", {"level": "district"}).json()
    assert [i["id"] for i in queue["items"]] == [w.res_pending.pk]
    assert (
        post(
            client_for(w.school_admin_b), f"{API}/{w.res_pending.pk}/review", {"action": "district_approve"}
        ).status_code
        == 404
    )
    assert (
        post(
            client_for(w.school_admin_a), f"{API}/{w.res_pending.pk}/review", {"action": "district_approve"}
        ).status_code
        == 403
    )
    r = post(client_for(w.district_admin), f"{API}/{w.res_pending.pk}/review", {"action": "district_approve"})
    assert r.json()["level"] == "district"
    assert client_for(w.teacher_b).get(f"{API}/{w.res_pending.pk}").status_code == 200


def test_push_and_tasks(world):
    w = matrix(world)
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = post(client_for(w.teacher_a), f"{API}/{w.res_school.pk}/push", {"klass": w.class_a1.pk, "due_date": due})
    assert r.status_code == 200 and r.json()["students"] == 2
    assert (
        post(
            client_for(w.teacher_a), f"{API}/{w.res_school.pk}/push", {"klass": w.class_a2.pk, "due_date": due}
        ).status_code
        == 403
    )
    assert (
        post(
            client_for(w.teacher_b), f"{API}/{w.res_school.pk}/push", {"klass": w.class_b1.pk, "due_date": due}
        ).status_code
        == 404
    )
    s = client_for(w.student_user_a1)
    tasks = s.get(f"{API}/tasks").json()
    assert tasks["count"] == 2  # the matrix push and this one
    tid = tasks["items"][0]["id"]
    done = post(s, f"{API}/tasks/{tid}/done", {})
    assert done.status_code == 200 and done.json()["done_at"]
    assert post(client_for(w.student_user_a2), f"{API}/tasks/{tid}/done", {}).status_code == 404
