"""行政办公 API under /api/v1/oa/ (mounted in OaConfig.ready).

* ``GET /oa/requests`` — my requests (``?status=``); ``POST /oa/requests`` — file a 请假/出差/采购 request;
* ``GET /oa/requests/{id}`` — a request with its steps and timeline (applicant, its approvers, school admins);
* ``GET /oa/inbox`` — 待我审批 (including steps delegated to me);
* ``POST /oa/requests/{id}/approve`` · ``/reject`` · ``/return`` (``{"comment": ...}``) · ``/withdraw``;
* ``GET /oa/payslips`` — my released payslips; ``GET /oa/payslips/{id}`` with the amounts (owner or school admin);
  ``POST /oa/payslips/{id}/confirm`` — 签收.

Everything starts from ``oa.selectors`` (``visible_to`` narrowed to the person); out of scope → 404.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Router, Schema, Status
from ninja.pagination import paginate

from core.api.common import actor, get_visible
from core.api.errors import not_found
from core.api.org import READ_ERRORS, WRITE_ERRORS
from core.api.pagination import Pagination

from . import selectors, services
from .models import RequestStatus, RequestType

router = Router(tags=["行政办公"])


class StepOut(Schema):
    order: int
    label: str
    status: str
    status_label: str
    approver: str
    delegate: str | None = None
    acted_by: str | None = None
    comment: str
    acted_at: dt.datetime | None = None


class EventOut(Schema):
    at: dt.datetime
    action: str
    text: str
    comment: str


class RequestOut(Schema):
    id: int
    request_type: str
    type_label: str
    title: str
    status: str
    status_label: str
    school_id: int
    applicant: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    days: Decimal | None = None
    amount: Decimal | None = None
    submitted_at: dt.datetime
    finished_at: dt.datetime | None = None

    @staticmethod
    def resolve_type_label(obj) -> str:
        return str(obj.get_request_type_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_applicant(obj) -> str:
        return obj.applicant.display_name


class RequestDetailOut(RequestOut):
    reason: str
    details: dict
    steps: list[StepOut]
    events: list[EventOut]

    @staticmethod
    def resolve_steps(obj) -> list[dict]:
        steps = obj.steps.filter(round=obj.round).select_related(
            "approver__person", "delegate__person", "acted_by__person"
        )
        return [
            {
                "order": s.order,
                "label": s.label,
                "status": s.status,
                "status_label": str(s.get_status_display()),
                "approver": s.approver.display_name,
                "delegate": s.delegate.display_name if s.delegate_id else None,
                "acted_by": s.acted_by.display_name if s.acted_by_id else None,
                "comment": s.comment,
                "acted_at": s.acted_at,
            }
            for s in steps
        ]

    @staticmethod
    def resolve_events(obj) -> list[dict]:
        return [{"at": e.at, "action": e.action, "text": e.text, "comment": e.comment} for e in obj.events.all()]


class InboxOut(Schema):
    step_label: str
    on_behalf_of: str | None = None
    request: RequestOut


class DecisionIn(Schema):
    comment: str = ""


class PurchaseItemIn(Schema):
    name: str
    quantity: Decimal
    unit_price: Decimal


class RequestIn(Schema):
    request_type: Literal["leave", "trip", "purchase"]
    school: int | None = None
    reason: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    leave_type: str | None = None
    substitute: str = ""
    destination: str = ""
    estimated_cost: Decimal | None = None
    items: list[PurchaseItemIn] = []
    budget_line: str = ""


class PayslipOut(Schema):
    id: int
    title: str
    month: dt.date
    school_id: int
    name: str
    status: str
    status_label: str
    confirmed_at: dt.datetime | None = None

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.batch.title

    @staticmethod
    def resolve_month(obj) -> dt.date:
        return obj.batch.month

    @staticmethod
    def resolve_school_id(obj) -> int:
        return obj.batch.school_id

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class PayslipItemOut(Schema):
    item: str
    amount: Decimal


class PayslipDetailOut(PayslipOut):
    items: list[PayslipItemOut]
    question: str
    reply: str

    @staticmethod
    def resolve_items(obj) -> list[dict]:
        return [{"item": k, "amount": v} for k, v in obj.items]


def _detail(obj):
    """The request itself; ``RequestDetailOut`` resolves its steps (current round) and timeline."""
    return obj


def _request(request, request_id: int):
    return get_visible(selectors.requests_for(actor(request)).select_related("applicant__person"), request_id, "申请")


@router.get("/requests", response=list[RequestOut], summary="我发起的申请")
@paginate(Pagination)
def my_requests(request, status: RequestStatus | None = None, school: int | None = None):
    qs = selectors.requests_of(actor(request)).select_related("applicant__person")
    if status:
        qs = qs.filter(status=status)
    if school is not None:
        qs = qs.filter(school_id=school)
    return qs.order_by("-submitted_at", "-id")


@router.post("/requests", response={201: RequestDetailOut, **WRITE_ERRORS}, summary="发起申请（请假/出差/采购）")
def request_create(request, payload: RequestIn):
    user = actor(request)
    schools = services.staff_schools(user)
    school = schools.filter(pk=payload.school).first() if payload.school else schools.first()
    if school is None:
        raise not_found("学校")
    details = {"substitute": payload.substitute, "leave_type": payload.leave_type}
    if payload.request_type == RequestType.TRIP:
        details = {"destination": payload.destination, "estimated_cost": payload.estimated_cost}
    elif payload.request_type == RequestType.PURCHASE:
        details = {
            "items": [{"name": i.name, "quantity": i.quantity, "unit_price": i.unit_price} for i in payload.items],
            "budget_line": payload.budget_line,
        }
    obj = services.request_submit(
        actor=user,
        school=school,
        request_type=payload.request_type,
        reason=payload.reason,
        start_date=payload.start_date,
        end_date=payload.end_date,
        details=details,
    )
    return Status(201, _detail(obj))


@router.get("/requests/{int:request_id}", response={200: RequestDetailOut, **READ_ERRORS}, summary="申请详情与审批记录")
def request_detail(request, request_id: int):
    return _detail(_request(request, request_id))


@router.get("/inbox", response=list[InboxOut], summary="待我审批")
@paginate(Pagination)
def inbox(request, school: int | None = None):
    user = actor(request)
    steps = selectors.steps_pending_for(user)
    if school is not None:
        steps = steps.filter(request__school_id=school)
    return [
        {
            "step_label": s.label,
            "on_behalf_of": s.approver.display_name if s.approver_id != user.pk else None,
            "request": s.request,
        }
        for s in steps
    ]


def _decide(request, request_id: int, decision: str, comment: str):
    obj = _request(request, request_id)
    services.request_act(actor=actor(request), request=obj, decision=decision, comment=comment)
    obj.refresh_from_db()
    return _detail(obj)


@router.post("/requests/{int:request_id}/approve", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="同意")
def request_approve(request, request_id: int, payload: DecisionIn):
    return _decide(request, request_id, "approve", payload.comment)


@router.post("/requests/{int:request_id}/reject", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="驳回")
def request_reject(request, request_id: int, payload: DecisionIn):
    return _decide(request, request_id, "reject", payload.comment)


@router.post("/requests/{int:request_id}/return", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="退回修改")
def request_return(request, request_id: int, payload: DecisionIn):
    return _decide(request, request_id, "return", payload.comment)


@router.post("/requests/{int:request_id}/withdraw", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="撤回")
def request_withdraw(request, request_id: int):
    obj = _request(request, request_id)
    services.request_withdraw(actor=actor(request), request=obj)
    obj.refresh_from_db()
    return _detail(obj)


@router.get("/payslips", response=list[PayslipOut], summary="我的工资条")
@paginate(Pagination)
def my_payslips(request, school: int | None = None):
    qs = selectors.own_payslips(actor(request))
    if school is not None:
        qs = qs.filter(batch__school_id=school)
    return qs


def _slip_out(slip):
    return slip


@router.get("/payslips/{int:slip_id}", response={200: PayslipDetailOut, **READ_ERRORS}, summary="工资条明细")
def payslip_detail(request, slip_id: int):
    return _slip_out(get_visible(selectors.payslips_for(actor(request)), slip_id, "工资条"))


@router.post("/payslips/{int:slip_id}/confirm", response={200: PayslipDetailOut, **WRITE_ERRORS}, summary="签收")
def payslip_confirm(request, slip_id: int):
    slip = get_visible(selectors.payslips_for(actor(request)), slip_id, "工资条")
    return _slip_out(services.payslip_confirm(actor=actor(request), slip=slip))


def oa_api_scope_cases(w):
    """Scoped GET endpoints of this router with sample objects (``oa.testing.oa_world``). Lists are filtered to
    school A: the other school's staff get ``count == 0``; details are 404 out of scope."""
    from core.api import ScopeCase

    from .testing import oa_world

    o = oa_world(w)
    p = "/api/v1/oa"
    cases = [
        (f"{p}/requests?school={w.school_a.pk}", "teacher_a", "teacher_b"),
        (f"{p}/requests/{o.leave.pk}", "teacher_a", "teacher_b"),
        (f"{p}/requests/{o.leave.pk}", "school_admin_a", "head_teacher_a2"),
        (f"{p}/requests/{o.leave.pk}", "director_user", "parent1"),
        (f"{p}/inbox?school={w.school_a.pk}", "school_admin_a", "head_teacher_a2"),
        (f"{p}/payslips?school={w.school_a.pk}", "teacher_a", "head_teacher_a2"),
        (f"{p}/payslips/{o.slip_teacher.pk}", "teacher_a", "head_teacher_a2"),
        (f"{p}/payslips/{o.slip_teacher.pk}", "school_admin_a", "school_admin_b"),
    ]
    return [ScopeCase(*c) for c in cases]
