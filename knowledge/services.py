"""Writes to the knowledge-point tree: textbook editions, nodes (create, change, move, archive/restore) and
prerequisite links. Every function is keyword-only, atomic, permission-checked against the actor's scope,
validated and audited. ``path``/``depth`` of a node and its whole subtree are kept consistent on every move.

Prerequisite links form a directed acyclic graph: adding a link that would close a loop is refused with the
loop spelled out in learning order (先学 → 后学).
"""

from __future__ import annotations

from collections import deque

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import audit_record, diff, snapshot
from core.services import _require, _save

from .models import KIND_PARENTS, KnowledgeNode, NodeKind, TextbookEdition

NODE_FIELDS = ["code", "name", "kind", "description", "order", "parent", "path", "depth", "archived_at"]
EDITION_FIELDS = ["code", "name", "publisher", "grade_label", "volume", "stage", "subject", "order", "archived_at"]


def _label(node: KnowledgeNode) -> str:
    return f"「{node.code} {node.name}」"


# --- textbook editions --------------------------------------------------------------------------------------


def _edition_check(edition: TextbookEdition) -> None:
    clash = TextbookEdition.objects.filter(district_id=edition.district_id, code=edition.code).exclude(pk=edition.pk)
    if clash.exists():
        raise ValidationError({"code": f"版本编码「{edition.code}」已被「{clash.first().label}」使用"})
    if edition.subject_id and edition.subject.district_id != edition.district_id:
        raise ValidationError({"subject": "学科不属于本区县"})


@transaction.atomic
def edition_create(
    *,
    actor,
    district,
    stage: str,
    subject,
    name: str,
    code: str,
    publisher: str = "",
    grade_label: str = "",
    volume: str = "",
    order: int = 0,
) -> TextbookEdition:
    edition = TextbookEdition(
        district=district,
        stage=stage,
        subject=subject,
        name=name.strip(),
        code=code.strip(),
        publisher=publisher.strip(),
        grade_label=grade_label.strip(),
        volume=volume,
        order=order,
    )
    _require(actor, "add", edition)
    _edition_check(edition)
    _save(edition)
    audit_record(actor=actor, action="textbookedition.create", obj=edition, changes=diff({}, snapshot(edition)))
    return edition


@transaction.atomic
def edition_update(*, actor, edition: TextbookEdition, **changes) -> TextbookEdition:
    _require(actor, "change", edition)
    before = snapshot(edition, EDITION_FIELDS)
    allowed = {"name", "code", "publisher", "grade_label", "volume", "order", "stage", "subject"}
    for key, value in changes.items():
        if key not in allowed:
            raise ValueError(key)
        setattr(edition, key, value.strip() if isinstance(value, str) else value)
    _require(actor, "change", edition)
    _edition_check(edition)
    _save(edition)
    audit_record(
        actor=actor,
        action="textbookedition.update",
        obj=edition,
        changes=diff(before, snapshot(edition, EDITION_FIELDS)),
    )
    return edition


@transaction.atomic
def edition_archive(*, actor, edition: TextbookEdition, restore: bool = False) -> TextbookEdition:
    """停用 an edition (its nodes keep the link; it is hidden from filters) or, with restore, enable it again."""
    _require(actor, "archive", edition)
    before = snapshot(edition, EDITION_FIELDS)
    edition.archived_at = None if restore else timezone.now()
    edition.save(update_fields=["archived_at", "updated_at"])
    audit_record(
        actor=actor,
        action="textbookedition.restore" if restore else "textbookedition.archive",
        obj=edition,
        changes=diff(before, snapshot(edition, EDITION_FIELDS)),
    )
    return edition


# --- nodes ------------------------------------------------------------------------------------------------


def _check_placement(node: KnowledgeNode, parent: KnowledgeNode | None) -> None:
    kind = NodeKind(node.kind)
    parent_kind = NodeKind(parent.kind) if parent else None
    if parent_kind not in KIND_PARENTS[kind]:
        if parent is None:
            raise ValidationError({"parent": f"{kind.label}必须放在上级节点之下"})
        raise ValidationError({"parent": f"{kind.label}不能放在{parent_kind.label}{_label(parent)}之下"})
    if parent is not None:
        if (parent.district_id, parent.stage, parent.subject_id) != (node.district_id, node.stage, node.subject_id):
            raise ValidationError({"parent": "上级节点必须属于同一学段、同一学科的知识点树"})
        if node.pk and (parent.pk == node.pk or f"/{node.pk}/" in f"/{parent.path}"):
            raise ValidationError({"parent": f"不能把{_label(node)}移到它自己或它的下级{_label(parent)}之下"})


