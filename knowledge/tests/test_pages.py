"""Knowledge pages through the Django test client: browse with lazily opened children, search, node detail
(prerequisites, unlocks, graph data, usage extension), adding a prerequisite and the cycle message, editing and
moving, editions, import with errors, export, and who is refused."""

import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.testing import login
from knowledge import extensions
from knowledge.models import KnowledgeNode, TextbookEdition

from .conftest import node, xlsx

pytestmark = [pytest.mark.django_db]


def client_for(client, user):
    login(client, user)
    return client


def tree_url(w, **extra):
    params = "&".join(f"{k}={v}" for k, v in {"stage": "junior", "subject": w.math.pk, **extra}.items())
    return reverse("knowledge:index") + "?" + params


def test_browse_tree_children_and_search(client, demo_tree):
    w = demo_tree
    c = client_for(client, w.student_user_a1)
    html = c.get(tree_url(w)).content.decode()
    assert "几何图形初步" in html and "相交线与平行线" in html  # chapters of both books
    assert "正数和负数" not in html  # sections load on demand
    chapter = node(w, "M7A-1")
    html = c.get(reverse("knowledge:children"), {"parent": chapter.pk, "stage": "junior", "subject": w.math.pk})
    html = html.content.decode()
    assert "正数和负数" in html and "有理数的乘方" in html and "相交线" not in html
    # search: Chinese substring over name/code/说明, with the node's place in the tree
    html = c.get(reverse("knowledge:index"), {"q": "平方根"}).content.decode()
    assert "算术平方根" in html and "实数 › 平方根" in html
    assert "没有找到" in c.get(reverse("knowledge:index"), {"q": "微积分"}).content.decode()
    # by edition: 北师大版 has only the shared number points
    bs = TextbookEdition.objects.get(code="BS-M7A")
    html = c.get(tree_url(w, edition=bs.pk)).content.decode()
    assert "有理数" in html and "几何图形初步" not in html


def test_node_detail_shows_prerequisites_unlocks_graph_and_usage(client, demo_tree):
    w = demo_tree
    absval = node(w, "M7A-1-2-4")

    def usage(request, n):
        return [{"label": "示例资源", "count": 3 if n == absval else 0, "url": "/resources/?k=1"}]

    def broken(request, n):
        raise RuntimeError("boom")

    extensions.register_node_usage(usage)
    extensions.register_node_usage(broken)
    try:
        c = client_for(client, w.teacher_a)
        r = c.get(reverse("knowledge:node_detail", args=[absval.pk]))
        html = r.content.decode()
    finally:
        extensions._USAGE.remove(usage)
        extensions._USAGE.remove(broken)
    assert r.status_code == 200
    prereqs = html.split('data-testid="prerequisites"')[1].split("</ul>")[0]
    assert "数轴" in prereqs and "相反数" in prereqs
    unlocks = html.split('data-testid="unlocks"')[1].split("</ul>")[0]
    assert "有理数的大小比较" in unlocks and "有理数的加法法则" in unlocks
    graph = json.loads(re.search(r'<script id="kn-graph-data" type="application/json">(.*?)</script>', html).group(1))
    names = {n["name"]: n["level"] for n in graph["nodes"]}
    assert names["绝对值"] == 0 and names["数轴"] == -1 and names["有理数的加法法则"] == 1
    assert names["有理数的概念与分类"] == -2  # two steps back
    assert "示例资源" in html and ">3<" in html
    assert 'data-testid="prereq-form"' not in html  # teachers do not edit


def test_researcher_adds_a_prerequisite_and_a_loop_is_refused(client, demo_tree, researcher):
    w = demo_tree
    c = client_for(client, researcher)
    numline = node(w, "M7A-1-2-2")
    compare = node(w, "M7A-1-2-5")  # 有理数的大小比较 needs 绝对值, which needs 数轴
    url = reverse("knowledge:prerequisite_add", args=[numline.pk])
    html = c.post(url, {"prerequisite": compare.pk}, follow=True).content.decode()
    assert "形成循环" in html
    assert "「M7A-1-2-2 数轴」 → 「M7A-1-2-4 绝对值」 → 「M7A-1-2-5 有理数的大小比较」 → 「M7A-1-2-2 数轴」" in html
    assert not numline.prerequisites.filter(pk=compare.pk).exists()

    science = node(w, "M7B-10-1-2")  # 总体、个体、样本与样本容量
    html = c.post(
        reverse("knowledge:prerequisite_add", args=[science.pk]),
        {"prerequisite": node(w, "M7A-1-1-1").pk},
        follow=True,
    ).content.decode()
    assert "已添加前置知识点「正数和负数的概念」" in html
    assert list(science.prerequisites.values_list("code", flat=True)) == ["M7A-1-1-1"]
    c.post(reverse("knowledge:prerequisite_remove", args=[science.pk, node(w, "M7A-1-1-1").pk]))
    assert not science.prerequisites.exists()


