"""调课/代课: a teacher picks one of their lessons and a date, sees who is free (same subject first, fewest 代课
this term), and files the request; the 教务 approves or rejects; everyone sees the list and the statistics."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import Person
from core.scope import can
from core.services import current_term
from core.views.common import apply_service_errors, get_scoped

from .. import selectors as sel
from .. import services
from ..forms import SubstitutionForm
from ..models import Substitution, SubstitutionKind, SubstitutionStatus, TimetableEntry
from .access import entry_get

STATUS_BADGE = {"pending": "warning", "approved": "success", "rejected": "danger", "cancelled": "secondary"}


@login_required
def substitution_list(request):
    user = request.user
    qs = sel.substitutions_visible(user)
    admin_schools = sel.viewable_schools(user)
    if not admin_schools:
        pid = getattr(user, "person_id", None)
        # a teacher's own requests and lessons, and a head teacher's class (合班/走班 代课 included)
        mine = Q(original_teacher_id=pid) | Q(substitute_id=pid) | Q(requested_by=user)
        qs = qs.filter(mine | sel.head_teacher_substitutions(pid)) if pid else qs.none()
    status = request.GET.get("status", "")
    if status in STATUS_BADGE:
        qs = qs.filter(status=status)
    rows = sel.substitutions_label_classes(list(qs[:200]))
    for r in rows:
        r.badge = STATUS_BADGE.get(r.status, "secondary")
    stats = []
    # statistics for the schools the user runs (a district admin would otherwise get one table per school)
    for school in sel.managed_schools(user)[:3]:
        term = current_term(district_id=school.district_id)
        if term:
            stats.append({"school": school, "rows": sel.substitution_stats(user=user, school_id=school.pk, term=term)})
    # the lessons this teacher may ask about
    mine = []
    person = getattr(user, "person", None)
    if person is not None:
        for target in sel.my_targets(user):
            if target["kind"] != "teacher":
                continue
            tt = sel.published_timetable(user=user, school_id=target["school_id"])
            if tt is not None:
                mine.extend(sel.teaching_entries(user=user, timetable=tt, teacher=person))
    return render(
        request,
        "timetable/substitutions/list.html",
        {
            "title": _("调课代课"),
            "rows": rows,
            "stats": stats,
            "mine": mine,
            "status": status,
            "statuses": SubstitutionStatus.choices,
            "weekdays": sel.WEEKDAYS,
        },
    )


def _lesson_classes(entry: TimetableEntry) -> str:
    """The classes a 代课 of ``entry`` is for: all classes of its 合班 or 走班 teaching group."""
    return services.lesson_classes(sel.entry_teaching_rows(entry))


def _swap_choices(entry: TimetableEntry, date: dt.date) -> list[tuple[str, str]]:
    """The class's other lessons of that week this one could change places with (合班/走班 lessons never)."""
    if entry.parallel_key:
        return []
    monday = sel.monday_of(date)
    out = []
    for e in (
        TimetableEntry.objects.filter(
            timetable=entry.timetable, klass=entry.klass, length=entry.length, parallel_key=""
        )
        .exclude(pk=entry.pk)
        .select_related("subject", "teacher")
        .order_by("day", "period")
    ):
        day = monday + dt.timedelta(days=e.day)
        label = _("%(wd)s（%(date)s）第%(p)s节 %(subject)s %(teacher)s") % {
            "wd": sel.WEEKDAYS[e.day],
            "date": f"{day:%m-%d}",
            "p": e.period + 1,
            "subject": e.subject.name,
            "teacher": e.teacher.name if e.teacher else "",
        }
        out.append((f"{e.pk}|{day.isoformat()}", label))
    return out


