"""Timetable services: the week, rooms, 课时计划 and constraints of a school; timetable versions (create, solve in
the background, move and lock lessons, publish); 调课/代课 requests and their approval; the iCalendar token.
Every write checks the actor's scope, validates, and writes one audit row."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_record, diff, snapshot
from core.models import Class, Grade, Person, School, StaffPost, Student, Subject, User
from core.models.people import StudentStatus
from core.notify import notify
from core.services import _require, _save, current_term

from .models import (
    ROOM_TYPES,
    ClassRule,
    CombinedLesson,
    CoursePlan,
    ElectiveBlock,
    Room,
    Substitution,
    SubstitutionKind,
    SubstitutionStatus,
    TeacherRule,
    TeachingGroup,
    Timetable,
    TimetableEntry,
    TimetableStatus,
    WeekSetup,
    slots_clean,
)

logger = logging.getLogger(__name__)


# --- setup ------------------------------------------------------------------------------------------------


@transaction.atomic
def week_setup_save(*, actor, school: School, **fields) -> WeekSetup:
    """Create or change the school's 作息与周设置 (days, periods, morning, breaks, blocked slots, times, weights)."""
    setup = WeekSetup.objects.select_for_update().filter(school=school).first() or WeekSetup(school=school)
    _require(actor, "change" if setup.pk else "add", setup)
    before = snapshot(setup) if setup.pk else {}
    for key, value in fields.items():
        setattr(setup, key, value)
    _save(setup)
    audit_record(actor=actor, action="weeksetup.save", obj=setup, changes=diff(before, snapshot(setup)))
    return setup


def week_slot_toggle(*, actor, school: School, day: int, period: int) -> bool:
    """Block or unblock one slot for the whole school (e.g. 周三下午 教研). Returns whether it is now blocked."""
    from .problem import week_setup_for

    setup = week_setup_for(school)
    blocked = [list(s) for s in setup.blocked or []]
    now_blocked = [day, period] not in blocked
    blocked = [*blocked, [day, period]] if now_blocked else [s for s in blocked if s != [day, period]]
    week_setup_save(actor=actor, school=school, blocked=blocked)
    return now_blocked


@transaction.atomic
def room_save(*, actor, school: School, room: Room | None = None, **fields) -> Room:
    """Add a room (场室) or change one."""
    room = room or Room(school=school)
    if room.school_id != school.pk:
        raise PermissionDenied(_("无权执行此操作"))
    _require(actor, "change" if room.pk else "add", room)
    before = snapshot(room) if room.pk else {}
    for key, value in fields.items():
        setattr(room, key, value)
    room.name = (room.name or "").strip()
    _save(room)
    audit_record(actor=actor, action="room.save", obj=room, changes=diff(before, snapshot(room)))
    return room


@transaction.atomic
def course_plan_set(
    *,
    actor,
    grade: Grade,
    subject: Subject,
    periods_per_week: int,
    doubles: int = 0,
    is_main: bool = False,
    room_type: str = "",
) -> CoursePlan | None:
    """Set one line of a grade's 课时计划; 0 periods removes the subject from the plan."""
    plan = CoursePlan.objects.filter(grade=grade, subject=subject).first()
    probe = plan or CoursePlan(school_id=grade.school_id, grade=grade, subject=subject)
    _require(actor, "change" if plan else "add", probe)
    if subject.district_id != grade.school.district_id:
        raise ValidationError({"subject": _("学科不属于本区县")})
    if periods_per_week <= 0:
        if plan is not None:
            audit_record(actor=actor, action="courseplan.remove", obj=plan, changes=diff(snapshot(plan), {}))
            plan.delete()
        return None
    before = snapshot(plan) if plan else {}
    probe.periods_per_week, probe.doubles, probe.is_main, probe.room_type = (
        periods_per_week,
        doubles,
        is_main,
        room_type.strip(),
    )
    _save(probe)
    audit_record(actor=actor, action="courseplan.set", obj=probe, changes=diff(before, snapshot(probe)))
    return probe


def _teacher_of_school(school: School, teacher: Person) -> None:
    if not StaffPost.objects.filter(school=school, person=teacher, archived_at__isnull=True).exists():
        raise ValidationError(_("%(name)s 不是本校教职工") % {"name": teacher.name})


@transaction.atomic
def teacher_rule_set(*, actor, school: School, teacher: Person, **fields) -> TeacherRule:
    """Set a teacher's constraints at the school (unavailable / preferred-off slots, daily and consecutive caps)."""
    from .problem import week_setup_for

    _teacher_of_school(school, teacher)
    rule = TeacherRule.objects.filter(school=school, teacher=teacher).first() or TeacherRule(
        school=school, teacher=teacher
    )
    _require(actor, "change" if rule.pk else "add", rule)
    before = snapshot(rule) if rule.pk else {}
    setup = week_setup_for(school)
    for key, value in fields.items():
        if key in ("unavailable", "preferred_off"):
            label = _("不可排课时段") if key == "unavailable" else _("尽量不排时段")
            value = slots_clean(value, setup.days, setup.periods, label)
        setattr(rule, key, value)
    _save(rule)
    audit_record(actor=actor, action="teacherrule.set", obj=rule, changes=diff(before, snapshot(rule)))
    return rule


def teacher_slot_toggle(*, actor, school: School, teacher: Person, day: int, period: int) -> bool:
    """Click on the teacher's grid: mark the slot unavailable, or available again. Returns the new state."""
    rule = TeacherRule.objects.filter(school=school, teacher=teacher).first()
    slots = [list(s) for s in (rule.unavailable if rule else [])]
    unavailable = [day, period] not in slots
    slots = [*slots, [day, period]] if unavailable else [s for s in slots if s != [day, period]]
    fields = {"unavailable": slots}
    if unavailable and rule and [day, period] in [list(s) for s in rule.preferred_off or []]:
        # a hard 不可排 replaces the softer 尽量不排 wish on the same slot
        fields["preferred_off"] = [list(s) for s in rule.preferred_off if list(s) != [day, period]]
    teacher_rule_set(actor=actor, school=school, teacher=teacher, **fields)
    return unavailable


@transaction.atomic
def class_rule_set(*, actor, klass: Class, **fields) -> ClassRule:
    """Set a class's constraints (slots without lessons, daily cap)."""
    from .problem import week_setup_for

    rule = ClassRule.objects.filter(klass=klass).first() or ClassRule(school_id=klass.school_id, klass=klass)
    _require(actor, "change" if rule.pk else "add", rule)
    before = snapshot(rule) if rule.pk else {}
    setup = week_setup_for(klass.school)
    for key, value in fields.items():
        if key == "unavailable":
            value = slots_clean(value, setup.days, setup.periods, _("班级不排课时段"))
        setattr(rule, key, value)
    _save(rule)
    audit_record(actor=actor, action="classrule.set", obj=rule, changes=diff(before, snapshot(rule)))
    return rule


