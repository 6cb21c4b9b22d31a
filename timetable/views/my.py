"""Everyone's own timetable: 我的课表 (teacher, student, parent), a class's and a teacher's published timetable,
for any week (approved 调课/代课 applied), printable PDF, Excel, and the private iCalendar feed."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.excel import xlsx_response
from core.models import School
from core.views.common import get_scoped

from .. import selectors as sel
from .. import services
from ..ics import timetable_ics
from ..models import CalendarFeed
from .access import can_manage_view, class_get, teacher_in_school, timetable_get


def _week(request) -> dt.date:
    """The Monday of the week asked for (``?week=``), default this week."""
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    return sel.monday_of(day)


def _version(request, school_id: int, monday: dt.date):
    """The version in force at the end of that week, or (for the school's admins) the one in ``?version=``."""
    vid = request.GET.get("version")
    if vid and vid.isdigit():
        tt = timetable_get(request.user, int(vid))
        if tt.school_id != school_id:
            raise Http404("未找到")
        return tt
    return sel.published_timetable(user=request.user, school_id=school_id, on=monday + dt.timedelta(days=6))


def _week_view(request, school_id: int, monday: dt.date, *, klass=None, teacher=None):
    """What a week page shows: the ``?version=`` one for the school's admins; otherwise each day from the version
    in force that day (a version taking effect on a Wednesday leaves Monday and Tuesday to the one before).
    Returns (the version in force at the end of the week, the grid, ``[(version, weekdays)]``)."""
    vid = request.GET.get("version")
    if vid and vid.isdigit():
        tt = _version(request, school_id, monday)
        if klass is not None:
            grid = sel.class_grid(user=request.user, timetable=tt, klass=klass, monday=monday)
        else:
            grid = sel.teacher_grid(user=request.user, timetable=tt, teacher=teacher, monday=monday)
        return tt, grid, [(tt, list(range(7)))]
    grid, parts = sel.week_grid(user=request.user, school_id=school_id, monday=monday, klass=klass, teacher=teacher)
    return (parts[-1][0] if parts else None), grid, parts


def _version_change(monday: dt.date, parts) -> dict | None:
    """The change of version inside the week, for the note above the grid (None when one version holds)."""
    if len(parts) < 2:
        return None
    new, days = parts[-1]
    return {"old": parts[0][0], "new": new, "date": monday + dt.timedelta(days=days[0])}


def _week_nav(monday: dt.date) -> dict:
    return {
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "prev": (monday - dt.timedelta(days=7)).isoformat(),
        "next": (monday + dt.timedelta(days=7)).isoformat(),
        "this": sel.monday_of(timezone.localdate()).isoformat(),
        "dates": [monday + dt.timedelta(days=i) for i in range(7)],
    }


def _teacher_allowed(user, school, person) -> bool:
    return getattr(user, "person_id", None) == person.pk or sel.can_view_setup(user, school)


@login_required
def my_timetable(request):
    """我的课表: pick one of the user's timetables (own, child's class, class led) and a week."""
    targets = sel.my_targets(request.user)
    try:
        index = int(request.GET.get("t", "0"))
    except ValueError:
        index = 0
    target = targets[index] if 0 <= index < len(targets) else (targets[0] if targets else None)
    ctx = {"title": _("我的课表"), "targets": targets, "target": target, "index": index, "grid": None}
    ctx["managed"] = sel.viewable_schools(request.user)
    ctx["is_teacher"] = any(t["kind"] == "teacher" for t in targets)
    ctx["to_choose"] = [o for o in sel.elective_offers(request.user) if o["state"] == "open" and o["mine"] is None]
    if target is not None:
        monday = _week(request)
        week = f"?week={monday.isoformat()}"
        if target["kind"] == "teacher":
            person = request.user.person
            tt, grid, parts = _week_view(request, target["school_id"], monday, teacher=person)
            ctx["pdf_url"] = reverse("timetable:teacher_export", args=[target["school_id"], person.pk, "pdf"]) + week
            ctx["xlsx_url"] = reverse("timetable:teacher_export", args=[target["school_id"], person.pk, "xlsx"]) + week
            ctx["my_groups"] = sel.teacher_groups(person.pk, target["school_id"])
        else:
            klass = class_get(request.user, target["id"])
            tt, grid, parts = _week_view(request, target["school_id"], monday, klass=klass)
            ctx["pdf_url"] = reverse("timetable:class_export", args=[klass.pk, "pdf"]) + week
            ctx["xlsx_url"] = reverse("timetable:class_export", args=[klass.pk, "xlsx"]) + week
        ctx.update(
            {
                "timetable": tt,
                "grid": grid if tt is not None else None,
                "version_change": _version_change(monday, parts),
                "week": _week_nav(monday),
                "show": target["kind"],
            }
        )
    feed = CalendarFeed.objects.filter(user=request.user).first()
    if feed is not None:
        ctx["feed_url"] = request.build_absolute_uri(reverse("timetable:ics_feed", args=[feed.token]))
    return render(request, "timetable/my.html", ctx)


@login_required
def class_timetable(request, pk: int):
    klass = class_get(request.user, pk)
    monday = _week(request)
    tt, grid, parts = _week_view(request, klass.school_id, monday, klass=klass)
    week = f"?week={monday.isoformat()}"
    return render(
        request,
        "timetable/class.html",
        {
            "title": _("%(klass)s 课表") % {"klass": klass.name},
            "heading": klass.name,
            "school": klass.school,
            "timetable": tt,
            "grid": grid,
            "show": "class",
            "week": _week_nav(monday),
            "version_change": _version_change(monday, parts),
            "pdf_url": reverse("timetable:class_export", args=[klass.pk, "pdf"]) + week,
            "xlsx_url": reverse("timetable:class_export", args=[klass.pk, "xlsx"]) + week,
            "manager": tt is not None and can_manage_view(request.user, tt),
        },
    )


@login_required
def teacher_timetable(request, school: int, person: int):
    school_obj = get_scoped(School, request.user, school)
    teacher = teacher_in_school(school_obj, person)
    if not _teacher_allowed(request.user, school_obj, teacher):
        raise Http404("未找到")
    monday = _week(request)
    tt, grid, parts = _week_view(request, school_obj.pk, monday, teacher=teacher)
    week = f"?week={monday.isoformat()}"
    return render(
        request,
        "timetable/class.html",
        {
            "title": _("%(name)s 的课表") % {"name": teacher.name},
            "heading": _("%(name)s 的课表") % {"name": teacher.name},
            "school": school_obj,
            "timetable": tt,
            "grid": grid,
            "show": "teacher",
            "week": _week_nav(monday),
            "version_change": _version_change(monday, parts),
            "pdf_url": reverse("timetable:teacher_export", args=[school_obj.pk, teacher.pk, "pdf"]) + week,
            "xlsx_url": reverse("timetable:teacher_export", args=[school_obj.pk, teacher.pk, "xlsx"]) + week,
            "manager": tt is not None and can_manage_view(request.user, tt),
        },
    )


# --- exports ----------------------------------------------------------------------------------------------


def _cell_text(items, show: str) -> str:
    parts = []
    for it in items:
        who = it["klass"] if show == "teacher" else it["teacher"]
        mark = f"［{it['badge']}］" if it.get("badge") else ""
        parts.append(f"{mark}{it['subject']} {who}".strip())
    return "\n".join(parts)


def _export(request, *, tt, grid, title: str, fmt: str, show: str, obj, parts=()):
    if tt is None or grid is None:
        raise Http404("未找到")
    if fmt == "xlsx":
        rows = [
            [
                _("第%(n)s节") % {"n": r["label"]},
                f"{r['start']}-{r['end']}",
                *[_cell_text(c["items"], show) for c in r["cells"]],
            ]
            for r in grid["rows"]
        ]
        audit_record(
            actor=request.user, action="timetable.export", obj=tt, object_repr=title, changes={"format": "xlsx"}
        )
        return xlsx_response(filename=title, headers=[_("节次"), _("时间"), *grid["days"]], rows=rows, sheet=_("课表"))
    if fmt == "pdf":
        from weasyprint import HTML

        html = render_to_string(
            "timetable/print/week.html",
            {
                "title": title,
                "grid": grid,
                "show": show,
                "timetable": tt,
                "version_names": "、".join(v.name for v, _days in parts) if len(parts) > 1 else "",
                "printed_on": timezone.localdate(),
            },
        )
        pdf = HTML(string=html).write_pdf()
        audit_record(
            actor=request.user, action="timetable.export", obj=tt, object_repr=title, changes={"format": "pdf"}
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(title)}.pdf"
        return response
    raise Http404("未找到")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@login_required
def class_export(request, pk: int, fmt: str):
    klass = class_get(request.user, pk)
    monday = _week(request)
    if request.GET.get("week"):  # that week as shown on screen, day by day from the version in force
        tt, grid, parts = _week_view(request, klass.school_id, monday, klass=klass)
    else:
        tt, parts = _version(request, klass.school_id, monday), []
        grid = sel.class_grid(user=request.user, timetable=tt, klass=klass) if tt else None
    title = _("%(klass)s课表") % {"klass": klass.name}
    return _export(request, tt=tt, grid=grid, title=title, fmt=fmt, show="class", obj=klass, parts=parts)


@login_required
def teacher_export(request, school: int, person: int, fmt: str):
    school_obj = get_scoped(School, request.user, school)
    teacher = teacher_in_school(school_obj, person)
    if not _teacher_allowed(request.user, school_obj, teacher):
        raise Http404("未找到")
    monday = _week(request)
    if request.GET.get("week"):  # that week as shown on screen, day by day from the version in force
        tt, grid, parts = _week_view(request, school_obj.pk, monday, teacher=teacher)
    else:
        tt, parts = _version(request, school_obj.pk, monday), []
        grid = sel.teacher_grid(user=request.user, timetable=tt, teacher=teacher) if tt else None
    title = _("%(name)s课表") % {"name": teacher.name}
    return _export(request, tt=tt, grid=grid, title=title, fmt=fmt, show="teacher", obj=teacher, parts=parts)


# --- iCalendar --------------------------------------------------------------------------------------------


def ics_feed(request, token: str):
    """The subscription URL: no login, the secret token is the key. The user's own timetables (as on 我的课表)
    for the coming weeks, one event per lesson, with approved 调课/代课 applied."""
    feed = CalendarFeed.objects.select_related("user__person").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404("未找到")
    body = timetable_ics(feed.user, today=timezone.localdate())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timetable.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_POST
def ics_regenerate(request):
    services.calendar_token_regenerate(actor=request.user)
    messages.success(request, _("已生成新的订阅地址，旧地址已失效。"))
    return redirect("timetable:my")