def test_create_edit_move_and_remove_nodes(client, demo_tree, researcher):
    w = demo_tree
    c = client_for(client, researcher)
    chapter = node(w, "M7A-1")
    r = c.post(
        reverse("knowledge:node_create") + f"?stage=junior&subject={w.math.pk}&parent={chapter.pk}",
        {"kind": "section", "parent": chapter.pk, "code": "M7A-1-6", "name": "有理数复习", "description": ""},
    )
    new = node(w, "M7A-1-6")
    assert r.status_code == 302 and new.parent == chapter and new.depth == 1
    # a clashing code comes back on the form
    r = c.post(
        reverse("knowledge:node_create") + f"?stage=junior&subject={w.math.pk}",
        {"kind": "chapter", "parent": "", "code": "M7A-2", "name": "重复"},
    )
    assert "编码「M7A-2」已被「M7A-2 整式的加减」使用" in r.content.decode()
    # move a section (with its points) to another chapter through the edit form
    sec = node(w, "M7A-1-5")  # 有理数的乘方
    target = node(w, "M7A-2")
    r = c.post(
        reverse("knowledge:node_edit", args=[sec.pk]),
        {"kind": "section", "parent": target.pk, "code": "M7A-1-5", "name": "有理数的乘方"},
    )
    assert r.status_code == 302
    point = node(w, "M7A-1-5-3")  # 科学记数法
    assert point.path.startswith(target.path) and point.depth == 2
    # remove: the new empty section is deleted; a referenced point is archived
    c.post(reverse("knowledge:node_remove", args=[new.pk]))
    assert not KnowledgeNode.objects.filter(code="M7A-1-6").exists()
    c.post(reverse("knowledge:node_remove", args=[point.pk]))
    point.refresh_from_db()
    assert point.is_archived
    assert (
        "科学记数法"
        not in c.get(reverse("knowledge:index"), {"q": "科学记数法"}).content.decode().split('data-testid="results"')[1]
    )


def test_import_page_shows_row_errors_and_writes_nothing(client, world, researcher):
    c = client_for(client, researcher)
    data = xlsx(
        [["初中", "天文", "A-1", "第一章"], ["初中", "数学", "A-1", "第一章", "", "", "A-1-1", "点", "", "", "NOPE"]]
    )
    r = c.post(reverse("knowledge:import"), {"file": io.BytesIO(data)}, format="multipart")
    html = r.content.decode()
    assert "发现 2 处错误，未写入任何数据" in html
    assert "本区县没有学科「天文」" in html and "找不到编码为「NOPE」的知识点" in html
    assert KnowledgeNode.objects.count() == 0
    report_url = re.search(r'href="([^"]+)" data-testid="error-report"', html).group(1)
    ws = load_workbook(io.BytesIO(c.get(report_url).content)).active
    assert ws.cell(2, 12).value.startswith("「学科」本区县没有学科「天文」")
    assert c.get(report_url.replace("/report/", "/report/x")).status_code == 404
    upload = io.BytesIO(xlsx([["初中", "数学", "A-1", "第一章", "", "", "A-1-1", "点", "", "", ""]]))
    upload.name = "ok.xlsx"
    r = c.post(reverse("knowledge:import"), {"file": upload}, follow=True)
    assert "新建 2 个节点" in r.content.decode()
    bad = io.BytesIO(b"not a spreadsheet")
    bad.name = "x.txt"
    assert "只支持 Excel" in c.post(reverse("knowledge:import"), {"file": bad}).content.decode()


def test_export_file_matches_the_tree(client, demo_tree):
    w = demo_tree
    c = client_for(client, w.teacher_a)
    r = c.get(reverse("knowledge:export"), {"stage": "junior", "subject": w.chinese.pk})
    assert r["Content-Disposition"].startswith("attachment")
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("学段", "学科", "章编码", "章名称")
    assert len(rows) - 1 == KnowledgeNode.objects.filter(subject=w.chinese).count()
    assert rows[1][:4] == ("初中", "语文", "C7A-1", "积累与运用")