def class_slot_toggle(*, actor, klass: Class, day: int, period: int) -> bool:
    rule = ClassRule.objects.filter(klass=klass).first()
    slots = [list(s) for s in (rule.unavailable if rule else [])]
    off = [day, period] not in slots
    slots = [*slots, [day, period]] if off else [s for s in slots if s != [day, period]]
    class_rule_set(actor=actor, klass=klass, unavailable=slots)
    return off


# --- 合班 and 走班 ------------------------------------------------------------------------------------------


def _hours_fit(school: School, class_ids, field: str) -> None:
    """Refuse (naming ``field``) when a class would have more lessons a week than slots, 合班 and 走班 included."""
    from .problem import class_week_hours

    hours = class_week_hours(school=school, term=current_term(district_id=school.district_id))
    over = [hours[c] for c in sorted(set(class_ids)) if c in hours and hours[c]["hours"] > hours[c]["capacity"]]
    if over:
        raise ValidationError(
            {
                field: "；".join(
                    _("%(klass)s 每周将有 %(n)s 节课（含合班、走班），超过可排的 %(c)s 节")
                    % {"klass": r["klass"].name, "n": r["hours"], "c": r["capacity"]}
                    for r in over
                )
            }
        )


def _classes_of_school(school: School, classes, field: str, *, grade: Grade | None = None) -> list[Class]:
    classes = list(classes)
    for c in classes:
        if c.school_id != school.pk or c.archived_at is not None:
            raise ValidationError({field: _("%(name)s 不是本校在读班级") % {"name": c.name}})
        if grade is not None and c.grade_id != grade.pk:
            raise ValidationError({field: _("%(name)s 不属于%(grade)s") % {"name": c.name, "grade": grade.label()}})
    return classes


def _teacher_field(school: School, teacher: Person | None) -> None:
    if teacher is None:
        raise ValidationError({"teacher": _("请选择任课教师")})
    try:
        _teacher_of_school(school, teacher)
    except ValidationError as exc:
        raise ValidationError({"teacher": exc.messages}) from exc


def _subject_field(school: School, subject: Subject | None) -> None:
    if subject is None:
        raise ValidationError({"subject": _("请选择学科")})
    if subject.district_id != school.district_id:
        raise ValidationError({"subject": _("学科不属于本区县")})


def _save_with_classes(actor, obj, classes, *, school, before: dict, before_classes: list, field: str) -> None:
    """Save a 合班 or a 走班 teaching group with its classes, check that every class's week still
    holds its hours (the error goes on ``field``) and audit the change, classes included."""
    _save(obj)
    obj.classes.set(classes)
    _hours_fit(school, [c.pk for c in classes], field)
    changes = diff(before, snapshot(obj))
    after_classes = sorted(c.pk for c in classes)
    if after_classes != before_classes:
        changes["classes"] = [before_classes, after_classes]
    audit_record(actor=actor, action=f"{obj._meta.model_name}.save", obj=obj, changes=changes)


@transaction.atomic
def combined_lesson_save(
    *,
    actor,
    school: School,
    combined: CombinedLesson | None = None,
    subject: Subject | None,
    classes,
    teacher: Person | None,
    periods_per_week: int,
    doubles: int = 0,
    room_type: str = "",
) -> CombinedLesson:
    """Create or change a 合班: ``classes`` (two or more of the school) have ``subject`` together with ``teacher``
    instead of each class's own lessons of the subject; their week must still fit."""
    obj = combined or CombinedLesson(school=school)
    if obj.school_id != school.pk:
        raise PermissionDenied(_("无权执行此操作"))
    _require(actor, "change" if obj.pk else "add", obj)
    before = snapshot(obj) if obj.pk else {}
    before_classes = sorted(obj.classes.values_list("pk", flat=True)) if obj.pk else []
    _subject_field(school, subject)
    classes = _classes_of_school(school, classes, "classes")
    if len(classes) < 2:
        raise ValidationError({"classes": _("合班至少要选两个班级")})
    _teacher_field(school, teacher)
    taken = (
        CombinedLesson.objects.filter(school=school, subject=subject, classes__in=classes)
        .exclude(pk=obj.pk)
        .prefetch_related("classes")
        .distinct()
    )
    for other in taken:
        both = [c.name for c in other.classes.all() if c in classes]
        raise ValidationError(
            {
                "classes": _("%(classes)s 的%(subject)s已有合班安排")
                % {"classes": "、".join(both), "subject": subject.name}
            }
        )
    obj.subject, obj.teacher = subject, teacher
    obj.periods_per_week, obj.doubles, obj.room_type = periods_per_week, doubles or 0, (room_type or "").strip()
    _save_with_classes(
        actor, obj, classes, school=school, before=before, before_classes=before_classes, field="periods_per_week"
    )
    return obj


@transaction.atomic
def combined_lesson_delete(*, actor, combined: CombinedLesson) -> None:
    """Remove a 合班: its classes go back to their own lessons of the subject (课时计划 and 任课)."""
    _require(actor, "change", combined)
    changes = {**diff(snapshot(combined), {}), "classes": [sorted(combined.classes.values_list("pk", flat=True)), []]}
    audit_record(actor=actor, action="combinedlesson.delete", obj=combined, changes=changes)
    combined.delete()


@transaction.atomic
def elective_block_save(
    *,
    actor,
    school: School,
    block: ElectiveBlock | None = None,
    grade: Grade | None,
    name: str,
    periods_per_week: int,
    doubles: int = 0,
) -> ElectiveBlock:
    """Create or change a 走班 block of a grade (its teaching groups are added with ``teaching_group_save``)."""
    obj = block or ElectiveBlock(school=school)
    if obj.school_id != school.pk:
        raise PermissionDenied(_("无权执行此操作"))
    if grade is None:
        raise ValidationError({"grade": _("请选择年级")})
    obj.grade = grade
    _require(actor, "change" if obj.pk else "add", obj)
    if block is not None and block.grade_id != grade.pk and block.groups.exists():
        raise ValidationError({"grade": _("已有教学班的走班不能改到别的年级")})
    before = snapshot(obj) if obj.pk else {}
    obj.name = (name or "").strip()
    if not obj.name:
        raise ValidationError({"name": _("请填写名称")})
    if ElectiveBlock.objects.filter(school=school, name=obj.name).exclude(pk=obj.pk).exists():
        raise ValidationError({"name": _("本校已有名为“%(name)s”的走班") % {"name": obj.name}})
    obj.periods_per_week, obj.doubles = periods_per_week, doubles or 0
    _save(obj)
    if before:  # a changed block: every class taking part must still fit
        through = TeachingGroup.classes.through.objects.filter(teachinggroup__block=obj)
        _hours_fit(school, through.values_list("class_id", flat=True), "periods_per_week")
    audit_record(actor=actor, action="electiveblock.save", obj=obj, changes=diff(before, snapshot(obj)))
    return obj


