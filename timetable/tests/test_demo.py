"""The demo hook builds a week, a 课时计划, rooms and a published, clash-free timetable for the demo school."""

import pytest

from timetable.checks import entry_conflicts
from timetable.demo import PRIMARY_PLAN, timetable_demo_seed
from timetable.models import CombinedLesson, CoursePlan, Room, Timetable, TimetableStatus, WeekSetup

pytestmark = pytest.mark.django_db


def test_demo_seed_publishes_a_timetable(world):
    lines = []
    timetable_demo_seed(district=world.district, seed=1, out=lines.append, time_limit=4)
    school = world.school_b  # the district's 九年一贯制 school holds the demo logins
    tt = Timetable.objects.get(school=school)
    assert tt.status == TimetableStatus.PUBLISHED
    assert WeekSetup.objects.get(school=school).blocked == [[2, 6], [2, 7]]
    assert Room.objects.filter(school=school, room_type="计算机教室").count() == 2
    planned = sum(n for _name, n, *_rest in PRIMARY_PLAN)
    assert CoursePlan.objects.filter(grade=world.grade_b).count() == len(PRIMARY_PLAN)
    # 刘老师's 数学 keeps its 5 periods; every other subject follows the plan
    assert tt.entries.filter(klass=world.class_b1).count() == planned
    assert entry_conflicts(tt) == {}
    assert any("排课" in line for line in lines)
    # running it again changes nothing
    timetable_demo_seed(district=world.district, seed=1, out=lines.append)
    assert Timetable.objects.filter(school=school).count() == 1


def test_demo_seed_uses_the_shared_demo_school(world):
    """The hook finds its school like every module's hook (core.demo.generate.demo_school_and_class), not by
    school type: with school A made the district's 九年一贯制 school, the timetable still goes to the demo school."""
    from core.demo.generate import demo_school_and_class
    from core.models import School

    School.objects.filter(pk=world.school_a.pk).update(school_type="nine_year")
    School.objects.filter(pk=world.school_b.pk).update(school_type="primary")
    school, _klass = demo_school_and_class(world.district)
    assert school == world.school_b
    timetable_demo_seed(district=world.district, seed=2, out=lambda line: None, time_limit=3)
    assert Timetable.objects.filter(school=world.school_b, status=TimetableStatus.PUBLISHED).exists()
    assert not Timetable.objects.filter(school=world.school_a).exists()


def test_demo_combined_pe_pairs_two_classes_of_a_grade(world):
    from core.models import Class, Subject, TeachingAssignment
    from timetable.demo import _demo_combined_pe

    pe = Subject.objects.get_or_create(district=world.district, name="体育与健康", defaults={"code": "PE"})[0]
    second = Class.objects.create(school=world.school_b, grade=world.grade_b, number=2)
    CoursePlan.objects.create(school=world.school_b, grade=world.grade_b, subject=pe, periods_per_week=3)
    for klass in (world.class_b1, second):
        TeachingAssignment.objects.create(
            klass=klass, subject=pe, term=world.term, teacher=world.math_b, periods_per_week=3
        )
    classes = [world.class_b1, second]
    _demo_combined_pe(
        admin=world.school_admin_b,
        school=world.school_b,
        classes=classes,
        subjects={"体育与健康": pe},
        term=world.term,
        out=None,
    )
    combined = CombinedLesson.objects.get(school=world.school_b)
    assert set(combined.classes.all()) == {world.class_b1, second}
    assert (combined.teacher, combined.periods_per_week) == (world.math_b, 3)
    # once is enough: a second run adds nothing
    _demo_combined_pe(
        admin=world.school_admin_b,
        school=world.school_b,
        classes=classes,
        subjects={"体育与健康": pe},
        term=world.term,
        out=None,
    )
    assert CombinedLesson.objects.filter(school=world.school_b).count() == 1
