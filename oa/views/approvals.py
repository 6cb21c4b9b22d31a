"""审批 pages: the inbox (待我审批 / 我已审批 / 我发起的), the request forms, the request page with its
timeline and the approver's buttons, chain settings (school admins) and one's delegation (审批代理)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import ChainStepForm, DecisionForm, DelegationForm, RequestForm
from ..models import (
    ApprovalChain,
    ApprovalRequest,
    ChainStep,
    Delegation,
    LeaveType,
    RequestStatus,
    RequestType,
    StepStatus,
)
from .common import admin_schools, attachment_response, form_errors, require_oa_user, service_messages

User = get_user_model()
STATUS_BADGE = {
    RequestStatus.PENDING: "primary",
    RequestStatus.APPROVED: "success",
    RequestStatus.REJECTED: "danger",
    RequestStatus.RETURNED: "warning",
    RequestStatus.WITHDRAWN: "secondary",
}
STEP_BADGE = {
    StepStatus.PENDING: "primary",
    StepStatus.APPROVED: "success",
    StepStatus.REJECTED: "danger",
    StepStatus.RETURNED: "warning",
    StepStatus.SKIPPED: "light",
    StepStatus.CANCELLED: "light",
    StepStatus.WAITING: "light",
}
PAGE_SIZE = 50
FORM_TYPES = [RequestType.LEAVE, RequestType.TRIP, RequestType.PURCHASE]


def _tabs():
    return [("pending", _("待我审批")), ("done", _("我已审批")), ("mine", _("我发起的"))]


@login_required
def inbox_view(request):
    user = request.user
    require_oa_user(user)
    tab = request.GET.get("tab") or "pending"
    is_admin = bool(admin_schools(user))
    if tab not in {"pending", "done", "mine"} and not (tab == "school" and is_admin):
        tab = "pending"
    counts = selectors.inbox_counts(user)
    status = request.GET.get("status", "")
    if tab == "pending":
        source, kind = selectors.steps_pending_for(user), "step"
    elif tab == "done":
        source, kind = selectors.steps_done_by(user), "step"
    elif tab == "mine":
        source, kind = selectors.requests_of(user).select_related("applicant__person"), "request"
    else:
        # 全校申请: every request of the schools the user administers (visible_to with ``manage``)
        qs = ApprovalRequest.objects.visible_to(user, "manage").select_related("school", "applicant__person")
        if status in RequestStatus.values:
            qs = qs.filter(status=status)
        source, kind = qs.order_by("-submitted_at", "-id"), "request"
    page = Paginator(source, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"request": x.request, "step": x} if kind == "step" else {"request": x, "step": None} for x in page.object_list
    ]
    for row in rows:
        row["badge"] = STATUS_BADGE.get(row["request"].status, "secondary")
    return render(
        request,
        "oa/inbox.html",
        {
            "title": _("审批"),
            "tab": tab,
            "tabs": [(key, label, counts[key]) for key, label in _tabs()]
            + ([("school", _("全校申请"), None)] if is_admin else []),
            "status": status,
            "statuses": RequestStatus.choices,
            "rows": rows,
            "page": page,
            "can_file": services.staff_schools(user).exists(),
            "form_types": [(t.value, t.label) for t in FORM_TYPES],
            "is_admin": is_admin,
        },
    )


def _form_schools(user):
    schools = services.staff_schools(user)
    if not schools.exists():
        raise PermissionDenied(_("只有在岗教职工可以发起申请。"))
    return schools


@login_required
def request_new_view(request, request_type):
    if request_type not in FORM_TYPES:
        raise Http404("未知的申请类型")
    user = request.user
    schools = _form_schools(user)
    form = RequestForm(request.POST or None, request.FILES or None, request_type=request_type, schools=schools)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            obj = services.request_submit(
                actor=user,
                school=d["school"],
                request_type=request_type,
                reason=d["reason"],
                start_date=d.get("start_date"),
                end_date=d.get("end_date"),
                details=form.details(),
                attachment=d.get("attachment"),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已提交：%(t)s") % {"t": obj.title})
            return redirect("oa:request_detail", pk=obj.pk)
    label = RequestType(request_type).label
    return render(
        request,
        "oa/request_form.html",
        {
            "title": _("发起%(t)s申请") % {"t": label},
            "form": form,
            "request_type": request_type,
            "chain_hint": _chain_hint(schools.first(), request_type),
        },
    )


def _chain_hint(school, request_type) -> str:
    """审批流程：教务主任 → 校长（天数超过 3 天） — shown under the form so the applicant knows who decides."""
    chain = next(c for c in services.chain_defaults_ensure(school=school) if c.request_type == request_type)
    parts = [
        s.approver_label if not s.condition else f"{s.approver_label}（{s.condition_label}）"
        for s in chain.steps.select_related("person__person").order_by("order", "id")
    ]
    return _("审批流程：%(steps)s") % {"steps": " → ".join(parts)}


@login_required
def request_edit_view(request, pk):
    user = request.user
    obj = get_object_or_404(selectors.requests_for(user), pk=pk)
    if obj.applicant_id != user.pk or obj.status != RequestStatus.RETURNED:
        raise PermissionDenied(_("只有被退回修改的申请可以由申请人修改。"))
    schools = services.staff_schools(user).filter(pk=obj.school_id)
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, request_type=obj.request_type, schools=schools)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.request_resubmit(
                    actor=user,
                    request=obj,
                    reason=d["reason"],
                    start_date=d.get("start_date"),
                    end_date=d.get("end_date"),
                    details=form.details(),
                    attachment=d.get("attachment"),
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已重新提交。"))
                return redirect("oa:request_detail", pk=obj.pk)
    else:
        initial = {
            "school": obj.school_id,
            "reason": obj.reason,
            "start_date": obj.start_date,
            "end_date": obj.end_date,
        }
        initial.update({k: v for k, v in obj.details.items() if k != "items"})
        if obj.request_type == RequestType.TRIP:
            initial["estimated_cost"] = obj.amount
        form = RequestForm(initial=initial, request_type=obj.request_type, schools=schools)
        form.set_items(obj.details.get("items", []))
    return render(
        request,
        "oa/request_form.html",
        {
            "title": _("修改后重新提交"),
            "form": form,
            "request_type": obj.request_type,
            "editing": obj,
            "chain_hint": _chain_hint(obj.school, obj.request_type),
        },
    )


def _timeline(obj):
    return list(obj.events.select_related("actor__person"))


@login_required
def request_detail_view(request, pk):
    user = request.user
    obj = get_object_or_404(
        selectors.requests_for(user).select_related("school", "applicant__person"),
        pk=pk,
    )
    steps = list(obj.steps.select_related("approver__person", "delegate__person", "acted_by__person"))
    current = [s for s in steps if s.round == obj.round]
    mine = next(
        (s for s in current if s.status == StepStatus.PENDING and user.pk in (s.approver_id, s.delegate_id)), None
    )
    details = obj.details or {}
    return render(
        request,
        "oa/request_detail.html",
        {
            "title": obj.title,
            "obj": obj,
            "badge": STATUS_BADGE.get(obj.status, "secondary"),
            "steps": [(s, STEP_BADGE.get(s.status, "light")) for s in current],
            "events": _timeline(obj),
            "my_step": mine,
            "on_behalf": mine is not None and mine.approver_id != user.pk,
            "decision_form": DecisionForm(),
            "can_withdraw": obj.applicant_id == user.pk
            and obj.status in (RequestStatus.PENDING, RequestStatus.RETURNED)
            and obj.request_type != RequestType.PAYROLL,
            "can_edit": obj.applicant_id == user.pk and obj.status == RequestStatus.RETURNED,
            "leave_type": LeaveType(details["leave_type"]).label
            if details.get("leave_type") in LeaveType.values
            else "",
            "items": details.get("items", []),
            "payroll": getattr(obj, "payroll", None) if obj.request_type == RequestType.PAYROLL else None,
        },
    )


@login_required
@require_POST
def request_act_view(request, pk):
    obj = get_object_or_404(selectors.requests_for(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审批操作。"))
        return redirect("oa:request_detail", pk=pk)
    try:
        services.request_act(
            actor=request.user,
            request=obj,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        verb = dict(form.fields["decision"].choices)[form.cleaned_data["decision"]]
        messages.success(request, _("已%(v)s。") % {"v": verb})
    return redirect("oa:request_detail", pk=pk)


@login_required
@require_POST
def request_withdraw_view(request, pk):
    obj = get_object_or_404(selectors.requests_for(request.user), pk=pk)
    try:
        services.request_withdraw(actor=request.user, request=obj)
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        messages.success(request, _("已撤回。"))
    return redirect("oa:request_detail", pk=pk)


@login_required
def request_attachment_view(request, pk):
    obj = get_object_or_404(selectors.requests_for(request.user), pk=pk)
    return attachment_response(obj.attachment, obj.attachment_name)


# --- chains -------------------------------------------------------------------------------------------------


@login_required
def chain_list_view(request):
    schools = list(admin_schools(request.user))
    if not schools:
        raise PermissionDenied(_("只有学校管理员可以设置审批流程。"))
    school = next((s for s in schools if str(s.pk) == request.GET.get("school")), schools[0])
    chains = services.chain_defaults_ensure(school=school)
    chains = list(
        ApprovalChain.objects.visible_to(request.user, "change")
        .filter(pk__in=[c.pk for c in chains])
        .prefetch_related("steps__person__person")
    )
    order = {t: i for i, t in enumerate(RequestType.values)}
    chains.sort(key=lambda c: order[c.request_type])
    return render(
        request,
        "oa/chains.html",
        {
            "title": _("审批流程设置"),
            "school": school,
            "schools": schools,
            "chains": [(c, list(c.steps.all()), ChainStepForm(school_id=school.pk, prefix=f"c{c.pk}")) for c in chains],
        },
    )


@login_required
@require_POST
def chain_step_add_view(request, pk):
    chain = get_object_or_404(ApprovalChain.objects.visible_to(request.user, "change"), pk=pk)
    form = ChainStepForm(request.POST, school_id=chain.school_id, prefix=f"c{chain.pk}")
    if form.is_valid():
        d = form.cleaned_data
        person = User.objects.filter(pk=d["person"]).first() if d.get("person") else None
        try:
            services.chain_step_add(
                actor=request.user,
                chain=chain,
                approver_kind=d["approver_kind"],
                post=d.get("post") or "",
                person=person,
                condition=d.get("condition") or "",
                threshold=d.get("threshold"),
            )
        except ValidationError as exc:
            service_messages(request, exc)
        else:
            messages.success(request, _("已添加审批步骤。"))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect(f"{_chains_url()}?school={chain.school_id}")


def _chains_url():
    from django.urls import reverse

    return reverse("oa:chain_list")


@login_required
@require_POST
def chain_step_remove_view(request, pk):
    step = get_object_or_404(ChainStep.objects.visible_to(request.user, "change").select_related("chain"), pk=pk)
    try:
        services.chain_step_remove(actor=request.user, step=step)
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        messages.success(request, _("已删除审批步骤。"))
    return redirect(f"{_chains_url()}?school={step.chain.school_id}")


@login_required
@require_POST
def chain_step_move_view(request, pk):
    step = get_object_or_404(ChainStep.objects.visible_to(request.user, "change").select_related("chain"), pk=pk)
    services.chain_step_move(actor=request.user, step=step, up=request.POST.get("direction") != "down")
    return redirect(f"{_chains_url()}?school={step.chain.school_id}")


# --- delegation ---------------------------------------------------------------------------------------------


@login_required
def delegation_view(request):
    user = request.user
    schools = services.staff_schools(user)
    if not schools.exists():
        raise PermissionDenied(_("只有在岗教职工可以设置审批代理。"))
    form = DelegationForm(request.POST or None, school_ids=schools.values_list("pk", flat=True), exclude_user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.delegation_set(
                actor=user,
                delegate=User.objects.filter(pk=d["delegate"]).first(),
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                note=d.get("note", ""),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已设置审批代理。"))
            return redirect("oa:delegation")
    today = timezone.localdate()
    delegations = Delegation.objects.filter(user=user).select_related("delegate__person")[:20]
    acting_for = Delegation.objects.filter(delegate=user, cancelled_at__isnull=True, ends_on__gte=today).select_related(
        "user__person"
    )
    return render(
        request,
        "oa/delegation.html",
        {
            "title": _("审批代理"),
            "form": form,
            "delegations": delegations,
            "acting_for": acting_for,
            "today": today,
        },
    )


@login_required
@require_POST
def delegation_cancel_view(request, pk):
    d = get_object_or_404(Delegation.objects.filter(user=request.user), pk=pk)
    services.delegation_cancel(actor=request.user, delegation=d)
    messages.success(request, _("已取消审批代理。"))
    return redirect("oa:delegation")
