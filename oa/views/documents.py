"""公文 pages: 待我阅办, the unit's 收文 and 发文, issuing (发文), registering (收文登记), routing for 阅办 with
批示, and the tracking table (who has read / handled what)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import School
from core.scope import can, grants_for, role_allows

from .. import selectors, services
from ..forms import DocumentForm, RouteForm
from ..models import DocDirection, Document, DocumentRouting, RoutingStatus
from .common import admin_schools, attachment_response, form_errors, require_oa_user, service_messages

User = get_user_model()
ROUTING_BADGE = {RoutingStatus.PENDING: "warning", RoutingStatus.READ: "info", RoutingStatus.DONE: "success"}


def _district_ids(user) -> set[int]:
    return {
        g.district_id for g in grants_for(user) if g.level == "district" and role_allows(g.role, "oa.document", "add")
    }


@login_required
def doc_list_view(request):
    user = request.user
    require_oa_user(user)
    tab = request.GET.get("tab") or "todo"
    managed = Document.objects.visible_to(user, "manage")
    is_admin = managed.exists() or bool(admin_schools(user, "oa.document", "add")) or bool(_district_ids(user))
    if tab not in {"todo", "in", "out"} or (tab != "todo" and not is_admin):
        tab = "todo"
    routings = list(
        selectors.routings_for(user).select_related("document__school", "routed_by__person").order_by("-routed_at")
    )
    docs = []
    if tab in ("in", "out"):
        direction = DocDirection.INCOMING if tab == "in" else DocDirection.OUTGOING
        docs = list(
            managed.filter(direction=direction)
            .select_related("school", "district")
            .annotate(
                n=Count("routings"),
                n_open=Count("routings", filter=Q(routings__status=RoutingStatus.PENDING)),
            )[:200]
        )
    return render(
        request,
        "oa/doc_list.html",
        {
            "title": _("公文"),
            "tab": tab,
            "is_admin": is_admin,
            "routings": [(r, ROUTING_BADGE[r.status]) for r in routings if tab == "todo"],
            "n_todo": sum(1 for r in routings if r.status == RoutingStatus.PENDING),
            "docs": docs,
            "can_issue": is_admin,
            "can_register": bool(admin_schools(user, "oa.document", "add")),
        },
    )


def _issue_unit(user, request):
    """(district, school or None) the user issues for: the district for district admins, else their school."""
    districts = _district_ids(user)
    if districts and request.GET.get("as") != "school":
        from core.models import District

        return District.objects.get(pk=min(districts)), None
    schools = list(admin_schools(user, "oa.document", "add"))
    if not schools:
        raise PermissionDenied(_("只有单位管理员可以发文。"))
    school = next((s for s in schools if str(s.pk) == request.GET.get("school")), schools[0])
    return school.district, school


@login_required
def doc_issue_view(request):
    user = request.user
    district, school = _issue_unit(user, request)
    kwargs = (
        {"schools": School.objects.filter(district=district, archived_at__isnull=True).order_by("code")}
        if school is None
        else {"staff_school_id": school.pk}
    )
    form = DocumentForm(request.POST or None, request.FILES or None, mode="issue", **kwargs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            doc = services.document_issue(
                actor=user,
                district=district,
                school=school,
                number=d["number"],
                title=d["title"],
                body=d.get("body", ""),
                urgency=d["urgency"],
                attachment=d.get("attachment"),
                to_schools=list(d.get("to_schools") or []),
                to_users=list(User.objects.filter(pk__in=d.get("to_users") or [])),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已发文：%(n)s") % {"n": doc.number})
            return redirect("oa:doc_detail", pk=doc.pk)
    unit = school.name if school else district.name
    return render(
        request,
        "oa/doc_form.html",
        {"title": _("发文"), "unit": unit, "form": form, "mode": "issue"},
    )


@login_required
def doc_register_view(request):
    user = request.user
    schools = list(admin_schools(user, "oa.document", "add"))
    if not schools:
        raise PermissionDenied(_("只有学校管理员可以登记收文。"))
    school = next((s for s in schools if str(s.pk) == request.GET.get("school")), schools[0])
    form = DocumentForm(request.POST or None, request.FILES or None, mode="register")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            doc = services.document_register(
                actor=user,
                school=school,
                number=d["number"],
                title=d["title"],
                source_unit=d["source_unit"],
                body=d.get("body", ""),
                urgency=d["urgency"],
                attachment=d.get("attachment"),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已登记收文，请分办。"))
            return redirect("oa:doc_detail", pk=doc.pk)
    return render(
        request, "oa/doc_form.html", {"title": _("收文登记"), "unit": school.name, "form": form, "mode": "register"}
    )


@login_required
def doc_detail_view(request, pk):
    user = request.user
    doc = get_object_or_404(selectors.documents_for(user).select_related("school", "district", "created_by"), pk=pk)
    manage = can(user, "manage", doc)
    routings = list(doc.routings.select_related("user__person", "routed_by__person").order_by("status", "routed_at"))
    mine = next((r for r in routings if r.user_id == user.pk), None)
    copies = []
    if manage and doc.direction == DocDirection.OUTGOING:
        copies = list(
            doc.copies.select_related("school").annotate(
                n=Count("routings"), n_read=Count("routings", filter=~Q(routings__status=RoutingStatus.PENDING))
            )
        )
    return render(
        request,
        "oa/doc_detail.html",
        {
            "title": doc.title,
            "doc": doc,
            "manage": manage,
            "routings": [(r, ROUTING_BADGE[r.status]) for r in routings] if manage else [],
            "counts": {s: sum(1 for r in routings if r.status == s) for s in RoutingStatus.values},
            "mine": mine,
            "mine_badge": ROUTING_BADGE[mine.status] if mine else "",
            "copies": copies,
            "route_form": RouteForm(school_id=doc.school_id) if manage and doc.school_id else None,
        },
    )


@login_required
@require_POST
def doc_route_view(request, pk):
    user = request.user
    doc = get_object_or_404(selectors.documents_for(user), pk=pk)
    if not can(user, "manage", doc) or doc.school_id is None:
        raise PermissionDenied(_("只有本校管理员可以分办公文。"))
    form = RouteForm(request.POST, school_id=doc.school_id)
    if form.is_valid():
        d = form.cleaned_data
        try:
            n = services.document_route(
                actor=user,
                document=doc,
                users=list(User.objects.filter(pk__in=d["users"])),
                instruction=d.get("instruction", ""),
                needs_action=d.get("needs_action", False),
            )
        except ValidationError as exc:
            service_messages(request, exc)
        else:
            messages.success(request, _("已分办给 %(n)d 人。") % {"n": n})
    else:
        messages.error(request, _("请选择阅办人员。"))
    return redirect("oa:doc_detail", pk=pk)


@login_required
@require_POST
def routing_mark_view(request, pk):
    routing = get_object_or_404(selectors.routings_for(request.user), pk=pk)
    try:
        services.routing_mark(
            actor=request.user,
            routing=routing,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        service_messages(request, exc)
    else:
        messages.success(request, _("已标记为%(s)s。") % {"s": RoutingStatus(request.POST["status"]).label})
    return redirect("oa:doc_detail", pk=routing.document_id)


@login_required
def doc_attachment_view(request, pk):
    doc = get_object_or_404(selectors.documents_for(request.user), pk=pk)
    return attachment_response(doc.attachment, doc.attachment_name)


__all__ = ["DocumentRouting"]
