"""Room unavailability and teachers' 尽量不排 wishes: the 教务's click grids (room, teacher in two modes), the
teacher's own wish page from 我的课表, the services behind them (audited, Chinese errors naming the field,
nothing written on bad input) and what the engine makes of them in a solved timetable."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from core.models import AuditLog, TeachingAssignment
from core.testing import client_for
from timetable import services
from timetable.models import CoursePlan, Room, TeacherRule, TimetableStatus
from timetable.problem import problem_build
from timetable.testing import tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    return tt_world(world)


def _both_classes_math(w):
    """陈老师 also teaches 2 班 数学, so the fixture's plan can be solved."""
    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term, periods_per_week=5
    )


def _solve(w):
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=10)
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)  # inline in tests
    tt.refresh_from_db()
    return tt


# --- rooms ----------------------------------------------------------------------------------------------------


def test_room_slot_toggle_marks_and_frees_and_is_audited(w):
    before = AuditLog.objects.filter(action="room.save").count()
    assert services.room_slot_toggle(actor=w.school_admin_a, room=w.room_a, day=2, period=3) is True
    assert Room.objects.get(pk=w.room_a.pk).unavailable == [[2, 3]]
    assert services.room_slot_toggle(actor=w.school_admin_a, room=w.room_a, day=0, period=0) is True
    assert services.room_slot_toggle(actor=w.school_admin_a, room=w.room_a, day=2, period=3) is False
    assert Room.objects.get(pk=w.room_a.pk).unavailable == [[0, 0]]
    assert AuditLog.objects.filter(action="room.save").count() == before + 3


def test_room_slot_outside_the_week_names_the_field_and_writes_nothing(w):
    with pytest.raises(ValidationError) as exc:
        services.room_slot_toggle(actor=w.school_admin_a, room=w.room_a, day=0, period=6)  # the week has 6 periods
    assert "场室不可用时段" in str(exc.value) and "第 1 天第 7 节超出了" in str(exc.value)
    assert Room.objects.get(pk=w.room_a.pk).unavailable == []


def test_room_slot_by_another_school_or_a_teacher_is_refused(w):
    for actor in (w.school_admin_b, w.teacher_a):
        with pytest.raises(PermissionDenied):
            services.room_slot_toggle(actor=actor, room=w.room_a, day=1, period=1)
    assert Room.objects.get(pk=w.room_a.pk).unavailable == []


def test_room_grid_page_and_click(w):
    c = client_for(w.school_admin_a)
    rooms = c.get(reverse("timetable:rooms", args=[w.school_a.pk])).content.decode()
    assert reverse("timetable:room_rule", args=[w.school_a.pk, w.room_a.pk]) in rooms
    page = c.get(reverse("timetable:room_rule", args=[w.school_a.pk, w.room_a.pk])).content.decode()
    assert "物理实验室 的不可用时段" in page and 'data-testid="slot-grid"' in page
    response = c.post(
        reverse("timetable:room_slot", args=[w.school_a.pk, w.room_a.pk]), {"day": 4, "period": 5}, HTTP_HX_REQUEST="1"
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="slot-4-5" data-on="1"' in body and "不可用" in body
    assert Room.objects.get(pk=w.room_a.pk).unavailable == [[4, 5]]
    # the rooms list counts the marked slots
    assert "1 个时段" in c.get(reverse("timetable:rooms", args=[w.school_a.pk])).content.decode()


def test_room_grid_bad_input_shows_a_chinese_error_and_writes_nothing(w):
    c = client_for(w.school_admin_a)
    url = reverse("timetable:room_slot", args=[w.school_a.pk, w.room_a.pk])
    body = c.post(url, {"day": "周一", "period": 1}).content.decode()
    assert "时段不正确：星期和节次须为表格中的格子" in body
    body = c.post(url, {"day": 0, "period": 9}).content.decode()
    assert "场室不可用时段" in body and "超出了每周的天数或每天的节数" in body
    assert Room.objects.get(pk=w.room_a.pk).unavailable == []


def test_room_pages_scope(w):
    page = reverse("timetable:room_rule", args=[w.school_a.pk, w.room_a.pk])
    slot = reverse("timetable:room_slot", args=[w.school_a.pk, w.room_a.pk])
    assert Client().get(page).status_code == 302 and Client().post(slot, {"day": 0, "period": 0}).status_code == 302
    assert client_for(w.school_admin_b).get(page).status_code == 404
    assert client_for(w.school_admin_b).post(slot, {"day": 0, "period": 0}).status_code == 404
    assert client_for(w.teacher_a).post(slot, {"day": 0, "period": 0}).status_code in (403, 404)
    # a room of school B through school A's URL is not found either
    room_b = Room.objects.create(school=w.school_b, name="骆驼学校机房", room_type="计算机教室")
    bad = reverse("timetable:room_rule", args=[w.school_a.pk, room_b.pk])
    assert client_for(w.school_admin_a).get(bad).status_code == 404
    # the district admin may look but not click
    body = client_for(w.district_admin).get(page).content.decode()
    assert "物理实验室" in body and "hx-post" not in body
    assert Room.objects.get(pk=w.room_a.pk).unavailable == []


def test_engine_receives_and_respects_room_unavailability(w):
    _both_classes_math(w)
    # 数学 needs the 物理实验室 (the school's only one): 10 lessons a week in it, never on Monday or Tuesday morning
    CoursePlan.objects.filter(grade=w.grade_a, subject=w.math).update(room_type="物理实验室")
    off = [[d, p] for d in (0, 1) for p in range(4)]
    for d, p in off:
        services.room_slot_toggle(actor=w.school_admin_a, room=w.room_a, day=d, period=p)
    tt = _solve(w)
    built = problem_build(timetable=tt)
    engine_room = next(r for r in built.problem.rooms if r.id == f"r{w.room_a.pk}")
    assert engine_room.unavailable == {tuple(s) for s in off}
    assert tt.status == TimetableStatus.SOLVED, tt.message
    in_lab = list(tt.entries.filter(room=w.room_a).values_list("day", "period"))
    assert len(in_lab) == 10 == tt.entries.filter(subject=w.math).count()
    assert not {(d, p) for d, p in in_lab} & {tuple(s) for s in off}


# --- teachers: 不可排 and 尽量不排 ------------------------------------------------------------------------------


def test_preferred_toggle_is_soft_and_replaces_hard_on_the_same_slot(w):
    services.teacher_slot_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=1, period=1)
    assert services.teacher_preferred_toggle(
        actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=1, period=1
    )
    services.teacher_preferred_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=3, period=0)
    rule = TeacherRule.objects.get(school=w.school_a, teacher=w.math_a)
    assert rule.unavailable == [] and rule.preferred_off == [[1, 1], [3, 0]]
    # marking 不可排 on a 尽量不排 slot makes it hard again
    services.teacher_slot_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=3, period=0)
    rule.refresh_from_db()
    assert rule.unavailable == [[3, 0]] and rule.preferred_off == [[1, 1]]
    assert AuditLog.objects.filter(action="teacherrule.set", object_id=str(rule.pk)).count() == 4


