"""合班 and 走班 on the test world: validation with Chinese errors naming the field (nothing written), the engine
problem they become, a real solve where a block's groups share their slots and a 合班 is one slot for both
classes, moving and locking a whole 合班/走班 occurrence, the grids, and the setup pages."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.models import AuditLog, Subject, TeachingAssignment
from core.testing import client_for
from timetable import selectors as sel
from timetable import services
from timetable.checks import entry_conflicts
from timetable.models import CombinedLesson, ElectiveBlock, TeachingGroup, TimetableStatus
from timetable.problem import class_week_hours, problem_build
from timetable.testing import BLOCK_NAME, GROUP_NAME, parallel_world, tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    w = tt_world(world)
    # 陈老师 also teaches 数学 in 2 班, so every planned lesson has a teacher
    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term, periods_per_week=5
    )
    w.subjects = {s.name: s for s in Subject.objects.filter(district=w.district)}
    return w


# --- validation -------------------------------------------------------------------------------------------


def test_combined_needs_two_classes_of_the_school_and_a_teacher_of_the_school(w):
    pe = w.subjects["体育与健康"]
    kw = {"actor": w.school_admin_a, "school": w.school_a, "subject": pe, "periods_per_week": 2}
    with pytest.raises(ValidationError) as exc:
        services.combined_lesson_save(**kw, classes=[w.class_a1], teacher=w.head_a2)
    assert exc.value.message_dict == {"classes": ["合班至少要选两个班级"]}
    with pytest.raises(ValidationError) as exc:
        services.combined_lesson_save(**kw, classes=[w.class_a1, w.class_b1], teacher=w.head_a2)
    assert f"{w.class_b1.name} 不是本校在读班级" in exc.value.message_dict["classes"][0]
    with pytest.raises(ValidationError) as exc:
        services.combined_lesson_save(**kw, classes=[w.class_a1, w.class_a2], teacher=w.math_b)
    assert exc.value.message_dict == {"teacher": [f"{w.math_b.name} 不是本校教职工"]}
    assert not CombinedLesson.objects.exists()


def test_a_class_has_one_combined_lesson_per_subject(w):
    pe = w.subjects["体育与健康"]
    kw = {"actor": w.school_admin_a, "school": w.school_a, "subject": pe, "periods_per_week": 2}
    services.combined_lesson_save(**kw, classes=[w.class_a1, w.class_a2], teacher=w.head_a2)
    with pytest.raises(ValidationError) as exc:
        services.combined_lesson_save(**kw, classes=[w.class_a2, w.class_a1], teacher=w.head_a1)
    assert "的体育与健康已有合班安排" in exc.value.message_dict["classes"][0]
    assert CombinedLesson.objects.count() == 1
    assert AuditLog.objects.filter(action="combinedlesson.save").count() == 1


def test_combined_subject_replaces_the_classes_own_lessons(w):
    # 1、2 班 语文 together with 王班主任, 6 periods: instead of 5 + 5 of their own
    cl = services.combined_lesson_save(
        actor=w.school_admin_a,
        school=w.school_a,
        subject=w.chinese,
        classes=[w.class_a1, w.class_a2],
        teacher=w.head_a1,
        periods_per_week=6,
        doubles=1,
    )
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a)
    built = problem_build(timetable=tt)
    ids = {lesson.id: lesson for lesson in built.problem.lessons}
    assert f"c{w.class_a1.pk}-s{w.chinese.pk}-1" not in ids and f"c{w.class_a2.pk}-s{w.chinese.pk}-1" not in ids
    single, double = ids[f"m{cl.pk}-1"], ids[f"m{cl.pk}-2"]
    assert single.groups == [f"c{w.class_a1.pk}", f"c{w.class_a2.pk}"] and single.teachers == [f"t{w.head_a1.pk}"]
    assert (single.count, double.count, double.duration) == (4, 1, 2)
    assert single.size == 3  # the enrolled students of both classes
    hours = class_week_hours(school=w.school_a, term=w.term)
    assert hours[w.class_a1.pk]["hours"] == 5 + 6 and hours[w.class_a1.pk]["combined"] == 6


def test_teaching_group_validation_names_the_field_and_writes_nothing(w):
    block = services.elective_block_save(
        actor=w.school_admin_a, school=w.school_a, grade=w.grade_a, name="选考A段", periods_per_week=3
    )
    kw = {"actor": w.school_admin_a, "block": block, "subject": w.subjects["物理"]}
    services.teaching_group_save(**kw, name="物理A班", teacher=w.math_a, classes=[w.class_a1], room=w.room_a, size=30)
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_save(**kw, name="物理B班", teacher=w.math_a, classes=[w.class_a2])
    assert exc.value.message_dict == {"teacher": ["陈老师 已在本段教物理A班，同一时间不能再教一个教学班"]}
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_save(**kw, name="物理B班", teacher=w.head_a1, classes=[w.class_a2], room=w.room_a)
    assert exc.value.message_dict == {"room": ["物理实验室 已分给本段的物理A班"]}
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_save(**kw, name="物理B班", teacher=w.head_a1, classes=[w.class_b1])
    assert "不是本校在读班级" in exc.value.message_dict["classes"][0]
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_save(
            **kw, name="物理B班", teacher=w.head_a1, classes=[w.class_a2], room_type="化学实验室"
        )
    assert exc.value.message_dict == {"room_type": ["本校没有可容纳 0 人的化学实验室"]}
    assert list(block.groups.values_list("name", flat=True)) == ["物理A班"]


def test_a_block_that_does_not_fit_the_week_is_refused(w):
    # 5 × 6 = 30 slots; 1 班 has 10 planned periods, so a 21-period block is too much
    block = services.elective_block_save(
        actor=w.school_admin_a, school=w.school_a, grade=w.grade_a, name="选考A段", periods_per_week=21
    )
    with pytest.raises(ValidationError) as exc:
        services.teaching_group_save(
            actor=w.school_admin_a,
            block=block,
            name="物理A班",
            subject=w.subjects["物理"],
            teacher=w.math_a,
            classes=[w.class_a1],
        )
    assert exc.value.message_dict == {
        "classes": [f"{w.class_a1.name} 每周将有 31 节课（含合班、走班），超过可排的 30 节"]
    }
    assert not TeachingGroup.objects.exists()
    block = services.elective_block_save(
        actor=w.school_admin_a, school=w.school_a, grade=w.grade_a, name="选考A段", periods_per_week=20, block=block
    )
    services.teaching_group_save(
        actor=w.school_admin_a,
        block=block,
        name="物理A班",
        subject=w.subjects["物理"],
        teacher=w.math_a,
        classes=[w.class_a1],
    )
    with pytest.raises(ValidationError) as exc:
        services.elective_block_save(
            actor=w.school_admin_a, school=w.school_a, grade=w.grade_a, name="选考A段", periods_per_week=22, block=block
        )
    assert "超过可排的 30 节" in exc.value.message_dict["periods_per_week"][0]
    assert ElectiveBlock.objects.get().periods_per_week == 20


def test_other_school_admin_cannot_add_a_block(w):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.elective_block_save(
            actor=w.school_admin_b, school=w.school_a, grade=w.grade_a, name="选考A段", periods_per_week=2
        )
    assert not ElectiveBlock.objects.exists()


# --- problem and solve ----------------------------------------------------------------------------------


def test_problem_build_emits_teaching_groups_overlapping_their_classes_in_one_block(w):
    parallel_world(w)
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a)
    problem = problem_build(timetable=tt).problem
    groups = {g.id: g for g in problem.groups}
    both = [f"c{w.class_a1.pk}", f"c{w.class_a2.pk}"]
    assert groups[f"g{w.group_a.pk}"].overlaps == both and groups[f"g{w.group_a2.pk}"].overlaps == both
    lessons = {lesson.id: lesson for lesson in problem.lessons}
    phy, his = lessons[f"g{w.group_a.pk}-1"], lessons[f"g{w.group_a2.pk}-1"]
    assert phy.block == his.block == BLOCK_NAME
    assert phy.rooms == [f"r{w.room_a.pk}"] and phy.size == 30 and his.rooms is None
    assert (phy.teachers, his.teachers) == ([f"t{w.math_a.pk}"], [f"t{w.head_a1.pk}"])
    assert problem.assign_rooms


def test_solve_places_block_groups_together_and_the_combined_lesson_once(w):
    parallel_world(w)
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=10)
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.SOLVED, tt.conflicts
    rows = list(tt.entries.all())
    phy = [e for e in rows if e.teaching_group_id == w.group_a.pk]
    his = [e for e in rows if e.teaching_group_id == w.group_a2.pk]
    # 2 periods × 2 classes per group, both groups in the same slots, 物理A班 in the lab
    assert len(phy) == len(his) == 4
    assert {(e.day, e.period) for e in phy} == {(e.day, e.period) for e in his}
    assert len({(e.day, e.period) for e in phy}) == 2 and {e.room_id for e in phy} == {w.room_a.pk}
    pe = [e for e in rows if e.lesson_key.startswith(f"m{w.combined_a.pk}-")]
    assert len(pe) == 4
    for key in {e.parallel_key for e in pe}:
        unit = [e for e in pe if e.parallel_key == key]
        assert {e.klass_id for e in unit} == {w.class_a1.pk, w.class_a2.pk}
        assert len({(e.day, e.period) for e in unit}) == 1
    # each class: 10 own lessons + 2 体育 + 2 走班 in 14 different slots, no clash reported
    for klass in (w.class_a1, w.class_a2):
        mine = [e for e in rows if e.klass_id == klass.pk]
        assert len({(e.day, e.period) for e in mine}) == 14
    assert entry_conflicts(tt) == {}
    # the class grid: one 走班 item per block slot listing both groups, 合班 naming the other class
    grid = sel.class_grid(user=w.school_admin_a, timetable=tt, klass=w.class_a1)
    items = [it for row in grid["rows"] for cell in row["cells"] for it in cell["items"]]
    block_items = [it for it in items if it.get("parallel") == "elective"]
    assert len(block_items) == 2 and block_items[0]["subject"] == f"走班：{BLOCK_NAME}"
    assert {g["name"] for g in block_items[0]["groups"]} == {GROUP_NAME, "历史A班"}
    pe_items = [it for it in items if it.get("parallel") == "combined"]
    assert len(pe_items) == 2 and pe_items[0]["with"] == f"与{w.class_a2.name}合班"
    # 陈老师's grid: his teaching group once per slot, with the classes it draws from
    grid = sel.teacher_grid(user=w.school_admin_a, timetable=tt, teacher=w.math_a)
    items = [it for row in grid["rows"] for cell in row["cells"] for it in cell["items"]]
    assert [it["klass"] for it in items if it.get("parallel")] == [
        f"{GROUP_NAME}（{w.class_a1.name}、{w.class_a2.name}）"
    ] * 2
    assert len(items) == 12


def test_moving_or_locking_one_row_takes_the_whole_occurrence(w):
    parallel_world(w)
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=10)
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    row = tt.entries.filter(teaching_group=w.group_a, klass=w.class_a1).first()
    unit = list(tt.entries.filter(parallel_key=row.parallel_key))
    assert len(unit) == 4  # two groups × two classes
    free = next((d, p) for d in range(5) for p in range(6) if not tt.entries.filter(day=d, period=p).exists())
    services.entry_move(actor=w.school_admin_a, entry=row, day=free[0], period=free[1])
    assert {(e.day, e.period) for e in tt.entries.filter(parallel_key=row.parallel_key)} == {free}
    assert entry_conflicts(tt) == {}
    services.entry_lock(actor=w.school_admin_a, entry=row, locked=True)
    assert tt.entries.filter(locked=True).count() == 4
    # solved again: the locked occurrence stays where it is, the other one is placed anew
    tt.refresh_from_db()
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.SOLVED, tt.conflicts
    kept = tt.entries.filter(parallel_key=row.parallel_key)
    assert kept.count() == 4 and {(e.day, e.period) for e in kept} == {free}
    block_rows = tt.entries.filter(teaching_group__block=w.block_a)
    assert block_rows.count() == 8 and block_rows.values("parallel_key").distinct().count() == 2
    assert entry_conflicts(tt) == {}


def test_moving_a_combined_lesson_onto_a_busy_slot_flags_both_classes(w):
    parallel_world(w)
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=10)
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    pe = tt.entries.filter(lesson_key__startswith=f"m{w.combined_a.pk}-", klass=w.class_a1).first()
    own = tt.entries.filter(klass=w.class_a2, parallel_key="").first()
    services.entry_move(actor=w.school_admin_a, entry=pe, day=own.day, period=own.period)
    problems = entry_conflicts(tt)
    moved = tt.entries.filter(parallel_key=pe.parallel_key)
    assert moved.count() == 2 and all((e.day, e.period) == (own.day, own.period) for e in moved)
    a2_row = moved.get(klass=w.class_a2)
    assert any("同时排了" in m for m in problems[a2_row.pk]) and own.pk in problems


def test_solve_reports_a_block_teacher_in_two_groups(w):
    parallel_world(w)
    TeachingGroup.objects.filter(pk=w.group_a2.pk).update(teacher=w.math_a)  # bypassing the service's check
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=5)
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.FAILED
    found = [c for c in tt.conflicts if BLOCK_NAME in c["message"]]
    assert found and "陈老师" in found[0]["message"] and found[0]["fix"] == "electives"


# --- pages ----------------------------------------------------------------------------------------------


def test_combined_page_error_names_the_field_then_saves(w):
    c = client_for(w.school_admin_a)
    url = reverse("timetable:combined", args=[w.school_a.pk])
    data = {"subject": w.subjects["体育与健康"].pk, "classes": [w.class_a1.pk], "teacher": w.head_a2.pk}
    response = c.post(url, {**data, "periods_per_week": 2, "doubles": 0})
    body = response.content.decode()
    assert response.status_code == 200 and "合班班级：合班至少要选两个班级" in body
    response = c.post(url, {**data, "periods_per_week": "两", "doubles": 0})
    assert "周课时：" in response.content.decode()
    assert not CombinedLesson.objects.exists()
    data["classes"] = [w.class_a1.pk, w.class_a2.pk]
    response = c.post(url, {**data, "periods_per_week": 2, "doubles": 0})
    assert response.status_code == 302
    body = c.get(url).content.decode()
    assert f"{w.class_a1.name}、{w.class_a2.name}" in body and w.head_a2.name in body
    cl = CombinedLesson.objects.get()
    response = c.post(reverse("timetable:combined_delete", args=[w.school_a.pk, cl.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b"" and not CombinedLesson.objects.exists()


def test_block_pages_create_block_and_groups(w):
    c = client_for(w.school_admin_a)
    response = c.post(
        reverse("timetable:electives", args=[w.school_a.pk]),
        {"grade": w.grade_a.pk, "name": "选考A段", "periods_per_week": 3, "doubles": 1},
    )
    block = ElectiveBlock.objects.get(name="选考A段")
    url = reverse("timetable:elective_block", args=[w.school_a.pk, block.pk])
    assert response.status_code == 302 and response["Location"] == url
    group = {
        "action": "group",
        "name": "物理A班",
        "subject": w.subjects["物理"].pk,
        "teacher": w.math_a.pk,
        "classes": [w.class_a1.pk, w.class_a2.pk],
        "room": w.room_a.pk,
        "size": 60,
    }
    response = c.post(url, group)
    assert "场室：物理实验室 只能容纳 48 人，少于 60 人" in response.content.decode()
    assert not TeachingGroup.objects.exists()
    response = c.post(url, {**group, "size": 40})
    assert response.status_code == 302
    body = c.get(url).content.decode()
    assert "物理A班" in body and "物理实验室" in body and w.math_a.name in body
    listing = c.get(reverse("timetable:electives", args=[w.school_a.pk])).content.decode()
    assert "选考A段" in listing and "每周 3 节" in listing and 'data-testid="class-hours"' in listing


def test_block_pages_scope(w):
    parallel_world(w)
    url = reverse("timetable:elective_block", args=[w.school_a.pk, w.block_a.pk])
    assert Client().get(url).status_code == 302
    assert client_for(w.school_admin_b).get(url).status_code == 404
    assert client_for(w.teacher_a).get(url).status_code == 404
    body = client_for(w.school_admin_a).get(url).content.decode()
    assert GROUP_NAME in body and 'data-testid="group-form"' in body
    # the district admin reads but has no form
    body = client_for(w.district_admin).get(url).content.decode()
    assert GROUP_NAME in body and 'data-testid="group-form"' not in body
    response = client_for(w.district_admin).post(url, {"action": "block", "name": "x"})
    assert response.status_code == 403 and ElectiveBlock.objects.get().name == BLOCK_NAME
