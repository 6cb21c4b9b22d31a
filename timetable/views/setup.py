"""排课设置 pages of a school's 教务: overview (checklist and versions), week (作息, blocked slots, weights),
课时计划 per grade with the 任课 coverage, rooms, teacher and class constraints (click grids)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import Class, Grade, Person, Subject, TeachingAssignment
from core.services import current_term
from core.views.common import apply_service_errors

from .. import selectors as sel
from .. import services
from ..forms import RoomForm, VersionCreateForm, WeekSetupForm
from ..models import ROOM_TYPES, ClassRule, CoursePlan, Room, TeacherRule, Timetable
from ..problem import week_setup_for
from .access import class_get, school_for_setup, teacher_in_school
from .slots import error_text, slot_args, slot_grid


@login_required
def manage_index(request):
    """排课管理: the schools whose timetables the user manages or reads."""
    schools = sel.viewable_schools(request.user)
    return render(request, "timetable/manage/index.html", {"title": _("排课管理"), "schools": schools})


def _nav(school, active: str) -> dict:
    return {"school": school, "active": active}


@login_required
def manage(request, school: int):
    """The school's timetable workspace: what is set up, what is missing, and the versions."""
    school = school_for_setup(request.user, school)
    term = current_term(district_id=school.district_id)
    setup = week_setup_for(school)
    classes = Class.objects.filter(school=school, archived_at__isnull=True)
    plans = CoursePlan.objects.filter(school=school)
    graded = set(plans.values_list("grade_id", flat=True))
    missing_plan = [c for c in classes.select_related("grade") if c.grade_id not in graded]
    tas = TeachingAssignment.objects.filter(klass__in=classes, term=term) if term else TeachingAssignment.objects.none()
    covered = set(tas.values_list("klass__grade_id", "klass_id", "subject_id"))
    missing_ta = 0
    for c in classes:
        for plan in plans:
            if plan.grade_id == c.grade_id and (c.grade_id, c.pk, plan.subject_id) not in covered:
                missing_ta += 1
    versions = Timetable.objects.visible_to(request.user).filter(school=school).select_related("term", "created_by")
    form = VersionCreateForm(initial={"time_limit": 30})
    checklist = [
        {
            "label": _("作息与周设置"),
            "ok": setup.pk is not None,
            "text": _("每周 %(d)s 天，每天 %(p)s 节（上午 %(m)s 节）")
            % {"d": setup.days, "p": setup.periods, "m": setup.morning},
            "url": reverse("timetable:week", args=[school.pk]),
        },
        {
            "label": _("课时计划"),
            "ok": bool(graded) and not missing_plan,
            "text": _("%(n)s 个年级已设置") % {"n": len(graded)}
            + (_("，%(m)s 个班级所在年级未设置") % {"m": len(missing_plan)} if missing_plan else ""),
            "url": reverse("timetable:plans", args=[school.pk]),
        },
        {
            "label": _("任课安排"),
            "ok": missing_ta == 0 and tas.exists(),
            "text": (_("%(n)s 条任课") % {"n": tas.count()})
            + (_("，%(m)s 个班级学科缺任课教师") % {"m": missing_ta} if missing_ta else ""),
            "url": reverse("timetable:plans", args=[school.pk]),
        },
        {
            "label": _("场室"),
            "ok": True,
            "text": _("%(n)s 间专用场室") % {"n": Room.objects.filter(school=school, is_active=True).count()},
            "url": reverse("timetable:rooms", args=[school.pk]),
        },
        {
            "label": _("教师约束"),
            "ok": True,
            "text": _("%(n)s 位教师设置了约束") % {"n": TeacherRule.objects.filter(school=school).count()},
            "url": reverse("timetable:teachers", args=[school.pk]),
        },
    ]
    return render(
        request,
        "timetable/manage/school.html",
        {
            "title": _("排课管理"),
            "nav": _nav(school, "overview"),
            "school": school,
            "term": term,
            "checklist": checklist,
            "versions": versions,
            "form": form,
            "can_change": sel.can_view_setup(request.user, school) and school in sel.managed_schools(request.user),
        },
    )


@login_required
def week(request, school: int):
    school = school_for_setup(request.user, school)
    setup = week_setup_for(school)
    can_change = school in sel.managed_schools(request.user)
    if request.method == "POST":
        school = school_for_setup(request.user, school.pk, "change")
        form = WeekSetupForm(request.POST)
        if form.is_valid():
            try:
                services.week_setup_save(actor=request.user, school=school, **form.service_kwargs())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("作息与周设置已保存"))
                return redirect("timetable:week", school.pk)
    else:
        form = WeekSetupForm(initial=WeekSetupForm.initial_from(setup))
    grid = slot_grid(setup, set(), reverse("timetable:week_slot", args=[school.pk]))
    return render(
        request,
        "timetable/manage/week.html",
        {"title": _("作息与周设置"), "nav": _nav(school, "week"), "form": form, "grid": grid, "can_change": can_change},
    )


