"""Reads of 家校互动; every query starts from ``visible_to(user, action)``."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db.models import Q, Sum

from core.models import Class, Guardianship, Student
from core.scope import can, can_any, roles_of

from .models import (
    PENDING_LEAVE,
    AttendanceKind,
    AttendanceMark,
    AttendanceSheet,
    BindingRequest,
    BindingStatus,
    LeaveRequest,
    LeaveStatus,
)

KINDS = list(AttendanceKind.values)


def chart_floor(values) -> int:
    """Lower bound of a rate axis: 80 % unless a value is lower (rates near 100 % need a zoomed axis)."""
    low = min((v for v in values if v is not None), default=100)
    return max(0, min(80, int((low - 1) // 10) * 10))


def month_bounds(month: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of ``month`` ("2026-11"); the current month when missing or malformed."""
    try:
        year, mon = (int(x) for x in (month or "").split("-"))
        first = dt.date(year, mon, 1)
    except (TypeError, ValueError):
        first = today.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def rate(expected: int, absent: int, leave: int) -> float | None:
    """出勤率 in percent: (应到 − 缺勤 − 请假) / 应到; 迟到 and 早退 count as present."""
    return round(100 * (expected - absent - leave) / expected, 1) if expected else None


def my_children(user) -> list[Guardianship]:
    if not user.person_id:
        return []
    return list(
        Guardianship.objects.visible_to(user)
        .filter(guardian_id=user.person_id)
        .select_related("student__person", "student__klass__grade", "student__school")
        .order_by("student__klass__grade__entry_year", "student_id")
    )


def my_binding_requests(user):
    """One's own binding requests that are not approved yet (pending or rejected): self-service, by person."""
    if not user.person_id:
        return BindingRequest.objects.none()
    return (
        BindingRequest.objects.filter(guardian_id=user.person_id)
        .exclude(status=BindingStatus.APPROVED)
        .select_related("student__person", "student__klass__grade", "student__school")
    )


def leaves_for(user, *, student_id: int | None = None, status: str = ""):
    qs = LeaveRequest.objects.visible_to(user).select_related("student__person", "klass__grade", "klass__school")
    if student_id is not None:
        qs = qs.filter(student_id=student_id)
    if status == "pending":
        qs = qs.filter(status__in=PENDING_LEAVE)
    elif status in LeaveStatus.values:
        qs = qs.filter(status=status)
    return qs


def leaves_to_decide(user):
    """Leaves waiting for this user's step: the 班主任's first step or the grade leader's second."""
    head = LeaveRequest.objects.visible_to(user, "approve").filter(status=LeaveStatus.PENDING_HEAD)
    # the first step is the 班主任's; others holding ``approve`` (school admins) only for classes without one
    head = head.filter(Q(klass__head_teacher_id=user.person_id or 0) | Q(klass__head_teacher__isnull=True))
    grade = LeaveRequest.objects.visible_to(user, "approve_grade").filter(status=LeaveStatus.PENDING_GRADE)
    return (
        LeaveRequest.objects.filter(Q(pk__in=head.values("pk")) | Q(pk__in=grade.values("pk")))
        .select_related("student__person", "klass__grade", "klass__school")
        .order_by("start_date", "id")
    )


def attendance_classes(user, *, action: str = "view") -> list[Class]:
    """Classes whose attendance the user may read (``view``) or take (``add``), below district level."""
    if not can_any(user, action, AttendanceSheet):
        return []
    classes = (
        Class.objects.visible_to(user)
        .filter(archived_at__isnull=True)
        .select_related("grade", "school")
        .order_by("school__code", "-grade__entry_year", "number")
    )
    return [k for k in classes if can(user, action, AttendanceSheet(klass=k))]


def binding_coverage(user, classes: list[Class]) -> dict[int, dict]:
    """Per class: enrolled students and how many have at least one parent bound (visible to ``user``)."""
    from django.db.models import Count, Exists, OuterRef

    bound = Guardianship.objects.visible_to(user).filter(student=OuterRef("pk"))
    rows = (
        Student.objects.visible_to(user)
        .filter(klass__in=classes, status="enrolled", archived_at__isnull=True)
        .annotate(has_parent=Exists(bound))
        .values("klass_id")
        .annotate(students=Count("pk"), bound=Count("pk", filter=Q(has_parent=True)))
    )
    return {r["klass_id"]: {"students": r["students"], "bound": r["bound"]} for r in rows}


