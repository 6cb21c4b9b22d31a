"""排课意愿: a teacher marks the slots they would rather not teach (尽量不排) at each of their schools, from 我的课表.
Only their own wishes; the 教务's 不可排 slots are shown but cannot be changed here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import School

from .. import services
from ..models import TeacherRule
from ..problem import week_setup_for
from .slots import error_text, slot_args, slot_grid


def _my_schools(user) -> list[School]:
    """The schools where the user is on the staff (none: not a teacher, nothing to see)."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return []
    return list(
        School.objects.filter(
            staff_posts__person_id=person_id, staff_posts__archived_at__isnull=True, archived_at__isnull=True
        )
        .distinct()
        .order_by("pk")
    )


def _school(user, raw) -> School:
    schools = _my_schools(user)
    if not schools:
        raise Http404("未找到")
    if raw in (None, ""):
        return schools[0]
    school = next((s for s in schools if str(s.pk) == str(raw)), None)
    if school is None:
        raise Http404("未找到")
    return school


def _wish_grid(user, school) -> tuple[dict, TeacherRule | None]:
    rule = TeacherRule.objects.filter(school=school, teacher_id=user.person_id).first()
    grid = slot_grid(
        week_setup_for(school),
        {(d, p) for d, p in (rule.unavailable if rule else [])},
        reverse("timetable:my_wish_slot"),
        soft={(d, p) for d, p in (rule.preferred_off if rule else [])},
    )
    grid["school"] = school.pk
    return grid, rule


@login_required
def my_wishes(request):
    """The teacher's 尽量不排 grid at one of their schools (``?school=``; another school of theirs by a tab)."""
    schools = _my_schools(request.user)
    raw = request.GET.get("school")
    school = _school(request.user, raw if raw and any(str(s.pk) == raw for s in schools) else None)
    grid, rule = _wish_grid(request.user, school)
    return render(
        request,
        "timetable/my_wishes.html",
        {
            "title": _("我的排课意愿"),
            "schools": schools,
            "school": school,
            "grid": grid,
            "count": len(rule.preferred_off) if rule else 0,
            "limit": services.teacher_wish_limit(school),
            "can_change": True,
        },
    )


@login_required
@require_POST
def my_wish_slot(request):
    """htmx: mark or clear one of the teacher's own 尽量不排 slots; answers with the grid."""
    school = _school(request.user, request.POST.get("school") or "0")
    error = ""
    try:
        day, period = slot_args(request)
        services.teacher_wish_toggle(actor=request.user, school=school, day=day, period=period)
    except ValidationError as exc:
        error = error_text(exc)
    grid, _rule = _wish_grid(request.user, school)
    return render(
        request, "timetable/partials/slot_grid.html", {"grid": grid, "mode": "wish", "can_change": True, "error": error}
    )
