"""上线设置 page: the exam's organiser sets the lines of the 上线分析 (by rank or by score) and the 临界生 band;
the report is recomputed with them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..report.compute import DEFAULT_LINES
from ..report.refresh import report_refresh
from .access import get_exam


def _typed(lines: list[dict]) -> list[dict]:
    """Stored lines as the user types them (rank as a percentage)."""
    return [
        {
            "label": line.get("label", ""),
            "kind": line.get("kind", "rank"),
            "value": f"{line['value'] * 100:g}" if line.get("kind", "rank") == "rank" else f"{line['value']:g}",
        }
        for line in lines
    ]


def _padded(rows: list[dict]) -> list[dict]:
    """The form's five rows."""
    return rows + [{"label": "", "kind": "rank", "value": ""} for _i in range(services.MAX_LINES - len(rows))]


@login_required
def lines_view(request, pk: int):
    user = request.user
    exam = get_exam(user, pk)
    if not services.may_manage(user, exam):
        raise PermissionDenied(_("只有考试组织者可以设置上线分数线"))
    rows = _typed(exam.lines or DEFAULT_LINES)
    band = request.POST.get("borderline_band", f"{exam.borderline_band:g}")
    if request.method == "POST":
        if request.POST.get("reset"):
            posted = []
        else:
            labels, kinds, values = (request.POST.getlist(k) for k in ("label", "kind", "value"))
            posted = [
                {
                    "label": labels[i] if i < len(labels) else "",
                    "kind": kinds[i] if i < len(kinds) else "rank",
                    "value": v,
                }
                for i, v in enumerate(values)
                if v.strip()
            ]
        try:
            services.exam_lines_set(actor=user, exam=exam, lines=posted, borderline_band=band)
        except ValidationError as exc:
            for e in exc.messages:
                messages.error(request, e)
            rows = posted  # shown again as typed, beside the error
        else:
            report_refresh(exam)
            messages.success(request, _("已保存上线设置，分析报告正在按新的分数线重新计算。"))
            return redirect("exams:report", exam_pk=exam.pk)
    ctx = {
        "title": _("上线设置：%(name)s") % {"name": exam.name},
        "exam": exam,
        "rows": _padded(rows),
        "band": band,
        "total_full": services.exam_total_full(exam),
        "custom": bool(exam.lines),
    }
    return render(request, "exams/report/lines.html", ctx)