def _check_code(node: KnowledgeNode) -> None:
    code = (node.code or "").strip()
    if not code:
        raise ValidationError({"code": "编码不能为空"})
    clash = (
        KnowledgeNode.objects.filter(
            district_id=node.district_id, stage=node.stage, subject_id=node.subject_id, code=code
        )
        .exclude(pk=node.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError({"code": f"编码「{code}」已被{_label(clash)}使用"})


def _next_order(node: KnowledgeNode) -> int:
    siblings = KnowledgeNode.objects.filter(
        district_id=node.district_id, stage=node.stage, subject_id=node.subject_id, parent_id=node.parent_id
    ).exclude(pk=node.pk)
    return (siblings.aggregate(m=Max("order"))["m"] or 0) + 1


def _set_path(node: KnowledgeNode) -> None:
    parent = node.parent
    node.path = f"{parent.path if parent else ''}{node.pk}/"
    node.depth = parent.depth + 1 if parent else 0


def _rewrite_subtree(node: KnowledgeNode, old_path: str, old_depth: int) -> int:
    """After ``node`` moved: rewrite ``path``/``depth`` of its descendants. Returns how many rows changed."""
    if old_path == node.path:
        return 0
    rows = list(
        KnowledgeNode.objects.filter(district_id=node.district_id, path__startswith=old_path).exclude(pk=node.pk)
    )
    for r in rows:
        r.path = node.path + r.path[len(old_path) :]
        r.depth = r.depth - old_depth + node.depth
    KnowledgeNode.objects.bulk_update(rows, ["path", "depth"])
    return len(rows)


@transaction.atomic
def node_create(
    *,
    actor,
    district,
    stage: str,
    subject,
    kind: str,
    code: str,
    name: str,
    parent: KnowledgeNode | None = None,
    description: str = "",
    order: int | None = None,
    editions=(),
) -> KnowledgeNode:
    node = KnowledgeNode(
        district=district,
        stage=stage,
        subject=subject,
        kind=kind,
        code=(code or "").strip(),
        name=(name or "").strip(),
        parent=parent,
        description=(description or "").strip(),
    )
    _require(actor, "add", node)
    _check_placement(node, parent)
    _check_code(node)
    node.order = order if order is not None else _next_order(node)
    _save(node, exclude=["path"])
    _set_path(node)
    node.save(update_fields=["path", "depth"])
    editions = list(editions)
    _check_editions(node, editions)
    node.editions.set(editions)
    audit_record(
        actor=actor,
        action="knowledgenode.create",
        obj=node,
        changes={**diff({}, snapshot(node, NODE_FIELDS)), "editions": [None, [e.label for e in editions]]},
    )
    return node


def _check_editions(node: KnowledgeNode, editions) -> None:
    for e in editions:
        if (e.district_id, e.stage, e.subject_id) != (node.district_id, node.stage, node.subject_id):
            raise ValidationError({"editions": f"教材版本「{e.label}」不属于本学段、本学科"})


@transaction.atomic
def node_update(
    *,
    actor,
    node: KnowledgeNode,
    name: str | None = None,
    code: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    editions=None,
) -> KnowledgeNode:
    """Rename / re-code / describe a node, or set its editions. Its place in the tree: ``node_move``."""
    _require(actor, "change", node)
    before = snapshot(node, NODE_FIELDS)
    old_editions = sorted(e.label for e in node.editions.all())
    if name is not None:
        node.name = name.strip()
    if code is not None:
        node.code = code.strip()
        _check_code(node)
    if kind is not None and kind != node.kind:
        node.kind = kind
        _check_placement(node, node.parent)
        for child in node.children.all():
            _check_placement(child, node)
    if description is not None:
        node.description = description.strip()
    _save(node)
    changes = diff(before, snapshot(node, NODE_FIELDS))
    if editions is not None:
        editions = list(editions)
        _check_editions(node, editions)
        node.editions.set(editions)
        new_editions = sorted(e.label for e in editions)
        if new_editions != old_editions:
            changes["editions"] = [old_editions, new_editions]
    audit_record(actor=actor, action="knowledgenode.update", obj=node, changes=changes)
    return node


@transaction.atomic
def node_move(
    *, actor, node: KnowledgeNode, parent: KnowledgeNode | None, position: int | None = None, kind: str | None = None
):
    """Re-parent ``node`` under ``parent`` (None: top level) at ``position`` (0-based among its new siblings;
    None: last), optionally changing its kind at the same time (a section becoming a chapter …). Siblings are
    renumbered 1..n; the subtree's ``path``/``depth`` follow."""
    _require(actor, "change", node)
    if parent is not None and parent.district_id != node.district_id:
        raise ValidationError({"parent": "上级节点不属于本区县"})
    before = snapshot(node, NODE_FIELDS)
    if kind is not None and kind != node.kind:
        node.kind = kind
        for child in node.children.all():
            _check_placement(child, node)
    _check_placement(node, parent)
    old_path, old_depth = node.path, node.depth
    siblings = list(
        KnowledgeNode.objects.filter(
            district_id=node.district_id,
            stage=node.stage,
            subject_id=node.subject_id,
            parent_id=parent.pk if parent else None,
        )
        .exclude(pk=node.pk)
        .order_by("order", "code")
    )
    if position is None or position > len(siblings):
        position = len(siblings)
    siblings.insert(max(position, 0), node)
    node.parent = parent
    _set_path(node)
    for i, s in enumerate(siblings, start=1):
        s.order = i
    KnowledgeNode.objects.bulk_update([s for s in siblings if s.pk != node.pk], ["order"])
    node.save(update_fields=["parent", "kind", "order", "path", "depth", "updated_at"])
    moved = _rewrite_subtree(node, old_path, old_depth)
    changes = diff(before, snapshot(node, NODE_FIELDS))
    if moved:
        changes["subtree"] = [None, moved]
    audit_record(actor=actor, action="knowledgenode.move", obj=node, changes=changes)
    return node


def node_step(*, actor, node: KnowledgeNode, direction: str) -> KnowledgeNode:
    """Move a node one place up or down among its siblings."""
    siblings = list(
        KnowledgeNode.objects.filter(
            district_id=node.district_id, stage=node.stage, subject_id=node.subject_id, parent_id=node.parent_id
        ).order_by("order", "code")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == node.pk)
    target = index - 1 if direction == "up" else index + 1
    target = min(max(target, 0), len(siblings) - 1)
    return node_move(actor=actor, node=node, parent=node.parent, position=target)


def node_references(node: KnowledgeNode) -> dict[str, int]:
    """What still points at ``node``: children, prerequisite links and rows of other modules (resources, items …)
    found through the reverse relations of the model. Empty when the node may be deleted outright."""
    refs: dict[str, int] = {}
    n = node.children.count()
    if n:
        refs["下级节点"] = n
    n = node.prerequisites.count() + node.unlocks.count()
    if n:
        refs["前置/后续关系"] = n
    for rel in KnowledgeNode._meta.related_objects:
        if rel.related_model is KnowledgeNode:
            continue
        accessor = rel.get_accessor_name()
        if not accessor:
            continue
        manager = getattr(node, accessor, None)
        if manager is None or not hasattr(manager, "count"):
            continue
        try:
            count = manager.count()
        except Exception:  # an unusual relation type: treat as referenced, to be safe
            count = 1
        if count:
            refs[str(rel.related_model._meta.verbose_name)] = count
    # plain M2M fields declared on other models appear as related_objects too (handled above)
    return refs


@transaction.atomic
def node_remove(*, actor, node: KnowledgeNode) -> str:
    """Delete a node nobody refers to; otherwise archive it with its whole subtree (归档: hidden from browsing
    and pickers, still resolvable by the rows that point at it). Returns "deleted" or "archived"."""
    _require(actor, "archive", node)
    refs = node_references(node)
    before = snapshot(node, NODE_FIELDS)
    if not refs:
        node_id = node.pk
        audit_record(actor=actor, action="knowledgenode.delete", obj=node, changes=diff(before, {}))
        node.editions.clear()
        KnowledgeNode.objects.filter(pk=node_id).delete()
        return "deleted"
    now = timezone.now()
    count = KnowledgeNode.objects.filter(
        district_id=node.district_id, path__startswith=node.path, archived_at__isnull=True
    ).update(archived_at=now, updated_at=now)
    node.refresh_from_db()
    audit_record(
        actor=actor,
        action="knowledgenode.archive",
        obj=node,
        changes={**diff(before, snapshot(node, NODE_FIELDS)), "subtree": [None, count], "references": [None, refs]},
    )
    return "archived"


@transaction.atomic
def node_restore(*, actor, node: KnowledgeNode) -> KnowledgeNode:
    """Bring an archived node (and its archived subtree) back; its ancestors must be active."""
    _require(actor, "archive", node)
    if node.parent and node.parent.is_archived:
        raise ValidationError(f"上级节点{_label(node.parent)}已归档，请先恢复上级节点")
    before = snapshot(node, NODE_FIELDS)
    count = KnowledgeNode.objects.filter(district_id=node.district_id, path__startswith=node.path).update(
        archived_at=None, updated_at=timezone.now()
    )
    node.refresh_from_db()
    audit_record(
        actor=actor,
        action="knowledgenode.restore",
        obj=node,
        changes={**diff(before, snapshot(node, NODE_FIELDS)), "subtree": [None, count]},
    )
    return node


# --- prerequisites ------------------------------------------------------------------------------------------


def prerequisite_path(start_id: int, goal_id: int, edges: dict[int, set[int]]) -> list[int] | None:
    """Breadth-first walk along ``edges`` (node id → ids of its prerequisites) from ``start_id``; the shortest
    chain of ids from ``start_id`` to ``goal_id``, or None when ``goal_id`` is not reachable."""
    if start_id == goal_id:
        return [start_id]
    came_from: dict[int, int] = {start_id: start_id}
    queue = deque([start_id])
    while queue:
        current = queue.popleft()
        for nxt in edges.get(current, ()):
            if nxt in came_from:
                continue
            came_from[nxt] = current
            if nxt == goal_id:
                chain = [nxt]
                while chain[-1] != start_id:
                    chain.append(came_from[chain[-1]])
                return list(reversed(chain))
            queue.append(nxt)
    return None


def _district_edges(district_id: int) -> dict[int, set[int]]:
    Through = KnowledgeNode.prerequisites.through
    edges: dict[int, set[int]] = {}
    for dep, pre in Through.objects.filter(from_knowledgenode__district_id=district_id).values_list(
        "from_knowledgenode_id", "to_knowledgenode_id"
    ):
        edges.setdefault(dep, set()).add(pre)
    return edges


def cycle_message(node_label: str, prereq_label: str, chain_labels: list[str]) -> str:
    """``chain_labels``: from the new prerequisite to the node along existing prerequisite links, both ends
    included (prereq needs … needs node). In learning order the loop is node → … → prereq → node."""
    loop = " → ".join([*reversed(chain_labels), node_label])
    return (
        f"不能把{prereq_label}设为{node_label}的前置知识点：{prereq_label}已经直接或间接以{node_label}为前置，"
        f"添加后会形成循环：{loop}（箭头表示“先学 → 后学”）。"
    )


@transaction.atomic
def prerequisite_add(*, actor, node: KnowledgeNode, prerequisite: KnowledgeNode) -> None:
    """Make ``prerequisite`` a 前置知识点 of ``node`` (learn it first). Refuses self-links, other districts,
    archived nodes and links that would close a cycle."""
    _require(actor, "change", node)
    if prerequisite.district_id != node.district_id:
        raise ValidationError({"prerequisite": "前置知识点必须属于本区县"})
    if prerequisite.pk == node.pk:
        raise ValidationError({"prerequisite": f"{_label(node)}不能是自己的前置知识点"})
    if prerequisite.is_archived:
        raise ValidationError({"prerequisite": f"{_label(prerequisite)}已归档，不能设为前置知识点"})
    if node.prerequisites.filter(pk=prerequisite.pk).exists():
        raise ValidationError({"prerequisite": f"{_label(prerequisite)}已经是{_label(node)}的前置知识点"})
    # lock the district's links while checking, so two concurrent additions cannot close a loop together
    list(KnowledgeNode.objects.select_for_update().filter(pk__in=[node.pk, prerequisite.pk]))
    chain = prerequisite_path(prerequisite.pk, node.pk, _district_edges(node.district_id))
    if chain is not None:
        by_id = KnowledgeNode.objects.in_bulk(chain)
        labels = [_label(by_id[i]) for i in chain]
        raise ValidationError({"prerequisite": cycle_message(_label(node), _label(prerequisite), labels)})
    node.prerequisites.add(prerequisite)
    audit_record(
        actor=actor,
        action="knowledgenode.prerequisite_add",
        obj=node,
        changes={"prerequisites": [None, str(prerequisite)]},
    )


@transaction.atomic
def prerequisite_remove(*, actor, node: KnowledgeNode, prerequisite: KnowledgeNode) -> None:
    _require(actor, "change", node)
    if not node.prerequisites.filter(pk=prerequisite.pk).exists():
        raise ValidationError({"prerequisite": f"{_label(prerequisite)}不是{_label(node)}的前置知识点"})
    node.prerequisites.remove(prerequisite)
    audit_record(
        actor=actor,
        action="knowledgenode.prerequisite_remove",
        obj=node,
        changes={"prerequisites": [str(prerequisite), None]},
    )