@transaction.atomic
def elective_block_delete(*, actor, block: ElectiveBlock) -> None:
    """Remove a 走班 block with its teaching groups (solved versions keep their lessons)."""
    _require(actor, "change", block)
    groups = list(block.groups.values_list("name", flat=True))
    audit_record(
        actor=actor, action="electiveblock.delete", obj=block, changes={**diff(snapshot(block), {}), "groups": groups}
    )
    block.delete()


@transaction.atomic
def teaching_group_save(
    *,
    actor,
    block: ElectiveBlock,
    group: TeachingGroup | None = None,
    name: str,
    subject: Subject | None,
    teacher: Person | None,
    classes,
    room: Room | None = None,
    room_type: str = "",
    size: int | None = None,
) -> TeachingGroup:
    """Add or change a teaching group (教学班) of a 走班 block: its subject, teacher, room (or room type) and the
    classes of the block's grade its students come from. A teacher or a room serves one group per block."""
    school = block.school
    obj = group or TeachingGroup(block=block)
    if obj.block_id != block.pk:
        raise PermissionDenied(_("无权执行此操作"))
    _require(actor, "change" if obj.pk else "add", obj)
    before = snapshot(obj) if obj.pk else {}
    before_classes = sorted(obj.classes.values_list("pk", flat=True)) if obj.pk else []
    obj.name = (name or "").strip()
    if not obj.name:
        raise ValidationError({"name": _("请填写教学班名称")})
    siblings = block.groups.exclude(pk=obj.pk).select_related("teacher", "room")
    if any(g.name == obj.name for g in siblings):
        raise ValidationError({"name": _("本段已有名为“%(name)s”的教学班") % {"name": obj.name}})
    _subject_field(school, subject)
    _teacher_field(school, teacher)
    for g in siblings:
        if g.teacher_id == teacher.pk:
            raise ValidationError(
                {
                    "teacher": _("%(teacher)s 已在本段教%(group)s，同一时间不能再教一个教学班")
                    % {"teacher": teacher.name, "group": g.name}
                }
            )
    classes = _classes_of_school(school, classes, "classes", grade=block.grade)
    if not classes:
        raise ValidationError({"classes": _("请选择学生来源班级")})
    room_type = (room_type or "").strip()
    if room is not None:
        if room.school_id != school.pk or not room.is_active:
            raise ValidationError({"room": _("%(name)s 不是本校在用场室") % {"name": room.name}})
        for g in siblings:
            if g.room_id == room.pk:
                raise ValidationError(
                    {"room": _("%(room)s 已分给本段的%(group)s") % {"room": room.name, "group": g.name}}
                )
        if size and room.capacity < size:
            raise ValidationError(
                {
                    "room": _("%(room)s 只能容纳 %(c)s 人，少于 %(n)s 人")
                    % {"room": room.name, "c": room.capacity, "n": size}
                }
            )
        room_type = ""
    elif room_type:
        if room_type not in ROOM_TYPES:
            raise ValidationError({"room_type": _("未知的场室类型“%(t)s”") % {"t": room_type}})
        if not Room.objects.filter(
            school=school, room_type=room_type, is_active=True, capacity__gte=size or 0
        ).exists():
            raise ValidationError({"room_type": _("本校没有可容纳 %(n)s 人的%(t)s") % {"n": size or 0, "t": room_type}})
    obj.subject, obj.teacher, obj.room, obj.room_type, obj.size = subject, teacher, room, room_type, size
    _save_with_classes(
        actor, obj, classes, school=school, before=before, before_classes=before_classes, field="classes"
    )
    # students of a class that no longer comes leave the 名单
    obj.students.remove(*obj.students.exclude(klass__in=classes))
    return obj


def _roster_check(group: TeachingGroup, students: list[Student], where=lambda s: "") -> list[str]:
    """Why these students cannot be ``group``'s 名单: a student of another class, not 在读, or already in another
    group of the block; more students than the room holds. ``where(student)`` prefixes each message (a row)."""
    errors = []
    classes = set(group.classes.values_list("pk", flat=True))
    taken = dict(
        TeachingGroup.students.through.objects.filter(
            teachinggroup__block_id=group.block_id, student_id__in=[s.pk for s in students]
        )
        .exclude(teachinggroup_id=group.pk)
        .values_list("student_id", "teachinggroup__name")
    )
    for st in students:
        if st.klass_id not in classes:
            errors.append(
                where(st)
                + _("%(name)s（%(klass)s）不在%(group)s的学生来源班级")
                % {"name": st.person.name, "klass": st.klass.name, "group": group.name}
            )
        elif st.status != StudentStatus.ENROLLED:
            errors.append(where(st) + _("%(name)s 不是在读学生") % {"name": st.person.name})
        elif st.pk in taken:
            errors.append(
                where(st) + _("%(name)s 已在本段的%(group)s") % {"name": st.person.name, "group": taken[st.pk]}
            )
    capacity = group.room.capacity if group.room_id else None
    if capacity and len(students) > capacity:
        errors.append(
            _("%(group)s 有 %(n)s 人，%(room)s 只能容纳 %(c)s 人")
            % {"group": group.name, "n": len(students), "room": group.room.name, "c": capacity}
        )
    return errors


@transaction.atomic
def teaching_group_students_set(*, actor, group: TeachingGroup, students) -> TeachingGroup:
    """Set the 名单 of a teaching group (from 选课): 在读 students of its source classes, each in at most one group
    of the block, no more than its room holds. Nothing is changed when any of them does not fit."""
    _require(actor, "change", group)
    students = list(
        Student.objects.filter(pk__in=[getattr(s, "pk", s) for s in students]).select_related("person", "klass__grade")
    )
    errors = _roster_check(group, students)
    if errors:
        raise ValidationError({"students": errors})
    before = sorted(group.students.values_list("pk", flat=True))
    group.students.set(students)
    after = sorted(st.pk for st in students)
    if before != after:
        audit_record(actor=actor, action="teachinggroup.students", obj=group, changes={"students": [before, after]})
    return group


