"""/api/v1/oa/: the scope matrix of every GET endpoint, and the approval flow driven through the API."""

import datetime as dt
import json

import pytest
from django.test import Client

from core.testing import check_api_scope_case, login
from oa.api import oa_api_scope_cases
from oa.models import ApprovalRequest, RequestStatus
from oa.testing import next_monday, oa_world

pytestmark = pytest.mark.django_db
API = "/api/v1/oa"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def test_api_scope_matrix(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cases = oa_api_scope_cases(world)
    assert len(cases) >= 8
    for case in cases:
        check_api_scope_case(world, case)
        if case.kind == "detail":
            response = client_for(getattr(world, case.out_of_scope)).get(case.url)
            assert response.json()["detail"].endswith("不存在或无权访问")


def test_parents_and_students_see_nothing(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    o = oa_world(world)
    for user in (world.parent1, world.student_user_a1):
        c = client_for(user)
        assert c.get(f"{API}/requests").json()["count"] == 0
        assert c.get(f"{API}/inbox").json()["count"] == 0
        assert c.get(f"{API}/payslips").json()["count"] == 0
        assert c.get(f"{API}/requests/{o.leave.pk}").status_code == 404
        assert c.get(f"{API}/payslips/{o.slip_teacher.pk}").status_code == 404


def _post(c, url, payload=None):
    return c.post(url, json.dumps(payload or {}), content_type="application/json")


def test_file_and_approve_a_leave_through_the_api(oaw):
    teacher = client_for(oaw.teacher_a)
    monday = next_monday()
    r = _post(
        teacher,
        f"{API}/requests",
        {
            "request_type": "leave",
            "reason": "外出体检",
            "leave_type": "sick",
            "start_date": str(monday),
            "end_date": str(monday + dt.timedelta(days=3)),
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["days"] == "4.0" or float(body["days"]) == 4
    assert [s["approver"] for s in body["steps"]] == ["钱主任", "张校长"]
    rid = body["id"]

    director = client_for(oaw.director_user)
    inbox = director.get(f"{API}/inbox").json()
    assert inbox["count"] == 1 and inbox["items"][0]["request"]["id"] == rid
    # the principal is not yet the approver: 403; another school's admin: 404
    assert _post(client_for(oaw.school_admin_a), f"{API}/requests/{rid}/approve").status_code == 403
    assert _post(client_for(oaw.school_admin_b), f"{API}/requests/{rid}/approve").status_code == 404
    r = _post(director, f"{API}/requests/{rid}/reject", {"comment": ""})
    assert r.status_code == 422 and "审批意见" in r.json()["detail"] + json.dumps(r.json(), ensure_ascii=False)
    assert _post(director, f"{API}/requests/{rid}/approve", {"comment": "同意"}).status_code == 200
    r = _post(client_for(oaw.school_admin_a), f"{API}/requests/{rid}/approve", {"comment": ""})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert ApprovalRequest.objects.get(pk=rid).status == RequestStatus.APPROVED
    mine = teacher.get(f"{API}/requests?status=approved").json()
    assert [x["id"] for x in mine["items"]] == [rid]


def test_purchase_errors_are_422_with_row_numbers(oaw):
    r = _post(
        client_for(oaw.teacher_a),
        f"{API}/requests",
        {"request_type": "purchase", "reason": "x", "items": [{"name": "粉笔", "quantity": 0, "unit_price": 2}]},
    )
    assert r.status_code == 422
    assert "第 1 行「数量」必须大于 0。" in json.dumps(r.json(), ensure_ascii=False)
    assert not ApprovalRequest.objects.exists()


def test_payslip_confirm_through_the_api(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    o = oa_world(world)
    c = client_for(world.teacher_a)
    detail = c.get(f"{API}/payslips/{o.slip_teacher.pk}").json()
    assert [detail["items"][0]["item"], detail["items"][0]["amount"]] == ["岗位工资", "3200.00"]
    assert _post(client_for(world.head_teacher_a1), f"{API}/payslips/{o.slip_teacher.pk}/confirm").status_code == 404
    r = _post(c, f"{API}/payslips/{o.slip_teacher.pk}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
