"""资源库: faceted browse and Chinese full-text search, the resource page (preview, rating, comments,
favourite, review and push actions), and the authorized file views (download, inline preview)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin

from core.models import Stage, Subject
from core.scope import can, can_any

from .. import services
from ..filetypes import TYPES
from ..forms import PushForm
from ..models import GRADE_CHOICES, Comment, Favorite, Kind, Level, Rating, Resource, ReviewState
from ..search import COUNT_CAP, SORTS, count_capped, search
from ..selectors import is_district_reviewer, is_school_reviewer, may_retire, resources_visible, teacher_classes
from .common import file_response, get_resource, office_preview, soffice_path

PAGE_SIZE = 20
SORT_LABELS = {
    "relevance": gettext_lazy("相关度"),
    "newest": gettext_lazy("最新"),
    "rating": gettext_lazy("评分"),
    "downloads": gettext_lazy("下载量"),
}
FACETS = ("stage", "subject", "grade", "kind", "edition", "knowledge_point", "level", "file_type")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def facets_from(params) -> dict:
    valid_stages = set(Stage.values)
    return {
        "stage": params.get("stage") if params.get("stage") in valid_stages else None,
        "subject": _int(params.get("subject")),
        "grade": params.get("grade") if params.get("grade") in dict(GRADE_CHOICES) else None,
        "kind": params.get("kind") if params.get("kind") in Kind.values else None,
        "edition": _int(params.get("edition")),
        "knowledge_point": _int(params.get("knowledge_point")),
        "level": params.get("level") if params.get("level") in Level.values else None,
        "file_type": params.get("file_type") if params.get("file_type") in TYPES else None,
    }


class CappedPaginator(Paginator):
    """Pages over a count capped at ``COUNT_CAP`` + 1 (the page says "over 1,000" instead of counting them all)."""

    @cached_property
    def count(self) -> int:
        return count_capped(self.object_list)


def _facet_counts(qs, field: str, labels: dict) -> list[dict]:
    rows = qs.order_by().values(field).annotate(n=Count("id")).order_by("-n")[:20]
    return [{"value": r[field], "label": labels.get(r[field], r[field]), "n": r["n"]} for r in rows if r[field]]


@login_required
def browse_view(request):
    """资源库: search box, facets with counts over the current result, sort, paging."""
    if not can_any(request.user, "view", Resource):
        raise PermissionDenied(_("无权访问资源库"))
    q = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort") or ("relevance" if q else "newest")
    sort = sort if sort in SORTS else "newest"
    facets = facets_from(request.GET)
    qs = search(request.user, q, sort=sort, **facets)
    base = search(request.user, q, sort="newest", **{**facets, "kind": None, "subject": None, "level": None})
    paginator = CappedPaginator(qs.select_related("owner__person", "school", "subject", "edition"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    from knowledge.selectors import editions_for, node_choices

    subjects = {s.pk: s.name for s in Subject.objects.visible_to(request.user, "view")}
    params = request.GET.copy()
    params.pop("page", None)
    kp = None
    if facets["knowledge_point"]:
        from knowledge.selectors import nodes_for

        kp = nodes_for(request.user).filter(pk=facets["knowledge_point"]).first()
    ctx = {
        "title": _("资源库"),
        "q": q,
        "sort": sort,
        "sorts": [(k, v) for k, v in SORT_LABELS.items() if q or k != "relevance"],
        "facets": facets,
        "page": page,
        "paginator": paginator,
        "querystring": params.urlencode(),
        "stage_choices": Stage.choices,
        "grade_choices": GRADE_CHOICES,
        "subjects": sorted(subjects.items(), key=lambda kv: kv[0]),
        "editions": editions_for(request.user, stage=facets["stage"], subject=facets["subject"])[:100],
        "kind_counts": _facet_counts(base, "kind", dict(Kind.choices)),
        "subject_counts": _facet_counts(base, "subject_id", subjects),
        "level_counts": _facet_counts(base, "level", dict(Level.choices)),
        "kinds": Kind.choices,
        "levels": Level.choices,
        "kp": kp,
        "kp_choices": node_choices(request.user, stage=facets["stage"], subject=facets["subject"])
        if facets["stage"] and facets["subject"]
        else [],
        "can_upload": can_any(request.user, "add", Resource),
        "count_cap": COUNT_CAP,
    }
    template = (
        "resources/partials/results.html"
        if request.htmx and request.htmx.target == "results"
        else "resources/browse.html"
    )
    return render(request, template, ctx)


def _preview_kind(resource: Resource) -> str:
    ftype = TYPES.get(resource.file_type)
    if ftype is None:
        return ""
    if ftype.preview == "office":
        return "office" if (resource.preview_pdf or soffice_path()) else ""
    return ftype.preview


@login_required
def detail_view(request, pk: int):
    user = request.user
    resource = get_resource(user, pk)
    visible = resources_visible(user).filter(pk=pk).exists()
    may_use = visible and can(user, "add", Rating(resource=resource))
    my_rating = Rating.objects.filter(resource=resource, user=user).values_list("stars", flat=True).first()
    classes = teacher_classes(user) if visible and not resource.retired_at else []
    points = list(resource.knowledge_points.all())
    school_reviewer = is_school_reviewer(user, resource)
    district_reviewer = is_district_reviewer(user, resource)
    ctx = {
        "title": resource.title,
        "r": resource,
        "ftype": TYPES.get(resource.file_type),
        "preview": _preview_kind(resource),
        "size": services.human_size(resource.size),
        "points": points,
        "may_use": may_use,
        "my_rating": my_rating,
        "stars": range(1, 6),
        "is_favorite": Favorite.objects.filter(resource=resource, user=user).exists(),
        "comments": Comment.objects.filter(resource=resource).select_related("user__person")[:50],
        "reviews": resource.reviews.select_related("actor__person"),
        "is_owner": resource.owner_id == user.pk,
        "can_submit": resource.owner_id == user.pk
        and not resource.retired_at
        and (
            (resource.level == Level.PERSONAL and resource.review_state in ("", ReviewState.RETURNED))
            or (resource.level == Level.SCHOOL and resource.review_state == ReviewState.RETURNED)
        ),
        "school_review": school_reviewer and resource.review_state == ReviewState.PENDING_SCHOOL,
        "district_review": district_reviewer and resource.review_state == ReviewState.PENDING_DISTRICT,
        "can_recommend": school_reviewer
        and resource.level == Level.SCHOOL
        and not resource.retired_at
        and resource.review_state in ("", ReviewState.RETURNED),
        "can_retire": not resource.retired_at and may_retire(user, resource) and visible,
        "can_restore": bool(resource.retired_at) and may_retire(user, resource),
        "push_form": PushForm(classes=classes, points=points) if classes else None,
    }
    return render(request, "resources/detail.html", ctx)


@login_required
def download_view(request, pk: int):
    """附件下载: authorized, counted, audited; the stored name never reaches the user."""
    resource = get_resource(request.user, pk)
    services.resource_download_record(actor=request.user, resource=resource)
    return file_response(resource, inline=False)


@login_required
@xframe_options_sameorigin
def inline_view(request, pk: int):
    """在线预览 of pdf, images, video and audio (and office files converted to PDF when LibreOffice is installed);
    other types are refused here (download only)."""
    resource = get_resource(request.user, pk)
    ftype = TYPES.get(resource.file_type)
    if ftype is None:
        raise Http404(_("该类型不支持在线预览"))
    if ftype.preview == "office":
        name = office_preview(resource)
        if name is None:
            raise Http404(_("该类型不支持在线预览"))
        return file_response(resource, inline=True, name=name, mime="application/pdf")
    if ftype.preview not in ("pdf", "image", "video", "audio"):
        raise Http404(_("该类型不支持在线预览"))
    media = ftype.preview in ("video", "audio")
    return file_response(resource, inline=True, range_header=request.headers.get("Range", "") if media else "")


def knowledge_node_usage(request, node) -> list[dict]:
    """知识点 page extension: how many resources the user can see are tagged with this node (or its subtree)."""
    from knowledge.selectors import node_subtree_ids

    ids = node_subtree_ids(node)
    tagged = Resource.knowledge_points.through.objects.filter(knowledgenode_id__in=ids).values("resource_id")
    n = resources_visible(request.user).filter(pk__in=tagged).count()
    return [{"label": _("教学资源"), "count": n, "url": f"{reverse('resources:browse')}?knowledge_point={node.pk}"}]
