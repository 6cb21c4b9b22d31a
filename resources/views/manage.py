"""Upload, 我的资源, review queues and the POST actions on one resource (submit, review steps, retire, rate,
comment, favourite). Writes go through resources.services; service errors come back as Chinese messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.scope import can_any
from core.views.common import apply_service_errors

from .. import limits, services
from ..forms import UploadForm
from ..models import Level, Resource, ReviewState
from ..selectors import district_review_ids, resources_visible, review_queue, school_review_ids
from .common import get_resource


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


@login_required
def upload_view(request):
    if not can_any(request.user, "add", Resource):
        raise PermissionDenied(_("无权上传资源"))
    duplicate = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                resource = services.resource_upload(
                    actor=request.user,
                    file=d["file"],
                    filename=d["file"].name,
                    title=d["title"],
                    kind=d["kind"],
                    stage=d["stage"],
                    subject=d["subject"],
                    grade_label=d["grade_label"],
                    edition=d["edition"],
                    chapter=d["chapter"],
                    knowledge_points=d["knowledge_points"],
                    tags=d["tags"],
                    description=d["description"],
                )
            except services.DuplicateResource as exc:
                duplicate = exc.existing
                apply_service_errors(form, exc)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("已上传《%(t)s》。提交学校审核后，本校教师即可看到。") % {"t": resource.title}
                )
                return redirect("resources:detail", resource.pk)
    else:
        form = UploadForm(
            user=request.user,
            initial={"stage": request.GET.get("stage", ""), "subject": request.GET.get("subject", "")},
        )
    used = services.quota_used(request.user)
    return render(
        request,
        "resources/upload.html",
        {
            "title": _("上传资源"),
            "form": form,
            "duplicate": duplicate,
            "quota_used": services.human_size(used),
            "quota": services.human_size(limits.USER_QUOTA),
            "quota_pct": min(100, round(100 * used / limits.USER_QUOTA)) if limits.USER_QUOTA else 0,
        },
    )


@login_required
def knowledge_options_view(request):
    """htmx: the 章节 and 知识点 selects of the upload form for the chosen 学段 and 学科."""
    if not can_any(request.user, "add", Resource):
        raise PermissionDenied(_("无权上传资源"))
    form = UploadForm(data=request.GET, user=request.user)
    return render(request, "resources/partials/knowledge_fields.html", {"form": form})


@login_required
def mine_view(request):
    if not can_any(request.user, "add", Resource):
        raise PermissionDenied(_("无权访问"))
    qs = resources_visible(request.user).filter(owner=request.user).select_related("subject", "school")
    status = request.GET.get("status", "")
    if status == "personal":
        qs = qs.filter(level=Level.PERSONAL, review_state="")
    elif status == "pending":
        qs = qs.filter(review_state__in=[ReviewState.PENDING_SCHOOL, ReviewState.PENDING_DISTRICT])
    elif status == "returned":
        qs = qs.filter(review_state=ReviewState.RETURNED)
    elif status in (Level.SCHOOL, Level.DISTRICT):
        qs = qs.filter(level=status, retired_at__isnull=True)
    used = services.quota_used(request.user)
    return render(
        request,
        "resources/mine.html",
        {
            "title": _("我的资源"),
            "rows": qs.order_by("-created_at", "-id")[:200],
            "status": status,
            "quota_used": services.human_size(used),
            "quota": services.human_size(limits.USER_QUOTA),
            "quota_pct": min(100, round(100 * used / limits.USER_QUOTA)) if limits.USER_QUOTA else 0,
            "favorites": resources_visible(request.user)
            .filter(favorites__user=request.user)
            .select_related("subject")[:50],
        },
    )


@login_required
def review_view(request):
    """资源审核: the school queue (学校管理员) and the district queue (区县管理员、教研员)."""
    if not can_any(request.user, "review", Resource):
        raise PermissionDenied(_("无权审核资源"))
    queues = []
    if school_review_ids(request.user):
        queues.append(("school", _("待学校审核"), review_queue(request.user, Level.SCHOOL)[:200]))
    if district_review_ids(request.user):
        queues.append(("district", _("待区级准入"), review_queue(request.user, Level.DISTRICT)[:200]))
    return render(request, "resources/review.html", {"title": _("资源审核"), "queues": queues})


ACTIONS = {
    "submit": lambda u, r, p: services.resource_submit(actor=u, resource=r),
    "school_approve": lambda u, r, p: services.resource_school_approve(
        actor=u, resource=r, recommend=p.get("recommend") == "1"
    ),
    "recommend": lambda u, r, p: services.resource_recommend(actor=u, resource=r),
    "district_approve": lambda u, r, p: services.resource_district_approve(actor=u, resource=r),
    "return": lambda u, r, p: services.resource_return(actor=u, resource=r, reason=p.get("reason", "")),
    "retire": lambda u, r, p: services.resource_retire(actor=u, resource=r, reason=p.get("reason", "")),
    "restore": lambda u, r, p: services.resource_retire(actor=u, resource=r, restore=True),
}
DONE = {
    "submit": gettext_lazy("已提交审核"),
    "school_approve": gettext_lazy("已通过学校审核"),
    "recommend": gettext_lazy("已推荐到区级"),
    "district_approve": gettext_lazy("已准入区级资源库"),
    "return": gettext_lazy("已退回"),
    "retire": gettext_lazy("已淘汰"),
    "restore": gettext_lazy("已恢复"),
}


@login_required
@require_POST
def action_view(request, pk: int, action: str):
    """One review step on a resource (POST). Out of scope → 404; in scope but not allowed → 403."""
    resource = get_resource(request.user, pk, openable=False)
    fn = ACTIONS.get(action)
    if fn is None:
        from django.http import Http404

        raise Http404
    try:
        fn(request.user, resource, request.POST)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, str(DONE[action]))
    back = request.POST.get("next", "")
    if back == "review":
        return redirect("resources:review")
    return redirect("resources:detail", resource.pk)


@login_required
@require_POST
def rate_view(request, pk: int):
    resource = get_resource(request.user, pk, openable=False)
    try:
        services.resource_rate(actor=request.user, resource=resource, stars=request.POST.get("stars"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("评分已保存"))
    return redirect(reverse("resources:detail", args=[resource.pk]) + "#rating")


@login_required
@require_POST
def comment_view(request, pk: int):
    resource = get_resource(request.user, pk, openable=False)
    try:
        services.resource_comment(actor=request.user, resource=resource, body=request.POST.get("body", ""))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect(reverse("resources:detail", args=[resource.pk]) + "#comments")


@login_required
@require_POST
def favorite_view(request, pk: int):
    resource = get_resource(request.user, pk, openable=False)
    on = request.POST.get("on", "1") == "1"
    services.resource_favorite(actor=request.user, resource=resource, on=on)
    messages.success(request, _("已收藏") if on else _("已取消收藏"))
    return redirect("resources:detail", resource.pk)