@transaction.atomic
def elective_roster_import(*, actor, block: ElectiveBlock, rows: list[tuple[int, str, str]]) -> dict[str, int]:
    """The 名单 of every teaching group of ``block`` from a sheet's rows ``(row number, 学籍号, 教学班)``: the file is
    the whole block (a student with no 教学班 is in none). Every row is checked first, each error names its row;
    with any error nothing is written. Returns ``{group name: students}``."""
    groups = {g.name: g for g in block.groups.select_related("room")}
    if not groups:
        raise ValidationError({"file": [_("这个走班还没有教学班，请先添加教学班")]})
    for g in groups.values():
        _require(actor, "change", g)
    numbers = {no.strip().upper() for _r, no, _g in rows if no and no.strip()}
    by_index = {
        st.student_no_index: st
        for st in Student.objects.filter(
            school_id=block.school_id,
            student_no_index__in=[Student.student_no_lookup(n) for n in numbers],
        ).select_related("person", "klass__grade")
    }
    errors: list[str] = []
    seen: dict[int, int] = {}
    members: dict[str, list[Student]] = {name: [] for name in groups}
    rows_of: dict[int, int] = {}
    for row, number, group_name in rows:
        number, group_name = (number or "").strip().upper(), (group_name or "").strip()
        at = _("第 %(row)s 行：") % {"row": row}
        if not number:
            errors.append(at + _("学籍号为空"))
            continue
        st = by_index.get(Student.student_no_lookup(number))
        if st is None:
            errors.append(at + _("本校没有学籍号为 %(no)s 的学生") % {"no": number})
            continue
        if st.pk in seen:
            errors.append(at + _("%(name)s 与第 %(first)s 行重复") % {"name": st.person.name, "first": seen[st.pk]})
            continue
        seen[st.pk] = rows_of[st.pk] = row
        if not group_name:
            continue
        if group_name not in groups:
            errors.append(at + _("本段没有名为“%(group)s”的教学班") % {"group": group_name})
            continue
        members[group_name].append(st)
    if not errors:
        # the file replaces the block's 名单: clear them first, so moving a student between groups is no clash
        TeachingGroup.students.through.objects.filter(teachinggroup__block=block).delete()
        for name, students in members.items():
            group = groups[name]
            errors += _roster_check(group, students, where=lambda st: _("第 %(row)s 行：") % {"row": rows_of[st.pk]})
            group.students.set(students)
    if errors:  # raised inside the transaction: the cleared 名单 come back
        raise ValidationError({"file": errors})
    audit_record(
        actor=actor,
        action="electiveblock.roster_import",
        obj=block,
        changes={"groups": {name: len(v) for name, v in members.items()}},
    )
    return {name: len(v) for name, v in members.items()}


@transaction.atomic
def teaching_group_delete(*, actor, group: TeachingGroup) -> None:
    """Remove a teaching group from its 走班 block."""
    _require(actor, "change", group)
    audit_record(actor=actor, action="teachinggroup.delete", obj=group, changes=diff(snapshot(group), {}))
    group.delete()


# --- 网上选课 ------------------------------------------------------------------------------------------------


@transaction.atomic
def elective_window_set(*, actor, block: ElectiveBlock, choose_from, choose_until) -> ElectiveBlock:
    """Open 网上选课 for a block between two times (both blank: no online 选课; the 教务 assigns the 名单)."""
    _require(actor, "change", block)
    if (choose_from is None) != (choose_until is None):
        raise ValidationError({"choose_until": _("请同时填写选课开始和截止时间")})
    if choose_from is not None and choose_until <= choose_from:
        raise ValidationError({"choose_until": _("选课截止时间须晚于开始时间")})
    if choose_from is not None and not block.groups.exists():
        raise ValidationError({"choose_from": _("这个走班还没有教学班，请先添加教学班")})
    before = snapshot(block)
    changed = (block.choose_from, block.choose_until) != (choose_from, choose_until)
    block.choose_from, block.choose_until = choose_from, choose_until
    block.save(update_fields=["choose_from", "choose_until", "updated_at"])
    audit_record(actor=actor, action="electiveblock.window", obj=block, changes=diff(before, snapshot(block)))
    if changed and choose_until is not None and choose_until > timezone.now():
        _notify_choosing(actor, block)
    return block


def _notify_choosing(actor, block: ElectiveBlock) -> int:
    """Tell the students of the block's classes and their parents when 网上选课 runs (sent again if it changes)."""
    from core.models import Guardianship

    class_ids = TeachingGroup.classes.through.objects.filter(teachinggroup__block=block).values("class_id")
    students = Student.objects.filter(klass_id__in=class_ids, status=StudentStatus.ENROLLED)
    people = set(students.values_list("person_id", flat=True)) | set(
        Guardianship.objects.filter(student__in=students).values_list("guardian_id", flat=True)
    )
    start, end = timezone.localtime(block.choose_from), timezone.localtime(block.choose_until)
    return notify(
        users=list(User.objects.filter(person_id__in=people, is_active=True)),
        title=_("%(block)s 网上选课") % {"block": block.name},
        body=_("选课时间 %(a)s 至 %(b)s，请在“网上选课”选择教学班。")
        % {"a": f"{start:%m-%d %H:%M}", "b": f"{end:%m-%d %H:%M}"},
        url="/timetable/choose/",
        kind="timetable.choosing",
        actor=actor,
    )


def _may_choose_for(actor, student: Student) -> bool:
    """The student themself or one of their parents."""
    from core.models import Guardianship

    pid = getattr(actor, "person_id", None)
    if not pid:
        return False
    return student.person_id == pid or Guardianship.objects.filter(guardian_id=pid, student=student).exists()


@transaction.atomic
def elective_choose(*, actor, block: ElectiveBlock, student: Student, group: TeachingGroup | None):
    """网上选课: a student (or a parent for their child) takes a seat in one teaching group of ``block`` while 选课
    is open, leaving any other group of the block; ``group=None`` gives the seat back. The student's row and then
    the group's row are locked, so two choices at once never put more students in a group than it seats."""
    if not _may_choose_for(actor, student):
        raise PermissionDenied(_("只能为本人或自己的孩子选课"))
    state = block.choosing_state(timezone.now())
    if state != "open":
        if state == "soon":
            raise ValidationError(
                {"group": _("选课将于 %(t)s 开始") % {"t": f"{timezone.localtime(block.choose_from):%m-%d %H:%M}"}}
            )
        if state == "closed":
            raise ValidationError(
                {"group": _("选课已于 %(t)s 截止") % {"t": f"{timezone.localtime(block.choose_until):%m-%d %H:%M}"}}
            )
        raise ValidationError({"group": _("这个走班没有开放网上选课")})
    student = Student.objects.select_for_update(of=("self",)).select_related("person", "klass").get(pk=student.pk)
    current = TeachingGroup.objects.filter(block=block, students=student).first()
    if group is not None:
        if group.block_id != block.pk:
            raise ValidationError({"group": _("教学班不属于这个走班")})
        group = TeachingGroup.objects.select_for_update(of=("self",)).select_related("room").get(pk=group.pk)
        if student.status != StudentStatus.ENROLLED or not group.classes.filter(pk=student.klass_id).exists():
            raise ValidationError(
                {"group": _("%(group)s 不招收%(klass)s的学生") % {"group": group.name, "klass": student.klass.name}}
            )
        if current is not None and current.pk == group.pk:
            return group
        seats = group.seats
        if seats is not None and group.students.count() >= seats:
            raise ValidationError({"group": _("%(group)s 已满（%(n)s 人）") % {"group": group.name, "n": seats}})
    if current is not None:
        current.students.remove(student)
    if group is not None:
        group.students.add(student)
    audit_record(
        actor=actor,
        action="electiveblock.choose",
        obj=block,
        changes={"student": student.pk, "group": [current.pk if current else None, group.pk if group else None]},
    )
    return group


