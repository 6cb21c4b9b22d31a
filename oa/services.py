"""Writes of 行政办公. Every function: keyword-only, ``transaction.atomic``, permission check, ``full_clean``,
``audit_record``; people affected are told through ``core.notify.notify``.

Approval flow: ``request_submit`` instantiates the school's chain for the request type (conditional steps
only when the amount / days exceed their threshold), resolving each step's approver now (a post → the person
holding it at the school, ``school_admin`` → the school's admin, or a named person); steps whose approver is
the applicant are skipped. A step reached while its approver is away (``Delegation``) goes to the delegate.
Approvers approve / reject / return for changes; the applicant may withdraw while pending, or edit and
resubmit after a return (a new round of steps). Every change appends to the request's timeline.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import Post, StaffPost
from core.notify import notify
from core.scope import can

from .models import (
    ApprovalChain,
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStep,
    ApproverKind,
    ChainStep,
    ConditionField,
    Delegation,
    DocDirection,
    Document,
    DocumentRouting,
    LeaveType,
    PayrollBatch,
    PayrollStatus,
    Payslip,
    RequestStatus,
    RequestType,
    RoutingStatus,
    SlipStatus,
    StepStatus,
)

User = get_user_model()

# (request type, [(approver kind, post, condition, threshold)])
DEFAULT_CHAINS = {
    RequestType.LEAVE: [
        (ApproverKind.POST, Post.ACADEMIC_DIRECTOR, "", None),
        (ApproverKind.POST, Post.PRINCIPAL, ConditionField.DAYS, Decimal("3")),
    ],
    RequestType.TRIP: [
        (ApproverKind.POST, Post.VICE_PRINCIPAL, "", None),
        (ApproverKind.POST, Post.PRINCIPAL, ConditionField.AMOUNT, Decimal("3000")),
    ],
    RequestType.PURCHASE: [
        (ApproverKind.POST, Post.VICE_PRINCIPAL, "", None),
        (ApproverKind.POST, Post.PRINCIPAL, ConditionField.AMOUNT, Decimal("5000")),
    ],
    RequestType.PAYROLL: [(ApproverKind.POST, Post.PRINCIPAL, "", None)],
}
CENT = Decimal("0.01")


def store_attachment(obj, upload) -> None:
    """Keep an uploaded attachment (病历、会议通知、公文附件…) encrypted at rest; the original name is kept for
    the download, the stored name is generated (``attachment_path``)."""
    from django.core.files.base import ContentFile

    from core.crypto import encrypt_bytes

    name = getattr(upload, "name", "") or "附件"
    obj.attachment.save(name, ContentFile(encrypt_bytes(upload.read())), save=False)
    obj.attachment_name = name.rsplit("/", 1)[-1][:200]


def _url(name: str, *args) -> str:
    return reverse(name, args=args)


# --- chains ---------------------------------------------------------------------------------------------


def chain_defaults_ensure(*, school) -> list[ApprovalChain]:
    """The school's chains, creating the default ones that are missing (系统默认，学校管理员可调整)."""
    existing = {c.request_type: c for c in ApprovalChain.objects.filter(school=school)}
    missing = [t for t in RequestType.values if t not in existing]
    if missing:
        with transaction.atomic():
            for rtype in missing:
                chain = ApprovalChain.objects.create(school=school, request_type=rtype)
                ChainStep.objects.bulk_create(
                    ChainStep(chain=chain, order=i, approver_kind=kind, post=post, condition=cond, threshold=threshold)
                    for i, (kind, post, cond, threshold) in enumerate(DEFAULT_CHAINS[rtype], start=1)
                )
                existing[rtype] = chain
    return [existing[t] for t in RequestType.values]


def _chain_check(actor, chain: ApprovalChain) -> None:
    if not can(actor, "change", chain):
        raise PermissionDenied(_("只有本校管理员可以设置审批流程。"))


@transaction.atomic
def chain_step_add(
    *, actor, chain: ApprovalChain, approver_kind: str, post: str = "", person=None, condition: str = "", threshold=None
) -> ChainStep:
    """Append a step to ``chain``."""
    _chain_check(actor, chain)
    if (
        person is not None
        and not StaffPost.objects.filter(
            person_id=person.person_id, school_id=chain.school_id, archived_at__isnull=True
        ).exists()
    ):
        raise ValidationError({"person": _("指定的审批人不是本校在岗教职工。")})
    last = chain.steps.order_by("-order").values_list("order", flat=True).first() or 0
    step = ChainStep(
        chain=chain,
        order=last + 1,
        approver_kind=approver_kind,
        post=post if approver_kind == ApproverKind.POST else "",
        person=person if approver_kind == ApproverKind.PERSON else None,
        condition=condition or "",
        threshold=threshold if condition else None,
    )
    step.full_clean()
    step.save()
    audit_record(
        actor=actor,
        action="oa.chain_step_add",
        obj=chain,
        changes={"step": [None, f"{step.order}. {step.approver_label}（{step.condition_label}）"]},
    )
    return step


