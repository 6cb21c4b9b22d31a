"""The approval pages as a staff member, an approver and a school admin would use them."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.testing import login
from oa.models import ApprovalChain, ApprovalRequest, Delegation, RequestStatus
from oa.testing import next_monday

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    login(c, user)
    return c


def test_leave_form_to_two_step_approval(oaw):
    teacher = _client(oaw.teacher_a)
    monday = next_monday()
    r = teacher.post(
        "/oa/new/leave/",
        {
            "school": oaw.school_a.pk,
            "leave_type": "personal",
            "start_date": monday.isoformat(),
            "end_date": (monday + dt.timedelta(days=3)).isoformat(),
            "reason": "家中老人住院",
            "substitute": "数学课由王老师代上",
            "attachment": SimpleUploadedFile("住院证明.pdf", b"%PDF-1.4 test"),
        },
    )
    req = ApprovalRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/oa/requests/{req.pk}/"
    page = teacher.get(r["Location"]).content.decode()
    assert "陈老师的请假申请（事假 4 天）" in page and "住院证明.pdf" in page and "数学课由王老师代上" in page
    download = teacher.get(f"/oa/requests/{req.pk}/attachment/")
    assert download.getvalue() == b"%PDF-1.4 test"
    assert "住院证明.pdf" in download["Content-Disposition"] or "filename*" in download["Content-Disposition"]
    with req.attachment.open("rb") as stored:  # encrypted at rest
        assert b"PDF-1.4" not in stored.read()

    director = _client(oaw.director_user)
    inbox = director.get("/oa/").content.decode()
    assert "陈老师的请假申请（事假 4 天）" in inbox
    director.post(f"/oa/requests/{req.pk}/act/", {"decision": "approve", "comment": "同意"})
    principal = _client(oaw.school_admin_a)
    assert "陈老师的请假申请" in principal.get("/oa/?tab=pending").content.decode()
    principal.post(f"/oa/requests/{req.pk}/act/", {"decision": "approve", "comment": ""})
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    done = director.get("/oa/?tab=done").content.decode()
    assert "陈老师的请假申请" in done
    page = teacher.get(f"/oa/requests/{req.pk}/").content.decode()
    assert "审批通过" in page and "钱主任 同意 · 教务主任审批" in page


def test_form_errors_are_shown_in_chinese(oaw):
    teacher = _client(oaw.teacher_a)
    monday = next_monday()
    r = teacher.post(
        "/oa/new/leave/",
        {
            "school": oaw.school_a.pk,
            "leave_type": "personal",
            "start_date": monday.isoformat(),
            "end_date": (monday - dt.timedelta(days=2)).isoformat(),
            "reason": "x",
        },
    )
    assert "结束日期不能早于开始日期。" in r.content.decode()
    r = teacher.post(
        "/oa/new/purchase/",
        {
            "school": oaw.school_a.pk,
            "reason": "教具",
            "item_name_0": "圆规",
            "item_qty_0": "10",
            "item_price_0": "12",
            "item_name_1": "量角器",
            "item_qty_1": "-1",
            "item_price_1": "3",
        },
    )
    page = r.content.decode()
    assert "第 2 行「数量」必须大于 0。" in page
    assert 'value="圆规"' in page  # what was typed stays in the form
    assert not ApprovalRequest.objects.exists()


def test_purchase_over_threshold_via_page(oaw):
    teacher = _client(oaw.teacher_a)
    r = teacher.post(
        "/oa/new/purchase/",
        {
            "school": oaw.school_a.pk,
            "reason": "录播教室",
            "budget_line": "教学设备购置费",
            "item_name_0": "摄像机",
            "item_qty_0": "2",
            "item_price_0": "2600",
        },
    )
    req = ApprovalRequest.objects.get()
    assert str(req.amount) == "5200.00"
    page = teacher.get(r["Location"]).content.decode()
    assert "¥5,200.00" in page and "副校长审批" in page and "校长审批" in page


def test_return_edit_resubmit_and_withdraw(oaw):
    teacher = _client(oaw.teacher_a)
    monday = next_monday()
    teacher.post(
        "/oa/new/trip/",
        {
            "school": oaw.school_a.pk,
            "destination": "杭州",
            "start_date": monday.isoformat(),
            "end_date": (monday + dt.timedelta(days=1)).isoformat(),
            "estimated_cost": "1200",
            "reason": "参加省数学年会",
        },
    )
    req = ApprovalRequest.objects.get()
    assert req.title == "陈老师的出差申请（杭州 2 天）"
    vice = _client(oaw.vice_user)
    r = vice.post(f"/oa/requests/{req.pk}/act/", {"decision": "return", "comment": ""})
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING  # a return needs a comment
    vice.post(f"/oa/requests/{req.pk}/act/", {"decision": "return", "comment": "请附会议通知"})
    req.refresh_from_db()
    assert req.status == RequestStatus.RETURNED
    assert _client(oaw.head_teacher_a1).get(f"/oa/requests/{req.pk}/edit/").status_code == 404
    form = teacher.get(f"/oa/requests/{req.pk}/edit/").content.decode()
    assert 'value="杭州"' in form
    r = teacher.post(
        f"/oa/requests/{req.pk}/edit/",
        {
            "school": oaw.school_a.pk,
            "destination": "杭州",
            "start_date": monday.isoformat(),
            "end_date": (monday + dt.timedelta(days=1)).isoformat(),
            "estimated_cost": "3600",
            "reason": "参加省数学年会（附通知）",
        },
    )
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING and req.round == 2
    assert [s.label for s in req.steps.filter(round=2)] == ["副校长审批", "校长审批"]  # > 3,000 元
    teacher.post(f"/oa/requests/{req.pk}/withdraw/")
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    assert "撤回申请" in teacher.get(f"/oa/requests/{req.pk}/").content.decode()


def test_inbox_counts_and_delegate_marker(oaw):
    teacher = _client(oaw.teacher_a)
    monday = next_monday()
    for days in (0, 1):
        teacher.post(
            "/oa/new/leave/",
            {
                "school": oaw.school_a.pk,
                "leave_type": "sick",
                "start_date": monday.isoformat(),
                "end_date": (monday + dt.timedelta(days=days)).isoformat(),
                "reason": "病假",
            },
        )
    director = _client(oaw.director_user)
    today = dt.date.today()
    director.post(
        "/oa/delegation/",
        {"delegate": oaw.head_teacher_a1.pk, "starts_on": today.isoformat(), "ends_on": today.isoformat()},
    )
    assert Delegation.objects.filter(user=oaw.director_user).count() == 1
    head = _client(oaw.head_teacher_a1)
    inbox = head.get("/oa/").content.decode()
    assert 'data-testid="tab-pending">待我审批 <span class="badge rounded-pill text-bg-danger">2</span>' in inbox
    assert "代 钱主任 审批" in inbox
    mine = teacher.get("/oa/?tab=mine").content.decode()
    assert '我发起的 <span class="badge rounded-pill text-bg-secondary">2</span>' in mine


def test_chain_settings_page(oaw):
    admin = _client(oaw.school_admin_a)
    page = admin.get("/oa/chains/").content.decode()
    assert "天数超过 3 天" in page and "金额超过 5,000 元" in page
    chain = ApprovalChain.objects.get(school=oaw.school_a, request_type="purchase")
    admin.post(
        f"/oa/chains/{chain.pk}/steps/",
        {
            f"c{chain.pk}-approver_kind": "post",
            f"c{chain.pk}-post": "academic_director",
            f"c{chain.pk}-condition": "amount",
            f"c{chain.pk}-threshold": "20000",
        },
    )
    assert [(s.approver_label, s.condition_label) for s in chain.steps.all()][-1] == ("教务主任", "金额超过 20,000 元")
    assert _client(oaw.teacher_a).get("/oa/chains/").status_code == 403
    r = _client(oaw.school_admin_b).post(f"/oa/chains/{chain.pk}/steps/", {f"c{chain.pk}-approver_kind": "post"})
    assert r.status_code == 404


def test_inbox_query_count_does_not_grow_with_rows(oaw, django_assert_max_num_queries):
    from oa import services

    monday = next_monday()
    for i in range(12):
        services.request_submit(
            actor=oaw.teacher_a if i % 2 else oaw.head_teacher_a1,
            school=oaw.school_a,
            request_type="leave",
            reason="病假",
            start_date=monday + dt.timedelta(days=7 * i),
            end_date=monday + dt.timedelta(days=7 * i),
            details={"leave_type": "sick"},
        )
    c = _client(oaw.director_user)
    with django_assert_max_num_queries(25):
        page = c.get("/oa/").content.decode()
    assert page.count("的请假申请") == 12
    # beyond one page (50), the inbox pages instead of growing
    from oa import views

    views.approvals.PAGE_SIZE = 5
    try:
        first = c.get("/oa/approvals/").content.decode()
        third = c.get("/oa/approvals/?tab=pending&page=3").content.decode()
    finally:
        views.approvals.PAGE_SIZE = 50
    assert first.count("的请假申请") == 5 and "1 / 3" in first
    assert third.count("的请假申请") == 2 and "3 / 3" in third


def test_school_admin_lists_the_whole_school(oaw):
    from oa import services

    monday = next_monday()
    for user in (oaw.teacher_a, oaw.head_teacher_a2):
        services.request_submit(
            actor=user,
            school=oaw.school_a,
            request_type="leave",
            reason="病假",
            start_date=monday,
            end_date=monday,
            details={"leave_type": "sick"},
        )
    page = _client(oaw.school_admin_a).get("/oa/approvals/?tab=school").content.decode()
    assert "陈老师的请假申请" in page and "赵班主任的请假申请" in page
    # a teacher asking for the school tab gets their own inbox instead
    page = _client(oaw.teacher_a).get("/oa/approvals/?tab=school").content.decode()
    assert "赵班主任的请假申请" not in page
    page = _client(oaw.school_admin_b).get("/oa/approvals/?tab=school").content.decode()
    assert "陈老师的请假申请" not in page