# --- versions and solving -------------------------------------------------------------------------------


@transaction.atomic
def timetable_create(*, actor, school: School, name: str = "", time_limit: int = 30, copy_from=None) -> Timetable:
    """A new draft version for the school's current term (optionally starting from another version's lessons)."""
    term = current_term(district_id=school.district_id)
    if term is None:
        raise ValidationError(_("区县尚未设置当前学期"))
    n = Timetable.objects.filter(school=school, term=term).count() + 1
    tt = Timetable(
        school=school,
        term=term,
        name=(name or "").strip() or _("%(term)s 课表（第 %(n)s 版）") % {"term": term, "n": n},
        created_by=actor,
        time_limit=time_limit,
    )
    _require(actor, "add", tt)
    if not 1 <= time_limit <= 600:
        raise ValidationError({"time_limit": _("求解时限须在 1–600 秒之间")})
    _save(tt)
    if copy_from is not None:
        if copy_from.school_id != school.pk:
            raise PermissionDenied(_("无权执行此操作"))
        TimetableEntry.objects.bulk_create(
            [
                TimetableEntry(
                    timetable=tt,
                    lesson_key=e.lesson_key,
                    klass_id=e.klass_id,
                    subject_id=e.subject_id,
                    teacher_id=e.teacher_id,
                    room_id=e.room_id,
                    day=e.day,
                    period=e.period,
                    length=e.length,
                    locked=e.locked,
                    parallel_key=e.parallel_key,
                    teaching_group_id=e.teaching_group_id,
                )
                for e in copy_from.entries.all()
            ]
        )
    audit_record(actor=actor, action="timetable.create", obj=tt, changes=diff({}, snapshot(tt)))
    return tt


def _editable(tt: Timetable) -> None:
    if tt.status == TimetableStatus.PUBLISHED:
        raise ValidationError(_("课表已发布，不能直接修改；请复制为新版本后调整"))
    if tt.status == TimetableStatus.ARCHIVED:
        raise ValidationError(_("该版本已停用"))
    if tt.is_running:
        raise ValidationError(_("正在排课，请等待完成"))


@transaction.atomic
def timetable_solve(*, actor, timetable: Timetable, time_limit: int | None = None) -> Timetable:
    """Queue the solve of ``timetable`` (locked lessons stay, the rest is placed again). The job runs in the
    background (``core.jobs.start_job``); the page polls ``timetable.progress``."""
    from core.jobs import start_job

    from .tasks import solve_task

    _require(actor, "change", timetable)
    _editable(timetable)
    if time_limit is not None:
        if not 1 <= time_limit <= 600:
            raise ValidationError({"time_limit": _("求解时限须在 1–600 秒之间")})
        timetable.time_limit = time_limit
    timetable.status = TimetableStatus.QUEUED
    timetable.progress = {}
    timetable.conflicts = []
    timetable.message = ""
    timetable.save(update_fields=["status", "progress", "conflicts", "message", "time_limit", "updated_at"])
    audit_record(actor=actor, action="timetable.solve", obj=timetable, changes={"time_limit": timetable.time_limit})
    start_job(solve_task, timetable.pk)
    return timetable


def _fix_link(code: str) -> str:
    """Which setup page fixes a conflict of this kind (the engine's codes name what they are about)."""
    code = (code or "").lower()
    if code.startswith("block"):
        return "electives"
    if "no_teacher" in code or "assign" in code:
        return "assignments"
    if "room" in code:
        return "rooms"
    if "teacher" in code:
        return "teachers"
    if "fixed" in code or "lock" in code:
        return "version"
    if "group" in code or "class" in code:
        return "classes"
    if "week" in code or "slot" in code or "block" in code:
        return "week"
    return "plans"


def _conflicts_json(conflicts) -> list[dict]:
    return [{"code": c.code, "message": c.message, "fix": _fix_link(c.code)} for c in conflicts]


def _engine():
    """The engine's public functions (imported when first needed: OR-Tools is heavy to load)."""
    from . import engine

    return engine


def timetable_solve_run(timetable_id: int) -> str:
    """The solve job: build the problem, precheck it, solve with the engine reporting progress on the row, and
    store the placements (or the Chinese explanation when it cannot be solved). Returns the final status."""
    from .problem import entries_from_placements, problem_build

    engine = _engine()

    tt = Timetable.objects.select_related("school").get(pk=timetable_id)
    Timetable.objects.filter(pk=tt.pk).update(
        status=TimetableStatus.SOLVING, progress={"elapsed": 0, "started": time.time(), "limit": tt.time_limit}
    )
    started = time.monotonic()
    started_at = time.time()
    try:
        built = problem_build(timetable=tt)
        conflicts = list(built.issues) + list(engine.precheck(built.problem))
        total = sum(lesson.count for lesson in built.problem.lessons)
        if conflicts:
            _finish(tt, TimetableStatus.FAILED, conflicts=_conflicts_json(conflicts), message=_("排课前检查发现冲突"))
            return TimetableStatus.FAILED
        last = {"t": 0.0}
        job_thread = threading.get_ident()
        # Run inline inside a transaction (tests, ZX_JOBS_IN_THREAD=0): another connection could not write.
        live = not transaction.get_connection().in_atomic_block

        def progress(info: dict) -> None:
            now = time.monotonic()
            if now - last["t"] < 0.5:
                return
            last["t"] = now
            data = {k: info.get(k) for k in ("elapsed", "solutions", "objective", "bound", "placed", "total")}
            data["total"] = data.get("total") or total
            data["limit"] = tt.time_limit
            data["started"] = started_at
            if threading.get_ident() == job_thread:
                Timetable.objects.filter(pk=tt.pk).update(progress=data)
            elif live:
                # the solver calls back from its own thread: use (and close) that thread's connection
                try:
                    Timetable.objects.filter(pk=tt.pk).update(progress=data)
                finally:
                    connections.close_all()

        solution = engine.solve(built.problem, time_limit=tt.time_limit, seed=0, workers=2, progress=progress)
        stats = {
            "elapsed": round(time.monotonic() - started, 2),
            "wall": round(solution.wall_seconds, 2),
            "solutions": (solution.stats or {}).get("solutions"),
            "objective": solution.soft_penalty,
            "placed": len(solution.placements),
            "total": total,
            "limit": tt.time_limit,
        }
        if not solution.placements or solution.status in ("infeasible", "unknown"):
            reasons = list(solution.conflicts)
            if solution.status == "infeasible" and not reasons:
                reasons = list(engine.explain(built.problem, time_limit=min(20, tt.time_limit)))
            msg = (
                _("这些约束无法同时满足")
                if solution.status == "infeasible"
                else _("在 %(s)s 秒内没有找到可行课表，可以延长求解时限后再试") % {"s": tt.time_limit}
            )
            _finish(tt, TimetableStatus.FAILED, conflicts=_conflicts_json(reasons), message=msg, progress=stats)
            return TimetableStatus.FAILED
        with transaction.atomic():
            tt.entries.filter(locked=False).delete()
            locked = {(e.lesson_key, e.day, e.period) for e in tt.entries.all()}
            new = [
                e
                for e in entries_from_placements(tt, built, solution.placements)
                if (e.lesson_key, e.day, e.period) not in locked
            ]
            TimetableEntry.objects.bulk_create(new)
            _finish(
                tt,
                TimetableStatus.SOLVED,
                conflicts=[],
                message=(
                    _("已排好 %(n)s 节课") % {"n": len(solution.placements)}
                    if not solution.hard_violations
                    else _("排出 %(n)s 节课，但仍有 %(h)s 处硬冲突（标红），请调整或延长时限后重排")
                    % {"n": len(solution.placements), "h": solution.hard_violations}
                ),
                progress=stats,
                hard=solution.hard_violations,
                penalty=solution.soft_penalty,
            )
        return TimetableStatus.SOLVED
    except Exception as exc:
        logger.exception("timetable %s solve failed", timetable_id)
        _finish(tt, TimetableStatus.FAILED, conflicts=[], message=_("排课出错：%(e)s") % {"e": exc})
        return TimetableStatus.FAILED


