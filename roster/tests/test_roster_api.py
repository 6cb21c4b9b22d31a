"""学籍 API (/api/v1/roster/...): authentication, scoping, the timeline and the statistics."""

import pytest
from django.test import Client
from django.urls import path

from core.api import api
from core.testing import login
from roster import services
from roster.api import roster_api_scope_cases, router

# Until core/api/__init__.py mounts the router (``api.add_router("/roster", roster.api.router)``), these tests
# run against a test-only API with the same auth, parser and error handlers, on a test URLconf (this module).
# Once mounted, they run against the real /api/v1/.
MOUNTED = any(r is router for _prefix, r in api._routers)
pytestmark = [pytest.mark.django_db]
if not MOUNTED:
    from core.api import ZhixiaoAPI
    from core.api.auth import API_AUTH
    from core.api.errors import JSONParser, install_exception_handlers

    test_api = ZhixiaoAPI(urls_namespace="roster_api_test", auth=API_AUTH, parser=JSONParser(), docs_url=None)
    install_exception_handlers(test_api)
    test_api.add_router("/roster", router)
    urlpatterns = [path("api/v1/", test_api.urls)]
    pytestmark.append(pytest.mark.urls(__name__))

P = "/api/v1/roster"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


@pytest.fixture
def w(world):
    world.transfer = services.transfer_request(
        actor=world.school_admin_a, student=world.student_a1, to_school=world.school_b, reason="随父母工作调动"
    )
    return world


def test_anonymous_gets_401(w):
    for url in (f"{P}/changes", f"{P}/students/{w.student_a1.pk}/timeline", f"{P}/stats"):
        r = Client().get(url)
        assert r.status_code == 401, url
        assert r.json()["detail"]


def test_change_list_in_scope(w):
    r = client_for(w.school_admin_a).get(f"{P}/changes", {"student": w.student_a1.pk})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == w.transfer.pk
    assert (item["kind"], item["kind_label"], item["status"]) == ("transfer", "转学", "requested")
    assert item["student"] == {"id": w.student_a1.pk, "name": "周小明"}
    assert item["from_school"]["id"] == w.school_a.pk and item["to_school"]["id"] == w.school_b.pk
    assert item["from_class"]["id"] == w.class_a1.pk and item["to_class"] is None


def test_change_list_filters(w):
    c = client_for(w.district_admin)
    assert c.get(f"{P}/changes", {"kind": "transfer", "status": "requested"}).json()["count"] == 1
    assert c.get(f"{P}/changes", {"kind": "dropout"}).json()["count"] == 0
    assert c.get(f"{P}/changes", {"status": "done"}).json()["count"] == 0
    assert c.get(f"{P}/changes", {"kind": "nonsense"}).status_code == 422
    page = c.get(f"{P}/changes", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 1 and page["items"] == []


def test_change_list_out_of_scope_is_filtered(w):
    for user in (w.teacher_b, w.head_teacher_a2, w.parent2, w.student_user_a2):
        body = client_for(user).get(f"{P}/changes").json()
        assert body == {"items": [], "count": 0}, user.username


def test_receiving_school_admin_sees_the_transfer(w):
    assert client_for(w.school_admin_b).get(f"{P}/changes").json()["count"] == 1


def test_timeline(w):
    r = client_for(w.head_teacher_a1).get(f"{P}/students/{w.student_a1.pk}/timeline")
    assert r.status_code == 200
    rows = r.json()
    assert [x["id"] for x in rows] == [w.transfer.pk]
    assert rows[0]["timeline"] and rows[0]["timeline"][0]["action"]
    # the receiving school's admin sees the student's transfer although the student is not (yet) theirs
    assert client_for(w.school_admin_b).get(f"{P}/students/{w.student_a1.pk}/timeline").status_code == 200


def test_timeline_out_of_scope_is_404(w):
    for user in (w.teacher_b, w.head_teacher_a2, w.parent2):
        r = client_for(user).get(f"{P}/students/{w.student_a1.pk}/timeline")
        assert r.status_code == 404, user.username
        assert "周小明" not in r.content.decode()
    assert client_for(w.school_admin_a).get(f"{P}/students/999999/timeline").status_code == 404


def test_stats(w):
    body = client_for(w.district_admin).get(f"{P}/stats").json()
    assert body["total"] == 4
    assert {x["school_id"]: x["n"] for x in body["by_school"]} == {w.school_a.pk: 3, w.school_b.pk: 1}
    assert set(body) >= {"by_grade", "by_class", "by_gender", "by_ethnicity", "migrant_child", "left_behind"}
    only_b = client_for(w.district_admin).get(f"{P}/stats", {"school": w.school_b.pk}).json()
    assert only_b["total"] == 1


def test_stats_scope(w):
    body = client_for(w.school_admin_a).get(f"{P}/stats").json()
    assert body["total"] == 3 and [x["school_id"] for x in body["by_school"]] == [w.school_a.pk]
    assert client_for(w.school_admin_a).get(f"{P}/stats", {"school": w.school_b.pk}).status_code == 404
    assert client_for(w.parent1).get(f"{P}/stats").status_code == 403
    assert client_for(w.head_teacher_a1).get(f"{P}/stats").status_code == 403


def test_scope_cases(w):
    cases = roster_api_scope_cases(w)
    assert cases
    for case in cases:
        inside = client_for(getattr(w, case.in_scope)).get(case.url)
        outside = client_for(getattr(w, case.out_of_scope)).get(case.url)
        assert inside.status_code == 200, (case, inside.content)
        if case.kind == "list":
            assert inside.json()["count"] >= 1, case
            assert outside.status_code == 200 and outside.json()["count"] == 0, case
        else:
            assert outside.status_code == 404, (case, outside.status_code)