@transaction.atomic
def chain_step_remove(*, actor, step: ChainStep) -> None:
    """Remove a step; the following steps move up. Requests already submitted keep their own steps."""
    chain = step.chain
    _chain_check(actor, chain)
    if chain.steps.count() <= 1:
        raise ValidationError(_("审批流程至少要有一个步骤。"))
    label = f"{step.order}. {step.approver_label}（{step.condition_label}）"
    step.delete()
    for i, s in enumerate(chain.steps.order_by("order", "id"), start=1):
        if s.order != i:
            s.order = i
            s.save(update_fields=["order"])
    audit_record(actor=actor, action="oa.chain_step_remove", obj=chain, changes={"step": [label, None]})


@transaction.atomic
def chain_step_move(*, actor, step: ChainStep, up: bool) -> None:
    """Swap a step with the one before (``up``) or after it."""
    chain = step.chain
    _chain_check(actor, chain)
    steps = list(chain.steps.order_by("order", "id"))
    i = next(n for n, s in enumerate(steps) if s.pk == step.pk)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(steps):
        return
    steps[i], steps[j] = steps[j], steps[i]
    for n, s in enumerate(steps, start=1):
        if s.order != n:
            s.order = n
            s.save(update_fields=["order"])
    audit_record(
        actor=actor,
        action="oa.chain_step_move",
        obj=chain,
        changes={"order": [None, [f"{s.approver_label}（{s.condition_label}）" for s in steps]]},
    )


# --- request helpers ------------------------------------------------------------------------------------


def working_days(start: dt.date, end: dt.date) -> int:
    """Monday–Friday days from ``start`` to ``end`` inclusive (请假按工作日计)."""
    if end < start:
        return 0
    total = (end - start).days + 1
    weeks, rest = divmod(total, 7)
    days = weeks * 5
    for i in range(rest):
        if (start + dt.timedelta(days=weeks * 7 + i)).weekday() < 5:
            days += 1
    return days


def _money(value, *, where: str) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(where)s：「%(v)s」不是有效的数字。") % {"where": where, "v": value}) from None
    if not amount.is_finite():
        raise ValidationError(_("%(where)s：「%(v)s」不是有效的数字。") % {"where": where, "v": value})
    return amount


def purchase_items_clean(items: list[dict]) -> tuple[list[dict], Decimal]:
    """Validate 采购明细 rows ({name, quantity, unit_price}); returns the clean rows and the total.
    Errors name the row (第 N 行) and the field."""
    clean, errors, total = [], [], Decimal("0")
    for n, item in enumerate(items, start=1):
        name = str(item.get("name") or "").strip()
        qty_raw, price_raw = item.get("quantity"), item.get("unit_price")
        if not name and qty_raw in (None, "") and price_raw in (None, ""):
            continue
        if not name:
            errors.append(_("第 %(n)d 行：请填写物品名称。") % {"n": n})
            continue
        try:
            qty = _money(qty_raw, where=_("第 %(n)d 行「数量」") % {"n": n})
            price = _money(price_raw, where=_("第 %(n)d 行「单价」") % {"n": n})
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if qty <= 0:
            errors.append(_("第 %(n)d 行「数量」必须大于 0。") % {"n": n})
            continue
        if price < 0:
            errors.append(_("第 %(n)d 行「单价」不能为负数。") % {"n": n})
            continue
        subtotal = (qty * price).quantize(CENT, ROUND_HALF_UP)
        total += subtotal
        clean.append(
            {
                "name": name[:100],
                "quantity": f"{qty.normalize():f}",
                "unit_price": f"{price:.2f}",
                "subtotal": f"{subtotal:.2f}",
            }
        )
    if errors:
        raise ValidationError({"items": errors})
    if not clean:
        raise ValidationError({"items": [_("请至少填写一项采购物品。")]})
    return clean, total


def staff_schools(user):
    """Schools where ``user`` holds an active post (where they may file requests)."""
    from core.models import School

    if not user.is_authenticated or not user.person_id:
        return School.objects.none()
    return School.objects.filter(
        staff_posts__person_id=user.person_id, staff_posts__archived_at__isnull=True, archived_at__isnull=True
    ).distinct()


def _holders(step: ChainStep, school) -> list:
    if step.approver_kind == ApproverKind.PERSON:
        return [step.person] if step.person_id and step.person.is_active else []
    if step.approver_kind == ApproverKind.SCHOOL_ADMIN:
        qs = User.objects.filter(role_grants__role="school_admin", role_grants__school=school, is_active=True)
    else:
        qs = User.objects.filter(
            person__staff_posts__school=school,
            person__staff_posts__post=step.post,
            person__staff_posts__archived_at__isnull=True,
            is_active=True,
        )
    return list(qs.select_related("person").distinct().order_by("pk"))


def _step_label(step: ChainStep) -> str:
    return _("%(who)s审批") % {"who": step.approver_label}


