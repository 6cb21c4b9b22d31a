"""Excel import/export of the tree: the demo file, idempotent re-import, updates by code, row errors in Chinese
that write nothing (unknown 学段/学科/版本/前置, duplicate and conflicting codes, loops), unusable files,
permissions, the export round trip and the CLI."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from openpyxl import load_workbook

from core.models import AuditLog
from knowledge.demo_data import demo_rows, demo_workbook
from knowledge.importer import HEADERS, ImportFileError, export_rows, import_tree, template_bytes
from knowledge.models import KnowledgeNode, TextbookEdition
from knowledge.selectors import tree_nodes

from .conftest import node, xlsx

pytestmark = [pytest.mark.django_db]


def run(w, data, actor=None, **kw):
    return import_tree(district=w.district, actor=actor, data=data, filename="知识点.xlsx", **kw)


def test_demo_file_imports_and_reimport_changes_nothing(demo_tree, researcher):
    w = demo_tree
    rows = demo_rows()
    assert KnowledgeNode.objects.filter(district=w.district).count() == len(rows) == 176
    math_points = KnowledgeNode.objects.filter(subject=w.math, kind="point").count()
    assert 80 <= math_points <= 120
    neg = node(w, "M7A-1-2-3")
    assert neg.name == "相反数" and neg.depth == 2 and neg.parent.code == "M7A-1-2"
    assert [p.code for p in neg.prerequisites.all()] == ["M7A-1-2-2"]
    assert sorted(e.code for e in neg.editions.all()) == ["BS-M7A", "RJ-M7A"]
    assert node(w, "C7A-1-3-1", "语文").name == "比喻"

    audits = AuditLog.objects.filter(action="knowledgenode.import").count()
    result = run(w, demo_workbook(), researcher)
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 176)
    assert AuditLog.objects.filter(action="knowledgenode.import").count() == audits + 1


def test_reimport_updates_by_code_moves_and_replaces_links(demo_tree, researcher):
    w = demo_tree
    rows = [
        [
            "初中",
            "数学",
            "M7A-1",
            "有理数",
            "M7A-1-1",
            "正数和负数",
            "M7A-1-2-3",
            "相反数（修订）",
            "新说明",
            "RJ-M7A",
            "",
        ],
        ["初中", "数学", "M7A-9", "新章", "", "", "", "", "", "", ""],
        ["初中", "数学", "M7A-9", "新章", "", "", "M7A-9-0-1", "新知识点", "", "", "M7A-1-2-3、M7A-1-2-2"],
    ]
    result = run(w, xlsx(rows), researcher)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 1)  # the new chapter and point; 相反数 changed
    neg = node(w, "M7A-1-2-3")
    sec = node(w, "M7A-1-1")
    assert neg.name == "相反数（修订）" and neg.description == "新说明"
    assert neg.parent == sec and neg.path == f"{sec.path}{neg.pk}/"
    assert list(neg.prerequisites.all()) == []  # empty cell clears the list
    assert [e.code for e in neg.editions.all()] == ["RJ-M7A"]
    new = node(w, "M7A-9-0-1")
    assert new.parent.code == "M7A-9" and new.depth == 1
    assert sorted(new.prerequisites.values_list("code", flat=True)) == ["M7A-1-2-2", "M7A-1-2-3"]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["高校", "数学", "X-1", "章"], "学段", "「高校」不是学段，应为 小学、初中 或 高中"),
        (["初中", "天文", "X-1", "章"], "学科", "本区县没有学科「天文」"),
        (["初中", "数学", "X-1", ""], "章名称", "编码「X-1」缺少名称"),
        (["初中", "数学", "X 1", "章"], "章编码", "编码「X 1」只能由字母"),
        (
            ["初中", "数学", "X-1", "章", "", "", "X-1-1", "点", "", "RJ-M9A"],
            "教材版本",
            "没有教材版本「RJ-M9A」",
        ),
        (
            ["初中", "数学", "X-1", "章", "", "", "X-1-1", "点", "", "", "NOPE-1"],
            "前置知识点",
            "找不到编码为「NOPE-1」的知识点",
        ),
        (["初中", "数学", "X-1", "章", "", "", "X-1-1", "点", "", "", "X-1-1"], "前置知识点", "不能是自己的前置知识点"),
    ],
)
def test_row_errors_name_row_and_column_and_write_nothing(demo_tree, researcher, row, column, message):
    w = demo_tree
    before = KnowledgeNode.objects.count()
    good = ["初中", "数学", "OK-1", "正常的章", "", "", "", "", "", "", ""]
    result = run(w, xlsx([good, row + [""] * (11 - len(row))]), researcher)
    assert not result.ok
    [err] = result.errors
    assert (err.row, err.column) == (3, column)
    assert message in err.message
    assert KnowledgeNode.objects.count() == before


def test_duplicate_and_conflicting_codes(world, researcher):
    rows = [
        ["初中", "数学", "A-1", "第一章", "", "", "A-1-1", "点一", "", "", ""],
        ["初中", "数学", "A-1", "第一章", "", "", "A-1-1", "点一", "", "", ""],
        ["初中", "数学", "A-1", "第一章（别名）", "", "", "A-1-2", "点二", "", "", ""],
        ["初中", "数学", "A-2", "第二章", "", "", "A-1", "把章编码当知识点", "", "", ""],
    ]
    result = run(world, xlsx(rows), researcher)
    messages = [str(e) for e in result.errors]
    assert messages == [
        "行 3, 列「知识点编码」: 知识点编码「A-1-1」与第 2 行重复",
        "行 4, 列「章名称」: 章「A-1」在第 2 行名为「第一章」，这里为「第一章（别名）」",
        "行 5, 列「知识点编码」: 编码「A-1」在第 2 行是章，这里又用作知识点",
    ]
    assert KnowledgeNode.objects.count() == 0


def test_prerequisite_loops_are_refused_in_the_file_and_against_the_database(demo_tree, researcher):
    w = demo_tree
    # inside the file: P1 needs P2, P2 needs P1
    rows = [
        ["初中", "数学", "L-1", "循环章", "", "", "L-1-1", "甲", "", "", "L-1-2"],
        ["初中", "数学", "L-1", "循环章", "", "", "L-1-2", "乙", "", "", "L-1-1"],
    ]
    result = run(w, xlsx(rows), researcher)
    [err] = result.errors
    assert err.row == 3 and err.column == "前置知识点"
    assert "「L-1-2 乙」 → 「L-1-1 甲」 → 「L-1-2 乙」" in err.message
    # against the database: 数轴 (M7A-1-2-2) would need 绝对值, which already needs 数轴
    rows = [["初中", "数学", "M7A-1", "有理数", "M7A-1-2", "有理数", "M7A-1-2-2", "数轴", "", "RJ-M7A", "M7A-1-2-4"]]
    result = run(w, xlsx(rows), researcher)
    [err] = result.errors
    assert "形成循环" in err.message and "「M7A-1-2-4 绝对值」" in err.message
    assert list(node(w, "M7A-1-2-2").prerequisites.values_list("code", flat=True)) == ["M7A-1-2-1"]


def test_unusable_files_and_permissions(world, researcher):
    with pytest.raises(ImportFileError, match="只支持 Excel"):
        import_tree(district=world.district, actor=researcher, data=b"hello", filename="a.txt")
    with pytest.raises(ImportFileError, match="没有找到表头"):
        run(world, xlsx([["x"]], headers=["姓名", "身份证件号"]), researcher)
    with pytest.raises(ImportFileError, match="缺少必填列：「章名称」"):
        run(world, xlsx([["初中", "数学", "A"]], headers=["学段", "学科", "章编码"]), researcher)
    with pytest.raises(PermissionDenied):
        run(world, xlsx([["初中", "数学", "A-1", "章"]]), world.school_admin_a)
    # the template itself imports (its example rows need the RJ-M7A edition)
    from knowledge import services

    services.edition_create(
        actor=researcher, district=world.district, stage="junior", subject=world.math, name="人教版", code="RJ-M7A"
    )
    result = run(world, template_bytes(), researcher)
    assert result.ok and result.created == 5


def test_export_reimports_without_changes(demo_tree, researcher):
    w = demo_tree
    nodes = tree_nodes(w.teacher_a, stage="junior", subject=w.math)
    rows = export_rows(nodes)
    assert rows[0][:4] == ["初中", "数学", "M7A-1", "有理数"]
    neg = next(r for r in rows if r[6] == "M7A-1-2-3")
    assert neg[9] == "RJ-M7A、BS-M7A" and neg[10] == "M7A-1-2-2"
    result = run(w, xlsx(rows), researcher)
    assert result.ok and result.created == 0 and result.updated == 0


def test_cli_imports_and_reports_errors(world, tmp_path, capsys):
    good = tmp_path / "tree.xlsx"
    good.write_bytes(xlsx([["初中", "数学", "A-1", "第一章", "", "", "A-1-1", "点一", "", "", ""]]))
    call_command("knowledge_import", str(good), "--district", world.district.region.code)
    assert "新建 2 个节点" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["初中", "天文", "A-1", "第一章"]]))
    report = tmp_path / "report.xlsx"
    with pytest.raises(SystemExit) as exc:
        call_command("knowledge_import", str(bad), "--district", str(world.district.pk), "--report", str(report))
    assert exc.value.code == 1
    assert "本区县没有学科「天文」" in capsys.readouterr().out
    ws = load_workbook(io.BytesIO(report.read_bytes())).active
    assert ws.cell(1, len(HEADERS) + 1).value == "错误说明"
    with pytest.raises(SystemExit) as exc:
        call_command("knowledge_import", str(good), "--district", "999999")
    assert exc.value.code == 2


def test_cross_subject_prerequisites_round_trip(demo_tree, researcher):
    from knowledge import services

    w = demo_tree
    reading = node(w, "C7A-2-1-2", "语文")  # 记叙的顺序
    services.prerequisite_add(actor=researcher, node=reading, prerequisite=node(w, "M7A-1-1-1"))
    rows = export_rows(tree_nodes(w.teacher_a, stage="junior", subject=w.chinese))
    row = next(r for r in rows if r[6] == "C7A-2-1-2")
    assert row[10] == "初中数学:M7A-1-1-1"
    result = run(w, xlsx(rows), researcher)
    assert result.ok and (result.created, result.updated) == (0, 0)
    assert [p.code for p in reading.prerequisites.all()] == ["M7A-1-1-1"]
    row[10] = "初中物理:P-1"
    [err] = run(w, xlsx(rows), researcher).errors
    assert err.column == "前置知识点" and "找不到编码为「初中物理:P-1」的知识点" in err.message
    row[10] = "高校天文:X"
    [err] = run(w, xlsx(rows), researcher).errors
    assert "「高校天文」不是“学段+学科”（如 初中数学）" in err.message


def test_full_edition_labels_create_the_edition(world, researcher):
    rows = [
        ["初中", "数学", "A-1", "第一章", "", "", "A-1-1", "点一", "", "北师大版 八年级上册", ""],
        ["初中", "数学", "A-1", "第一章", "", "", "A-1-2", "点二", "", "北师大版八年级上册、人教版 八年级上册", ""],
    ]
    check = run(world, xlsx(rows), researcher, dry_run=True)
    assert check.ok and "将新建教材版本：北师大版 八年级上册（编码 北师大版-八年级上册）" in check.warnings[0]
    assert not TextbookEdition.objects.exists()
    result = run(world, xlsx(rows), researcher)
    assert result.ok
    bs = TextbookEdition.objects.get(name="北师大版")
    assert (bs.grade_label, bs.volume, bs.publisher, bs.stage) == ("八年级", "上册", "北京师范大学出版社", "junior")
    assert TextbookEdition.objects.count() == 2
    assert sorted(node(world, "A-1-2").editions.values_list("name", flat=True)) == ["人教版", "北师大版"]
    assert AuditLog.objects.filter(action="textbookedition.create").count() == 2
    # the second time they are found, not created again
    assert run(world, xlsx(rows), researcher).warnings == []