@login_required
@require_POST
def week_slot(request, school: int):
    """htmx: block or unblock one slot for the whole school; answers with the grid."""
    school = school_for_setup(request.user, school, "change")
    try:
        services.week_slot_toggle(
            actor=request.user, school=school, day=int(request.POST["day"]), period=int(request.POST["period"])
        )
    except (KeyError, ValueError, ValidationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [_("时段不正确")])))
    setup = week_setup_for(school)
    grid = slot_grid(setup, set(), reverse("timetable:week_slot", args=[school.pk]))
    return render(request, "timetable/partials/slot_grid.html", {"grid": grid, "mode": "blocked", "can_change": True})


def _grades(school):
    return list(Grade.objects.filter(school=school, archived_at__isnull=True, classes__isnull=False).distinct())


@login_required
def plans(request, school: int):
    """课时计划 of one grade (subject × periods/week, 连堂, 主科, room type) and who teaches each class."""
    school = school_for_setup(request.user, school)
    grades = _grades(school)
    grade = next((g for g in grades if str(g.pk) == request.GET.get("grade", "")), grades[0] if grades else None)
    can_change = school in sel.managed_schools(request.user)
    subjects = []
    if grade is not None:
        subjects = [
            s for s in Subject.objects.filter(district_id=school.district_id, is_active=True) if grade.stage in s.stages
        ]
    errors = []
    if request.method == "POST" and grade is not None:
        school = school_for_setup(request.user, school.pk, "change")
        saved = 0
        for s in subjects:
            raw = request.POST.get(f"n_{s.pk}", "").strip() or "0"
            raw_d = request.POST.get(f"d_{s.pk}", "").strip() or "0"
            if not raw.isdigit() or not raw_d.isdigit():
                errors.append(_("%(subject)s：周课时和连堂次数须为整数") % {"subject": s.name})
                continue
            try:
                services.course_plan_set(
                    actor=request.user,
                    grade=grade,
                    subject=s,
                    periods_per_week=int(raw),
                    doubles=int(raw_d),
                    is_main=bool(request.POST.get(f"m_{s.pk}")),
                    room_type=request.POST.get(f"r_{s.pk}", ""),
                )
                saved += 1
            except ValidationError as exc:
                errors.append(f"{s.name}：" + "；".join(exc.messages))
        if not errors:
            messages.success(request, _("%(grade)s 的课时计划已保存") % {"grade": grade.label()})
            return redirect(reverse("timetable:plans", args=[school.pk]) + f"?grade={grade.pk}")
    plan_by_subject = {p.subject_id: p for p in CoursePlan.objects.filter(grade=grade)} if grade else {}
    rows = []
    for s in subjects:
        p = plan_by_subject.get(s.pk)
        rows.append(
            {
                "subject": s,
                "n": request.POST.get(f"n_{s.pk}") if errors else (p.periods_per_week if p else ""),
                "d": request.POST.get(f"d_{s.pk}") if errors else (p.doubles if p else 0),
                "main": bool(request.POST.get(f"m_{s.pk}")) if errors else (p.is_main if p else False),
                "room_type": request.POST.get(f"r_{s.pk}") if errors else (p.room_type if p else ""),
            }
        )
    total = sum(p.periods_per_week for p in plan_by_subject.values())
    setup = week_setup_for(school)
    capacity = setup.days * setup.periods - len(setup.blocked or [])
    # 任课 coverage of the grade's classes
    term = current_term(district_id=school.district_id)
    classes = list(Class.objects.filter(grade=grade, archived_at__isnull=True)) if grade else []
    tas = {}
    if term and classes:
        for ta in TeachingAssignment.objects.filter(klass__in=classes, term=term).select_related("teacher"):
            tas[(ta.klass_id, ta.subject_id)] = ta
    planned = [s for s in subjects if s.pk in plan_by_subject]
    coverage = [{"klass": c, "cells": [tas.get((c.pk, s.pk)) for s in planned]} for c in classes]
    return render(
        request,
        "timetable/manage/plans.html",
        {
            "title": _("课时计划"),
            "nav": _nav(school, "plans"),
            "grades": grades,
            "grade": grade,
            "rows": rows,
            "errors": errors,
            "room_types": ROOM_TYPES,
            "total": total,
            "capacity": capacity,
            "planned": planned,
            "coverage": coverage,
            "can_change": can_change,
        },
    )