def _plan_steps(request: ApprovalRequest) -> list[tuple[str, object | None, str]]:
    """(label, approver or None when skipped, skip reason) for each applicable step of the chain."""
    chain = next(c for c in chain_defaults_ensure(school=request.school) if c.request_type == request.request_type)
    planned, previous = [], None
    for step in chain.steps.select_related("person__person").order_by("order", "id"):
        if not step.applies(amount=request.amount, days=request.days):
            continue
        label = _step_label(step)
        holders = _holders(step, request.school)
        others = [u for u in holders if u.pk != request.applicant_id]
        if holders and not others:
            planned.append((label, None, _("审批人为申请人本人，跳过")))
            continue
        if not others:
            raise ValidationError(
                _("审批步骤「%(step)s」找不到审批人（%(school)s没有在岗的%(who)s），请联系学校管理员调整审批流程。")
                % {"step": label, "school": request.school.name, "who": step.approver_label}
            )
        approver = others[0]
        if previous is not None and approver.pk == previous.pk:
            planned.append((label, None, _("与上一步审批人相同，跳过")))
            continue
        planned.append((label, approver, ""))
        previous = approver
    return planned


def _event(request, actor, action: str, text: str, comment: str = "") -> None:
    ApprovalEvent.objects.create(request=request, actor=actor, action=action, text=text[:200], comment=comment)


def _away_delegate(user, on: dt.date):
    d = (
        Delegation.objects.filter(user=user, starts_on__lte=on, ends_on__gte=on, cancelled_at__isnull=True)
        .select_related("delegate")
        .order_by("-created_at")
        .first()
    )
    return d.delegate if d and d.delegate.is_active else None


def _instantiate(request: ApprovalRequest, actor) -> None:
    planned = _plan_steps(request)
    steps = []
    for order, (label, approver, reason) in enumerate(planned, start=1):
        status = StepStatus.WAITING if approver is not None else StepStatus.SKIPPED
        steps.append(
            ApprovalStep(
                request=request,
                round=request.round,
                order=order,
                label=label,
                approver=approver or request.applicant,
                status=status,
                comment=reason,
            )
        )
    ApprovalStep.objects.bulk_create(steps)
    _advance(request, actor)


def _advance(request: ApprovalRequest, actor) -> None:
    """Open the next waiting step (to its approver or, if away, the delegate) or finish the request."""
    nxt = request.steps.filter(round=request.round, status=StepStatus.WAITING).order_by("order").first()
    now = timezone.now()
    if nxt is None:
        request.status = RequestStatus.APPROVED
        request.finished_at = now
        request.save(update_fields=["status", "finished_at", "updated_at"])
        _event(request, None, "approved", _("审批通过"))
        notify(
            users=[request.applicant],
            title=_("您的%(type)s已通过：%(title)s")
            % {"type": request.get_request_type_display(), "title": request.title},
            url=_url("oa:request_detail", request.pk),
            kind="oa.approval",
            actor=actor,
        )
        _on_finished(request, actor)
        return
    nxt.status = StepStatus.PENDING
    nxt.activated_at = now
    delegate = _away_delegate(nxt.approver, timezone.localdate())
    if delegate is not None and delegate.pk != request.applicant_id:
        nxt.delegate = delegate
        _event(
            request,
            None,
            "delegated",
            _("%(who)s外出，「%(step)s」转由 %(d)s 代审批")
            % {"who": nxt.approver.display_name, "step": nxt.label, "d": delegate.display_name},
        )
    nxt.save()
    notify(
        users=[nxt.assignee],
        title=_("待您审批：%(title)s") % {"title": request.title},
        body=_("步骤：%(step)s") % {"step": nxt.label},
        url=_url("oa:request_detail", request.pk),
        kind="oa.approval",
        actor=actor,
    )


def _on_finished(request: ApprovalRequest, actor) -> None:
    """Side effects of a finished 工资签单 request: release (or reject) the month's payslips."""
    if request.request_type != RequestType.PAYROLL:
        return
    batch = PayrollBatch.objects.filter(request=request).first()
    if batch is None:
        return
    if request.status == RequestStatus.APPROVED:
        batch.status = PayrollStatus.RELEASED
        batch.released_at = timezone.now()
        batch.save(update_fields=["status", "released_at", "updated_at"])
        users = User.objects.filter(person__in=batch.slips.values("person_id"), is_active=True)
        notify(
            users=list(users),
            title=_("%(title)s已发布，请查看并签收") % {"title": batch.title},
            url=_url("oa:payslip_list"),
            kind="oa.payslip",
            actor=actor,
        )
    else:
        batch.status = PayrollStatus.REJECTED
        batch.save(update_fields=["status", "updated_at"])


