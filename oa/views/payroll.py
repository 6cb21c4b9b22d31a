"""工资签单 pages: the school admin uploads a month's sheet and follows who has signed; each staff member
reads only their own slip and signs for it (签收) or raises a question."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import PayrollUploadForm
from ..models import PayrollBatch, SlipStatus
from .common import admin_schools, form_errors, service_messages

SLIP_BADGE = {SlipStatus.PENDING: "warning", SlipStatus.CONFIRMED: "success", SlipStatus.QUESTIONED: "danger"}


def _upload_schools(user):
    return admin_schools(user, "oa.payrollbatch", "add")


@login_required
def payroll_list_view(request):
    user = request.user
    schools = _upload_schools(user)
    if not schools.exists():
        raise PermissionDenied(_("只有学校管理员可以管理工资签单。"))
    batches = selectors.batches_managed(user).annotate(
        n=Count("slips"),
        n_confirmed=Count("slips", filter=Q(slips__status=SlipStatus.CONFIRMED)),
        n_questioned=Count("slips", filter=Q(slips__status=SlipStatus.QUESTIONED)),
    )
    return render(request, "oa/payroll_list.html", {"title": _("工资签单管理"), "batches": batches})


@login_required
def payroll_upload_view(request):
    user = request.user
    schools = _upload_schools(user)
    if not schools.exists():
        raise PermissionDenied(_("只有学校管理员可以上传工资签单。"))
    form = PayrollUploadForm(request.POST or None, request.FILES or None, schools=schools)
    file_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["file"]
        try:
            batch = services.payroll_upload(
                actor=user, school=d["school"], month=d["month"], data=upload.read(), filename=upload.name
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "file" in exc.error_dict:
                file_errors = exc.message_dict["file"]
            else:
                form_errors(form, exc)
        else:
            messages.success(
                request,
                _("已导入%(t)s：%(n)d 人，已提交确认（%(s)s）。")
                % {"t": batch.title, "n": batch.slips.count(), "s": batch.get_status_display()},
            )
            return redirect("oa:payroll_detail", pk=batch.pk)
    return render(
        request, "oa/payroll_upload.html", {"title": _("上传工资签单"), "form": form, "file_errors": file_errors}
    )


@login_required
def payroll_template_view(request):
    """工资表模板: the school's active staff (工号, 姓名) with the usual pay-item columns left empty."""
    from core.excel import xlsx_response
    from core.models import StaffPost

    schools = _upload_schools(request.user)
    school = schools.filter(pk=request.GET.get("school")).first() or schools.first()
    if school is None:
        raise PermissionDenied(_("只有学校管理员可以下载工资表模板。"))
    posts = (
        StaffPost.objects.visible_to(request.user)
        .filter(school=school, archived_at__isnull=True)
        .select_related("person")
        .order_by("staff_no", "pk")
    )
    seen, rows = set(), []
    for sp in posts:
        if sp.person_id not in seen:
            seen.add(sp.person_id)
            rows.append([sp.staff_no, sp.person.name])
    headers = ["工号", "姓名", "岗位工资", "薪级工资", "绩效工资", "津贴补贴", "住房公积金", "代扣个税", "实发工资"]
    return xlsx_response(filename=f"{school.short_name or school.name}-工资表模板", headers=headers, rows=rows)


@login_required
def payroll_export_view(request, pk):
    """签收情况 as Excel (no amounts): who signed when, who has not, and the questions raised."""
    from core.audit import audit_record
    from core.excel import xlsx_response

    batch = get_object_or_404(selectors.batches_managed(request.user), pk=pk)
    slips = batch.slips.order_by("row")
    audit_record(actor=request.user, action="oa.payroll_export", obj=batch, changes={"rows": [None, slips.count()]})
    return xlsx_response(
        filename=f"{batch.title}-签收情况",
        headers=["行号", "工号", "姓名", "状态", "签收时间", "疑问", "答复"],
        rows=(
            [
                s.row,
                s.staff_no,
                s.name,
                str(s.get_status_display()),
                s.confirmed_at.strftime("%Y-%m-%d %H:%M") if s.confirmed_at else "",
                s.question,
                s.reply,
            ]
            for s in slips
        ),
        sheet="签收情况",
    )


@login_required
def payroll_detail_view(request, pk):
    batch = get_object_or_404(selectors.batches_managed(request.user).select_related("request"), pk=pk)
    slips = list(batch.slips.all().order_by("status", "row"))
    counts = {s: sum(1 for x in slips if x.status == s) for s in SlipStatus.values}
    return render(
        request,
        "oa/payroll_detail.html",
        {
            "title": batch.title,
            "batch": batch,
            "slips": [(s, SLIP_BADGE[s.status]) for s in slips],
            "counts": counts,
            "columns": batch.columns,
            "status_filter": request.GET.get("status", ""),
        },
    )


@login_required
@require_POST
def payroll_remind_view(request, pk):
    batch = get_object_or_404(selectors.batches_managed(request.user), pk=pk)
    try:
        n = services.payroll_remind(actor=request.user, batch=batch)
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        messages.success(request, _("已提醒 %(n)d 位未签收的教职工。") % {"n": n})
    return redirect("oa:payroll_detail", pk=pk)


@login_required
def payslip_list_view(request):
    user = request.user
    if not services.staff_schools(user).exists():
        raise PermissionDenied(_("只有教职工有工资条。"))
    slips = selectors.own_payslips(user)
    return render(
        request,
        "oa/payslip_list.html",
        {"title": _("我的工资条"), "slips": [(s, SLIP_BADGE[s.status]) for s in slips]},
    )


@login_required
def payslip_detail_view(request, pk):
    slip = get_object_or_404(selectors.payslips_for(request.user), pk=pk)
    is_owner = slip.person_id == request.user.person_id
    return render(
        request,
        "oa/payslip_detail.html",
        {
            "title": f"{slip.batch.title} · {slip.name}",
            "slip": slip,
            "badge": SLIP_BADGE[slip.status],
            "is_owner": is_owner,
            "can_reply": not is_owner and slip.status == SlipStatus.QUESTIONED,
        },
    )


@login_required
@require_POST
def payslip_confirm_view(request, pk):
    slip = get_object_or_404(selectors.payslips_for(request.user), pk=pk)
    try:
        services.payslip_confirm(actor=request.user, slip=slip)
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        messages.success(request, _("已签收。"))
    return redirect("oa:payslip_detail", pk=pk)


@login_required
@require_POST
def payslip_question_view(request, pk):
    slip = get_object_or_404(selectors.payslips_for(request.user), pk=pk)
    try:
        services.payslip_question(actor=request.user, slip=slip, text=request.POST.get("question", ""))
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        messages.success(request, _("疑问已提交，财务答复后会通知您。"))
    return redirect("oa:payslip_detail", pk=pk)


@login_required
@require_POST
def payslip_reply_view(request, pk):
    slip = get_object_or_404(selectors.payslips_for(request.user), pk=pk)
    try:
        services.payslip_reply(actor=request.user, slip=slip, text=request.POST.get("reply", ""))
    except ValidationError as exc:
        service_messages(request, exc)
        return redirect("oa:payslip_detail", pk=pk)
    messages.success(request, _("已答复 %(n)s。") % {"n": slip.name})
    return redirect("oa:payroll_detail", pk=slip.batch_id)


__all__ = ["PayrollBatch"]