def _finish(tt, status, *, conflicts, message, progress=None, hard=0, penalty=None) -> None:
    fields = {
        "status": status,
        "conflicts": conflicts,
        "message": str(message)[:300],
        "hard_violations": hard,
        "soft_penalty": penalty,
        "updated_at": timezone.now(),
    }
    if progress is not None:
        fields["progress"] = progress
    Timetable.objects.filter(pk=tt.pk).update(**fields)


@transaction.atomic
def entry_move(*, actor, entry: TimetableEntry, day: int, period: int) -> TimetableEntry:
    """Drag-and-drop: move one lesson to another slot of the week. Clashes are allowed (the page shows them in
    red and the version cannot be published until they are gone); leaving the week is not."""
    tt = entry.timetable
    _require(actor, "change", tt)
    _editable(tt)
    from .problem import week_setup_for

    setup = week_setup_for(tt.school)
    if not (0 <= day < setup.days and period >= 0 and period + entry.length <= setup.periods):
        raise ValidationError(_("目标时段超出了每周的上课时段"))
    before = {"day": entry.day, "period": entry.period}
    moved = _unit_of(entry)
    TimetableEntry.objects.filter(pk__in=[e.pk for e in moved]).update(day=day, period=period)
    entry.day, entry.period = day, period
    audit_record(
        actor=actor,
        action="timetableentry.move",
        obj=tt,
        object_repr=f"{tt.name}：{entry.klass.name} {entry.subject.name}",
        changes={
            "entry": entry.pk,
            "entries": [e.pk for e in moved],
            "from": before,
            "to": {"day": day, "period": period},
        },
    )
    return entry


def _unit_of(entry: TimetableEntry) -> list[TimetableEntry]:
    """The rows that move and lock together with ``entry``: all classes (and 走班 groups) of its 合班/走班
    occurrence, or the entry alone."""
    if not entry.parallel_key:
        return [entry]
    return list(TimetableEntry.objects.filter(timetable_id=entry.timetable_id, parallel_key=entry.parallel_key))


@transaction.atomic
def entry_lock(*, actor, entry: TimetableEntry, locked: bool) -> TimetableEntry:
    """Lock a lesson in its slot (it stays there when the rest is solved again), or unlock it."""
    tt = entry.timetable
    _require(actor, "change", tt)
    _editable(tt)
    unit = _unit_of(entry)
    TimetableEntry.objects.filter(pk__in=[e.pk for e in unit]).update(locked=locked)
    entry.locked = locked
    audit_record(
        actor=actor,
        action="timetableentry.lock" if locked else "timetableentry.unlock",
        obj=tt,
        object_repr=f"{tt.name}：{entry.klass.name} {entry.subject.name}",
        changes={"entry": entry.pk, "entries": [e.pk for e in unit]},
    )
    return entry