def _fill(request: ApprovalRequest, *, request_type, start_date, end_date, reason, details, amount, attachment):
    name = request.applicant.display_name
    details = dict(details or {})
    errors = {}
    if request_type in (RequestType.LEAVE, RequestType.TRIP):
        if not start_date:
            errors["start_date"] = _("请填写开始日期。")
        if not end_date:
            errors["end_date"] = _("请填写结束日期。")
        if start_date and end_date and end_date < start_date:
            errors["end_date"] = _("结束日期不能早于开始日期。")
    if not (reason or "").strip():
        errors["reason"] = _("请填写事由。")
    if errors:
        raise ValidationError(errors)
    request.start_date, request.end_date, request.reason = start_date, end_date, reason.strip()
    request.amount = None
    request.days = None
    if request_type == RequestType.LEAVE:
        if details.get("leave_type") not in LeaveType.values:
            raise ValidationError({"leave_type": _("请选择请假类型。")})
        days = working_days(start_date, end_date)
        if days == 0:
            raise ValidationError({"end_date": _("所选日期都是周末，无需请假。")})
        request.days = Decimal(days)
        request.title = _("%(name)s的请假申请（%(type)s %(days)d 天）") % {
            "name": name,
            "type": LeaveType(details["leave_type"]).label,
            "days": days,
        }
    elif request_type == RequestType.TRIP:
        if not (details.get("destination") or "").strip():
            raise ValidationError({"destination": _("请填写出差地点。")})
        request.days = Decimal((end_date - start_date).days + 1)
        cost = details.pop("estimated_cost", None)
        request.amount = _money(cost, where=_("预计费用")).quantize(CENT) if cost not in (None, "") else Decimal("0")
        if request.amount < 0:
            raise ValidationError({"estimated_cost": _("预计费用不能为负数。")})
        request.title = _("%(name)s的出差申请（%(dest)s %(days)d 天）") % {
            "name": name,
            "dest": details["destination"].strip()[:30],
            "days": int(request.days),
        }
    elif request_type == RequestType.PURCHASE:
        items, total = purchase_items_clean(details.get("items") or [])
        details["items"] = items
        request.amount = total
        request.title = _("%(name)s的采购申请（¥%(amount)s）") % {"name": name, "amount": f"{total:,.2f}"}
    request.details = details
    if attachment is not None:
        store_attachment(request, attachment)


@transaction.atomic
def request_submit(
    *,
    actor,
    school,
    request_type: str,
    reason: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    details: dict | None = None,
    attachment=None,
    title: str = "",
) -> ApprovalRequest:
    """File a request and start its approval chain (approvers resolved now and stored per step)."""
    if request_type not in RequestType.values:
        raise ValidationError({"request_type": _("未知的申请类型。")})
    if request_type == RequestType.PAYROLL:
        raise ValidationError({"request_type": _("工资签单由学校管理员上传工资表后自动发起。")})
    request = ApprovalRequest(school=school, applicant=actor, request_type=request_type, title=title or "-")
    if not staff_schools(actor).filter(pk=school.pk).exists() or not can(actor, "add", request):
        raise PermissionDenied(_("只有本校教职工可以发起申请。"))
    _fill(
        request,
        request_type=request_type,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        details=details,
        amount=None,
        attachment=attachment,
    )
    if title:
        request.title = title
    request.submitted_at = timezone.now()
    request.full_clean()
    request.save()
    _event(request, actor, "submitted", _("%(name)s 提交申请") % {"name": actor.display_name})
    _instantiate(request, actor)
    audit_record(
        actor=actor,
        action="oa.request_submit",
        obj=request,
        changes={
            "type": [None, request_type],
            "days": [None, str(request.days or "")],
            "amount": [None, str(request.amount or "")],
        },
    )
    return request


def _lock(request: ApprovalRequest) -> ApprovalRequest:
    return (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("school", "applicant__person")
        .get(pk=request.pk)
    )


@transaction.atomic
def request_resubmit(
    *,
    actor,
    request: ApprovalRequest,
    reason: str,
    start_date=None,
    end_date=None,
    details: dict | None = None,
    attachment=None,
) -> ApprovalRequest:
    """After a return for changes: the applicant edits the request and it starts a new round of the chain."""
    request = _lock(request)
    if request.applicant_id != actor.pk:
        raise PermissionDenied(_("只有申请人可以修改申请。"))
    if request.status != RequestStatus.RETURNED:
        raise ValidationError(_("只有被退回修改的申请可以重新提交。"))
    _fill(
        request,
        request_type=request.request_type,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        details=details,
        amount=None,
        attachment=attachment,
    )
    request.round += 1
    request.status = RequestStatus.PENDING
    request.submitted_at = timezone.now()
    request.finished_at = None
    request.full_clean()
    request.save()
    _event(request, actor, "resubmitted", _("%(name)s 修改后重新提交") % {"name": actor.display_name})
    _instantiate(request, actor)
    audit_record(actor=actor, action="oa.request_resubmit", obj=request, changes={"round": [None, request.round]})
    return request


DECISIONS = {"approve": StepStatus.APPROVED, "reject": StepStatus.REJECTED, "return": StepStatus.RETURNED}