@login_required
def rooms(request, school: int):
    school = school_for_setup(request.user, school)
    can_change = school in sel.managed_schools(request.user)
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = Room.objects.visible_to(request.user).filter(school=school, pk=int(request.GET["edit"])).first()
    if request.method == "POST":
        school = school_for_setup(request.user, school.pk, "change")
        rid = request.POST.get("room", "")
        editing = Room.objects.visible_to(request.user).filter(school=school, pk=rid).first() if rid.isdigit() else None
        form = RoomForm(request.POST, instance=Room(school=school))
        if form.is_valid():
            fields = {k: form.cleaned_data[k] for k in ("name", "room_type", "capacity", "is_active")}
            try:
                services.room_save(actor=request.user, school=school, room=editing, **fields)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("场室“%(name)s”已保存") % {"name": fields["name"]})
                return redirect("timetable:rooms", school.pk)
    else:
        form = RoomForm(instance=editing or Room(school=school))
    room_list = Room.objects.visible_to(request.user).filter(school=school)
    return render(
        request,
        "timetable/manage/rooms.html",
        {
            "title": _("场室"),
            "nav": _nav(school, "rooms"),
            "rooms": room_list,
            "form": form,
            "editing": editing,
            "can_change": can_change,
        },
    )


@login_required
def teachers(request, school: int):
    """Teachers of the school with their weekly load and constraints."""
    school = school_for_setup(request.user, school)
    term = current_term(district_id=school.district_id)
    load = {}
    if term:
        load = dict(
            TeachingAssignment.objects.filter(klass__school=school, term=term)
            .values("teacher_id")
            .annotate(n=Sum("periods_per_week"))
            .values_list("teacher_id", "n")
        )
    people = (
        Person.objects.filter(staff_posts__school=school, staff_posts__archived_at__isnull=True)
        .distinct()
        .order_by("name")
    )
    rules = {r.teacher_id: r for r in TeacherRule.objects.visible_to(request.user).filter(school=school)}
    rows = [
        {
            "person": p,
            "load": load.get(p.pk, 0),
            "unavailable": len(rules[p.pk].unavailable) if p.pk in rules else 0,
            "preferred_off": len(rules[p.pk].preferred_off) if p.pk in rules else 0,
            "max_per_day": rules[p.pk].max_per_day if p.pk in rules else None,
        }
        for p in people
    ]
    rows.sort(key=lambda r: (-r["load"], r["person"].name))
    classes = Class.objects.filter(school=school, archived_at__isnull=True).select_related("grade")
    class_rules = {
        r.klass_id: r for r in ClassRule.objects.visible_to(request.user).filter(school=school).annotate(n=Count("pk"))
    }
    class_rows = [
        {
            "klass": c,
            "unavailable": len(class_rules[c.pk].unavailable) if c.pk in class_rules else 0,
            "max_per_day": class_rules[c.pk].max_per_day if c.pk in class_rules else None,
        }
        for c in classes
    ]
    return render(
        request,
        "timetable/manage/teachers.html",
        {"title": _("教师与班级约束"), "nav": _nav(school, "teachers"), "rows": rows, "class_rows": class_rows},
    )