def test_preferred_toggle_outside_the_week_names_the_field(w):
    with pytest.raises(ValidationError) as exc:
        services.teacher_preferred_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=6, period=0)
    assert "尽量不排时段" in str(exc.value)
    assert not TeacherRule.objects.filter(teacher=w.math_a).exists()


def test_teacher_grid_paints_soft_and_hard_with_a_legend(w):
    c = client_for(w.school_admin_a)
    page = c.get(reverse("timetable:teacher_rule", args=[w.school_a.pk, w.math_a.pk])).content.decode()
    assert 'name="paint"' in page and "标记尽量不排" in page and 'data-testid="slot-legend"' in page
    url = reverse("timetable:teacher_slot", args=[w.school_a.pk, w.math_a.pk])
    body = c.post(url, {"day": 2, "period": 3, "paint": "soft"}, HTTP_HX_REQUEST="1").content.decode()
    assert 'data-testid="slot-2-3" data-on="0" data-soft="1"' in body and "btn-warning" in body
    body = c.post(url, {"day": 2, "period": 4}, HTTP_HX_REQUEST="1").content.decode()
    assert 'data-testid="slot-2-4" data-on="1" data-soft="0"' in body
    rule = TeacherRule.objects.get(school=w.school_a, teacher=w.math_a)
    assert rule.preferred_off == [[2, 3]] and rule.unavailable == [[2, 4]]
    body = c.post(url, {"day": 2, "period": 5, "paint": "maybe"}).content.decode()
    assert "标记方式不正确" in body
    body = c.post(url, {"day": "", "period": 5, "paint": "soft"}).content.decode()
    assert "时段不正确" in body
    rule.refresh_from_db()
    assert rule.preferred_off == [[2, 3]] and rule.unavailable == [[2, 4]]
    # the list of teachers counts the wishes
    listing = c.get(reverse("timetable:teachers", args=[w.school_a.pk])).content.decode()
    assert "尽量不排" in listing


def test_engine_avoids_preferred_off_slots_when_it_can(w):
    _both_classes_math(w)
    # 陈老师 would rather not teach the first two periods; 数学 is a 主科 (morning preferred), periods 3–4 suffice
    for d in range(5):
        for p in (0, 1):
            services.teacher_preferred_toggle(
                actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=d, period=p
            )
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=10)
    teacher = next(t for t in problem_build(timetable=tt).problem.teachers if t.id == f"t{w.math_a.pk}")
    assert teacher.preferred_off == {(d, p) for d in range(5) for p in (0, 1)} and teacher.unavailable == set()
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.SOLVED, tt.message
    slots = list(tt.entries.filter(teacher=w.math_a).values_list("day", "period"))
    assert len(slots) == 10
    assert not [s for s in slots if s[1] in (0, 1)], slots