@transaction.atomic
def request_act(*, actor, request: ApprovalRequest, decision: str, comment: str = "") -> ApprovalRequest:
    """The current step's approver (or their delegate) approves, rejects, or returns the request for changes.
    Rejecting or returning needs a comment."""
    request = _lock(request)
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("未知的审批操作。")})
    step = (
        request.steps.select_related("approver__person").filter(round=request.round, status=StepStatus.PENDING).first()
    )
    if request.status != RequestStatus.PENDING or step is None:
        raise ValidationError(_("该申请当前不在审批中。"))
    if actor.pk not in (step.approver_id, step.delegate_id):
        raise PermissionDenied(_("您不是当前步骤的审批人。"))
    comment = (comment or "").strip()
    if decision != "approve" and not comment:
        raise ValidationError({"comment": _("驳回或退回修改时请填写审批意见。")})
    if decision == "return" and request.request_type == RequestType.PAYROLL:
        raise ValidationError(_("工资签单不能退回修改：请驳回后由财务重新上传。"))
    now = timezone.now()
    step.status = DECISIONS[decision]
    step.acted_by = actor
    step.acted_at = now
    step.comment = comment
    step.save()
    on_behalf = "" if actor.pk == step.approver_id else _("（代 %(who)s 审批）") % {"who": step.approver.display_name}
    verb = {"approve": _("同意"), "reject": _("驳回"), "return": _("退回修改")}[decision]
    _event(request, actor, decision, f"{actor.display_name} {verb} · {step.label}{on_behalf}", comment)
    audit_record(
        actor=actor,
        action=f"oa.request_{decision}",
        obj=request,
        changes={"step": [None, step.label], "on_behalf_of": [None, step.approver.username if on_behalf else ""]},
    )
    if decision == "approve":
        _advance(request, actor)
        return request
    request.steps.filter(round=request.round, status=StepStatus.WAITING).update(status=StepStatus.CANCELLED)
    request.status = RequestStatus.REJECTED if decision == "reject" else RequestStatus.RETURNED
    request.finished_at = now if decision == "reject" else None
    request.save(update_fields=["status", "finished_at", "updated_at"])
    notify(
        users=[request.applicant],
        title=_("您的申请被%(verb)s：%(title)s") % {"verb": verb, "title": request.title},
        body=comment,
        url=_url("oa:request_detail", request.pk),
        kind="oa.approval",
        actor=actor,
    )
    if decision == "reject":
        _on_finished(request, actor)
    return request


@transaction.atomic
def request_withdraw(*, actor, request: ApprovalRequest) -> ApprovalRequest:
    """The applicant withdraws a request that is still pending (or was returned)."""
    request = _lock(request)
    if request.applicant_id != actor.pk:
        raise PermissionDenied(_("只有申请人可以撤回申请。"))
    if request.status not in (RequestStatus.PENDING, RequestStatus.RETURNED):
        raise ValidationError(_("该申请已办结，不能撤回。"))
    if request.request_type == RequestType.PAYROLL:
        raise ValidationError(_("工资签单不能撤回。"))
    pending = list(request.steps.filter(round=request.round, status=StepStatus.PENDING).select_related("delegate"))
    request.steps.filter(round=request.round, status__in=[StepStatus.PENDING, StepStatus.WAITING]).update(
        status=StepStatus.CANCELLED
    )
    request.status = RequestStatus.WITHDRAWN
    request.finished_at = timezone.now()
    request.save(update_fields=["status", "finished_at", "updated_at"])
    _event(request, actor, "withdrawn", _("%(name)s 撤回申请") % {"name": actor.display_name})
    audit_record(actor=actor, action="oa.request_withdraw", obj=request)
    if pending:
        notify(
            users=[s.assignee for s in pending],
            title=_("申请已撤回：%(title)s") % {"title": request.title},
            url=_url("oa:request_detail", request.pk),
            kind="oa.approval",
            actor=actor,
        )
    return request


# --- delegation -----------------------------------------------------------------------------------------


@transaction.atomic
def delegation_set(*, actor, delegate, starts_on: dt.date, ends_on: dt.date, note: str = "") -> Delegation:
    """While ``actor`` is away, the steps that reach them go to ``delegate`` (a colleague at one of their
    schools). Steps already waiting with ``actor`` at the start are handed over too when the period has
    begun."""
    if not staff_schools(actor).exists():
        raise PermissionDenied(_("只有教职工可以设置审批代理。"))
    if delegate is None or not staff_schools(delegate).filter(pk__in=staff_schools(actor).values("pk")).exists():
        raise ValidationError({"delegate": _("代理人须是本校在岗教职工。")})
    d = Delegation(user=actor, delegate=delegate, starts_on=starts_on, ends_on=ends_on, note=(note or "").strip())
    d.full_clean()
    d.save()
    today = timezone.localdate()
    moved = 0
    if starts_on <= today <= ends_on:
        for step in ApprovalStep.objects.filter(
            approver=actor, delegate__isnull=True, status=StepStatus.PENDING
        ).select_related("request"):
            if step.request.applicant_id == delegate.pk:
                continue
            step.delegate = delegate
            step.save(update_fields=["delegate"])
            _event(
                step.request,
                actor,
                "delegated",
                _("%(who)s外出，「%(step)s」转由 %(d)s 代审批")
                % {"who": actor.display_name, "step": step.label, "d": delegate.display_name},
            )
            moved += 1
    audit_record(
        actor=actor,
        action="oa.delegation_set",
        object_type="oa.delegation",
        object_id=str(d.pk),
        object_repr=f"{actor.display_name} → {delegate.display_name}",
        changes={"period": [None, f"{starts_on}~{ends_on}"], "moved_steps": [None, moved]},
    )
    notify(
        users=[delegate],
        title=_("%(who)s 在 %(a)s 至 %(b)s 期间委托您代为审批")
        % {"who": actor.display_name, "a": starts_on, "b": ends_on},
        url=_url("oa:inbox"),
        kind="oa.approval",
        actor=actor,
    )
    return d


