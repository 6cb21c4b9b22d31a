"""Looking objects up through the user's scope (404 outside it, 403 when seen but not allowed)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.models import Class, Person, School
from core.scope import can
from core.views.common import get_scoped

from ..models import Timetable, TimetableEntry, WeekSetup


def school_for_setup(user, pk: int, action: str = "view") -> School:
    """A school whose timetable setup ``user`` may read (``view``) or change (anything else)."""
    school = get_scoped(School, user, pk)
    probe = WeekSetup(school=school)
    if not can(user, "view", probe):
        raise Http404("未找到")
    if action != "view" and not can(user, "change", probe):
        raise PermissionDenied("无权执行此操作")
    return school


def timetable_get(user, pk: int, action: str = "view") -> Timetable:
    tt = get_scoped(Timetable, user, pk, queryset=Timetable.objects.select_related("school", "term"))
    if not can_manage_view(user, tt) and tt.status != "published":
        raise Http404("未找到")
    if action != "view" and not can(user, action, tt):
        raise PermissionDenied("无权执行此操作")
    return tt


def can_manage_view(user, tt: Timetable) -> bool:
    """School and district admins see every version; everyone else only the published one."""
    return can(user, "view", WeekSetup(school_id=tt.school_id, school=tt.school))


def entry_get(user, pk: int) -> TimetableEntry:
    return get_scoped(
        TimetableEntry,
        user,
        pk,
        queryset=TimetableEntry.objects.select_related("timetable__school", "klass__grade", "subject", "teacher"),
    )


def class_get(user, pk: int) -> Class:
    return get_scoped(Class, user, pk, queryset=Class.objects.select_related("grade", "school"))


def teacher_in_school(school: School, pk: int) -> Person:
    person = Person.objects.filter(pk=pk, staff_posts__school=school, staff_posts__archived_at__isnull=True).first()
    if person is None:
        raise Http404("未找到")
    return person
