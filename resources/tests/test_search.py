"""Chinese full-text search (jieba + FTS5 / tsvector): finds by title, tags, knowledge points and document text,
ranks title hits first, filters facets, sorts, and never shows what the user may not see."""

import pytest

from resources import services
from resources.models import Level
from resources.samples import docx_bytes
from resources.search import search
from resources.testing import make_resource

from .helpers import upload

pytestmark = pytest.mark.django_db


def titles(qs) -> list[str]:
    return [r.title for r in qs]


@pytest.fixture
def lib(kworld):
    w = kworld
    mk = make_resource
    w.r_add = mk(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.DISTRICT,
        title="人教版七年级数学上册《有理数的加法》优质课件",
        description="通过数轴演示同号、异号两数相加。",
        tags="公开课",
    )
    w.r_add_plan = mk(
        w,
        owner=w.teacher_a,
        school=w.school_a,
        level=Level.DISTRICT,
        kind="lesson_plan",
        title="有理数加法教学设计",
        description="教学目标：理解有理数加法法则。",
    )
    w.r_equation = mk(
        w,
        owner=w.teacher_b,
        school=w.school_b,
        level=Level.DISTRICT,
        kind="paper",
        title="一元一次方程单元测试卷",
        description="含有理数运算的综合练习，适合单元复习。",
    )
    w.r_poem = mk(
        w,
        owner=w.teacher_b,
        school=w.school_b,
        level=Level.DISTRICT,
        kind="guide",
        subject=w.chinese,
        title="《春》朱自清 学习任务单",
        description="朗读课文，体会比喻和拟人的修辞。",
    )
    w.r_school_b = mk(
        w, owner=w.teacher_b, school=w.school_b, level=Level.SCHOOL, title="有理数的加法 分层作业（骆驼学校校本）"
    )
    w.r_private = mk(w, owner=w.head_teacher_a1, school=w.school_a, title="有理数的加法 个人草稿")
    return w


def test_chinese_query_finds_by_words_not_substrings(lib):
    w = lib
    got = titles(search(w.teacher_a, "有理数的加法"))
    assert set(got) == {w.r_add.title, w.r_add_plan.title}  # both words required: 有理数运算 alone is not enough
    # a title hit ranks above a description hit
    got = titles(search(w.teacher_a, "有理数"))
    assert got[-1] == w.r_equation.title and len(got) == 3
    assert titles(search(w.teacher_a, "朱自清"))[0] == w.r_poem.title
    assert titles(search(w.teacher_a, "修辞")) == [w.r_poem.title]  # description words are searched too


def test_all_words_first_any_word_when_nothing_matches_all(lib):
    w = lib
    assert titles(search(w.teacher_a, "一元一次方程 测试卷")) == [w.r_equation.title]
    # "方程 朗读" has no resource with both words: any word is enough then
    got = set(titles(search(w.teacher_a, "方程 朗读")))
    assert got == {w.r_equation.title, w.r_poem.title}


def test_search_starts_from_what_the_user_may_see(lib):
    w = lib
    a = titles(search(w.teacher_a, "有理数"))
    b = titles(search(w.teacher_b, "有理数"))
    assert w.r_school_b.title not in a and w.r_school_b.title in b
    assert w.r_private.title not in a and w.r_private.title not in b
    assert w.r_private.title in titles(search(w.head_teacher_a1, "个人草稿"))
    assert titles(search(w.parent1, "有理数")) == []


def test_syntax_characters_in_queries_are_harmless(lib):
    w = lib
    for q in ['"', "有理数 AND", "NEAR(", "*", "加法 OR -", "' ; DROP TABLE resources_resource; --"]:
        list(search(w.teacher_a, q))  # no database error
    assert search(w.teacher_a, "").count() == 4  # the four 区级 items


def test_facets_and_sorts(lib):
    w = lib
    assert set(titles(search(w.teacher_a, "", kind="paper"))) == {w.r_equation.title}
    assert set(titles(search(w.teacher_a, "", subject=w.chinese.pk))) == {w.r_poem.title}
    assert set(titles(search(w.teacher_b, "", level="school"))) == {w.r_school_b.title}
    services.resource_rate(actor=w.head_teacher_a1, resource=w.r_equation, stars=5)
    services.resource_download_record(actor=w.head_teacher_a1, resource=w.r_poem)
    assert titles(search(w.teacher_a, "", sort="rating"))[0] == w.r_equation.title
    assert titles(search(w.teacher_a, "", sort="downloads"))[0] == w.r_poem.title
    assert titles(search(w.teacher_a, "", sort="newest"))[0] == w.r_poem.title


def test_knowledge_point_facet_includes_the_subtree_and_text_from_documents(lib):
    w = lib
    r = upload(
        w,
        w.teacher_a,
        docx_bytes("课堂练习", ["本节练习聚焦数轴上的点与相反数，附分层作业。"]),
        filename="练习.docx",
        title="第一章课堂练习",
        kind="guide",
        knowledge_points=[w.kp_add],
    )
    services.resource_submit(actor=w.teacher_a, resource=r)
    services.resource_school_approve(actor=w.school_admin_a, resource=r)
    assert titles(search(w.head_teacher_a1, "相反数")) == [r.title]  # found by the document's own text
    assert titles(search(w.head_teacher_a1, "", knowledge_point=w.ch_rational.pk)) == [r.title]  # chapter → its points
    assert titles(search(w.head_teacher_a1, "", knowledge_point=w.kp_mul.pk)) == []
    # the knowledge point's name is searchable too
    assert r.title in titles(search(w.head_teacher_a1, "有理数的加法"))


def test_reindex_command_rebuilds_the_index(lib):
    from django.core.management import call_command

    from resources.models import Resource

    w = lib
    Resource.objects.filter(pk=w.r_poem.pk).update(search_title="", search_text="")  # e.g. rows written in bulk
    assert titles(search(w.teacher_a, "朱自清")) == []
    call_command("resources_reindex", "--district", str(w.district.pk), stdout=__import__("io").StringIO())
    assert titles(search(w.teacher_a, "朱自清")) == [w.r_poem.title]
