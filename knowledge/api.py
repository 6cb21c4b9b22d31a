"""知识点 API under /api/v1/knowledge/ (mounted in KnowledgeConfig.ready). Read-only; edits go through the pages.

* ``GET /knowledge/editions?stage=&subject=`` — textbook editions (教材版本), paginated;
* ``GET /knowledge/tree?stage=&subject=&edition=`` — one tree, flat in display order with ``parent_id`` and
  ``depth`` (the whole tree, not paginated: trees have hundreds of nodes, not millions);
* ``GET /knowledge/nodes?q=&stage=&subject=&edition=`` — search by name, code or 说明 (substring), paginated;
* ``GET /knowledge/nodes/{id}`` — a node with its ancestors, children, editions, prerequisites and the points it
  unlocks.

Everything starts from ``KnowledgeNode.objects.visible_to(user)``: the district's staff and students see their
district's trees; parents and other districts see nothing (404 for a node).
"""

import json

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.pagination import paginate

from core.api.common import actor, get_visible, text_query
from core.api.org import READ_ERRORS
from core.api.pagination import Pagination
from core.models import Stage

from . import selectors
from .models import KnowledgeNode

router = Router(tags=["知识点"])


class EditionOut(Schema):
    id: int
    code: str
    name: str
    label: str
    publisher: str
    grade_label: str
    volume: str
    stage: str
    subject_id: int
    subject: str
    archived: bool

    @staticmethod
    def resolve_subject(obj) -> str:
        return obj.subject.name

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.is_archived


class NodeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    stage: str
    subject_id: int
    parent_id: int | None = None
    depth: int
    order: int
    description: str
    archived: bool

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj["archived"] if isinstance(obj, dict) else obj.is_archived


class TreeOut(Schema):
    stage: str
    subject_id: int
    edition_id: int | None = None
    count: int
    items: list[NodeOut]


class NodeRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class NodeDetailOut(NodeOut):
    subject: str
    ancestors: list[NodeRef]
    children: list[NodeRef]
    editions: list[EditionOut]
    prerequisites: list[NodeRef]
    unlocks: list[NodeRef]


def _edition(request, edition: int | None):
    if edition is None:
        return None
    return get_visible(selectors.editions_for(actor(request), include_archived=True), edition, "教材版本")


@router.get("/editions", response=list[EditionOut], summary="教材版本列表")
@paginate(Pagination)
def edition_list(request, stage: Stage | None = None, subject: int | None = None):
    return selectors.editions_for(actor(request), stage=stage, subject=subject).order_by(
        "stage", "subject__sort_order", "order", "code"
    )


@router.get("/tree", response={200: TreeOut, **READ_ERRORS}, summary="知识点树（一个学段的一个学科）")
def tree(request, stage: Stage, subject: int, edition: int | None = None):
    """The tree in display order (depth first, siblings by order); with ``edition`` only that edition's nodes and
    their ancestors."""
    user = actor(request)
    ed = _edition(request, edition)
    if ed is None:
        nodes = selectors.tree_values(user, stage=stage, subject=subject)
        for n in nodes:
            n["archived"] = n.pop("archived_at") is not None
    else:
        nodes = [_plain(n) for n in selectors.tree_nodes(user, stage=stage, subject=subject, edition=ed)]
    payload = {
        "stage": str(stage.value if isinstance(stage, Stage) else stage),
        "subject_id": subject,
        "edition_id": ed.pk if ed else None,
        "count": len(nodes),
        "items": nodes,
    }
    # a whole tree is thousands of plain rows: serialized directly (the shape is TreeOut, as documented)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8")


@router.get("/nodes", response=list[NodeOut], summary="搜索知识点")
@paginate(Pagination)
def node_search(
    request, q: str | None = None, stage: Stage | None = None, subject: int | None = None, edition: int | None = None
):
    """Nodes whose name, code or 说明 contains ``q`` (all nodes without ``q``), in tree-path order."""
    return selectors.nodes_for(
        actor(request), stage=stage, subject=subject, edition=_edition(request, edition), q=text_query(q)
    ).order_by("stage", "subject_id", "path")


def _plain(n: KnowledgeNode) -> dict:
    """A node as a plain dict (validating dicts is several times faster than model instances)."""
    return {
        "id": n.pk,
        "code": n.code,
        "name": n.name,
        "kind": n.kind,
        "stage": n.stage,
        "subject_id": n.subject_id,
        "parent_id": n.parent_id,
        "depth": n.depth,
        "order": n.order,
        "description": n.description,
        "archived": n.archived_at is not None,
    }


def _ref(n: KnowledgeNode) -> dict:
    return {"id": n.pk, "code": n.code, "name": n.name, "kind": n.kind}


@router.get("/nodes/{int:node_id}", response={200: NodeDetailOut, **READ_ERRORS}, summary="知识点详情")
def node_detail(request, node_id: int):
    user = actor(request)
    node = get_visible(selectors.nodes_for(user, include_archived=True), node_id, "知识点")
    visible = selectors.nodes_for(user)
    return {
        **_plain(node),
        "subject": node.subject.name,
        "ancestors": [_ref(a) for a in selectors.node_ancestors(node)],
        "children": [_ref(c) for c in visible.filter(parent=node).order_by("order", "code")],
        "editions": list(node.editions.select_related("subject")),
        "prerequisites": [_ref(p) for p in visible.filter(unlocks=node).order_by("code")],
        "unlocks": [_ref(u) for u in visible.filter(prerequisites=node).order_by("code")],
    }


def knowledge_api_scope_cases(w):
    """Scoped GET endpoints with a sample tree in the world's district (made on first use): teachers and
    students of the district see it, a parent (no grant on the tree) sees nothing."""
    from core.api import ScopeCase

    from .scope_cases import sample_tree

    t = sample_tree(w)
    p = "/api/v1/knowledge"
    q = f"stage=junior&subject={w.math.pk}"
    return [
        ScopeCase(f"{p}/editions?{q}", "teacher_a", "parent1"),
        ScopeCase(f"{p}/tree?{q}", "student_user_a1", "parent1"),
        ScopeCase(f"{p}/nodes?q=矩阵", "teacher_b", "parent1"),
        ScopeCase(f"{p}/nodes/{t['point'].pk}", "teacher_a", "parent2"),
    ]


__all__ = ["knowledge_api_scope_cases", "router"]
