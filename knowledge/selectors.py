"""Read side of the knowledge-point tree. Every query starts from ``visible_to(user)``; the helpers that take a
district instead of a user (``match_names``) are for other modules' services that already checked their own scope.

Other apps import only from here and from ``knowledge.models``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.models import Stage, Subject

from .models import KnowledgeNode, NodeKind, TextbookEdition


def _subject_id(subject) -> int | None:
    if subject is None or subject == "":
        return None
    return subject.pk if isinstance(subject, Subject) else int(subject)


def node_subtree_ids(node: KnowledgeNode) -> list[int]:
    """Ids of ``node`` and all its descendants (archived ones included), one indexed query on ``path``."""
    return list(
        KnowledgeNode.objects.filter(district_id=node.district_id, path__startswith=node.path).values_list(
            "id", flat=True
        )
    )


def nodes_for(
    user, *, stage=None, subject=None, q=None, edition=None, include_archived: bool = False
) -> QuerySet[KnowledgeNode]:
    """The nodes ``user`` may see, optionally of one 学段/学科/教材版本, searched by code or name (substring)."""
    qs = KnowledgeNode.objects.visible_to(user, "view").select_related("subject")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if stage:
        qs = qs.filter(stage=stage)
    sid = _subject_id(subject)
    if sid:
        qs = qs.filter(subject_id=sid)
    if edition:
        qs = qs.filter(editions=edition)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(description__icontains=q))
    return qs


def editions_for(user, *, stage=None, subject=None, include_archived: bool = False) -> QuerySet[TextbookEdition]:
    qs = TextbookEdition.objects.visible_to(user, "view").select_related("subject")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if stage:
        qs = qs.filter(stage=stage)
    sid = _subject_id(subject)
    if sid:
        qs = qs.filter(subject_id=sid)
    return qs


def subjects_with_nodes(user) -> list[tuple[str, Subject, int]]:
    """(stage, subject, number of nodes) for every tree the user can see, for the landing page."""
    from django.db.models import Count

    rows = (
        KnowledgeNode.objects.visible_to(user, "view")
        .filter(archived_at__isnull=True)
        .values("stage", "subject_id")
        .annotate(n=Count("id"))
        .order_by("stage", "subject_id")
    )
    subjects = Subject.objects.in_bulk({r["subject_id"] for r in rows})
    stage_order = {s: i for i, s in enumerate(Stage.values)}
    out = [(r["stage"], subjects[r["subject_id"]], r["n"]) for r in rows]
    return sorted(out, key=lambda t: (stage_order.get(t[0], 9), t[1].sort_order, t[1].code))


def ordered_tree(nodes: Iterable) -> list:
    """Depth-first order (siblings by ``order`` then code). Nodes whose parent is not in the set are roots.
    Works on model instances and on ``values()`` dicts alike."""
    nodes = list(nodes)
    if nodes and isinstance(nodes[0], dict):
        get = dict.__getitem__
        ident = "id"
    else:
        get = getattr
        ident = "id"
    ids = {get(n, ident) for n in nodes}
    children: dict[int | None, list] = defaultdict(list)
    for n in nodes:
        parent = get(n, "parent_id")
        children[parent if parent in ids else None].append(n)

    def key(n):
        return (get(n, "order"), get(n, "code"))

    out: list = []
    stack = sorted(children[None], key=key, reverse=True)
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(sorted(children.get(get(n, ident), []), key=key, reverse=True))
    return out


TREE_FIELDS = ("id", "code", "name", "kind", "stage", "subject_id", "parent_id", "depth", "order", "description")


def tree_values(user, *, stage, subject, include_archived: bool = False) -> list[dict]:
    """The whole tree of one 学段 × 学科 as plain dicts in display order (for the API: no model instances)."""
    qs = nodes_for(user, stage=stage, subject=subject, include_archived=include_archived).select_related(None)
    return ordered_tree(qs.values(*TREE_FIELDS, "archived_at"))


def tree_nodes(user, *, stage, subject, edition=None, include_archived: bool = False) -> list[KnowledgeNode]:
    """The whole tree of one 学段 × 学科 in display order. With an edition: the nodes of that edition plus their
    ancestors (so the edition's points hang under their chapters)."""
    qs = nodes_for(user, stage=stage, subject=subject, include_archived=include_archived)
    nodes = list(qs)
    if edition is not None:
        tagged = set(
            KnowledgeNode.editions.through.objects.filter(
                textbookedition_id=getattr(edition, "pk", edition), knowledgenode__in=[n.id for n in nodes]
            ).values_list("knowledgenode_id", flat=True)
        )
        keep = set(tagged)
        for n in nodes:
            if n.id in tagged:
                keep.update(n.ancestor_ids)
        nodes = [n for n in nodes if n.id in keep]
    return ordered_tree(nodes)


def children_of(
    user, *, stage, subject, parent: KnowledgeNode | None, edition=None, include_archived: bool = False
) -> list[tuple[KnowledgeNode, bool]]:
    """Direct children of ``parent`` (or the chapters) in order, each with whether it has children of its own
    (for the lazily opened tree). Without an edition this is one query however big the tree is."""
    if edition is not None:
        nodes = tree_nodes(user, stage=stage, subject=subject, edition=edition, include_archived=include_archived)
        parent_id = parent.id if parent else None
        has_children = {n.parent_id for n in nodes}
        return [(n, n.id in has_children) for n in nodes if n.parent_id == parent_id]
    kids = KnowledgeNode.objects.filter(parent=OuterRef("pk"))
    if not include_archived:
        kids = kids.filter(archived_at__isnull=True)
    qs = (
        nodes_for(user, stage=stage, subject=subject, include_archived=include_archived)
        .filter(parent=parent)
        .annotate(has_kids=Exists(kids))
        .order_by("order", "code")
    )
    return [(n, n.has_kids) for n in qs]


def node_choices(user, *, stage, subject, exclude_subtree_of: KnowledgeNode | None = None) -> list[tuple[int, str]]:
    """(id, indented label) for form selects, in tree order."""
    nodes = tree_nodes(user, stage=stage, subject=subject)
    skip = set(node_subtree_ids(exclude_subtree_of)) if exclude_subtree_of else set()
    return [(n.id, f"{'　' * n.depth}{n.code} {n.name}") for n in nodes if n.id not in skip]


def node_ancestors(node: KnowledgeNode) -> list[KnowledgeNode]:
    """Ancestors root first (one query)."""
    ids = node.ancestor_ids
    by_id = KnowledgeNode.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def match_names(district, stage, subject, names: Iterable[str]) -> dict[str, KnowledgeNode | None]:
    """Map free-text knowledge-point strings (e.g. the 知识点 of an exam's 小题) to nodes of one tree, by exact
    code or exact name (whitespace trimmed; a name shared by several nodes prefers a point, then the lowest
    code). Unknown strings map to None. Archived nodes are not matched."""
    wanted = {n: (n or "").strip() for n in names}
    keys = {v for v in wanted.values() if v}
    result: dict[str, KnowledgeNode | None] = dict.fromkeys(wanted)
    if not keys:
        return result
    qs = KnowledgeNode.objects.filter(
        district_id=getattr(district, "pk", district),
        stage=stage,
        subject_id=_subject_id(subject),
        archived_at__isnull=True,
    ).filter(Q(code__in=keys) | Q(name__in=keys))
    by_code: dict[str, KnowledgeNode] = {}
    by_name: dict[str, KnowledgeNode] = {}
    rank = {NodeKind.POINT: 0, NodeKind.SECTION: 1, NodeKind.CHAPTER: 2}
    for node in qs.order_by("code"):
        by_code[node.code] = node
        best = by_name.get(node.name)
        if best is None or rank[node.kind] < rank[best.kind]:
            by_name[node.name] = node
    for raw, key in wanted.items():
        result[raw] = by_code.get(key) or by_name.get(key)
    return result


def prerequisite_graph(node: KnowledgeNode, *, depth: int = 2, limit: int = 60) -> dict:
    """The prerequisite neighbourhood of ``node``: nodes up to ``depth`` steps before (前置) and after (后续)
    it, with the directed links among them, as {"nodes": [...], "links": [...]} for the ECharts graph."""
    Through = KnowledgeNode.prerequisites.through
    seen = {node.id: 0}
    links: set[tuple[int, int]] = set()
    frontier_back = {node.id}
    frontier_fwd = {node.id}
    for step in range(1, depth + 1):
        nxt_back, nxt_fwd = set(), set()
        # rows: from_knowledgenode (the dependant) → to_knowledgenode (its prerequisite)
        for dep, pre in Through.objects.filter(from_knowledgenode_id__in=frontier_back).values_list(
            "from_knowledgenode_id", "to_knowledgenode_id"
        ):
            links.add((pre, dep))
            if pre not in seen and len(seen) < limit:
                seen[pre] = -step
                nxt_back.add(pre)
        for dep, pre in Through.objects.filter(to_knowledgenode_id__in=frontier_fwd).values_list(
            "from_knowledgenode_id", "to_knowledgenode_id"
        ):
            links.add((pre, dep))
            if dep not in seen and len(seen) < limit:
                seen[dep] = step
                nxt_fwd.add(dep)
        frontier_back, frontier_fwd = nxt_back, nxt_fwd
    nodes = KnowledgeNode.objects.in_bulk(list(seen))
    return {
        "nodes": [
            {"id": i, "code": nodes[i].code, "name": nodes[i].name, "level": seen[i], "archived": nodes[i].is_archived}
            for i in seen
            if i in nodes
        ],
        "links": [{"source": a, "target": b} for a, b in sorted(links) if a in seen and b in seen],
    }