@transaction.atomic
def timetable_publish(*, actor, timetable: Timetable, effective_from: dt.date) -> Timetable:
    """Publish a solved version from ``effective_from``: it becomes the timetable everyone sees; the version
    published before it is kept (停用). A version with clashes cannot be published."""
    from .checks import entry_conflicts

    _require(actor, "publish", timetable)
    if timetable.status != TimetableStatus.SOLVED:
        raise ValidationError(_("只有已排好的课表可以发布（当前状态：%(s)s）") % {"s": timetable.get_status_display()})
    if not timetable.entries.exists():
        raise ValidationError(_("课表还没有任何课"))
    problems = entry_conflicts(timetable)
    if problems:
        raise ValidationError(_("还有 %(n)s 节课存在冲突（标红的格子），请先调整") % {"n": len(problems)})
    if effective_from is None:
        raise ValidationError({"effective_from": _("请填写生效日期")})
    previous = list(
        Timetable.objects.select_for_update().filter(school=timetable.school, status=TimetableStatus.PUBLISHED)
    )
    for old in previous:
        old.status = TimetableStatus.ARCHIVED
        old.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="timetable.archive", obj=old)
    timetable.status = TimetableStatus.PUBLISHED
    timetable.effective_from = effective_from
    timetable.published_at = timezone.now()
    timetable.save(update_fields=["status", "effective_from", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="timetable.publish",
        obj=timetable,
        changes={"effective_from": effective_from.isoformat(), "replaces": [o.pk for o in previous]},
    )
    return timetable


# --- 调课 / 代课 ------------------------------------------------------------------------------------------


def _users_of(people) -> list[User]:
    ids = [p.pk for p in people if p is not None]
    return list(User.objects.filter(person_id__in=ids, is_active=True))


WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


PARALLEL_SWAP_REFUSED = gettext_lazy("合班/走班课不能单独对调，请在排课管理中调整")


def lesson_classes(rows: list[TimetableEntry]) -> str:
    """The classes of a lesson's rows, as a user reads them (“七年级（1）班、七年级（2）班”)."""
    return "、".join(dict.fromkeys(e.klass.name for e in rows))


def _lesson_weekday_check(entry: TimetableEntry, date: dt.date, label: str) -> None:
    if date.weekday() != entry.day:
        raise ValidationError(
            {label: _("%(date)s 不是这节课所在的%(day)s") % {"date": date.isoformat(), "day": WEEKDAYS[entry.day]}}
        )


@transaction.atomic
def substitution_request(
    *,
    actor,
    entry: TimetableEntry,
    date: dt.date,
    reason: str,
    kind: str = SubstitutionKind.SUBSTITUTE,
    substitute: Person | None = None,
    swap_entry: TimetableEntry | None = None,
    swap_date: dt.date | None = None,
) -> Substitution:
    """A teacher asks for a 代课 (a colleague teaches this lesson on ``date``) or a 调课 (this lesson and
    ``swap_entry`` of the same class change places for that week). The school admin may file it for anyone.

    A 代课 asked on one row of a 合班 covers the whole lesson (every class taught together), one of a 走班 teaching
    group covers that group's classes only. A 合班/走班 lesson cannot be swapped on its own: its classes (and the
    other groups of the block) would have to move with it."""
    from .selectors import entry_teaching_rows, teacher_busy, version_in_force

    tt = entry.timetable
    if tt.published_at is None:
        raise ValidationError(_("只能对已发布课表中的课申请调课或代课"))
    sub = Substitution(
        school_id=tt.school_id,
        entry=entry,
        klass_id=entry.klass_id,
        kind=kind,
        date=date,
        original_teacher_id=entry.teacher_id,
        substitute=substitute,
        swap_entry=swap_entry,
        swap_date=swap_date,
        reason=(reason or "").strip(),
        requested_by=actor,
    )
    _require(actor, "add", sub)
    is_admin = can_approve(actor, sub)
    if not is_admin and (actor.person_id is None or actor.person_id != entry.teacher_id):
        raise PermissionDenied(_("只能为自己的课申请调课或代课"))
    if not sub.reason:
        raise ValidationError({"reason": _("请填写原因")})
    if date < timezone.localdate():
        raise ValidationError({"date": _("不能为已经过去的日期申请")})
    if tt.effective_from and date < tt.effective_from:
        raise ValidationError({"date": _("该日期早于课表生效日期 %(d)s") % {"d": tt.effective_from.isoformat()}})
    if version_in_force(Timetable.objects.filter(school_id=tt.school_id), date) != tt:
        raise ValidationError({"date": _("%(d)s 那一周执行的是另一版课表") % {"d": date.isoformat()}})
    _lesson_weekday_check(entry, date, "date")
    if kind == SubstitutionKind.SUBSTITUTE:
        if substitute is None:
            raise ValidationError({"substitute": _("请选择代课教师")})
        if substitute.pk == entry.teacher_id:
            raise ValidationError({"substitute": _("代课教师不能是原任课教师")})
        _teacher_of_school(tt.school, substitute)
        if teacher_busy(timetable=tt, teacher_id=substitute.pk, date=date, day=entry.day, periods=entry.periods()):
            raise ValidationError({"substitute": _("%(name)s 在这节课的时间已有课") % {"name": substitute.name}})
    elif kind == SubstitutionKind.SWAP:
        if entry.parallel_key:
            raise ValidationError({"kind": PARALLEL_SWAP_REFUSED})
        if swap_entry is None or swap_date is None:
            raise ValidationError({"swap_entry": _("请选择要对调的课和日期")})
        if swap_entry.parallel_key:
            raise ValidationError({"swap_entry": PARALLEL_SWAP_REFUSED})
        if swap_entry.timetable_id != tt.pk or swap_entry.klass_id != entry.klass_id or swap_entry.pk == entry.pk:
            raise ValidationError({"swap_entry": _("只能与同一班级的另一节课对调")})
        if swap_entry.length != entry.length:
            raise ValidationError({"swap_entry": _("连堂只能与连堂对调")})
        _lesson_weekday_check(swap_entry, swap_date, "swap_date")
        if date.isocalendar()[:2] != swap_date.isocalendar()[:2]:
            raise ValidationError({"swap_date": _("对调的两节课须在同一周")})
        sub.substitute_id = swap_entry.teacher_id
    else:
        raise ValidationError({"kind": _("未知的类型")})
    rows = entry_teaching_rows(entry)
    if Substitution.objects.filter(
        entry__in=rows, date=date, status__in=[SubstitutionStatus.PENDING, SubstitutionStatus.APPROVED]
    ).exists():
        raise ValidationError({"date": _("这节课在该日期已有调课/代课申请")})
    _save(sub)
    changes = diff({}, snapshot(sub))
    if len(rows) > 1:
        changes["entries"] = [e.pk for e in rows]
    audit_record(actor=actor, action="substitution.request", obj=sub, changes=changes)
    admins = User.objects.filter(
        role_grants__role="school_admin", role_grants__school_id=tt.school_id, is_active=True
    ).distinct()
    notify(
        users=list(admins),
        title=_("%(name)s 申请%(kind)s")
        % {"name": entry.teacher.name if entry.teacher else "", "kind": sub.get_kind_display()},
        body=f"{lesson_classes(rows)} {entry.subject.name} {date.isoformat()}",
        url=f"/timetable/substitutions/{sub.pk}/",
        kind="timetable.substitution",
        actor=actor,
    )
    return sub


def can_approve(user, sub: Substitution) -> bool:
    from core.scope import can

    return can(user, "approve", sub)


@transaction.atomic
def substitution_decide(
    *, actor, substitution: Substitution, approve: bool, note: str = "", substitute: Person | None = None
) -> Substitution:
    """The 教务 approves (optionally choosing another substitute) or rejects a request; the teachers involved
    and the class's head teacher are notified."""
    from .selectors import entry_teaching_rows, teacher_busy

    sub = Substitution.objects.select_for_update().get(pk=substitution.pk)
    _require(actor, "approve", sub)
    if sub.status != SubstitutionStatus.PENDING:
        raise ValidationError(_("该申请已处理（%(s)s）") % {"s": sub.get_status_display()})
    before = snapshot(sub)
    if approve and sub.kind == SubstitutionKind.SUBSTITUTE and substitute is not None and substitute != sub.substitute:
        _teacher_of_school(sub.school, substitute)
        entry = sub.entry
        if teacher_busy(
            timetable=entry.timetable, teacher_id=substitute.pk, date=sub.date, day=entry.day, periods=entry.periods()
        ):
            raise ValidationError({"substitute": _("%(name)s 在这节课的时间已有课") % {"name": substitute.name}})
        sub.substitute = substitute
    sub.status = SubstitutionStatus.APPROVED if approve else SubstitutionStatus.REJECTED
    sub.decided_by = actor
    sub.decided_at = timezone.now()
    sub.decision_note = (note or "").strip()[:200]
    _save(sub)
    audit_record(actor=actor, action="substitution.decide", obj=sub, changes=diff(before, snapshot(sub)))
    entry = sub.entry
    # a 代课 of a 合班/走班 lesson concerns every class taught in it: all their head teachers hear of it
    rows = entry_teaching_rows(entry) if sub.kind == SubstitutionKind.SUBSTITUTE else [entry]
    people = [sub.original_teacher, sub.substitute, *(e.klass.head_teacher for e in rows)]
    what = f"{sub.date.isoformat()} {lesson_classes(rows)} {entry.subject.name}"
    notify(
        users=_users_of(people),
        title=(_("%(kind)s已批准") if approve else _("%(kind)s未批准")) % {"kind": sub.get_kind_display()},
        body=what + (f"：{sub.substitute.name}" if approve and sub.substitute else ""),
        url=f"/timetable/substitutions/{sub.pk}/",
        kind="timetable.substitution",
        actor=actor,
    )
    return sub


@transaction.atomic
def substitution_cancel(*, actor, substitution: Substitution) -> Substitution:
    """The requester withdraws a pending request."""
    sub = Substitution.objects.select_for_update().get(pk=substitution.pk)
    if sub.requested_by_id != actor.pk:
        raise PermissionDenied(_("只能撤回自己的申请"))
    if sub.status != SubstitutionStatus.PENDING:
        raise ValidationError(_("该申请已处理，不能撤回"))
    sub.status = SubstitutionStatus.CANCELLED
    sub.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="substitution.cancel", obj=sub)
    return sub