@transaction.atomic
def delegation_cancel(*, actor, delegation: Delegation) -> None:
    if delegation.user_id != actor.pk:
        raise PermissionDenied(_("只能取消自己的审批代理。"))
    delegation.cancelled_at = timezone.now()
    delegation.save(update_fields=["cancelled_at"])
    audit_record(
        actor=actor,
        action="oa.delegation_cancel",
        object_type="oa.delegation",
        object_id=str(delegation.pk),
        object_repr=f"{actor.display_name} → {delegation.delegate.display_name}",
    )


# --- 工资签单 -------------------------------------------------------------------------------------------


@transaction.atomic
def payroll_upload(*, actor, school, month: dt.date, data: bytes, filename: str) -> PayrollBatch:
    """Import a month's payslip sheet (工号 / 姓名 / 工资项目…). All rows are checked first; any error (named by
    row and column) writes nothing. The batch then goes through the 工资签单确认 chain; once approved, each
    staff member sees their own slip and signs for it."""
    from .payroll import PayrollFileError, read_payroll

    batch = PayrollBatch(school=school, month=month.replace(day=1), title="-", uploaded_by=actor)
    if not can(actor, "add", batch):
        raise PermissionDenied(_("只有本校管理员可以上传工资签单。"))
    if PayrollBatch.objects.filter(school=school, month=batch.month).exclude(status=PayrollStatus.REJECTED).exists():
        raise ValidationError(
            {"month": _("%(m)s 的工资签单已上传过。") % {"m": f"{batch.month.year}年{batch.month.month}月"}}
        )
    try:
        sheet = read_payroll(data, filename, school=school)
    except PayrollFileError as exc:
        raise ValidationError({"file": exc.errors}) from exc
    batch.title = _("%(y)d年%(m)d月工资签单") % {"y": batch.month.year, "m": batch.month.month}
    batch.columns = sheet.columns
    batch.full_clean()
    batch.save()
    Payslip.objects.bulk_create(
        Payslip(
            batch=batch,
            person_id=r.person_id,
            staff_no=r.staff_no,
            name=r.name,
            row=r.row,
            amounts=json.dumps([[k, f"{v:.2f}"] for k, v in r.amounts], ensure_ascii=False),
        )
        for r in sheet.rows
    )
    audit_record(
        actor=actor,
        action="oa.payroll_upload",
        obj=batch,
        changes={"rows": [None, len(sheet.rows)], "columns": [None, sheet.columns]},
    )
    request = ApprovalRequest(
        school=school,
        applicant=actor,
        request_type=RequestType.PAYROLL,
        title=batch.title,
        reason=_("%(title)s：%(n)d 人") % {"title": batch.title, "n": len(sheet.rows)},
        details={"batch": batch.pk, "people": len(sheet.rows), "totals": sheet.totals()},
    )
    request.full_clean()
    request.save()
    batch.request = request
    batch.save(update_fields=["request", "updated_at"])
    _event(request, actor, "submitted", _("%(name)s 上传工资签单并提交确认") % {"name": actor.display_name})
    _instantiate(request, actor)
    batch.refresh_from_db()
    return batch


@transaction.atomic
def payroll_remind(*, actor, batch: PayrollBatch) -> int:
    """Remind everyone who has not signed for a released month (一键提醒); returns how many were reminded."""
    if not can(actor, "manage", batch):
        raise PermissionDenied(_("只有本校管理员可以提醒签收。"))
    if batch.status != PayrollStatus.RELEASED:
        raise ValidationError(_("工资签单尚未发布。"))
    people = batch.slips.exclude(status=SlipStatus.CONFIRMED).values("person_id")
    users = list(User.objects.filter(person__in=people, is_active=True))
    notify(
        users=users,
        title=_("请签收%(title)s") % {"title": batch.title},
        url=_url("oa:payslip_list"),
        kind="oa.payslip",
        actor=actor,
    )
    audit_record(actor=actor, action="oa.payroll_remind", obj=batch, changes={"reminded": [None, len(users)]})
    return len(users)


