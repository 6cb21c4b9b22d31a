"""The exams JSON API (/api/v1/exams/…): anonymous → 401, out of scope → 404 or filtered, in scope → the right
numbers; parents see only their children and rankings only as the district allows; teachers only their
classes; unpublished results only for the exam staff."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from core.testing import login
from exams import services
from exams.api import exams_api_scope_cases
from exams.report.compute import compute_report
from exams.tests.test_report import hand_exam

pytestmark = [pytest.mark.django_db]

P = "/api/v1/exams"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def get(user, url, **params):
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    return client_for(user).get(url)


@pytest.fixture
def hand(world):
    exam, cands, chinese, math_ = hand_exam(world)
    return world, exam, cands, chinese, math_


def urls(w, exam, cands):
    return [
        P,
        f"{P}/{exam.pk}",
        f"{P}/{exam.pk}/report/district",
        f"{P}/{exam.pk}/report/schools/{w.school_a.pk}",
        f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}",
        f"{P}/{exam.pk}/report/students/{cands['a1'].pk}",
        f"{P}/my-results",
        f"{P}/value-added?before={exam.pk}&after={exam.pk}",
    ]


def test_anonymous_is_401_everywhere(hand):
    w, exam, cands, *_ = hand
    for url in urls(w, exam, cands):
        r = Client().get(url)
        assert r.status_code == 401, url
        assert "未登录" in r.json()["detail"]


def test_scope_cases(world):
    cases = exams_api_scope_cases(world)
    assert {c.kind for c in cases} == {"list", "detail"}
    for case in cases:
        assert Client().get(case.url).status_code == 401, case
        inside = client_for(getattr(world, case.in_scope)).get(case.url)
        outside = client_for(getattr(world, case.out_of_scope)).get(case.url)
        assert inside.status_code == 200, (case, inside.content[:300])
        if case.kind == "list":
            assert inside.json()["count"] >= 1, case
            assert outside.status_code == 200 and outside.json()["count"] == 0, (case, outside.content[:300])
        else:
            assert outside.status_code == 404, (case, outside.status_code)


def test_exam_list_and_detail(hand):
    w, exam, cands, _chinese, _math = hand
    draft, *_ = hand_exam(w, publish=False, code="draft", name="七年级单元测验")
    ids = lambda r: [x["id"] for x in r.json()["items"]]  # noqa: E731
    assert ids(get(w.district_admin, P)) == [draft.pk, exam.pk]  # newest first (same date: by id)
    assert set(ids(get(w.teacher_a, P))) == {exam.pk, draft.pk}  # school A takes part in both
    assert ids(get(w.parent1, P)) == [exam.pk]  # the draft is hidden from families
    assert ids(get(w.student_user_a1, P)) == [exam.pk]
    assert ids(get(w.student_user_b1, P)) == []  # a primary pupil of school B
    assert ids(get(w.district_admin, P, status="draft")) == [draft.pk]
    assert get(w.parent1, f"{P}/{draft.pk}").status_code == 404

    body = get(w.teacher_a, f"{P}/{exam.pk}").json()
    assert body["name"] == "七年级期中联考" and body["status"] == "published" and body["scope"] == "district"
    assert [(s["name"], s["full_mark"], s["items"]) for s in body["subjects"]] == [
        ("语文", 100.0, 0),
        ("数学", 100.0, 2),
    ]
    assert {s["id"] for s in body["schools"]} == {w.school_a.pk, w.school_b.pk}
    assert body["candidates"] == 4  # teacher_a sees class a1's candidates only
    assert body["access"]["classes"] == [w.class_a1.pk] and body["access"]["results"] is True
    parent = get(w.parent1, f"{P}/{exam.pk}").json()
    assert parent["candidates"] == 1 and parent["access"]["candidates"] == [cands["a1"].pk]


def test_district_report_numbers(hand):
    w, exam, _cands, chinese, math_ = hand
    r = get(w.district_admin, f"{P}/{exam.pk}/report/district")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["id"] == w.district.pk and body["level"] == "district"
    assert body["report"]["status"] == "done"
    assert body["stats"]["total"]["mean"] == 151.0 and body["stats"]["total"]["n"] == 5
    assert body["stats"][str(chinese.pk)]["good_rate"] == 0.8
    assert [s["id"] for s in body["schools"]] == sorted([w.school_a.pk, w.school_b.pk])
    assert [ln["score"] for ln in body["lines"]] == [185.0, 170.0, 160.0]
    line_c = body["lines"][2]
    assert line_c["total_on"] == 3 and line_c["total_on_rate"] == 0.6
    assert set(body["class_compare"]["class_id"]) == {w.class_a1.pk, w.class_a2.pk, w.class_b2.pk}
    assert body["items"][str(math_.pk)]["items"][0]["difficulty"] == 0.5
    assert body["segments"]["total"]["lower"][0] == 185.0


def test_school_admin_sees_their_school(hand):
    w, exam, _cands, _chinese, math_ = hand
    body = get(w.school_admin_a, f"{P}/{exam.pk}/report/district").json()
    assert [s["id"] for s in body["schools"]] == [w.school_a.pk]
    assert set(body["class_compare"]["class_id"]) == {w.class_a1.pk, w.class_a2.pk}
    school = get(w.school_admin_a, f"{P}/{exam.pk}/report/schools/{w.school_a.pk}").json()
    assert school["id"] == w.school_a.pk and school["name"] == "镇海区蛟川中学"
    assert school["stats"][str(math_.pk)]["mean"] == round(425 / 6, 2)
    assert school["district_stats"]["total"]["mean"] == 151.0
    assert [c["id"] for c in school["classes"]] == [w.class_a1.pk, w.class_a2.pk]
    # the school's class table (from the class entries) agrees with the district-wide one
    a1, a2 = w.class_a1.pk, w.class_a2.pk
    district_cmp, school_cmp = body["class_compare"], school["class_compare"]
    assert school_cmp["class_id"] == [w.class_a1.pk, w.class_a2.pk]
    assert school_cmp["subjects"].keys() == district_cmp["subjects"].keys()
    for key, table in school_cmp["subjects"].items():
        assert table.keys() == district_cmp["subjects"][key].keys()
        for col, values in table.items():
            expected = [district_cmp["subjects"][key][col][district_cmp["class_id"].index(c)] for c in [a1, a2]]
            assert values == pytest.approx(expected, abs=0.011), (key, col)  # gap: from rounded means
    line_b = school["borderline"][1]
    assert [(x["name"], x["total"]) for x in line_b["below"]] == [("吴小红", 160.0)]
    assert get(w.school_admin_a, f"{P}/{exam.pk}/report/schools/{w.school_b.pk}").status_code == 404
    assert get(w.school_admin_b, f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}").status_code == 404


def test_teacher_sees_only_their_classes(hand):
    w, exam, cands, chinese, math_ = hand
    t = w.teacher_a  # teaches 数学 in class a1
    klass = get(t, f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}")
    assert klass.status_code == 200
    body = klass.json()
    assert body["name"] and body["teachers"][str(math_.pk)] == "陈老师"
    assert body["stats"][str(chinese.pk)]["mean"] == round(230 / 3, 2)
    assert body["school_stats"]["total"]["mean"] == 151.0
    names = [s["name"] for s in body["students"]]
    assert names[:3] == ["周小明", "吴小红", "钱一"] and len(names) == 4  # by class rank; 钱二 has no total
    assert body["students"][0]["class_rank"] == 1 and body["students"][0]["district_rank"] == 2
    assert body["items"][str(math_.pk)]["items"][0]["rate"] == 0.5  # 40 40 0 0 of 40
    assert get(t, f"{P}/{exam.pk}/report/classes/{w.class_a2.pk}").status_code == 404
    district = get(t, f"{P}/{exam.pk}/report/district").json()
    assert [s["id"] for s in district["schools"]] == [w.school_a.pk]  # the aggregates of their own school
    assert district["class_compare"]["class_id"] == [w.class_a1.pk]
    assert [r["name"] for r in district["teachers"][str(math_.pk)]] == ["陈老师"]
    school = get(t, f"{P}/{exam.pk}/report/schools/{w.school_a.pk}").json()
    assert [c["id"] for c in school["classes"]] == [w.class_a1.pk]
    assert get(t, f"{P}/{exam.pk}/report/schools/{w.school_b.pk}").status_code == 404
    # a student of their class; not one of class a2
    assert get(t, f"{P}/{exam.pk}/report/students/{cands['x1'].pk}").status_code == 200
    assert get(t, f"{P}/{exam.pk}/report/students/{cands['a2'].pk}").status_code == 404


def test_parent_sees_only_their_child_and_rankings_as_the_district_allows(hand):
    w, exam, cands, _chinese, math_ = hand
    url = f"{P}/{exam.pk}/report/students/{cands['a1'].pk}"
    body = get(w.parent1, url).json()
    assert body["id"] == cands["a1"].pk and body["candidate"]["name"] == "周小明"
    assert body["total"]["score"] == 170.0 and body["total"]["district_mean"] == 151.0
    assert body["rank_kinds"] == []
    assert not {"class_rank", "school_rank", "district_rank"} & set(body["total"])
    subjects = {s["name"]: s for s in body["subjects"]}
    assert subjects["数学"]["score"] == 90.0 and "district_rank" not in subjects["数学"]
    assert subjects["数学"]["class_mean"] == 72.5 and subjects["语文"]["district_mean"] == 76.0
    assert [ln["on"] for ln in body["lines"]] == [False, True, True]
    kp = {k["kp"]: k for k in body["items"][str(math_.pk)]["kp"]}
    assert kp["函数"]["rate"] == round(90 / 100, 4)  # 40 + 50 of 100
    # other children, the aggregated levels
    assert get(w.parent1, f"{P}/{exam.pk}/report/students/{cands['a2'].pk}").status_code == 404
    assert get(w.parent2, url).status_code == 404
    assert get(w.parent1, f"{P}/{exam.pk}/report/district").status_code == 403
    assert get(w.parent1, f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}").status_code == 404
    mine = get(w.parent1, f"{P}/my-results").json()
    assert mine["count"] == 1 and mine["items"][0]["candidate"]["name"] == "周小明"
    assert "district_rank" not in mine["items"][0]["total"]

    services.ranking_policy_set(
        actor=w.district_admin, district_id=w.district.pk, rules={"guardian": {"class_rank": True}}
    )
    body = get(w.parent1, url).json()
    assert body["rank_kinds"] == ["class_rank"]
    assert body["total"]["class_rank"] == 1 and "district_rank" not in body["total"]
    assert {s["name"]: s for s in body["subjects"]}["数学"]["class_rank"] == 1
    assert get(w.parent1, f"{P}/my-results").json()["items"][0]["total"]["class_rank"] == 1
    # the student themself: still no rankings (the policy allows them to guardians only)
    own = get(w.student_user_a1, url).json()
    assert own["rank_kinds"] == [] and own["total"]["score"] == 170.0
    assert get(w.student_user_a1, f"{P}/{exam.pk}/report/students/{cands['a1b'].pk}").status_code == 404


def test_staff_see_rankings_unless_the_policy_hides_them(hand):
    w, exam, _cands, *_ = hand
    url = f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}"
    assert get(w.head_teacher_a1, url).json()["rank_kinds"] == ["class_rank", "district_rank", "school_rank"]
    services.ranking_policy_set(
        actor=w.district_admin, district_id=w.district.pk, rules={"head_teacher": {"district_rank": False}}
    )
    body = get(w.head_teacher_a1, url).json()
    assert body["rank_kinds"] == ["class_rank", "school_rank"]
    assert all("district_rank" not in s for s in body["students"])
    assert get(w.district_admin, url).json()["students"][0]["district_rank"] == 2


def test_unpublished_results_are_for_the_exam_staff_only(world):
    w = world
    exam, cands, *_ = hand_exam(w, publish=False)
    district = f"{P}/{exam.pk}/report/district"
    student = f"{P}/{exam.pk}/report/students/{cands['a1'].pk}"
    assert get(w.district_admin, district).status_code == 200
    assert get(w.school_admin_a, district).status_code == 200
    assert get(w.school_admin_a, f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}").status_code == 200
    r = get(w.head_teacher_a1, f"{P}/{exam.pk}/report/classes/{w.class_a1.pk}")
    assert r.status_code == 403 and "尚未发布" in r.json()["detail"]
    assert get(w.teacher_a, district).status_code == 403
    assert get(w.head_teacher_a1, student).status_code == 403
    assert get(w.parent1, student).status_code == 404
    assert get(w.student_user_a1, student).status_code == 404
    assert get(w.parent1, f"{P}/my-results").json()["count"] == 0
    services.exam_publish(actor=w.district_admin, exam=exam)
    assert get(w.parent1, student).status_code == 200
    assert get(w.head_teacher_a1, student).status_code == 200


def test_report_follows_corrections(hand):
    w, exam, cands, chinese, _math = hand
    url = f"{P}/{exam.pk}/report/district"
    assert get(w.district_admin, url).json()["stats"][str(chinese.pk)]["mean"] == 76.0
    services.score_set(
        actor=w.district_admin, candidate=cands["y1"], exam_subject=chinese, value=100, reason="登分错误"
    )
    body = get(w.district_admin, url).json()
    assert body["report"]["status"] == "done"
    assert body["stats"][str(chinese.pk)]["mean"] == 84.0


def test_value_added_endpoint_scope(hand):
    w, later, _cands, _chinese, _math = hand
    earlier, *_ = hand_exam(w, code="before", name="七年级月考")
    compute_report(earlier)
    url = f"{P}/value-added?before={earlier.pk}&after={later.pk}"
    body = get(w.district_admin, url).json()
    assert body["model"]["n"] == 5 and body["model"]["slope"] == 1.0  # the same scores twice
    assert {r["id"] for r in body["groups"]["class"]} == {w.class_a1.pk, w.class_a2.pk}
    mine = get(w.teacher_a, url, klass=w.class_a1.pk).json()
    assert [r["id"] for r in mine["groups"]["class"]] == [w.class_a1.pk]
    assert mine["groups"]["school"] == []
    assert [r["name"] for r in mine["groups"]["teacher"]] == ["王班主任"]  # the total: the 班主任
    by_subject = get(w.teacher_a, url, subject=w.math.pk).json()
    assert [r["name"] for r in by_subject["groups"]["teacher"]] == ["陈老师"]  # 数学: its 任课教师
    assert sorted(s["name"] for s in mine["students"]) == ["吴小红", "周小明", "钱一"]
    assert get(w.teacher_a, url, klass=w.class_a2.pk).status_code == 404
    assert get(w.parent1, url).status_code == 403
    assert get(w.student_user_b1, url).status_code == 404
    assert get(w.district_admin, url, level="school").json()["groups"].keys() == {"school"}
