"""The demo hook builds a week, a 课时计划, rooms and a published, clash-free timetable for the demo school."""

import datetime as dt

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
    args = {
        "admin": world.school_admin_b,
        "school": world.school_b,
        "classes": [world.class_b1, second],
        "subjects": {"体育与健康": pe},
        "term": world.term,
        "out": None,
    }
    _demo_combined_pe(**args)
    combined = CombinedLesson.objects.get(school=world.school_b)
    assert set(combined.classes.all()) == {world.class_b1, second}
    assert (combined.teacher, combined.periods_per_week) == (world.math_b, 3)
    # once is enough: a second run adds nothing
    _demo_combined_pe(**args)
    assert CombinedLesson.objects.filter(school=world.school_b).count() == 1


def test_demo_elective_block_takes_students_of_every_class_of_a_grade(world):
    """The demo's 走班: one 兴趣拓展 period a week in which the classes of a grade split into teaching groups
    taught by the grade's music, art and IT teachers in their rooms; the demo timetable solves with it."""
    from core.models import Class, Student, Subject, TeachingAssignment
    from core.testing import make_person
    from timetable.demo import _demo_elective_block
    from timetable.models import ElectiveBlock

    second = Class.objects.create(school=world.school_b, grade=world.grade_b, number=2)
    subjects = {}
    for name, code in (("音乐", "MU"), ("美术", "AR")):
        subjects[name] = Subject.objects.get_or_create(district=world.district, name=name, defaults={"code": code})[0]
    teachers = {"音乐": world.math_b, "美术": world.principal_b}
    for name, subject in subjects.items():
        TeachingAssignment.objects.create(
            klass=world.class_b1, subject=subject, term=world.term, teacher=teachers[name], periods_per_week=1
        )
    music_room = Room.objects.create(school=world.school_b, name="音乐教室", room_type="音乐教室", capacity=1)
    for no, name in ((1, "钱小东"), (2, "冯小西")):
        person = make_person(name, born=dt.date(2014, 3, no))
        Student.objects.create(
            person=person,
            district=world.district,
            school=world.school_b,
            klass=second,
            student_no=f"G{person.id_number}",
            class_no=no,
        )
    args = {
        "admin": world.school_admin_b,
        "school": world.school_b,
        "classes": [world.class_b1, second],
        "subjects": subjects,
        "term": world.term,
        "out": None,
    }
    _demo_elective_block(**args)
    block = ElectiveBlock.objects.get(school=world.school_b)
    assert (block.grade, block.periods_per_week) == (world.grade_b, 1)
    groups = {g.name: g for g in block.groups.all()}
    # no IT subject here: two groups, each drawing from both classes, with the grade's teachers
    assert set(groups) == {"合唱团", "书法社"}
    assert (groups["合唱团"].teacher, groups["合唱团"].room) == (world.math_b, music_room)
    assert groups["书法社"].teacher == world.principal_b
    assert all(set(g.classes.all()) == {world.class_b1, second} for g in groups.values())
    # 选课: the grade's students go to the groups in turn, as many as the room holds (合唱团: 1 seat)
    assert {st.person.name for st in groups["合唱团"].students.all()} == {"孙小丽"}
    assert {st.person.name for st in groups["书法社"].students.all()} == {"钱小东", "冯小西"}
    # and 网上选课 is open, so the demo's students can change group
    from django.utils import timezone

    assert block.choosing_state(timezone.now()) == "open"
    # once is enough
    _demo_elective_block(**args)
    assert ElectiveBlock.objects.filter(school=world.school_b).count() == 1


def test_demo_seed_solves_with_its_elective_block(world):
    from core.models import Class, StaffPost, Subject, TeachingAssignment
    from core.testing import make_person
    from timetable.models import ElectiveBlock, TimetableEntry

    Class.objects.create(school=world.school_b, grade=world.grade_b, number=2)
    # a second teacher, who teaches 美术 to the first class (the grade's music teacher is 刘老师)
    art = Subject.objects.get_or_create(district=world.district, name="美术", defaults={"code": "AR"})[0]
    painter = make_person("孙老师", born=dt.date(1988, 2, 2))
    StaffPost.objects.create(person=painter, school=world.school_b, post="teacher", main_subject=art)
    TeachingAssignment.objects.create(klass=world.class_b1, subject=art, term=world.term, teacher=painter)
    timetable_demo_seed(district=world.district, seed=1, out=None, time_limit=6)
    block = ElectiveBlock.objects.get(school=world.school_b)
    tt = Timetable.objects.get(school=world.school_b)
    assert tt.status == TimetableStatus.PUBLISHED
    rows = TimetableEntry.objects.filter(timetable=tt, teaching_group__block=block)
    # one period a week for each group, all groups in the same slot
    assert rows.values("teaching_group").distinct().count() == block.groups.count() >= 2
    assert rows.values("day", "period").distinct().count() == 1
    assert entry_conflicts(tt) == {}
