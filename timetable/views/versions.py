"""Timetable versions: create, solve in the background with a live progress bar, read the conflicts, look at the
result per class / teacher / room / whole school, drag lessons (instant clash check), lock, publish."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import htmx_reload
from core.models import Class, Person

from .. import selectors as sel
from .. import services
from ..checks import entry_conflicts
from ..forms import PublishForm, VersionCreateForm
from ..models import Room, TimetableEntry, TimetableStatus
from .access import entry_get, school_for_setup, timetable_get

STATUS_BADGE = {
    "draft": "secondary",
    "queued": "info",
    "solving": "info",
    "solved": "primary",
    "failed": "danger",
    "published": "success",
    "archived": "light",
}
FIX_URLS = {
    "rooms": "timetable:rooms",
    "teachers": "timetable:teachers",
    "classes": "timetable:teachers",
    "week": "timetable:week",
    "plans": "timetable:plans",
    "assignments": "timetable:plans",
    "electives": "timetable:electives",
}


@login_required
@require_POST
def version_create(request, school: int):
    school = school_for_setup(request.user, school, "change")
    form = VersionCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("timetable:manage", school.pk)
    try:
        tt = services.timetable_create(
            actor=request.user,
            school=school,
            name=form.cleaned_data["name"],
            time_limit=form.cleaned_data["time_limit"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("timetable:manage", school.pk)
    if request.POST.get("solve"):
        services.timetable_solve(actor=request.user, timetable=tt)
    return redirect("timetable:version", tt.pk)


def _targets(request, tt):
    """The view chooser: classes, teachers and rooms of the version."""
    entries = TimetableEntry.objects.visible_to(request.user).filter(timetable=tt)
    classes = Class.objects.filter(pk__in=entries.values("klass_id")).select_related("grade")
    teachers = Person.objects.filter(pk__in=entries.values("teacher_id")).only("id", "name").order_by("name")
    rooms = Room.objects.filter(pk__in=entries.values("room_id"))
    return list(classes), list(teachers), list(rooms)


def grid_context(request, tt, view: str, target: str, *, data=None) -> dict:
    """What the grid partial needs for ``view`` (class / teacher / room / overview) and ``target`` id."""
    classes, teachers, rooms = _targets(request, tt)
    ctx = {
        "timetable": tt,
        "view": view,
        "target": target,
        "classes": classes,
        "teachers": teachers,
        "rooms": rooms,
        "editable": tt.editable and services.can_change(request.user, tt),
        "view_choices": [("class", _("班级")), ("teacher", _("教师")), ("room", _("场室")), ("overview", _("总课表"))],
        "grid": None,
        "overview": None,
    }
    conflicts = entry_conflicts(tt)
    ctx["conflicts"] = conflicts
    ctx["n_conflicts"] = len(conflicts)
    if view == "overview":
        ctx["overview"] = sel.overview(user=request.user, timetable=tt)
        for row in ctx["overview"]["rows"]:
            for cell in row["cells"]:
                if cell is not None:
                    cell["problems"] = any(i in conflicts for i in cell["ids"])
        return ctx
    if view == "teacher":
        person = next((t for t in teachers if str(t.pk) == target), teachers[0] if teachers else None)
        if person is not None:
            ctx["target"] = str(person.pk)
            ctx["grid"] = sel.teacher_grid(user=request.user, timetable=tt, teacher=person)
    elif view == "room":
        room = next((r for r in rooms if str(r.pk) == target), rooms[0] if rooms else None)
        if room is not None:
            ctx["target"] = str(room.pk)
            ctx["grid"] = sel.room_grid(user=request.user, timetable=tt, room=room)
    else:
        ctx["view"] = "class"
        klass = next((c for c in classes if str(c.pk) == target), classes[0] if classes else None)
        if klass is not None:
            ctx["target"] = str(klass.pk)
            ctx["grid"] = sel.class_grid(user=request.user, timetable=tt, klass=klass)
    if ctx["grid"] is not None:
        for row in ctx["grid"]["rows"]:
            for cell in row["cells"]:
                for it in cell["items"]:
                    # a 合班/走班 item stands for several rows: any of them may clash
                    found = [m for i in it.get("ids", [it["id"]]) for m in conflicts.get(i, [])]
                    it["problems"] = list(dict.fromkeys(found))
    ctx["show"] = ctx["view"]
    return ctx


@login_required
def version_detail(request, pk: int):
    tt = timetable_get(request.user, pk)
    if not sel.can_view_setup(request.user, tt.school):
        return redirect("timetable:my")
    view = request.GET.get("view", "class")
    target = request.GET.get("id", "")
    ctx = grid_context(request, tt, view, target)
    conflicts = [
        {**c, "url": reverse(FIX_URLS[c.get("fix", "plans")], args=[tt.school_id]) if c.get("fix") in FIX_URLS else ""}
        for c in tt.conflicts or []
    ]
    ctx.update(
        {
            "title": tt.name,
            "school": tt.school,
            "status_badge": STATUS_BADGE.get(tt.status, "secondary"),
            "solve_conflicts": conflicts,
            "publish_form": PublishForm(initial={"effective_from": timezone.localdate()}),
            "can_change": services.can_change(request.user, tt),
            "can_publish": services.can_publish(request.user, tt),
            "n_entries": tt.entries.count(),
            "n_locked": tt.entries.filter(locked=True).count(),
        }
    )
    return render(request, "timetable/version.html", ctx)


@login_required
def version_progress(request, pk: int):
    """htmx poll of a running solve; once it has finished the page reloads itself."""
    tt = timetable_get(request.user, pk)
    if not tt.is_running:
        return htmx_reload()
    p = tt.progress or {}
    limit = p.get("limit") or tt.time_limit
    elapsed = float(p.get("elapsed") or 0)
    if p.get("started"):  # the clock runs between the solver's reports
        elapsed = max(elapsed, time.time() - float(p["started"]))
    pct = min(99, int(100 * elapsed / limit)) if limit else 0
    return render(
        request, "timetable/partials/progress.html", {"timetable": tt, "p": p, "pct": pct, "elapsed": elapsed}
    )


@login_required
@require_POST
def version_solve(request, pk: int):
    tt = timetable_get(request.user, pk, "change")
    raw = request.POST.get("time_limit", "").strip()
    try:
        services.timetable_solve(actor=request.user, timetable=tt, time_limit=int(raw) if raw.isdigit() else None)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("timetable:version", tt.pk)


@login_required
@require_POST
def version_publish(request, pk: int):
    tt = timetable_get(request.user, pk, "publish")
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写正确的生效日期"))
        return redirect("timetable:version", tt.pk)
    try:
        services.timetable_publish(actor=request.user, timetable=tt, effective_from=form.cleaned_data["effective_from"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request, _("课表已发布，自 %(d)s 起生效") % {"d": form.cleaned_data["effective_from"].isoformat()}
        )
    return redirect("timetable:version", tt.pk)


@login_required
@require_POST
def version_copy(request, pk: int):
    tt = timetable_get(request.user, pk)
    school_for_setup(request.user, tt.school_id, "change")
    new = services.timetable_create(
        actor=request.user,
        school=tt.school,
        name=_("%(name)s（调整）") % {"name": tt.name},
        time_limit=tt.time_limit,
        copy_from=tt,
    )
    if new.entries.exists():
        from ..models import Timetable

        Timetable.objects.filter(pk=new.pk).update(status=TimetableStatus.SOLVED)
    messages.success(request, _("已复制为新版本，可在此调整后发布"))
    return redirect("timetable:version", new.pk)


def _grid_response(request, entry_tt, error: str = ""):
    ctx = grid_context(request, entry_tt, request.POST.get("view", "class"), request.POST.get("id", ""))
    ctx["error"] = error
    return render(request, "timetable/partials/version_grid.html", ctx)


@login_required
@require_POST
def entry_move(request, pk: int):
    """Drop a lesson on another slot; answers with the re-checked grid (clashes in red, with the reasons)."""
    entry = entry_get(request.user, pk)
    try:
        day, period = int(request.POST["day"]), int(request.POST["period"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest(_("目标时段不正确"))
    error = ""
    try:
        services.entry_move(actor=request.user, entry=entry, day=day, period=period)
    except ValidationError as exc:
        error = "；".join(exc.messages)
    tt = timetable_get(request.user, entry.timetable_id)
    return _grid_response(request, tt, error)


@login_required
@require_POST
def entry_lock(request, pk: int):
    entry = entry_get(request.user, pk)
    error = ""
    try:
        services.entry_lock(actor=request.user, entry=entry, locked=not entry.locked)
    except ValidationError as exc:
        error = "；".join(exc.messages)
    tt = timetable_get(request.user, entry.timetable_id)
    return _grid_response(request, tt, error)


@login_required
def version_export(request, pk: int):
    """总课表 Excel: one row per class, one column per (day, period), “subject teacher” in each cell (a 合班 names
    the classes taught together, a 走班 its block and each teaching group with teacher and room)."""
    from core.audit import audit_record
    from core.excel import xlsx_response

    tt = timetable_get(request.user, pk)
    if not sel.can_view_setup(request.user, tt.school):
        raise Http404("未找到")
    ov = sel.overview(user=request.user, timetable=tt)
    headers = [_("班级")] + [f"{ov['days'][d]}{p + 1}" for d, p in ov["cols"]]
    rows = [[row["klass"].name] + [cell["text"] if cell else "" for cell in row["cells"]] for row in ov["rows"]]
    audit_record(actor=request.user, action="timetable.export", obj=tt, changes={"format": "xlsx", "view": "overview"})
    return xlsx_response(filename=f"{tt.school.name}{_('总课表')}", headers=headers, rows=rows, sheet=_("总课表"))
