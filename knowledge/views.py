"""Pages of the knowledge-point tree: browse (filters, lazily opened tree, search), node detail with its
prerequisite neighbourhood, editing for the district's admins and 教研员, textbook editions, Excel
import/export and the template."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.excel import xlsx_response
from core.models import District, Stage, Subject
from core.scope import can, grants_for, role_allows
from roster.importer.reader import ImportFileError

from . import selectors, services
from .extensions import node_usage
from .forms import EditionForm, ImportForm, NodeForm, apply_errors
from .importer import HEADERS, export_rows, import_tree, template_bytes
from .models import KnowledgeNode, NodeKind, TextbookEdition

NODE = "knowledge.knowledgenode"
MAX_SELECT = 500  # prerequisite picker: a select up to this many points, a code field beyond


# --- helpers ----------------------------------------------------------------------------------------------------


def user_district(user, action: str = "view") -> District | None:
    """The district whose tree ``user`` works with (the first district where a grant allows ``action``)."""
    for g in grants_for(user):
        if role_allows(g.role, NODE, action) and g.district_id:
            return District.objects.get(pk=g.district_id)
    return None


def _require_view(user) -> District:
    district = user_district(user)
    if district is None:
        raise PermissionDenied(_("无权查看知识点"))
    return district


def _require_edit(user) -> District:
    district = user_district(user, "change")
    if district is None or not can(user, "change", KnowledgeNode(district=district)):
        raise PermissionDenied(_("只有区县管理员和教研员可以编辑知识点"))
    return district


def _may_edit(user, district) -> bool:
    return district is not None and can(user, "change", KnowledgeNode(district=district))


def _visible_node(user, pk: int) -> KnowledgeNode:
    return get_object_or_404(
        selectors.nodes_for(user, include_archived=True).select_related("district", "parent"), pk=pk
    )


def _tree_subjects(user, district, trees) -> list[Subject]:
    """Subjects offered in the filter: those with a tree or an edition, and for editors every subject."""
    ids = {s.pk for _stage, s, _n in trees}
    ids |= set(selectors.editions_for(user).values_list("subject_id", flat=True))
    if _may_edit(user, district):
        ids |= set(Subject.objects.filter(district=district, is_active=True).values_list("pk", flat=True))
    return list(Subject.objects.filter(pk__in=ids))


class Filters:
    """学段 / 学科 / 教材版本 / 搜索 from the query string, validated against what the user can see."""

    def __init__(self, request, district):
        get = request.GET
        self.stage = get.get("stage") if get.get("stage") in Stage.values else ""
        self.trees = selectors.subjects_with_nodes(request.user)
        self.subjects = _tree_subjects(request.user, district, self.trees)
        by_id = {str(s.pk): s for s in self.subjects}
        self.subject = by_id.get(get.get("subject", ""))
        if not self.stage and self.subject is None and not get.get("q") and self.trees:
            self.stage, self.subject = self.trees[0][0], self.trees[0][1]
        self.editions = (
            list(selectors.editions_for(request.user, stage=self.stage, subject=self.subject))
            if self.stage and self.subject
            else []
        )
        self.edition = next((e for e in self.editions if str(e.pk) == get.get("edition")), None)
        self.q = (get.get("q") or "").strip()[:50]
        self.archived = get.get("archived") == "1"

    @property
    def tree_chosen(self) -> bool:
        return bool(self.stage and self.subject)

    def query(self, **extra) -> str:
        params = {
            "stage": self.stage,
            "subject": self.subject.pk if self.subject else "",
            "edition": self.edition.pk if self.edition else "",
        }
        if self.archived:
            params["archived"] = "1"
        params.update(extra)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


# --- browse ---------------------------------------------------------------------------------------------------


@login_required
def index_view(request):
    district = _require_view(request.user)
    f = Filters(request, district)
    may_edit = _may_edit(request.user, district)
    include_archived = f.archived and may_edit
    ctx = {
        "f": f,
        "may_edit": may_edit,
        "may_export": can(request.user, "export", KnowledgeNode(district=district)),
        "title": _("知识点"),
        "stages": Stage.choices,
    }
    if f.q:
        results = list(
            selectors.nodes_for(
                request.user,
                stage=f.stage,
                subject=f.subject,
                edition=f.edition,
                q=f.q,
                include_archived=include_archived,
            ).order_by("stage", "subject_id", "path")[:201]
        )
        ancestors = KnowledgeNode.objects.in_bulk({a for n in results for a in n.ancestor_ids})
        ctx["results"] = [(n, [ancestors[a] for a in n.ancestor_ids if a in ancestors]) for n in results[:200]]
        ctx["more"] = len(results) > 200
    elif f.tree_chosen:
        ctx["nodes"] = selectors.children_of(
            request.user,
            stage=f.stage,
            subject=f.subject,
            parent=None,
            edition=f.edition,
            include_archived=include_archived,
        )
        ctx["tree_size"] = sum(n for st, s, n in f.trees if st == f.stage and s == f.subject)
    return render(request, "knowledge/index.html", ctx)


@login_required
def children_view(request):
    """htmx: the children of one node (opened in the tree)."""
    district = _require_view(request.user)
    try:
        parent = _visible_node(request.user, int(request.GET.get("parent", "")))
    except ValueError:
        raise Http404 from None
    edition = None
    if (request.GET.get("edition") or "").isdigit():
        edition = selectors.editions_for(request.user).filter(pk=int(request.GET["edition"])).first()
    archived = request.GET.get("archived") == "1"
    include_archived = archived and _may_edit(request.user, district)
    nodes = selectors.children_of(
        request.user,
        stage=parent.stage,
        subject=parent.subject_id,
        parent=parent,
        edition=edition,
        include_archived=include_archived,
    )
    query = urlencode(
        {
            k: v
            for k, v in {
                "stage": parent.stage,
                "subject": parent.subject_id,
                "edition": edition.pk if edition else "",
                "archived": "1" if archived else "",
            }.items()
            if v
        }
    )
    return render(request, "knowledge/_children.html", {"nodes": nodes, "query": query})


@login_required
def node_detail_view(request, pk: int):
    _require_view(request.user)
    node = _visible_node(request.user, pk)
    may_edit = can(request.user, "change", node)
    visible = selectors.nodes_for(request.user, include_archived=may_edit)
    prerequisites = list(visible.filter(unlocks=node).order_by("stage", "subject_id", "code"))
    unlocks = list(visible.filter(prerequisites=node).order_by("stage", "subject_id", "code"))
    children = list(visible.filter(parent=node).order_by("order", "code"))
    graph = selectors.prerequisite_graph(node)
    graph["center"] = node.pk
    graph["url"] = reverse("knowledge:node_detail", args=[0])
    ctx = {
        "node": node,
        "title": node.name,
        "ancestors": selectors.node_ancestors(node),
        "editions": list(node.editions.all()),
        "prerequisites": prerequisites,
        "unlocks": unlocks,
        "children": children,
        "graph": graph,
        "usage": node_usage(request, node),
        "may_edit": may_edit,
        "tree_query": urlencode({"stage": node.stage, "subject": node.subject_id}),
    }
    if may_edit and not node.is_archived:
        taken = {p.pk for p in prerequisites} | {node.pk}
        # points of the same tree, labelled with their chapter for orientation
        tree = selectors.tree_nodes(request.user, stage=node.stage, subject=node.subject_id)
        chapter_of = {}
        for n in tree:
            chapter_of[n.pk] = n if n.parent_id is None else chapter_of.get(n.parent_id, n)
        choices = [
            (n.pk, f"{chapter_of[n.pk].name} · {n.code} {n.name}")
            for n in tree
            if n.kind == NodeKind.POINT and n.pk not in taken
        ]
        # a select of thousands of options is no help: big trees take the prerequisite's code instead
        ctx["prereq_choices"] = choices if len(choices) <= MAX_SELECT else None
        ctx["prereq_by_code"] = len(choices) > MAX_SELECT
    return render(request, "knowledge/detail.html", ctx)


# --- editing --------------------------------------------------------------------------------------------------


@login_required
@require_POST
def prerequisite_add_view(request, pk: int):
    _require_edit(request.user)
    node = _visible_node(request.user, pk)
    raw = (request.POST.get("prerequisite") or "").strip()
    code = (request.POST.get("code") or "").strip()
    visible = selectors.nodes_for(request.user)
    pre = None
    if raw.isdigit():
        pre = visible.filter(pk=int(raw)).first()
    elif code:
        pre = visible.filter(stage=node.stage, subject_id=node.subject_id, code=code).first()
    if pre is None and code:
        messages.error(request, _("本学科找不到编码为「%(code)s」的知识点") % {"code": code})
        return redirect("knowledge:node_detail", pk=node.pk)
    if pre is None:
        messages.error(request, _("请选择一个本区县的知识点作为前置知识点"))
        return redirect("knowledge:node_detail", pk=node.pk)
    try:
        services.prerequisite_add(actor=request.user, node=node, prerequisite=pre)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已添加前置知识点「%(name)s」") % {"name": pre.name})
    return redirect("knowledge:node_detail", pk=node.pk)


@login_required
@require_POST
def prerequisite_remove_view(request, pk: int, pre_pk: int):
    _require_edit(request.user)
    node = _visible_node(request.user, pk)
    pre = _visible_node(request.user, pre_pk)
    try:
        services.prerequisite_remove(actor=request.user, node=node, prerequisite=pre)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已移除前置知识点「%(name)s」") % {"name": pre.name})
    return redirect("knowledge:node_detail", pk=node.pk)


def _parent_options(user, stage, subject, node=None) -> list[tuple[int, str]]:
    """Chapters and sections of the tree (the places a node may go), in tree order."""
    skip = set(selectors.node_subtree_ids(node)) if node else set()
    return [
        (n.pk, f"{'　' * n.depth}{n.code} {n.name}")
        for n in selectors.tree_nodes(user, stage=stage, subject=subject)
        if n.kind != NodeKind.POINT and n.pk not in skip
    ]


@login_required
def node_create_view(request):
    district = _require_edit(request.user)
    stage = request.GET.get("stage")
    subject = Subject.objects.filter(district=district, pk=request.GET.get("subject") or 0).first()
    if stage not in Stage.values or subject is None:
        raise Http404
    editions = selectors.editions_for(request.user, stage=stage, subject=subject)
    parent_id = request.GET.get("parent")
    initial = {"kind": NodeKind.CHAPTER}
    if parent_id and parent_id.isdigit():
        parent = _visible_node(request.user, int(parent_id))
        initial = {
            "parent": parent.pk,
            "kind": NodeKind.SECTION if parent.kind == NodeKind.CHAPTER else NodeKind.POINT,
            "editions": list(parent.editions.all()),
        }
    form = NodeForm(
        request.POST or None,
        initial=initial,
        parent_choices=_parent_options(request.user, stage, subject),
        editions=editions,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        parent = _visible_node(request.user, d["parent"]) if d["parent"] else None
        try:
            node = services.node_create(
                actor=request.user,
                district=district,
                stage=stage,
                subject=subject,
                kind=d["kind"],
                code=d["code"],
                name=d["name"],
                parent=parent,
                description=d["description"],
                editions=d["editions"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已新建「%(name)s」") % {"name": node.name})
            return redirect("knowledge:node_detail", pk=node.pk)
    title = _("新建节点 · %(stage)s%(subject)s") % {"stage": Stage(stage).label, "subject": subject.name}
    cancel = reverse("knowledge:index") + "?" + urlencode({"stage": stage, "subject": subject.pk})
    return render(
        request, "core/form.html", {"form": form, "title": title, "cancel_url": cancel, "form_testid": "node-form"}
    )


@login_required
def node_edit_view(request, pk: int):
    _require_edit(request.user)
    node = _visible_node(request.user, pk)
    if not can(request.user, "change", node):
        raise PermissionDenied(_("只有区县管理员和教研员可以编辑知识点"))
    editions = selectors.editions_for(request.user, stage=node.stage, subject=node.subject_id)
    form = NodeForm(
        request.POST or None,
        initial={
            "kind": node.kind,
            "parent": node.parent_id,
            "code": node.code,
            "name": node.name,
            "description": node.description,
            "editions": list(node.editions.all()),
        },
        parent_choices=_parent_options(request.user, node.stage, node.subject_id, node),
        editions=editions,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            from django.db import transaction

            with transaction.atomic():
                new_parent = _visible_node(request.user, d["parent"]) if d["parent"] else None
                if (new_parent.pk if new_parent else None) != node.parent_id:
                    services.node_move(actor=request.user, node=node, parent=new_parent, kind=d["kind"])
                services.node_update(
                    actor=request.user,
                    node=node,
                    name=d["name"],
                    code=d["code"],
                    kind=d["kind"],
                    description=d["description"],
                    editions=d["editions"],
                )
        except ValidationError as exc:
            node.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存「%(name)s」") % {"name": node.name})
            return redirect("knowledge:node_detail", pk=node.pk)
    title = _("编辑 %(code)s %(name)s") % {"code": node.code, "name": node.name}
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": title,
            "cancel_url": reverse("knowledge:node_detail", args=[node.pk]),
            "form_testid": "node-form",
        },
    )


@login_required
@require_POST
def node_step_view(request, pk: int):
    _require_edit(request.user)
    node = _visible_node(request.user, pk)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    services.node_step(actor=request.user, node=node, direction=direction)
    return redirect("knowledge:node_detail", pk=node.parent_id or node.pk)


@login_required
@require_POST
def node_remove_view(request, pk: int):
    _require_edit(request.user)
    node = _visible_node(request.user, pk)
    outcome = services.node_remove(actor=request.user, node=node)
    back = reverse("knowledge:index") + "?" + urlencode({"stage": node.stage, "subject": node.subject_id})
    if outcome == "deleted":
        messages.success(request, _("已删除「%(name)s」") % {"name": node.name})
        return redirect(back)
    messages.success(
        request, _("「%(name)s」仍被引用，已归档（连同其下级节点），可在详情页恢复。") % {"name": node.name}
    )
    return redirect("knowledge:node_detail", pk=node.pk)


@login_required
@require_POST
def node_restore_view(request, pk: int):
    _require_edit(request.user)
    node = _visible_node(request.user, pk)
    try:
        services.node_restore(actor=request.user, node=node)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已恢复「%(name)s」") % {"name": node.name})
    return redirect("knowledge:node_detail", pk=node.pk)


# --- editions -------------------------------------------------------------------------------------------------


@login_required
def edition_list_view(request):
    district = _require_view(request.user)
    may_edit = _may_edit(request.user, district)
    editions = selectors.editions_for(request.user, include_archived=may_edit).order_by(
        "stage", "subject__sort_order", "order", "code"
    )
    from django.db.models import Count, Q

    editions = editions.annotate(n_nodes=Count("nodes", filter=Q(nodes__archived_at__isnull=True)))
    return render(
        request,
        "knowledge/editions.html",
        {"editions": editions, "may_edit": may_edit, "title": _("教材版本")},
    )


def _edition_form(request, district, edition=None):
    subjects = Subject.objects.filter(district=district, is_active=True)
    initial = {}
    if edition is not None:
        initial = {
            f: getattr(edition, f) for f in ["stage", "name", "grade_label", "volume", "publisher", "code", "order"]
        }
        initial["subject"] = edition.subject_id
    return EditionForm(request.POST or None, initial=initial, subjects=subjects)


@login_required
def edition_create_view(request):
    district = _require_edit(request.user)
    form = _edition_form(request, district)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            e = services.edition_create(
                actor=request.user,
                district=district,
                stage=d["stage"],
                subject=d["subject"],
                name=d["name"],
                code=d["code"],
                publisher=d["publisher"],
                grade_label=d["grade_label"],
                volume=d["volume"],
                order=d["order"] or 0,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已添加教材版本「%(label)s」") % {"label": e.label})
            return redirect("knowledge:edition_list")
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("添加教材版本"), "cancel_url": reverse("knowledge:edition_list")},
    )


@login_required
def edition_edit_view(request, pk: int):
    district = _require_edit(request.user)
    edition = get_object_or_404(TextbookEdition.objects.visible_to(request.user, "change"), pk=pk)
    form = _edition_form(request, district, edition)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        d["order"] = d["order"] or 0
        try:
            services.edition_update(actor=request.user, edition=edition, **d)
        except ValidationError as exc:
            edition.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存教材版本「%(label)s」") % {"label": edition.label})
            return redirect("knowledge:edition_list")
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("编辑教材版本"), "cancel_url": reverse("knowledge:edition_list")},
    )


@login_required
@require_POST
def edition_archive_view(request, pk: int):
    _require_edit(request.user)
    edition = get_object_or_404(TextbookEdition.objects.visible_to(request.user, "archive"), pk=pk)
    restore = edition.is_archived
    services.edition_archive(actor=request.user, edition=edition, restore=restore)
    if restore:
        messages.success(request, _("已启用「%(label)s」") % {"label": edition.label})
    else:
        messages.success(request, _("已停用「%(label)s」") % {"label": edition.label})
    return redirect("knowledge:edition_list")


# --- import / export ------------------------------------------------------------------------------------------


@login_required
def import_view(request):
    district = _require_edit(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    report_url = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_tree(
                district=district,
                actor=request.user,
                data=upload.read(),
                filename=upload.name,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            if result.errors:
                report_url = reverse(
                    "knowledge:import_report", args=[report_save(user=request.user, report=result.report())]
                )
            if result.ok and not form.cleaned_data["dry_run"]:
                for warning in result.warnings:
                    messages.info(request, warning)
                messages.success(
                    request,
                    _("导入完成：共 %(rows)s 行，新建 %(created)s 个节点，更新 %(updated)s 个，未变 %(unchanged)s 个。")
                    % result.summary(),
                )
                return redirect(reverse("knowledge:index"))
    return render(
        request,
        "knowledge/import.html",
        {"form": form, "result": result, "title": _("导入知识点"), "headers": HEADERS, "report_url": report_url},
    )


REPORT_TTL = 3600


def _report_key(user, token: str) -> str:
    return f"knowledge:import-report:{user.pk}:{token}"


def report_save(*, user, report: bytes) -> str:
    """Keep an import's error report (the uploaded sheet with the bad cells marked) for its user for an hour."""
    token = secrets.token_urlsafe(18)
    cache.set(_report_key(user, token), report, REPORT_TTL)
    return token


