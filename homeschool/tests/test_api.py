"""家校 API: the scope matrix of its GET endpoints, and the parent/teacher writes."""

import json

import pytest
from django.test import Client

from core.testing import check_api_scope_case, login
from homeschool.api import homeschool_api_scope_cases, scope_leave
from homeschool.models import LeaveRequest

from .conftest import next_weekday

pytestmark = pytest.mark.django_db
API = "/api/v1/homeschool"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_api_scope_matrix(world):
    cases = homeschool_api_scope_cases(world)
    assert len(cases) == 9
    for case in cases:
        check_api_scope_case(world, case)


def test_parent_children(world):
    data = client_for(world.parent1).get(f"{API}/children").json()
    assert {c["name"] for c in data["items"]} == {world.student_a1.person.name, world.student_b1.person.name}
    assert client_for(world.head_teacher_a1).get(f"{API}/children").json()["count"] == 0


def test_submit_approve_through_the_api(world):
    day = next_weekday(1).isoformat()
    body = {"student": world.student_a1.pk, "kind": "sick", "start_date": day, "end_date": day, "reason": "发烧"}
    response = post(client_for(world.parent1), f"{API}/leaves", body)
    assert response.status_code == 201, response.content
    leave = response.json()
    assert leave["status"] == "pending_head" and leave["days"] == 1.0
    # another family: the child is not found
    other = post(client_for(world.parent2), f"{API}/leaves", {**body, "start_date": next_weekday(3).isoformat()})
    assert other.status_code == 404
    pending = client_for(world.head_teacher_a1).get(f"{API}/leaves/pending").json()
    assert [p["id"] for p in pending["items"]] == [leave["id"]]
    assert post(client_for(world.head_teacher_a2), f"{API}/leaves/{leave['id']}/approve").status_code == 404
    assert post(client_for(world.parent1), f"{API}/leaves/{leave['id']}/approve").status_code == 403
    ok = post(client_for(world.head_teacher_a1), f"{API}/leaves/{leave['id']}/approve", {"note": "好"})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = post(client_for(world.head_teacher_a1), f"{API}/leaves/{leave['id']}/approve")
    assert again.status_code == 422 and "已批准" in again.json()["detail"]
    # approved: no longer cancellable
    assert post(client_for(world.parent1), f"{API}/leaves/{leave['id']}/cancel").status_code == 422


def test_bad_leave_input_is_422_with_field(world):
    day = next_weekday(1).isoformat()
    body = {"student": world.student_a1.pk, "kind": "sick", "start_date": day, "end_date": day, "reason": " "}
    response = post(client_for(world.parent1), f"{API}/leaves", body)
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = post(client_for(world.parent1), f"{API}/leaves", {**body, "kind": "holiday", "reason": "x"})
    assert response.status_code == 422
    assert LeaveRequest.objects.count() == 0


def test_cancel_and_reject(world):
    leave = scope_leave(world)
    assert post(client_for(world.parent2), f"{API}/leaves/{leave.pk}/cancel").status_code == 404
    r = post(client_for(world.head_teacher_a1), f"{API}/leaves/{leave.pk}/reject", {"reason": ""})
    assert r.status_code == 422
    r = post(client_for(world.parent1), f"{API}/leaves/{leave.pk}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_attendance_read(world):
    from django.utils import timezone

    from homeschool import services

    services.attendance_take(
        actor=world.head_teacher_a1,
        klass=world.class_a1,
        date=timezone.localdate(),
        marks={world.student_a1.pk: "late"},
    )
    data = client_for(world.teacher_a).get(f"{API}/attendance/classes/{world.class_a1.pk}").json()
    assert data["days"] == 1 and data["rate"] == 100.0
    row = next(s for s in data["students"] if s["id"] == world.student_a1.pk)
    assert row["late"] == 1
    assert client_for(world.parent1).get(f"{API}/attendance/classes/{world.class_a1.pk}").status_code == 404


def test_binding_approve_and_reject_through_the_api(world):
    from homeschool.models import BindingRequest
    from homeschool.scope_cases import _binding

    b = _binding(world)
    items = client_for(world.head_teacher_a1).get(f"{API}/bindings/pending").json()["items"]
    assert [(i["id"], i["parent_phone"]) for i in items] == [(b.pk, "139****9077")]
    assert post(client_for(world.head_teacher_a2), f"{API}/bindings/{b.pk}/approve").status_code == 404
    assert post(client_for(world.parent1), f"{API}/bindings/{b.pk}/approve").status_code == 404
    assert post(client_for(world.head_teacher_a1), f"{API}/bindings/{b.pk}/reject", {"reason": ""}).status_code == 422
    r = post(client_for(world.head_teacher_a1), f"{API}/bindings/{b.pk}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert BindingRequest.objects.get(pk=b.pk).guardianship is not None
    assert post(client_for(world.head_teacher_a1), f"{API}/bindings/{b.pk}/approve").status_code == 422
