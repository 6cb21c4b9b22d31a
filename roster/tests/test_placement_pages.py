"""分班 pages as a school admin meets them: a new 一年级 imported into one provisional class is previewed,
adjusted by hand and placed into balanced classes; scores come from an uploaded sheet; plans cannot be forged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re

import pytest
from django.core import signing
from django.test import Client
from openpyxl import Workbook

from core.demo.names import NameMaker
from core.models import AuditLog, Class, Grade, Student, StudentStatus
from core.testing import login, make_person
from roster import services
from roster.models import ChangeKind, RosterChange, StudentProfile

pytestmark = pytest.mark.django_db

URL_NAMES = {
    "roster:school_placement",
    "roster:grade_placement",
    "roster:grade_placement_preview",
    "roster:grade_placement_apply",
}


# --- helpers ---------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def new_cohort(w, n: int = 40, seed: int = 7):
    """School B's new 一年级: ``n`` pupils imported into the provisional class 一年级（1）班, every ninth one
    随班就读."""
    rng = random.Random(seed)
    names = NameMaker(rng)
    year = w.term.academic_year.start_year
    grade = Grade.objects.create(school=w.school_b, stage="primary", entry_year=year)
    pool = Class.objects.create(school=w.school_b, grade=grade, number=1, alias="新生临时班")
    students = []
    for i in range(n):
        gender = rng.choice("12")
        person = make_person(names.full(gender), born=dt.date(year - 6, 1 + i % 12, 1 + i % 28), gender=gender)
        st = Student.objects.create(
            person=person,
            district=w.district,
            school=w.school_b,
            klass=pool,
            student_no=f"G{person.id_number}",
            class_no=i + 1,
        )
        if i % 9 == 0:
            StudentProfile.objects.create(student=st, with_class_study="1")
        students.append(st)
    return grade, pool, students


def urls(grade) -> tuple[str, str, str]:
    base = f"/roster/grades/{grade.pk}/placement/"
    return base, base + "preview/", base + "apply/"


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def scores_for(students, seed: int = 3) -> dict[int, int]:
    rng = random.Random(seed)
    return {s.pk: rng.randint(60, 100) for s in students}


def placed(students) -> dict[int, int]:
    """student id → class number, from the database."""
    return dict(Student.objects.filter(pk__in=[s.pk for s in students]).values_list("pk", "klass__number"))


def nothing_written(grade, pool, students) -> None:
    assert list(Class.objects.filter(grade=grade).values_list("pk", flat=True)) == [pool.pk]
    assert not RosterChange.objects.filter(kind=ChangeKind.PLACE).exists()
    assert set(Student.objects.filter(pk__in=[s.pk for s in students]).values_list("klass", flat=True)) == {pool.pk}
    assert not AuditLog.objects.filter(action__in=["roster.cohort_place", "class.create"]).exists()


# --- the form page ----------------------------------------------------------------------------------------


def test_form_page_shows_the_cohort(world):
    grade, _pool, _students = new_cohort(world)
    page_url, _, _ = urls(grade)
    r = client_for(world.school_admin_b).get(page_url)
    assert r.status_code == 200
    html = r.content.decode()
    assert world.school_b.name in html and "一年级" in html
    assert "在读学生 <strong>40</strong> 人" in html
    assert "临时班级" in html  # the help text explains the provisional class
    assert r.context["student_count"] == 40
    assert [(c.number, c.n) for c in r.context["classes"]] == [(1, 40)]
    assert r.context["form"]["class_count"].value() == 1  # default: the current number of classes
    assert 'name="scores"' in html and 'value="spread"' in html


# --- preview ---------------------------------------------------------------------------------------------


def test_preview_balances_the_cohort_and_writes_nothing(world):
    grade, pool, students = new_cohort(world)
    _, preview_url, _ = urls(grade)
    r = client_for(world.school_admin_b).post(preview_url, {"class_count": 3, "weights": "mean"})
    assert r.status_code == 200
    ctx = r.context
    summary = ctx["summary"]
    assert [row["number"] for row in summary] == [1, 2, 3]
    assert sorted(row["size"] for row in summary) == [13, 13, 14]
    # the numbers shown are those of the students really assigned in the carried plan
    by_number = {row["to"]: [] for row in ctx["rows"]}
    for row in ctx["rows"]:
        by_number[row["to"]].append(row["student"])
    for row in summary:
        members = by_number[row["number"]]
        assert row["size"] == len(members)
        assert row["male"] == sum(s.person.gender == "1" for s in members)
        assert row["female"] == sum(s.person.gender == "2" for s in members)
        assert row["special"] == sum(hasattr(s, "profile") and s.profile.with_class_study != "0" for s in members)
    for key in ("size", "male", "female", "special"):
        values = [row[key] for row in summary]
        assert max(values) - min(values) <= 1, key
        assert ctx["spreads"][key] == max(values) - min(values)
    assert sum(row["special"] for row in summary) == 5
    assert [row["exists"] for row in summary] == [True, False, False]
    assert ctx["created"] == ["一年级（2）班", "一年级（3）班"]
    assert ctx["moves"] == sum(1 for row in ctx["rows"] if row["to"] != 1) == 26
    html = r.content.decode()
    assert "共 40 名学生分入 3 个班，其中 26 人将调整班级" in html
    assert html.count('data-testid="placement-row"') == 40
    assert len(re.findall(r'<select [^>]*name="to_\d+"', html)) == 40
    assert 'name="plan"' in html
    nothing_written(grade, pool, students)


def test_preview_with_scores_balances_means(world):
    grade, _pool, students = new_cohort(world, n=45)
    _, preview_url, _ = urls(grade)
    scores = scores_for(students)
    rows = [["学籍号", "姓名", "成绩"]] + [[s.student_no, s.person.name, scores[s.pk]] for s in students]
    r = client_for(world.school_admin_b).post(
        preview_url, {"class_count": 3, "weights": "spread", "scores": upload("成绩.xlsx", xlsx(rows))}
    )
    assert r.status_code == 200, _messages(r)
    ctx = r.context
    assert ctx["scored"] == 45 and ctx["weights_label"] == "均衡各班平均分和离散度（标准差）"
    means = []
    for row in ctx["summary"]:
        members = [x["student"].pk for x in ctx["rows"] if x["to"] == row["number"]]
        mean = sum(scores[pk] for pk in members) / len(members)
        assert row["mean"] == round(mean, 2) and row["size"] == 15
        means.append(mean)
    assert max(means) - min(means) < 1.0
    # the per-student table shows each score
    shown = {x["student"].pk: x["score"] for x in ctx["rows"]}
    assert shown == {pk: float(v) for pk, v in scores.items()}


def test_scores_by_id_number_in_a_csv(world):
    grade, _pool, students = new_cohort(world, n=12)
    _, preview_url, _ = urls(grade)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["身份证号", "总分"])
    for i, s in enumerate(students[:10]):
        writer.writerow([s.person.id_number, 80 + i])
    r = client_for(world.school_admin_b).post(
        preview_url,
        {"class_count": 2, "weights": "mean", "scores": upload("scores.csv", buf.getvalue().encode("gb18030"))},
    )
    assert r.status_code == 200, _messages(r)
    assert r.context["scored"] == 10
    assert "有成绩的学生 10 人" in r.content.decode()


def test_scores_file_with_bad_rows_is_refused(world):
    grade, pool, students = new_cohort(world, n=10)
    _page_url, preview_url, _ = urls(grade)
    stranger = world.student_a1.student_no  # a school A student: not in this grade
    rows = [
        ["学籍号", "姓名", "成绩"],
        [students[0].student_no, students[0].person.name, 92],
        [students[1].student_no, students[1].person.name, "九十"],
        [stranger, world.student_a1.person.name, 88],
        [students[2].student_no, "王五", 75],
        [students[3].student_no, students[3].person.name, -5],
        [students[0].student_no, students[0].person.name, 90],
    ]
    r = client_for(world.school_admin_b).post(
        preview_url, {"class_count": 2, "weights": "mean", "scores": upload("成绩.xlsx", xlsx(rows))}
    )
    assert r.status_code == 200
    assert r.templates[0].name == "roster/placement/grade.html"  # back to the form, no preview
    html = r.content.decode()
    assert "成绩文件有错误，未使用其中任何成绩" in html
    assert "第 3 行「成绩」：「九十」不是有效的成绩（应为不小于 0 的数字）" in html
    assert "第 4 行「学籍号」：" in html and "不是本年级的在读学生" in html
    assert stranger not in html  # the 学籍号 embeds an ID number: shown masked
    assert f"第 5 行「姓名」：「王五」与学籍号对应的学生「{students[2].person.name}」不一致" in html
    assert "第 6 行「成绩」：「-5」不是有效的成绩" in html
    assert "第 7 行「学籍号」：与第 2 行是同一名学生" in html
    assert "plan" not in r.context or not r.context.get("plan_token")
    nothing_written(grade, pool, students)


def test_scores_file_without_header_or_not_a_sheet(world):
    grade, _pool, _students = new_cohort(world, n=6)
    _, preview_url, _ = urls(grade)
    c = client_for(world.school_admin_b)
    r = c.post(
        preview_url,
        {"class_count": 2, "weights": "mean", "scores": upload("x.xlsx", xlsx([["姓名", "语文"], ["张三", 90]]))},
    )
    assert "需要「学籍号」（或「身份证件号」）和「成绩」两列" in r.content.decode()
    r = c.post(preview_url, {"class_count": 2, "weights": "mean", "scores": upload("x.xlsx", b"not really a workbook")})
    assert "成绩文件无法使用" in r.content.decode()


def test_service_errors_are_messages(world):
    grade, _pool, _students = new_cohort(world, n=8)
    _page_url, preview_url, _ = urls(grade)
    r = client_for(world.school_admin_b).post(preview_url, {"class_count": 9, "weights": "mean"})
    assert r.status_code == 200
    assert "班级数（9）多于学生数（8）" in _messages(r)
    assert not Class.objects.filter(grade=grade, number=9).exists()
    r = client_for(world.school_admin_b).post(preview_url, {"class_count": 0, "weights": "mean"})
    assert r.context["form"].errors["class_count"]


# --- manual adjustment and apply -------------------------------------------------------------------------


def _preview(c, grade, count: int = 3):
    r = c.post(urls(grade)[1], {"class_count": count, "weights": "mean"})
    assert r.status_code == 200, _messages(r)
    return r.context


def test_recompute_after_a_manual_move(world):
    grade, _pool, _students = new_cohort(world)
    c = client_for(world.school_admin_b)
    ctx = _preview(c, grade)
    sizes = {row["number"]: row["size"] for row in ctx["summary"]}
    mover = next(row["student"] for row in ctx["rows"] if row["to"] == 3)
    r = c.post(urls(grade)[1], {"plan": ctx["plan_token"], f"to_{mover.pk}": "1"})
    assert r.status_code == 200
    after = {row["number"]: row["size"] for row in r.context["summary"]}
    assert after == {1: sizes[1] + 1, 2: sizes[2], 3: sizes[3] - 1}
    assert next(row["to"] for row in r.context["rows"] if row["student"].pk == mover.pk) == 1
    assert r.context["moves"] == ctx["moves"] - 1  # class 1 is the provisional class: the mover now stays
    # htmx: only the summary comes back
    r = c.post(urls(grade)[1], {"plan": ctx["plan_token"], f"to_{mover.pk}": "1"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.templates[0].name == "roster/placement/_summary.html"
    assert html.startswith('<div id="placement-summary"') and "<html" not in html


def test_apply_places_the_cohort_with_the_manual_move(world):
    grade, pool, students = new_cohort(world)
    c = client_for(world.school_admin_b)
    ctx = _preview(c, grade)
    plan = {row["student"].pk: row["to"] for row in ctx["rows"]}
    mover = next(pk for pk, n in plan.items() if n == 2)
    r = c.post(urls(grade)[2], {"plan": ctx["plan_token"], f"to_{mover}": "3"}, follow=True)
    assert r.redirect_chain[-1][0] == f"/org/grades/{grade.pk}/"
    expected = {**plan, mover: 3}
    final = placed(students)
    assert final == expected
    assert [pk for pk in final if final[pk] != plan[pk]] == [mover]  # exactly that student differs
    moved = sum(1 for n in expected.values() if n != 1)
    assert _messages(r) == [
        f"分班完成：40 名学生分入 3 个班，其中 {moved} 人调整了班级。新建班级：一年级（2）班、一年级（3）班。"
    ]
    changes = RosterChange.objects.filter(kind=ChangeKind.PLACE)
    assert changes.count() == moved
    assert set(changes.values_list("from_class", flat=True)) == {pool.pk}
    assert set(changes.values_list("student", flat=True)) == {pk for pk, n in expected.items() if n != 1}
    mover_change = changes.get(student_id=mover)
    assert mover_change.to_class.number == 3 and mover_change.requested_by == world.school_admin_b
    assert AuditLog.objects.filter(action="roster.cohort_place", actor=world.school_admin_b).count() == 1
    assert not Student.objects.filter(pk__in=[s.pk for s in students], class_no__isnull=False).exclude(klass=pool)
    sizes = sorted(Student.objects.filter(klass__grade=grade).values_list("klass__number", flat=True))
    assert {n: sizes.count(n) for n in (1, 2, 3)} == {n: sum(1 for v in expected.values() if v == n) for n in (1, 2, 3)}
    # the grade page now lists the three classes
    page = r.content.decode()
    assert "一年级（2）班" in page and "一年级（3）班" in page


def test_apply_reports_an_emptied_provisional_class(world):
    grade, pool, _students = new_cohort(world, n=20)
    pool.number = 9
    pool.save()
    c = client_for(world.school_admin_b)
    ctx = _preview(c, grade, count=2)
    r = c.post(urls(grade)[2], {"plan": ctx["plan_token"]}, follow=True)
    (msg,) = _messages(r)
    assert "其中 20 人调整了班级" in msg and "新建班级：一年级（1）班、一年级（2）班" in msg
    assert "一年级（9）班 已没有在读学生，可以归档" in msg
    assert not Student.objects.filter(klass=pool).exists()


def test_tampered_or_foreign_plans_are_refused(world):
    grade, pool, students = new_cohort(world)
    c = client_for(world.school_admin_b)
    ctx = _preview(c, grade)
    token = ctx["plan_token"]
    page_url, preview_url, apply_url = urls(grade)

    def refused(data, text):
        r = c.post(apply_url, data, follow=True)
        assert r.redirect_chain[0][0] == page_url, r.redirect_chain
        assert any(text in m for m in _messages(r)), _messages(r)
        nothing_written(grade, pool, students)

    # one character of the payload changed
    payload, rest = token.split(":", 1)
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    refused({"plan": f"{flipped}:{rest}"}, "分班方案校验失败")
    # a plan the browser wrote itself (other salt, or none) with every student in class 2
    forged = {
        "grade_id": grade.pk,
        "user_id": world.school_admin_b.pk,
        "class_numbers": [2],
        "assignments": {str(s.pk): 2 for s in students},
        "scores": {},
        "weights": "mean",
    }
    refused({"plan": signing.dumps(forged, compress=True)}, "分班方案校验失败")
    refused({"plan": ""}, "分班方案校验失败")
    # a genuine plan of another grade, or of another user
    from roster.views.placement import sign_plan

    other = sign_plan(
        grade=world.grade_b,
        user=world.school_admin_b,
        class_numbers=[1],
        assignments={world.student_b1.pk: 1},
        scores={},
        weights="mean",
    )
    refused({"plan": other}, "分班方案不属于该年级或当前用户")
    district_plan = sign_plan(
        grade=grade, user=world.district_admin, class_numbers=[1, 2], assignments={}, scores={}, weights="mean"
    )
    refused({"plan": district_plan}, "分班方案不属于该年级或当前用户")
    # a manual move to a class that is not in the plan
    refused({"plan": token, f"to_{students[0].pk}": "7"}, "新班级只能从方案中的班级里选择")
    # the same refusal on the recompute path
    r = c.post(preview_url, {"plan": f"{flipped}:{rest}"}, follow=True)
    assert any("分班方案校验失败" in m for m in _messages(r))
    nothing_written(grade, pool, students)


def test_stale_plan_is_refused_with_the_service_message(world):
    grade, pool, students = new_cohort(world, n=12)
    c = client_for(world.school_admin_b)
    ctx = _preview(c, grade, count=2)
    services.student_suspend(actor=world.school_admin_b, student=students[0], reason="病休")
    r = c.post(urls(grade)[2], {"plan": ctx["plan_token"]}, follow=True)
    assert any("方案中的学生已发生变化" in m for m in _messages(r))
    nothing_written(grade, pool, [s for s in students if s.pk != students[0].pk])
    assert Student.objects.get(pk=students[0].pk).status == StudentStatus.SUSPENDED


# --- access ----------------------------------------------------------------------------------------------


def test_who_may_place(world):
    grade, pool, students = new_cohort(world, n=10)
    page_url, preview_url, apply_url = urls(grade)
    ctx = _preview(client_for(world.school_admin_b), grade, count=2)
    post_preview = {"class_count": 2, "weights": "mean"}

    anon = Client()
    for url, data in ((page_url, None), (preview_url, post_preview), (apply_url, {"plan": ctx["plan_token"]})):
        r = anon.get(url) if data is None else anon.post(url, data)
        assert r.status_code == 302 and r["Location"].startswith("/account/login/")
    refused = {
        "school_admin_a": 404,  # another school: not even visible
        "teacher_b": 403,  # sees the grade, may not place
        "head_teacher_a1": 404,
        "parent1": 404,  # a parent of a school B pupil
        "student_user_b1": 404,
    }
    for attr, status in refused.items():
        c = client_for(getattr(world, attr))
        assert c.get(page_url).status_code == status, attr
        assert c.post(preview_url, post_preview).status_code == status, attr
        assert c.post(apply_url, {"plan": ctx["plan_token"]}).status_code == status, attr
        assert c.get(f"/roster/schools/{world.school_b.pk}/placement/").status_code in (403, 404), attr
    nothing_written(grade, pool, students)
    for attr in ("school_admin_b", "district_admin"):
        c = client_for(getattr(world, attr))
        assert c.get(page_url).status_code == 200
        assert c.post(preview_url, post_preview).status_code == 200


def test_district_admin_applies(world):
    grade, _pool, _students = new_cohort(world, n=10)
    c = client_for(world.district_admin)
    ctx = _preview(c, grade, count=2)
    r = c.post(urls(grade)[2], {"plan": ctx["plan_token"]})
    assert r.status_code == 302 and r["Location"] == f"/org/grades/{grade.pk}/"
    assert RosterChange.objects.filter(kind=ChangeKind.PLACE, requested_by=world.district_admin).count() == 5


def test_entry_points(world):
    grade, pool, _students = new_cohort(world, n=6)
    admin = client_for(world.school_admin_b)
    school_page = admin.get(f"/org/schools/{world.school_b.pk}/").content.decode()
    chooser = f"/roster/schools/{world.school_b.pk}/placement/"
    assert f'href="{chooser}"' in school_page
    r = admin.get(chooser)
    html = r.content.decode()
    assert f'href="/roster/grades/{grade.pk}/placement/"' in html
    expected = sorted(Grade.objects.filter(school=world.school_b), key=lambda g: g.sort_key)
    assert [g.pk for g in r.context["grades"]] == [g.pk for g in expected]
    assert grade.pk in [g.pk for g in expected] and world.grade_b.pk in [g.pk for g in expected]
    row = next(g for g in r.context["grades"] if g.pk == grade.pk)
    assert (row.n_classes, row.n_students) == (1, 6)
    class_page = admin.get(f"/org/classes/{pool.pk}/").content.decode()
    assert f'href="/roster/grades/{grade.pk}/placement/"' in class_page and "本年级分班" in class_page
    teacher = client_for(world.teacher_b)
    assert chooser not in teacher.get(f"/org/schools/{world.school_b.pk}/").content.decode()
    assert "本年级分班" not in teacher.get(f"/org/classes/{world.class_b1.pk}/").content.decode()


def test_every_placement_url_has_a_case():
    from core.scope_matrix import CASES
    from core.tests.test_scope_matrix import _all_url_names

    assert {c.url_name for c in CASES if c.url_name in URL_NAMES} == URL_NAMES
    assert {n for n in _all_url_names() if n.startswith("roster:") and "placement" in n} == URL_NAMES


def _cases():
    from core.scope_matrix import CASES

    return [c for c in CASES if c.url_name in URL_NAMES]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c.method}:{c.url_name}")
def test_placement_pages_scope_matrix(case, world):
    from core.tests import test_scope_matrix as m

    m.test_anonymous_is_sent_to_login(case, world)
    m.test_out_of_scope_user_is_refused(case, world)
    m.test_in_scope_user_gets_through(case, world)


def test_large_cohort_is_applied_without_per_student_fields(world, settings):
    """Each <select> is a POST field; past Django's field limit the page offers the plan without them."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    grade, _pool, _students = new_cohort(world, n=12)
    c = client_for(world.school_admin_b)
    ctx = _preview(c, grade, count=2)
    assert ctx["editable"] is False
    r = c.post(urls(grade)[1], {"class_count": 2, "weights": "mean"})
    page = r.content.decode()
    assert 'name="to_' not in page and "本页不提供逐个调整" in page
    r = c.post(urls(grade)[2], {"plan": ctx["plan_token"]})
    assert r.status_code == 302
    assert RosterChange.objects.filter(kind=ChangeKind.PLACE).count() == 6