def _int_or_none(raw: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationError(_("“%(v)s”不是整数") % {"v": raw})
    return int(raw)


@login_required
def teacher_rule(request, school: int, person: int):
    """One teacher's constraints: click the grid to mark slots they cannot teach; daily and consecutive caps."""
    school = school_for_setup(request.user, school)
    teacher = teacher_in_school(school, person)
    can_change = school in sel.managed_schools(request.user)
    if request.method == "POST":
        school = school_for_setup(request.user, school.pk, "change")
        try:
            services.teacher_rule_set(
                actor=request.user,
                school=school,
                teacher=teacher,
                max_per_day=_int_or_none(request.POST.get("max_per_day")),
                max_consecutive=_int_or_none(request.POST.get("max_consecutive")),
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("%(name)s 的约束已保存") % {"name": teacher.name})
            return redirect("timetable:teacher_rule", school.pk, teacher.pk)
    grid = _teacher_grid(school, teacher)
    return render(
        request,
        "timetable/manage/rule.html",
        {
            "title": _("教师约束"),
            "nav": _nav(school, "teachers"),
            "heading": _("%(name)s 的排课约束") % {"name": teacher.name},
            "grid": grid,
            "rule": TeacherRule.objects.filter(school=school, teacher=teacher).first(),
            "teacher": teacher,
            "can_change": can_change,
            "kind": "teacher",
            "paint": "hard",
        },
    )


def _teacher_grid(school, teacher) -> dict:
    """A teacher's grid: 不可排 (hard, red) and 尽量不排 (soft, amber) slots."""
    rule = TeacherRule.objects.filter(school=school, teacher=teacher).first()
    setup = week_setup_for(school)
    return slot_grid(
        setup,
        {(d, p) for d, p in (rule.unavailable if rule else [])},
        reverse("timetable:teacher_slot", args=[school.pk, teacher.pk]),
        soft={(d, p) for d, p in (rule.preferred_off if rule else [])},
    )


@login_required
@require_POST
def teacher_slot(request, school: int, person: int):
    """htmx: one click on the teacher's grid, as 不可排 (``paint=hard``, the default) or 尽量不排 (``paint=soft``)."""
    school = school_for_setup(request.user, school, "change")
    teacher = teacher_in_school(school, person)
    paint = request.POST.get("paint", "hard")
    error = ""
    try:
        day, period = slot_args(request)
        if paint == "soft":
            services.teacher_preferred_toggle(
                actor=request.user, school=school, teacher=teacher, day=day, period=period
            )
        elif paint == "hard":
            services.teacher_slot_toggle(actor=request.user, school=school, teacher=teacher, day=day, period=period)
        else:
            raise ValidationError(_("标记方式不正确：请选择“不可排”或“尽量不排”"))
    except ValidationError as exc:
        error = error_text(exc)
    return render(
        request,
        "timetable/partials/slot_grid.html",
        {"grid": _teacher_grid(school, teacher), "mode": "teacher", "can_change": True, "error": error},
    )


def _room_get(user, school, pk: int) -> Room:
    room = Room.objects.visible_to(user).filter(school=school, pk=pk).select_related("school").first()
    if room is None:
        raise Http404("未找到")
    return room


def _room_grid(room) -> dict:
    setup = week_setup_for(room.school)
    marked = {(d, p) for d, p in room.unavailable or []}
    return slot_grid(setup, marked, reverse("timetable:room_slot", args=[room.school_id, room.pk]))


@login_required
def room_rule(request, school: int, room: int):
    """One room's week: click the slots in which it cannot be used (维修, 考试借用…); the engine avoids them."""
    school = school_for_setup(request.user, school)
    room = _room_get(request.user, school, room)
    return render(
        request,
        "timetable/manage/room_rule.html",
        {
            "title": _("场室不可用时段"),
            "nav": _nav(school, "rooms"),
            "room": room,
            "grid": _room_grid(room),
            "can_change": school in sel.managed_schools(request.user),
        },
    )


@login_required
@require_POST
def room_slot(request, school: int, room: int):
    """htmx: mark one slot of the room unavailable or free again; answers with the grid."""
    school = school_for_setup(request.user, school, "change")
    room = _room_get(request.user, school, room)
    error = ""
    try:
        day, period = slot_args(request)
        services.room_slot_toggle(actor=request.user, room=room, day=day, period=period)
    except ValidationError as exc:
        error = error_text(exc)
    room.refresh_from_db()
    return render(
        request,
        "timetable/partials/slot_grid.html",
        {
            "grid": _room_grid(room),
            "mode": "unavailable",
            "unavailable_label": _("不可用"),
            "can_change": True,
            "error": error,
        },
    )


@login_required
def class_rule(request, pk: int):
    klass = class_get(request.user, pk)
    school = school_for_setup(request.user, klass.school_id)
    can_change = school in sel.managed_schools(request.user)
    if request.method == "POST":
        school_for_setup(request.user, school.pk, "change")
        try:
            services.class_rule_set(
                actor=request.user, klass=klass, max_per_day=_int_or_none(request.POST.get("max_per_day"))
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("%(name)s 的约束已保存") % {"name": klass.name})
            return redirect("timetable:class_rule", klass.pk)
    rule = ClassRule.objects.filter(klass=klass).first()
    setup = week_setup_for(school)
    marked = {(d, p) for d, p in (rule.unavailable if rule else [])}
    grid = slot_grid(setup, marked, reverse("timetable:class_slot", args=[klass.pk]))
    return render(
        request,
        "timetable/manage/rule.html",
        {
            "title": _("班级约束"),
            "nav": _nav(school, "teachers"),
            "heading": _("%(name)s 的排课约束") % {"name": klass.name},
            "grid": grid,
            "rule": rule,
            "can_change": can_change,
            "kind": "class",
        },
    )


@login_required
@require_POST
def class_slot(request, pk: int):
    klass = class_get(request.user, pk)
    school = school_for_setup(request.user, klass.school_id, "change")
    try:
        services.class_slot_toggle(
            actor=request.user, klass=klass, day=int(request.POST["day"]), period=int(request.POST["period"])
        )
    except (KeyError, ValueError) as exc:
        raise ValidationError(_("时段不正确")) from exc
    rule = ClassRule.objects.get(klass=klass)
    setup = week_setup_for(school)
    grid = slot_grid(setup, {(d, p) for d, p in rule.unavailable}, reverse("timetable:class_slot", args=[klass.pk]))
    return render(
        request, "timetable/partials/slot_grid.html", {"grid": grid, "mode": "unavailable", "can_change": True}
    )
