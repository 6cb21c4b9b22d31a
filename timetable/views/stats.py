"""代课统计: per teacher of a school, 代课 taught for colleagues, 代课 asked of others, 调课 and pending requests, for
a term or one of its months; the same table as Excel."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.excel import xlsx_response
from core.models import Term
from core.services import current_term

from .. import selectors as sel
from .access import school_for_setup

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _period(request, school) -> dict:
    """The term (``?term=``, default the current one) and optionally one of its months (``?month=2026-03``), with
    a Chinese error naming the field when the request asks for something else (then the whole term is used)."""
    today = timezone.localdate()
    terms = list(
        Term.objects.filter(district_id=school.district_id, start_date__lte=today)
        .select_related("academic_year")
        .order_by("-start_date")
    )
    errors = []
    term = current_term(district_id=school.district_id)
    raw_term = request.GET.get("term", "").strip()
    if raw_term:
        chosen = next((t for t in terms if str(t.pk) == raw_term), None)
        if chosen is None:
            errors.append(_("学期：所选学期不存在"))
        else:
            term = chosen
    if term is None:
        return {"term": None, "terms": terms, "months": [], "month": None, "errors": errors}
    months = sel.substitution_months(term)
    start, end, month = term.start_date, term.end_date, None
    raw_month = request.GET.get("month", "").strip()
    if raw_month:
        m = MONTH.match(raw_month)
        first = None
        if m and 1 <= int(m.group(2)) <= 12:
            first = dt.date(int(m.group(1)), int(m.group(2)), 1)
        if first is None:
            errors.append(_("月份：“%(v)s”格式不正确，应为 2026-03 这样的年-月") % {"v": raw_month})
        elif first not in months:
            errors.append(_("月份：%(v)s 不在%(term)s内") % {"v": raw_month, "term": term})
        else:
            month = first
            start = max(first, term.start_date)
            end = min((first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), term.end_date)
    return {
        "term": term,
        "terms": terms,
        "months": months,
        "month": month,
        "start": start,
        "end": end,
        "errors": errors,
    }


def _label(period: dict) -> str:
    if period["month"] is not None:
        return _("%(y)s年%(m)s月") % {"y": period["month"].year, "m": period["month"].month}
    return str(period["term"])


@login_required
def substitution_stats(request, school: int):
    """The statistics page of one school (its admins and the district's)."""
    school = school_for_setup(request.user, school)
    period = _period(request, school)
    stats = {"rows": [], "total": {}}
    if period["term"] is not None:
        stats = sel.substitution_teacher_stats(
            user=request.user, school_id=school.pk, start=period["start"], end=period["end"]
        )
    query = {"term": period["term"].pk} if period["term"] else {}
    if period["month"]:
        query["month"] = f"{period['month']:%Y-%m}"
    return render(
        request,
        "timetable/substitutions/stats.html",
        {
            "title": _("代课统计"),
            "nav": {"school": school, "active": "substitution_stats"},
            "school": school,
            "period": period,
            "label": _label(period) if period["term"] else "",
            "stats": stats,
            "export_query": "&".join(f"{k}={v}" for k, v in query.items()),
        },
    )


@login_required
def substitution_stats_export(request, school: int):
    """The statistics table as Excel (same term and month as the page)."""
    school = school_for_setup(request.user, school)
    period = _period(request, school)
    rows = []
    if period["term"] is not None:
        stats = sel.substitution_teacher_stats(
            user=request.user, school_id=school.pk, start=period["start"], end=period["end"]
        )
        keys = ("taught", "taught_periods", "requested", "swaps", "pending")
        rows = [[r["teacher"], *[r[k] for k in keys]] for r in stats["rows"]]
        if rows:
            rows.append([_("合计"), *[stats["total"][k] for k in keys]])
    label = _label(period) if period["term"] else ""
    audit_record(
        actor=request.user,
        action="substitution.stats_export",
        object_type="core.school",
        object_id=str(school.pk),
        object_repr=f"{school.name} {label}",
        school_id=school.pk,
        district_id=school.district_id,
        changes={"format": "xlsx", "period": label},
    )
    return xlsx_response(
        filename=f"{school.name}{_('代课统计')}{label}",
        headers=[_("教师"), _("代课（次）"), _("代课（节）"), _("请人代课（次）"), _("调课（次）"), _("待审批申请")],
        rows=rows,
        sheet=_("代课统计"),
    )