# --- iCalendar --------------------------------------------------------------------------------------------


@transaction.atomic
def calendar_token_regenerate(*, actor) -> str:
    """A new secret for the user's 课表订阅 URL; the old URL stops working at once."""
    from .models import CalendarFeed

    feed, _created = CalendarFeed.objects.get_or_create(user=actor, defaults={"token": CalendarFeed.new_token()})
    if not _created:
        feed.token = CalendarFeed.new_token()
        feed.save(update_fields=["token", "updated_at"])
    audit_record(
        actor=actor, action="calendarfeed.regenerate", object_type="timetable.calendarfeed", object_id=str(feed.pk)
    )
    return feed.token


def calendar_token(*, user) -> str:
    from .models import CalendarFeed

    feed = CalendarFeed.objects.filter(user=user).first()
    return feed.token if feed else calendar_token_regenerate(actor=user)


def can_change(user, timetable: Timetable) -> bool:
    from core.scope import can

    return can(user, "change", timetable)


def can_publish(user, timetable: Timetable) -> bool:
    from core.scope import can

    return can(user, "publish", timetable)


# --- room availability and teachers' 尽量不排 wishes ----------------------------------------------------------


def _slot_check(school: School, day: int, period: int, label: str) -> None:
    """A clicked slot must lie inside the school's week (else a ValidationError naming ``label``)."""
    from .problem import week_setup_for

    setup = week_setup_for(school)
    slots_clean([[day, period]], setup.days, setup.periods, label)


def _slot_flip(slots, day: int, period: int) -> tuple[list[list[int]], bool]:
    """``slots`` with ``[day, period]`` added when absent or removed when present; and whether it is now in."""
    current = [[int(d), int(p)] for d, p in slots or []]
    if [day, period] in current:
        return [s for s in current if s != [day, period]], False
    return [*current, [day, period]], True


def room_slot_toggle(*, actor, room: Room, day: int, period: int) -> bool:
    """Click on a room's grid: mark a slot in which the room cannot be used (维修, 借给考试…), or free it again.
    The engine never places a lesson in the room at a marked slot. Returns whether the slot is now unavailable."""
    _slot_check(room.school, day, period, _("场室不可用时段"))
    slots, now_off = _slot_flip(room.unavailable, day, period)
    room_save(actor=actor, school=room.school, room=room, unavailable=slots)
    return now_off


def teacher_preferred_toggle(*, actor, school: School, teacher: Person, day: int, period: int) -> bool:
    """The 教务 marks a slot the teacher would rather not teach (尽量不排, a soft wish the engine avoids when it
    can) or clears it. A slot marked 不可排 becomes 尽量不排. Returns whether the slot is now a wish."""
    _slot_check(school, day, period, _("尽量不排时段"))
    rule = TeacherRule.objects.filter(school=school, teacher=teacher).first()
    preferred, now_on = _slot_flip(rule.preferred_off if rule else [], day, period)
    unavailable = [list(s) for s in (rule.unavailable if rule else [])]
    if now_on:
        unavailable = [s for s in unavailable if s != [day, period]]
    teacher_rule_set(actor=actor, school=school, teacher=teacher, preferred_off=preferred, unavailable=unavailable)
    return now_on


def teacher_wish_limit(school: School) -> int:
    """How many 尽量不排 slots a teacher may ask for themselves: two a school day on average, so that the wishes
    of a whole staff can still be honoured."""
    from .problem import week_setup_for

    return 2 * week_setup_for(school).days


@transaction.atomic
def teacher_wish_toggle(*, actor, school: School, day: int, period: int) -> bool:
    """A teacher marks one of their own 尽量不排 slots at ``school`` (or clears it) from 我的课表. Only wishes: the
    不可排 slots set by the 教务 cannot be changed here. Returns whether the slot is now a wish."""
    from .problem import week_setup_for

    person = getattr(actor, "person", None)
    if person is None:
        raise PermissionDenied(_("只有教职工可以填写排课意愿"))
    if not StaffPost.objects.filter(school=school, person=person, archived_at__isnull=True).exists():
        raise PermissionDenied(_("无权执行此操作"))
    _slot_check(school, day, period, _("尽量不排时段"))
    rule = TeacherRule.objects.select_for_update().filter(school=school, teacher=person).first() or TeacherRule(
        school=school, teacher=person
    )
    setup = week_setup_for(school)
    cell = setup.slot_name(day, period)
    if [day, period] in [[int(d), int(p)] for d, p in rule.unavailable or []]:
        raise ValidationError({"preferred_off": _("%(cell)s 已由教务设为不可排，请联系教务修改") % {"cell": cell}})
    if (day, period) in {(int(d), int(p)) for d, p in setup.blocked or []}:
        raise ValidationError({"preferred_off": _("%(cell)s 全校不排课，不必再标记") % {"cell": cell}})
    before = snapshot(rule) if rule.pk else {}
    preferred, now_on = _slot_flip(rule.preferred_off, day, period)
    limit = teacher_wish_limit(school)
    if now_on and len(preferred) > limit:
        raise ValidationError({"preferred_off": _("尽量不排时段最多标记 %(n)s 个，请先取消一些再添加") % {"n": limit}})
    rule.preferred_off = slots_clean(preferred, setup.days, setup.periods, _("尽量不排时段"))
    _save(rule)
    audit_record(actor=actor, action="teacherrule.wish", obj=rule, changes=diff(before, snapshot(rule)))
    return now_on