def unbound_students(klass: Class) -> list[Student]:
    """Enrolled students of the class without any bound parent (the 班主任 reminds these families)."""
    students = class_students(klass)
    bound = set(Guardianship.objects.filter(student__in=students).values_list("student_id", flat=True))
    return [s for s in students if s.pk not in bound]


def class_students(klass: Class) -> list[Student]:
    return list(
        Student.objects.filter(klass=klass, status="enrolled", archived_at__isnull=True)
        .select_related("person")
        .order_by("class_no", "id")
    )


def class_month(*, user, klass: Class, first: dt.date, last: dt.date) -> dict:
    """Monthly statistics of one class: per day and per student counts by kind and 出勤率."""
    sheets = list(
        AttendanceSheet.objects.visible_to(user).filter(klass=klass, date__gte=first, date__lte=last).order_by("date")
    )
    marks = (
        AttendanceMark.objects.visible_to(user)
        .filter(sheet__in=[s.pk for s in sheets])
        .values_list("student_id", "kind")
    )
    per = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    for sid, kind in marks:
        per[sid][kind] += 1
    days = len(sheets)
    students = []
    for s in class_students(klass):
        c = per.get(s.pk, dict.fromkeys(KINDS, 0))
        students.append({"student": s, **c, "days": days, "rate": rate(days, c["absent"], c["leave"])})
    totals = {k: sum(getattr(s, k) for s in sheets) for k in KINDS}
    daily = [rate(s.expected, s.absent, s.leave) for s in sheets]
    expected = sum(s.expected for s in sheets)
    return {
        "sheets": sheets,
        "days": days,
        "students": students,
        "totals": totals,
        "expected": expected,
        "rate": rate(expected, totals["absent"], totals["leave"]),
        "chart": {
            "labels": [f"{s.date:%m-%d}" for s in sheets],
            "series": [{"name": "出勤率（%）", "type": "line", "values": daily}],
            "min": chart_floor(daily),
            "max": 100,
            "empty": "本月还没有考勤记录",
        },
    }


def overview(*, user, first: dt.date, last: dt.date) -> dict:
    """Rates over a month: by school for district roles, by class for school and grade roles."""
    sheets = AttendanceSheet.objects.visible_to(user).filter(date__gte=first, date__lte=last)
    by_school = "district_admin" in roles_of(user)
    keys = ["klass__school_id", "klass__school__name"] if by_school else ["klass_id"]
    rows = sheets.values(*keys).annotate(
        expected_sum=Sum("expected"),
        absent_sum=Sum("absent"),
        leave_sum=Sum("leave"),
        late_sum=Sum("late"),
        early_sum=Sum("early"),
    )
    out = []
    if by_school:
        for r in rows.order_by("klass__school__code"):
            out.append({"name": r["klass__school__name"], **_sums(r)})
    else:
        names = {k.pk: k for k in Class.objects.filter(pk__in=sheets.values("klass_id")).select_related("grade")}
        for r in rows:
            out.append({"name": names[r["klass_id"]].name, "klass": names[r["klass_id"]], **_sums(r)})
        out.sort(key=lambda r: (-r["klass"].grade.entry_year, r["klass"].number))
    return {
        "by_school": by_school,
        "rows": out,
        "chart": {
            "labels": [r["name"] for r in out],
            "name": "出勤率（%）",
            "values": [r["rate"] for r in out],
            "integer": False,
            "min": chart_floor([r["rate"] for r in out]),
            "max": 100,
            "empty": "本月还没有考勤记录",
        },
    }


def _sums(r: dict) -> dict:
    return {
        "expected": r["expected_sum"] or 0,
        "absent": r["absent_sum"] or 0,
        "leave": r["leave_sum"] or 0,
        "late": r["late_sum"] or 0,
        "early": r["early_sum"] or 0,
        "rate": rate(r["expected_sum"] or 0, r["absent_sum"] or 0, r["leave_sum"] or 0),
    }