@login_required
def import_report_view(request, token: str):
    _require_edit(request.user)
    data = cache.get(_report_key(request.user, token))
    if data is None:
        raise Http404(_("错误报告已过期，请重新上传文件"))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote("知识点导入错误报告.xlsx")
    return response


@login_required
def export_view(request):
    district = _require_view(request.user)
    if not can(request.user, "export", KnowledgeNode(district=district)):
        raise PermissionDenied(_("无权导出知识点"))
    f = Filters(request, district)
    if not f.tree_chosen:
        raise Http404
    nodes = selectors.tree_nodes(request.user, stage=f.stage, subject=f.subject, edition=f.edition)
    from core.audit import audit_record

    audit_record(
        actor=request.user,
        action="knowledgenode.export",
        district_id=district.pk,
        object_type=NODE,
        object_repr=f"{Stage(f.stage).label}{f.subject.name}",
        changes={"rows": [None, len(nodes)]},
    )
    name = f"知识点-{Stage(f.stage).label}{f.subject.name}" + (f"-{f.edition.label}" if f.edition else "")
    return xlsx_response(filename=name, headers=HEADERS, rows=export_rows(nodes), sheet="知识点")


@login_required
def template_view(request):
    _require_edit(request.user)
    response = HttpResponse(
        template_bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote("知识点导入模板.xlsx")
    return response
