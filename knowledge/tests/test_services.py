"""Knowledge-point services: the tree (placement, codes, paths on move, order), prerequisites without loops,
archive vs delete, permissions, visibility and ``match_names``."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from knowledge import selectors, services
from knowledge.models import KnowledgeNode

pytestmark = [pytest.mark.django_db]


def make(w, actor, kind, code, name, parent=None, **kw):
    return services.node_create(
        actor=actor,
        district=w.district,
        stage="junior",
        subject=w.math,
        kind=kind,
        code=code,
        name=name,
        parent=parent,
        **kw,
    )


def test_tree_paths_depths_and_placement(world, researcher):
    w = world
    ch = make(w, researcher, "chapter", "T-1", "有理数")
    se = make(w, researcher, "section", "T-1-1", "正数和负数", ch)
    pt = make(w, researcher, "point", "T-1-1-1", "正数的概念", se)
    assert (ch.path, ch.depth) == (f"{ch.pk}/", 0)
    assert (pt.path, pt.depth) == (f"{ch.pk}/{se.pk}/{pt.pk}/", 2)
    assert sorted(selectors.node_subtree_ids(ch)) == sorted([ch.pk, se.pk, pt.pk])
    assert AuditLog.objects.filter(action="knowledgenode.create").count() == 3

    with pytest.raises(ValidationError, match="节必须放在上级节点之下"):
        make(w, researcher, "section", "T-9", "孤立的节")
    with pytest.raises(ValidationError, match="知识点不能放在知识点「T-1-1-1 正数的概念」之下"):
        make(w, researcher, "point", "T-9", "子知识点", pt)
    with pytest.raises(ValidationError, match="编码「T-1-1」已被「T-1-1 正数和负数」使用"):
        make(w, researcher, "point", "T-1-1", "重复编码", se)
    assert KnowledgeNode.objects.count() == 3


def test_move_rewrites_the_subtree_and_orders_siblings(world, researcher):
    w = world
    ch1 = make(w, researcher, "chapter", "T-1", "第一章")
    ch2 = make(w, researcher, "chapter", "T-2", "第二章")
    se = make(w, researcher, "section", "T-1-1", "一节", ch1)
    pt = make(w, researcher, "point", "T-1-1-1", "一点", se)
    make(w, researcher, "section", "T-2-1", "二章一节", ch2)

    services.node_move(actor=researcher, node=se, parent=ch2, position=0)
    pt.refresh_from_db()
    se.refresh_from_db()
    assert pt.path == f"{ch2.pk}/{se.pk}/{pt.pk}/"
    assert [n.code for n in ch2.children.order_by("order")] == ["T-1-1", "T-2-1"]
    assert selectors.node_subtree_ids(ch1) == [ch1.pk]
    # a chapter cannot go under its own section; a section cannot become a top-level node
    with pytest.raises(ValidationError, match=r"章不能放在节「T-1-1 一节」之下"):
        services.node_move(actor=researcher, node=ch2, parent=se)
    with pytest.raises(ValidationError, match="节必须放在上级节点之下"):
        services.node_move(actor=researcher, node=se, parent=None)
    # one step down among the chapter's sections
    services.node_step(actor=researcher, node=se, direction="down")
    assert [n.code for n in ch2.children.order_by("order")] == ["T-2-1", "T-1-1"]


def test_prerequisite_cycle_is_refused_with_the_loop_spelled_out(world, researcher):
    w = world
    ch = make(w, researcher, "chapter", "T-1", "有理数")
    a = make(w, researcher, "point", "A", "数轴", ch)
    b = make(w, researcher, "point", "B", "相反数", ch)
    c = make(w, researcher, "point", "C", "绝对值", ch)
    services.prerequisite_add(actor=researcher, node=b, prerequisite=a)  # 数轴 → 相反数
    services.prerequisite_add(actor=researcher, node=c, prerequisite=b)  # 相反数 → 绝对值
    with pytest.raises(ValidationError) as exc:
        services.prerequisite_add(actor=researcher, node=a, prerequisite=c)
    message = exc.value.messages[0]
    assert "不能把「C 绝对值」设为「A 数轴」的前置知识点" in message
    assert "「A 数轴」 → 「B 相反数」 → 「C 绝对值」 → 「A 数轴」" in message
    assert list(a.prerequisites.all()) == []
    with pytest.raises(ValidationError, match="不能是自己的前置知识点"):
        services.prerequisite_add(actor=researcher, node=a, prerequisite=a)
    with pytest.raises(ValidationError, match="已经是"):
        services.prerequisite_add(actor=researcher, node=b, prerequisite=a)
    assert AuditLog.objects.filter(action="knowledgenode.prerequisite_add").count() == 2

    services.prerequisite_remove(actor=researcher, node=c, prerequisite=b)
    services.prerequisite_add(actor=researcher, node=a, prerequisite=c)  # no loop any more
    assert list(a.prerequisites.values_list("code", flat=True)) == ["C"]


def test_only_the_districts_admin_and_researcher_edit(world, researcher, other):
    w = world
    ch = make(w, researcher, "chapter", "T-1", "有理数")
    for user in (w.school_admin_a, w.teacher_a, w.student_user_a1, w.parent1, other.admin, other.researcher):
        with pytest.raises(PermissionDenied):
            make(w, user, "point", "X", "越权", ch)
        with pytest.raises(PermissionDenied):
            services.node_update(actor=user, node=ch, name="改名")
    services.node_update(actor=w.district_admin, node=ch, name="有理数（修订）")
    ch.refresh_from_db()
    assert ch.name == "有理数（修订）"
    # another district's point cannot become a prerequisite here
    pt = make(w, researcher, "point", "T-1-1", "数轴", ch)
    with pytest.raises(ValidationError, match="必须属于本区县"):
        services.prerequisite_add(actor=researcher, node=pt, prerequisite=other.point)


def test_who_sees_the_tree(world, researcher, other):
    w = world
    make(w, researcher, "chapter", "T-1", "有理数")
    for user in (w.teacher_a, w.teacher_b, w.student_user_a1, w.school_admin_b, researcher):
        assert list(selectors.nodes_for(user).values_list("code", flat=True)) == ["T-1"], user
    for user in (w.parent1, other.teacher, other.admin):
        assert "T-1" not in selectors.nodes_for(user).values_list("code", flat=True), user
    assert list(selectors.nodes_for(other.teacher).values_list("code", flat=True)) == ["BL-1", "BL-1-1"]


def test_referenced_nodes_are_archived_not_deleted(world, researcher):
    w = world
    ch = make(w, researcher, "chapter", "T-1", "有理数")
    a = make(w, researcher, "point", "A", "数轴", ch)
    b = make(w, researcher, "point", "B", "相反数", ch)
    lone = make(w, researcher, "point", "L", "孤立知识点", ch)
    services.prerequisite_add(actor=researcher, node=b, prerequisite=a)

    assert services.node_remove(actor=researcher, node=lone) == "deleted"
    assert not KnowledgeNode.objects.filter(code="L").exists()
    assert services.node_remove(actor=researcher, node=a) == "archived"
    a.refresh_from_db()
    assert a.is_archived and list(b.prerequisites.all()) == [a]  # the link stays
    # a chapter with children: the whole subtree is archived, hidden from browsing
    assert services.node_remove(actor=researcher, node=ch) == "archived"
    assert KnowledgeNode.objects.filter(archived_at__isnull=True).count() == 0
    assert list(selectors.nodes_for(w.teacher_a)) == []
    with pytest.raises(ValidationError, match="已归档"):
        services.prerequisite_add(actor=researcher, node=b, prerequisite=a)
    services.node_restore(actor=researcher, node=ch)
    assert KnowledgeNode.objects.filter(archived_at__isnull=True).count() == 3


def test_match_names_maps_item_strings_to_nodes(demo_tree):
    w = demo_tree
    got = selectors.match_names(w.district, "junior", w.math, ["绝对值", " M7A-1-2-3 ", "不存在的知识点", "", "有理数"])
    assert got["绝对值"].code == "M7A-1-2-4"
    assert got[" M7A-1-2-3 "].name == "相反数"
    assert got["不存在的知识点"] is None and got[""] is None
    # 有理数 is a chapter and a section: the deeper one (section) wins
    assert got["有理数"].kind == "section"
    # another subject's tree is not searched
    assert selectors.match_names(w.district, "junior", w.chinese, ["绝对值"])["绝对值"] is None


def test_tree_by_edition_keeps_the_editions_chapters(demo_tree):
    from knowledge.models import TextbookEdition

    w = demo_tree
    bs = TextbookEdition.objects.get(code="BS-M7A")
    nodes = selectors.tree_nodes(w.teacher_a, stage="junior", subject=w.math, edition=bs)
    codes = [n.code for n in nodes]
    # the shared points with their chapter and sections, in tree order
    assert codes[:4] == ["M7A-1", "M7A-1-1", "M7A-1-1-1", "M7A-1-2"]
    assert "M7A-1-2-3" in codes and "M7A-2" not in codes and "M7B-5" not in codes
    full = selectors.tree_nodes(w.teacher_a, stage="junior", subject=w.math)
    assert len(full) > 100 and full[0].code == "M7A-1"
    assert [n.code for n in full if n.depth == 0] == [f"M7A-{i}" for i in range(1, 5)] + [
        f"M7B-{i}" for i in range(5, 11)
    ]


def test_move_with_a_kind_change_checks_the_children(world, researcher):
    w = world
    ch1 = make(w, researcher, "chapter", "T-1", "第一章")
    ch2 = make(w, researcher, "chapter", "T-2", "第二章")
    se = make(w, researcher, "section", "T-1-1", "一节", ch1)
    make(w, researcher, "point", "T-1-1-1", "一点", se)
    # a section with points cannot become a point (points would hang under a point)
    with pytest.raises(ValidationError, match="知识点不能放在知识点"):
        services.node_move(actor=researcher, node=se, parent=ch2, kind="point")
    se.refresh_from_db()
    assert (se.kind, se.parent_id) == ("section", ch1.pk)
    # a section promoted to a chapter: top level, its points one level up
    services.node_move(actor=researcher, node=se, parent=None, kind="chapter")
    se.refresh_from_db()
    assert (se.kind, se.depth, se.path) == ("chapter", 0, f"{se.pk}/")
    assert KnowledgeNode.objects.get(code="T-1-1-1").depth == 1
