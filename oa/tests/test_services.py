"""Approval chains, requests, delegation: the rules a user notices (who must approve, what happens next)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog, StaffPost
from oa import services
from oa.models import ApprovalChain, ApprovalRequest, ApprovalStep, Delegation, RequestStatus, StepStatus
from oa.testing import next_monday

pytestmark = pytest.mark.django_db


def _leave(w, days_span=3, user=None, start=None):
    start = start or next_monday()
    return services.request_submit(
        actor=user or w.teacher_a,
        school=w.school_a,
        request_type="leave",
        reason="家中有事",
        start_date=start,
        end_date=start + dt.timedelta(days=days_span),
        details={"leave_type": "personal", "substitute": "王老师代课"},
    )


def _steps(req):
    return [(s.label, s.approver.display_name, s.status) for s in req.steps.filter(round=req.round)]


def test_working_days_skip_weekends():
    monday = next_monday()
    assert services.working_days(monday, monday + dt.timedelta(days=4)) == 5
    assert services.working_days(monday, monday + dt.timedelta(days=6)) == 5  # through Sunday
    assert services.working_days(monday, monday + dt.timedelta(days=13)) == 10
    assert services.working_days(monday + dt.timedelta(days=5), monday + dt.timedelta(days=6)) == 0


def test_default_chains_are_created_once_per_school(oaw):
    first = services.chain_defaults_ensure(school=oaw.school_a)
    again = services.chain_defaults_ensure(school=oaw.school_a)
    assert [c.pk for c in first] == [c.pk for c in again]
    assert ApprovalChain.objects.filter(school=oaw.school_a).count() == 4
    leave = ApprovalChain.objects.get(school=oaw.school_a, request_type="leave")
    assert [(s.approver_label, s.condition_label) for s in leave.steps.all()] == [
        ("教务主任", "始终需要"),
        ("校长", "天数超过 3 天"),
    ]


def test_short_leave_needs_only_the_director(oaw):
    req = _leave(oaw, days_span=2)  # Mon–Wed: 3 working days, not more than 3
    assert req.days == Decimal("3")
    assert _steps(req) == [("教务主任审批", "钱主任", StepStatus.PENDING)]
    services.request_act(actor=oaw.director_user, request=req, decision="approve", comment="同意")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert req.finished_at is not None


def test_four_day_leave_goes_director_then_principal(oaw):
    req = _leave(oaw, days_span=3)
    assert req.title == "陈老师的请假申请（事假 4 天）"
    assert _steps(req) == [
        ("教务主任审批", "钱主任", StepStatus.PENDING),
        ("校长审批", "张校长", StepStatus.WAITING),
    ]
    # the principal cannot jump the queue
    with pytest.raises(PermissionDenied):
        services.request_act(actor=oaw.school_admin_a, request=req, decision="approve")
    services.request_act(actor=oaw.director_user, request=req, decision="approve", comment="同意，注意代课安排")
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert _steps(req)[1][2] == StepStatus.PENDING
    services.request_act(actor=oaw.school_admin_a, request=req, decision="approve")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    texts = [e.text for e in req.events.all()]
    assert texts[0] == "陈老师 提交申请"
    assert "钱主任 同意 · 教务主任审批" in texts
    assert "张校长 同意 · 校长审批" in texts
    assert texts[-1] == "审批通过"
    actions = set(AuditLog.objects.filter(object_type="oa.approvalrequest").values_list("action", flat=True))
    assert {"oa.request_submit", "oa.request_approve"} <= actions


def test_leave_over_weekend_only_is_refused(oaw):
    saturday = next_monday() + dt.timedelta(days=5)
    with pytest.raises(ValidationError) as exc:
        _leave(oaw, days_span=1, start=saturday)
    assert "周末" in str(exc.value)
    assert not ApprovalRequest.objects.exists()


def test_purchase_threshold_adds_the_principal(oaw):
    small = services.request_submit(
        actor=oaw.teacher_a,
        school=oaw.school_a,
        request_type="purchase",
        reason="教研组用品",
        details={"items": [{"name": "白板笔", "quantity": "50", "unit_price": "3.5"}]},
    )
    assert small.amount == Decimal("175.00")
    assert [s[0] for s in _steps(small)] == ["副校长审批"]
    big = services.request_submit(
        actor=oaw.teacher_a,
        school=oaw.school_a,
        request_type="purchase",
        reason="录播教室",
        details={
            "items": [
                {"name": "摄像机", "quantity": "2", "unit_price": "2300"},
                {"name": "话筒", "quantity": "3", "unit_price": "150.5"},
            ]
        },
    )
    assert big.amount == Decimal("5051.50")
    assert [s[:2] for s in _steps(big)] == [("副校长审批", "孙副校长"), ("校长审批", "张校长")]


def test_purchase_row_errors_name_the_row(oaw):
    with pytest.raises(ValidationError) as exc:
        services.request_submit(
            actor=oaw.teacher_a,
            school=oaw.school_a,
            request_type="purchase",
            reason="x",
            details={
                "items": [
                    {"name": "粉笔", "quantity": "10", "unit_price": "2"},
                    {"name": "黑板擦", "quantity": "0", "unit_price": "5"},
                    {"name": "", "quantity": "1", "unit_price": "5"},
                    {"name": "直尺", "quantity": "1", "unit_price": "abc"},
                ]
            },
        )
    msgs = exc.value.message_dict["items"]
    assert msgs == [
        "第 2 行「数量」必须大于 0。",
        "第 3 行：请填写物品名称。",
        "第 4 行「单价」：「abc」不是有效的数字。",
    ]
    assert not ApprovalRequest.objects.exists()


def test_reject_needs_comment_and_ends_the_request(oaw):
    req = _leave(oaw)
    with pytest.raises(ValidationError):
        services.request_act(actor=oaw.director_user, request=req, decision="reject", comment=" ")
    services.request_act(actor=oaw.director_user, request=req, decision="reject", comment="考试周不批")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    assert _steps(req)[1][2] == StepStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.request_act(actor=oaw.school_admin_a, request=req, decision="approve")


def test_return_then_resubmit_starts_a_new_round(oaw):
    req = _leave(oaw)
    services.request_act(actor=oaw.director_user, request=req, decision="return", comment="请写明代课安排")
    req.refresh_from_db()
    assert req.status == RequestStatus.RETURNED
    with pytest.raises(PermissionDenied):
        services.request_resubmit(
            actor=oaw.head_teacher_a1,
            request=req,
            reason="x",
            start_date=req.start_date,
            end_date=req.end_date,
            details={"leave_type": "personal"},
        )
    monday = next_monday()
    services.request_resubmit(
        actor=oaw.teacher_a,
        request=req,
        reason="家中有事",
        start_date=monday,
        end_date=monday + dt.timedelta(days=1),
        details={"leave_type": "personal", "substitute": "王班主任代课"},
    )
    req.refresh_from_db()
    assert req.round == 2 and req.status == RequestStatus.PENDING and req.days == 2
    # the shorter leave no longer needs the principal
    assert _steps(req) == [("教务主任审批", "钱主任", StepStatus.PENDING)]
    assert ApprovalStep.objects.filter(request=req, round=1).count() == 2


def test_withdraw_only_by_applicant_while_pending(oaw):
    req = _leave(oaw)
    with pytest.raises(PermissionDenied):
        services.request_withdraw(actor=oaw.director_user, request=req)
    services.request_withdraw(actor=oaw.teacher_a, request=req)
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    assert not req.steps.filter(status__in=["pending", "waiting"]).exists()
    with pytest.raises(ValidationError):
        services.request_withdraw(actor=oaw.teacher_a, request=req)


def test_applicant_step_is_skipped_and_missing_post_is_a_clear_error(oaw):
    # the director's own leave: their own step is skipped, the principal approves
    req = _leave(oaw, user=oaw.director_user, days_span=3)
    assert [(s[0], s[2]) for s in _steps(req)] == [("教务主任审批", "skipped"), ("校长审批", "pending")]
    # school B has no 教务主任: filing a leave names the missing step
    with pytest.raises(ValidationError) as exc:
        services.request_submit(
            actor=oaw.teacher_b,
            school=oaw.school_b,
            request_type="leave",
            reason="x",
            start_date=next_monday(),
            end_date=next_monday(),
            details={"leave_type": "sick"},
        )
    assert "教务主任" in str(exc.value) and oaw.school_b.name in str(exc.value)


def test_only_staff_of_the_school_may_file(oaw):
    with pytest.raises(PermissionDenied):
        _leave(oaw, user=oaw.parent1)
    with pytest.raises(PermissionDenied):
        _leave(oaw, user=oaw.teacher_b)


def test_delegation_sends_new_and_waiting_steps_to_the_delegate(oaw):
    req = _leave(oaw)  # pending with the director
    today = dt.date.today()
    services.delegation_set(
        actor=oaw.director_user, delegate=oaw.head_teacher_a1, starts_on=today, ends_on=today + dt.timedelta(days=2)
    )
    step = req.steps.get(status="pending")
    assert step.delegate == oaw.head_teacher_a1
    services.request_act(actor=oaw.head_teacher_a1, request=req, decision="approve", comment="代为同意")
    step.refresh_from_db()
    assert step.acted_by == oaw.head_teacher_a1 and step.approver == oaw.director_user
    assert "王班主任 同意 · 教务主任审批（代 钱主任 审批）" in [e.text for e in req.events.all()]
    # a request submitted while the director is away goes straight to the delegate
    later = _leave(oaw, days_span=0, user=oaw.head_teacher_a2)
    assert later.steps.get(status="pending").delegate == oaw.head_teacher_a1


def test_delegation_rules(oaw):
    today = dt.date.today()
    with pytest.raises(ValidationError):
        services.delegation_set(actor=oaw.director_user, delegate=oaw.teacher_b, starts_on=today, ends_on=today)
    with pytest.raises(ValidationError):
        services.delegation_set(
            actor=oaw.director_user, delegate=oaw.teacher_a, starts_on=today, ends_on=today - dt.timedelta(days=1)
        )
    assert not Delegation.objects.exists()
    future = services.delegation_set(
        actor=oaw.director_user,
        delegate=oaw.teacher_a,
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=12),
    )
    req = _leave(oaw, user=oaw.head_teacher_a2)
    assert req.steps.get(status="pending").delegate is None  # not away yet
    services.delegation_cancel(actor=oaw.director_user, delegation=future)
    assert Delegation.objects.get().cancelled_at is not None


def test_chain_editing_changes_new_requests_only(oaw):
    before = _leave(oaw)
    chain = ApprovalChain.objects.get(school=oaw.school_a, request_type="leave")
    with pytest.raises(PermissionDenied):
        services.chain_step_add(actor=oaw.teacher_a, chain=chain, approver_kind="post", post="vice_principal")
    services.chain_step_add(actor=oaw.school_admin_a, chain=chain, approver_kind="person", person=oaw.head_teacher_a2)
    with pytest.raises(ValidationError):
        services.chain_step_add(actor=oaw.school_admin_a, chain=chain, approver_kind="person", person=oaw.teacher_b)
    with pytest.raises(ValidationError):
        services.chain_step_add(actor=oaw.school_admin_a, chain=chain, approver_kind="post", condition="days")
    first = chain.steps.get(order=1)
    services.chain_step_move(actor=oaw.school_admin_a, step=first, up=False)
    assert [s.approver_label for s in chain.steps.order_by("order")] == ["校长", "教务主任", "赵班主任"]
    after = _leave(oaw, user=oaw.head_teacher_a1)
    assert [s[1] for s in _steps(after)] == ["张校长", "钱主任", "赵班主任"]
    assert [s[1] for s in _steps(before)] == ["钱主任", "张校长"]
    services.chain_step_remove(actor=oaw.school_admin_a, step=chain.steps.get(order=3))
    assert chain.steps.count() == 2
    assert AuditLog.objects.filter(action="oa.chain_step_add").count() == 1


def test_notifications_go_to_the_next_approver_and_applicant(oaw, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "notify", lambda **kw: sent.append((kw["users"], kw["title"])) or 1)
    req = _leave(oaw)
    assert sent[-1][0] == [oaw.director_user] and sent[-1][1].startswith("待您审批")
    services.request_act(actor=oaw.director_user, request=req, decision="approve")
    assert sent[-1][0] == [oaw.school_admin_a]
    services.request_act(actor=oaw.school_admin_a, request=req, decision="approve")
    assert sent[-1][0] == [oaw.teacher_a] and "已通过" in sent[-1][1]


def test_post_holder_who_left_is_not_an_approver(oaw):
    from django.utils import timezone

    StaffPost.objects.filter(person=oaw.director).update(archived_at=timezone.now())
    with pytest.raises(ValidationError):
        _leave(oaw)


def test_in_app_messages_reach_approver_applicant_and_payslip_owners(oaw):
    from core.models import Notification

    req = _leave(oaw)
    msg = Notification.objects.get(user=oaw.director_user, kind="oa.approval")
    assert msg.title == "待您审批：陈老师的请假申请（事假 4 天）" and msg.url == f"/oa/requests/{req.pk}/"
    services.request_act(actor=oaw.director_user, request=req, decision="return", comment="请补充代课安排")
    back = Notification.objects.filter(user=oaw.teacher_a, kind="oa.approval").latest("pk")
    assert back.title.startswith("您的申请被退回修改") and back.body == "请补充代课安排"
    assert not Notification.objects.filter(user=oaw.school_admin_a, kind="oa.approval").exists()