def test_editions_page_and_create(client, world, researcher):
    c = client_for(client, researcher)
    r = c.post(
        reverse("knowledge:edition_create"),
        {
            "stage": "junior",
            "subject": world.math.pk,
            "name": "人教版",
            "grade_label": "八年级",
            "volume": "上册",
            "publisher": "人民教育出版社",
            "code": "RJ-M8A",
            "order": 1,
        },
    )
    assert r.status_code == 302
    html = c.get(reverse("knowledge:edition_list")).content.decode()
    assert "人教版 八年级上册" in html and "RJ-M8A" in html
    r = c.post(
        reverse("knowledge:edition_create"),
        {"stage": "junior", "subject": world.math.pk, "name": "人教版", "code": "RJ-M8A"},
    )
    assert "版本编码「RJ-M8A」已被「人教版 八年级上册」使用" in r.content.decode()


def test_refusals(client, demo_tree, other):
    w = demo_tree
    point = node(w, "M7A-1-2-4")
    # a parent has no grant on the tree; another district's teacher sees only their own tree
    c = client_for(client, w.parent1)
    assert c.get(reverse("knowledge:index")).status_code == 403
    assert c.get(reverse("knowledge:node_detail", args=[point.pk])).status_code == 403
    client.logout()
    c = client_for(client, other.teacher)
    assert c.get(reverse("knowledge:node_detail", args=[point.pk])).status_code == 404
    html = c.get(reverse("knowledge:index")).content.decode()
    assert "北仑章" in html and "有理数" not in html
    assert c.get(reverse("knowledge:index"), {"q": "绝对值"}).content.decode().count("M7A-1-2-4") == 0
    # another district's researcher cannot edit this district's node
    client.logout()
    c = client_for(client, other.researcher)
    r = c.post(reverse("knowledge:prerequisite_add", args=[point.pk]), {"prerequisite": node(w, "M7A-1-1-1").pk})
    assert r.status_code == 404
    # a school admin may look but not edit
    client.logout()
    c = client_for(client, w.school_admin_a)
    assert c.get(reverse("knowledge:node_detail", args=[point.pk])).status_code == 200
    assert c.get(reverse("knowledge:node_edit", args=[point.pk])).status_code == 403
    assert c.post(reverse("knowledge:node_remove", args=[point.pk])).status_code == 403
    assert c.get(reverse("knowledge:import")).status_code == 403
    point.refresh_from_db()
    assert not point.is_archived


def test_query_counts_do_not_grow_with_the_tree(client, demo_tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = demo_tree
    c = client_for(client, w.teacher_a)
    counts = []
    for subject, chapter in [(w.chinese, "C7A-1"), (w.math, "M7A-1")]:  # 40 and 136 nodes
        params = {"stage": "junior", "subject": subject.pk}
        c.get(reverse("knowledge:index"), params)
        with CaptureQueriesContext(connection) as q1:
            c.get(reverse("knowledge:index"), params)
        with CaptureQueriesContext(connection) as q2:
            c.get(reverse("knowledge:children"), {**params, "parent": node(w, chapter, subject.name).pk})
        with CaptureQueriesContext(connection) as q3:
            c.get(reverse("knowledge:node_detail", args=[node(w, chapter, subject.name).pk]))
        counts.append((len(q1), len(q2), len(q3)))
    assert counts[0] == counts[1], counts


def test_big_trees_take_the_prerequisite_by_code(client, demo_tree, researcher, monkeypatch):
    from knowledge import views

    monkeypatch.setattr(views, "MAX_SELECT", 10)
    w = demo_tree
    c = client_for(client, researcher)
    target = node(w, "M7B-9-1-2")  # 不等式的性质
    html = c.get(reverse("knowledge:node_detail", args=[target.pk])).content.decode()
    assert 'name="code"' in html and 'id="kn-prereq"' not in html
    html = c.post(
        reverse("knowledge:prerequisite_add", args=[target.pk]), {"code": "M7A-1-2-4"}, follow=True
    ).content.decode()
    assert "已添加前置知识点「绝对值」" in html
    html = c.post(reverse("knowledge:prerequisite_add", args=[target.pk]), {"code": "NOPE"}, follow=True)
    assert "本学科找不到编码为「NOPE」的知识点" in html.content.decode()