@login_required
def substitution_new(request, entry: int):
    entry_obj = entry_get(request.user, entry)
    tt = entry_obj.timetable
    if tt.published_at is None:
        raise Http404("未找到")
    is_admin = can(
        request.user, "approve", Substitution(school_id=tt.school_id, school=tt.school, klass=entry_obj.klass)
    )
    if not is_admin and getattr(request.user, "person_id", None) != entry_obj.teacher_id:
        raise Http404("未找到")
    dates = sel.upcoming_dates(entry_obj)
    raw = request.POST.get("date") or request.GET.get("date") or dates[0].isoformat()
    try:
        date = dt.date.fromisoformat(raw)
    except ValueError:
        date = dates[0]
    if date not in dates:
        date = dates[0]
    candidates = sel.substitution_candidates(entry=entry_obj, date=date)
    swaps = _swap_choices(entry_obj, date)
    if request.method == "POST":
        form = SubstitutionForm(request.POST, dates=dates, candidates=candidates, swaps=swaps)
        if form.is_valid():
            d = form.cleaned_data
            kwargs = {"kind": d["kind"], "date": d["date"], "reason": d["reason"]}
            if d["kind"] == SubstitutionKind.SUBSTITUTE:
                kwargs["substitute"] = Person.objects.filter(pk=d["substitute"]).first() if d["substitute"] else None
            else:
                sid, _sep, sdate = (d["swap"] or "").partition("|")
                kwargs["swap_entry"] = (
                    TimetableEntry.objects.filter(pk=int(sid), timetable=tt).first() if sid.isdigit() else None
                )
                kwargs["swap_date"] = dt.date.fromisoformat(sdate) if sdate else None
            try:
                sub = services.substitution_request(actor=request.user, entry=entry_obj, **kwargs)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("申请已提交，等待教务审批"))
                return redirect("timetable:substitution", sub.pk)
    else:
        form = SubstitutionForm(initial={"date": date.isoformat()}, dates=dates, candidates=candidates, swaps=swaps)
    return render(
        request,
        "timetable/substitutions/new.html",
        {
            "title": _("申请调课/代课"),
            "entry": entry_obj,
            "lesson_classes": _lesson_classes(entry_obj),
            "form": form,
            "date": date,
            "dates": dates,
            "candidates": candidates,
            "weekday": sel.WEEKDAYS[entry_obj.day],
        },
    )


@login_required
def substitution_detail(request, pk: int):
    # in scope, or a 代课 of a 合班/走班 lesson that also covers a class the user sees
    sub = sel.substitutions_visible(request.user).select_related("entry__timetable").filter(pk=pk).first()
    if sub is None:
        raise Http404("未找到")
    can_decide = can(request.user, "approve", sub) and sub.status == SubstitutionStatus.PENDING
    candidates = []
    if can_decide and sub.kind == SubstitutionKind.SUBSTITUTE:
        candidates = sel.substitution_candidates(entry=sub.entry, date=sub.date)
        if sub.substitute and all(c["person"].pk != sub.substitute_id for c in candidates):
            candidates.insert(
                0, {"person": sub.substitute, "same_subject": False, "subs_this_term": 0, "lessons_that_day": 0}
            )
    return render(
        request,
        "timetable/substitutions/detail.html",
        {
            "title": _("调课/代课申请"),
            "sub": sub,
            "lesson_classes": _lesson_classes(sub.entry) if sub.kind == SubstitutionKind.SUBSTITUTE else sub.klass.name,
            "badge": STATUS_BADGE.get(sub.status, "secondary"),
            "can_decide": can_decide,
            "can_cancel": sub.requested_by_id == request.user.pk and sub.status == SubstitutionStatus.PENDING,
            "candidates": candidates,
            "weekdays": sel.WEEKDAYS,
        },
    )


@login_required
@require_POST
def substitution_decide(request, pk: int):
    sub = get_scoped(Substitution, request.user, pk, "approve")
    approve = request.POST.get("decision") == "approve"
    raw = request.POST.get("substitute", "")
    substitute = Person.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    try:
        services.substitution_decide(
            actor=request.user,
            substitution=sub,
            approve=approve,
            note=request.POST.get("note", ""),
            substitute=substitute,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已批准，相关教师已收到通知") if approve else _("已驳回，申请人已收到通知"))
    return redirect("timetable:substitution", sub.pk)


@login_required
@require_POST
def substitution_cancel(request, pk: int):
    sub = get_scoped(Substitution, request.user, pk)
    try:
        services.substitution_cancel(actor=request.user, substitution=sub)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("申请已撤回"))
    return redirect("timetable:substitution", sub.pk)