def _own_slip(actor, slip: Payslip) -> Payslip:
    slip = Payslip.objects.select_for_update(of=("self",)).select_related("batch").get(pk=slip.pk)
    if slip.person_id != actor.person_id:
        raise PermissionDenied(_("只能签收本人的工资条。"))
    if slip.batch.status != PayrollStatus.RELEASED:
        raise ValidationError(_("该工资签单尚未发布。"))
    return slip


@transaction.atomic
def payslip_confirm(*, actor, slip: Payslip) -> Payslip:
    """The staff member signs for their slip (签收)."""
    slip = _own_slip(actor, slip)
    if slip.status == SlipStatus.CONFIRMED:
        return slip
    slip.status = SlipStatus.CONFIRMED
    slip.confirmed_at = timezone.now()
    slip.save(update_fields=["status", "confirmed_at"])
    audit_record(actor=actor, action="oa.payslip_confirm", obj=slip)
    return slip


@transaction.atomic
def payslip_question(*, actor, slip: Payslip, text: str) -> Payslip:
    """The staff member raises a question about their slip; the uploader is told."""
    slip = _own_slip(actor, slip)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"question": _("请写明疑问。")})
    if slip.status == SlipStatus.CONFIRMED:
        raise ValidationError(_("已签收的工资条不能再提出疑问。"))
    slip.status = SlipStatus.QUESTIONED
    slip.question = text[:1000]
    slip.reply = ""
    slip.save(update_fields=["status", "question", "reply"])
    audit_record(actor=actor, action="oa.payslip_question", obj=slip, changes={"question": [None, slip.question]})
    notify(
        users=[slip.batch.uploaded_by],
        title=_("%(name)s 对%(title)s有疑问") % {"name": slip.name, "title": slip.batch.title},
        body=slip.question,
        url=_url("oa:payroll_detail", slip.batch_id),
        kind="oa.payslip",
        actor=actor,
    )
    return slip


@transaction.atomic
def payslip_reply(*, actor, slip: Payslip, text: str) -> Payslip:
    """A school admin answers a question; the slip waits for the staff member's signature again."""
    slip = Payslip.objects.select_for_update(of=("self",)).select_related("batch").get(pk=slip.pk)
    if not can(actor, "manage", slip):
        raise PermissionDenied(_("只有本校管理员可以答复。"))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reply": _("请填写答复内容。")})
    slip.reply = text[:1000]
    slip.status = SlipStatus.PENDING
    slip.save(update_fields=["reply", "status"])
    audit_record(actor=actor, action="oa.payslip_reply", obj=slip, changes={"reply": [None, slip.reply]})
    users = User.objects.filter(person_id=slip.person_id, is_active=True)
    notify(
        users=list(users),
        title=_("您对%(title)s的疑问已答复") % {"title": slip.batch.title},
        body=slip.reply,
        url=_url("oa:payslip_detail", slip.pk),
        kind="oa.payslip",
        actor=actor,
    )
    return slip


# --- 公文 -----------------------------------------------------------------------------------------------


def _doc_check(actor, doc: Document) -> None:
    if not can(actor, "add", doc):
        raise PermissionDenied(_("只有本单位管理员可以办理公文。"))


def _attach(doc: Document, attachment) -> None:
    if attachment is not None:
        store_attachment(doc, attachment)


def _route(actor, doc: Document, users, instruction: str, needs_action: bool) -> int:
    existing = set(doc.routings.values_list("user_id", flat=True))
    new = [u for u in {u.pk: u for u in users}.values() if u.pk not in existing]
    DocumentRouting.objects.bulk_create(
        DocumentRouting(document=doc, user=u, instruction=instruction[:300], needs_action=needs_action, routed_by=actor)
        for u in new
    )
    if new:
        notify(
            users=new,
            title=_("请阅办公文：%(title)s") % {"title": doc.title},
            body=instruction,
            url=_url("oa:doc_detail", doc.pk),
            kind="oa.document",
            actor=actor,
        )
    return len(new)