# --- the teacher's own wishes -----------------------------------------------------------------------------------


def test_teacher_marks_own_wish_and_it_is_audited(w):
    assert services.teacher_wish_toggle(actor=w.teacher_a, school=w.school_a, day=4, period=5) is True
    rule = TeacherRule.objects.get(school=w.school_a, teacher=w.math_a)
    assert rule.preferred_off == [[4, 5]]
    assert AuditLog.objects.filter(action="teacherrule.wish", object_id=str(rule.pk)).count() == 1
    assert services.teacher_wish_toggle(actor=w.teacher_a, school=w.school_a, day=4, period=5) is False
    rule.refresh_from_db()
    assert rule.preferred_off == []


def test_teacher_cannot_change_the_hard_slots_or_another_school(w):
    services.teacher_slot_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=0, period=0)
    with pytest.raises(ValidationError) as exc:
        services.teacher_wish_toggle(actor=w.teacher_a, school=w.school_a, day=0, period=0)
    assert "周一第1节 已由教务设为不可排" in str(exc.value)
    with pytest.raises(PermissionDenied):
        services.teacher_wish_toggle(actor=w.teacher_b, school=w.school_a, day=1, period=1)
    with pytest.raises(PermissionDenied):
        services.teacher_wish_toggle(actor=w.student_user_a1, school=w.school_a, day=1, period=1)
    rule = TeacherRule.objects.get(school=w.school_a, teacher=w.math_a)
    assert rule.unavailable == [[0, 0]] and rule.preferred_off == []
    assert not TeacherRule.objects.filter(teacher=w.math_b).exists()


def test_teacher_wishes_are_capped(w):
    limit = services.teacher_wish_limit(w.school_a)
    assert limit == 10
    for i in range(limit):
        services.teacher_wish_toggle(actor=w.teacher_a, school=w.school_a, day=i % 5, period=2 + i // 5)
    with pytest.raises(ValidationError) as exc:
        services.teacher_wish_toggle(actor=w.teacher_a, school=w.school_a, day=0, period=5)
    assert "尽量不排时段最多标记 10 个" in str(exc.value)
    assert len(TeacherRule.objects.get(school=w.school_a, teacher=w.math_a).preferred_off) == limit


def test_my_wishes_page_from_my_timetable(w):
    c = client_for(w.teacher_a)
    my = c.get(reverse("timetable:my")).content.decode()
    assert reverse("timetable:my_wishes") in my
    services.teacher_slot_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=0, period=0)
    page = c.get(reverse("timetable:my_wishes")).content.decode()
    assert w.school_a.name in page and 'data-testid="slot-legend"' in page
    # the 教务's 不可排 is shown but cannot be clicked
    assert 'data-testid="slot-0-0" data-on="1"' in page
    cell = page.split('data-testid="slot-0-0"')[0].rsplit("<button", 1)[1]
    assert "disabled" in cell and "hx-post" not in cell
    response = c.post(
        reverse("timetable:my_wish_slot"), {"school": w.school_a.pk, "day": 1, "period": 5}, HTTP_HX_REQUEST="1"
    )
    assert 'data-testid="slot-1-5" data-on="0" data-soft="1"' in response.content.decode()
    body = c.post(reverse("timetable:my_wish_slot"), {"school": w.school_a.pk, "day": 0, "period": 0}).content
    assert "已由教务设为不可排" in body.decode()
    rule = TeacherRule.objects.get(school=w.school_a, teacher=w.math_a)
    assert rule.preferred_off == [[1, 5]] and rule.unavailable == [[0, 0]]


def test_my_wishes_scope(w):
    page = reverse("timetable:my_wishes")
    slot = reverse("timetable:my_wish_slot")
    assert Client().get(page).status_code == 302
    assert Client().post(slot, {"school": w.school_a.pk, "day": 1, "period": 1}).status_code == 302
    # a teacher of school B cannot reach school A's wishes (nor see its name)
    other = client_for(w.teacher_b)
    response = other.get(page + f"?school={w.school_a.pk}")
    assert response.status_code == 200 and w.school_a.name not in response.content.decode()
    assert w.school_b.name in response.content.decode()
    assert other.post(slot, {"school": w.school_a.pk, "day": 1, "period": 1}).status_code == 404
    # a student has no wishes to give
    assert client_for(w.student_user_a1).get(page).status_code == 404
    assert not TeacherRule.objects.filter(school=w.school_a).exists()


def test_slot_name_reads_as_in_messages(w):
    from timetable.problem import week_setup_for

    setup = week_setup_for(w.school_a)
    assert setup.slot_name(2, 1) == "周三第2节"
    assert setup.slot_name(7, 0) == "第8天第1节"  # outside the 5-day week