def _unit_staff_ok(doc: Document, users) -> None:
    if doc.school_id is None:
        return
    ok = set(
        User.objects.filter(
            pk__in=[u.pk for u in users],
            person__staff_posts__school_id=doc.school_id,
            person__staff_posts__archived_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    bad = [u.display_name for u in users if u.pk not in ok]
    if bad:
        raise ValidationError({"users": _("以下人员不是本校在岗教职工：%(n)s") % {"n": "、".join(bad)}})


@transaction.atomic
def document_issue(
    *,
    actor,
    district,
    school=None,
    number: str,
    title: str,
    body: str = "",
    urgency: str = "normal",
    attachment=None,
    to_schools=(),
    to_users=(),
    instruction: str = "",
) -> Document:
    """发文: the district (``school`` None) or a school issues a document. Each receiving school gets it as a
    收文 (to be routed by its admins); staff of the issuing school may receive it directly for 阅知."""
    doc = Document(
        district=district,
        school=school,
        direction=DocDirection.OUTGOING,
        number=(number or "").strip(),
        title=(title or "").strip(),
        body=body or "",
        urgency=urgency,
        created_by=actor,
    )
    _doc_check(actor, doc)
    if school is not None and to_schools:
        raise ValidationError({"to_schools": _("学校发文只能发给本校教职工。")})
    to_schools = list(to_schools)
    if any(s.district_id != district.pk for s in to_schools):
        raise ValidationError({"to_schools": _("只能发给本区县的学校。")})
    if not to_schools and not to_users:
        raise ValidationError({"to_users": _("请至少选择一所学校或一位接收人。")})
    _attach(doc, attachment)
    doc.full_clean()
    if Document.objects.filter(
        district=district, school=school, direction=DocDirection.OUTGOING, number=doc.number
    ).exists():
        raise ValidationError({"number": _("文号「%(n)s」已使用。") % {"n": doc.number}})
    doc.save()
    _unit_staff_ok(doc, list(to_users))
    for s in to_schools:
        copy = Document(
            district=district,
            school=s,
            direction=DocDirection.INCOMING,
            number=doc.number,
            title=doc.title,
            body=doc.body,
            urgency=doc.urgency,
            source_unit=doc.unit_name,
            source=doc,
            attachment=doc.attachment.name if doc.attachment else "",
            attachment_name=doc.attachment_name,
            created_by=actor,
            issued_on=doc.issued_on,
        )
        copy.save()
        admins = User.objects.filter(role_grants__role="school_admin", role_grants__school=s, is_active=True)
        notify(
            users=list(admins),
            title=_("收文：%(title)s（%(unit)s）") % {"title": doc.title, "unit": doc.unit_name},
            url=_url("oa:doc_detail", copy.pk),
            kind="oa.document",
            actor=actor,
        )
    routed = _route(actor, doc, list(to_users), instruction or "", False)
    audit_record(
        actor=actor,
        action="oa.document_issue",
        obj=doc,
        changes={"schools": [None, len(to_schools)], "people": [None, routed]},
    )
    return doc


@transaction.atomic
def document_register(
    *,
    actor,
    school,
    number: str,
    title: str,
    source_unit: str,
    body: str = "",
    urgency: str = "normal",
    attachment=None,
) -> Document:
    """收文登记: a school registers a document it received (e.g. a paper document of the city bureau)."""
    doc = Document(
        district_id=school.district_id,
        school=school,
        direction=DocDirection.INCOMING,
        number=(number or "").strip(),
        title=(title or "").strip(),
        body=body or "",
        urgency=urgency,
        source_unit=(source_unit or "").strip(),
        created_by=actor,
    )
    _doc_check(actor, doc)
    if not doc.source_unit:
        raise ValidationError({"source_unit": _("请填写来文单位。")})
    _attach(doc, attachment)
    doc.full_clean()
    doc.save()
    audit_record(actor=actor, action="oa.document_register", obj=doc)
    return doc


@transaction.atomic
def document_route(*, actor, document: Document, users, instruction: str = "", needs_action: bool = False) -> int:
    """Route a document to people for 阅办 with the leader's 批示; returns how many were newly routed."""
    if not can(actor, "manage", document):
        raise PermissionDenied(_("只有本单位管理员可以分办公文。"))
    users = list(users)
    if not users:
        raise ValidationError({"users": _("请选择阅办人员。")})
    _unit_staff_ok(document, users)
    n = _route(actor, document, users, (instruction or "").strip(), needs_action)
    audit_record(
        actor=actor,
        action="oa.document_route",
        obj=document,
        changes={"routed": [None, n], "instruction": [None, instruction]},
    )
    return n


@transaction.atomic
def routing_mark(*, actor, routing: DocumentRouting, status: str, note: str = "") -> DocumentRouting:
    """The reader marks a routed document 已阅 or 已办 (with a note)."""
    routing = DocumentRouting.objects.select_for_update(of=("self",)).select_related("document").get(pk=routing.pk)
    if routing.user_id != actor.pk:
        raise PermissionDenied(_("只能办理分给自己的公文。"))
    if status not in (RoutingStatus.READ, RoutingStatus.DONE):
        raise ValidationError({"status": _("未知的办理状态。")})
    if status == RoutingStatus.DONE and routing.needs_action and not (note or "").strip():
        raise ValidationError({"note": _("标记已办时请填写办理情况。")})
    now = timezone.now()
    routing.read_at = routing.read_at or now
    if status == RoutingStatus.DONE:
        routing.done_at = now
    routing.status = status if routing.status != RoutingStatus.DONE else RoutingStatus.DONE
    if note:
        routing.note = note.strip()[:300]
    routing.save()
    audit_record(
        actor=actor,
        action=f"oa.document_{status}",
        obj=routing.document,
        changes={"status": [None, routing.status], "note": [None, routing.note]},
    )
    return routing
