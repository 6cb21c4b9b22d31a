"""考试分析 pages at district, school and class level (tables, ECharts charts, Excel export), all read from the
cached report through ``exams.report.selectors.exam_report_for`` (which applies the user's scope and the
ranking policy). The student level is the 成绩报告单 (views/report_card.py)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.audit import audit_record
from core.http import attachment_response, htmx_reload

from .. import services
from ..report.selectors import access_for, exam_for, exam_report_for

STAT_COLUMNS = [
    ("n", _("人数")),
    ("absent", _("未计")),
    ("mean", _("平均分")),
    ("std", _("标准差")),
    ("max", _("最高分")),
    ("min", _("最低分")),
    ("median", _("中位数")),
    ("score_rate", _("得分率")),
    ("excellent_rate", _("优秀率")),
    ("good_rate", _("良好率")),
    ("pass_rate", _("及格率")),
    ("low_rate", _("低分率")),
]
RATE_KEYS = {"score_rate", "excellent_rate", "good_rate", "pass_rate", "low_rate", "over_mean", "over_mean_school"}
RANK_LABELS = {"class_rank": _("班级排名"), "school_rank": _("校内排名"), "district_rank": _("区排名")}


def _fmt(key: str, value):
    if value is None:
        return "—"
    if key in RATE_KEYS:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _slice(request, exam_pk: int, level: str, id: int | None):
    """(exam, report slice); out of scope → 404, in scope but not allowed → 403 (raised by the selectors)."""
    exam = exam_for(request.user, exam_pk)
    return exam, exam_report_for(request.user, exam, level, id)


def _stat_rows(data: dict, compare_key: str | None = None) -> list[dict]:
    """One row per subject (总分 first): label, formatted stats, and 超均率 against the level above."""
    rows = []
    for s in data.get("subjects", []):
        stats = (data.get("stats") or {}).get(s["key"]) or {}
        above = ((data.get(compare_key) or {}).get(s["key"]) or {}) if compare_key else {}
        over = None
        if compare_key and stats.get("mean") is not None and above.get("mean"):
            over = (stats["mean"] - above["mean"]) / above["mean"]
        rows.append(
            {
                "key": s["key"],
                "name": s["name"],
                "full_mark": _fmt("", s.get("full_mark")),
                "cells": [_fmt(k, stats.get(k)) for k, _label in STAT_COLUMNS],
                "over": _fmt("over_mean", over) if compare_key else None,
            }
        )
    return rows


def _charts(data: dict, level: str) -> dict:
    subjects = [s for s in data.get("subjects", []) if s["key"] != "total"]
    labels = [s["name"] for s in subjects]
    mine = [
        None
        if ((data["stats"].get(s["key"]) or {}).get("score_rate")) is None
        else round(100 * data["stats"][s["key"]]["score_rate"], 1)
        for s in subjects
    ]
    series = [{"name": data.get("name") or _("全区"), "values": mine}]
    above_key = {"school": "district_stats", "class": "school_stats"}.get(level)
    if above_key:
        above = data.get(above_key) or {}
        series.append(
            {
                "name": _("全区") if level == "school" else _("全校"),
                "values": [
                    None
                    if (above.get(s["key"]) or {}).get("score_rate") is None
                    else round(100 * above[s["key"]]["score_rate"], 1)
                    for s in subjects
                ],
            }
        )
    charts = {"chart-rates": {"labels": labels, "series": series, "type": "bar", "max": 100, "min": 0}}
    seg = (data.get("segments") or {}).get("total") or {}
    if seg.get("lower"):
        charts["chart-segments"] = {
            "labels": [_fmt("", x) for x in reversed(seg["lower"])],
            "series": [{"name": _("累计人数"), "values": list(reversed(seg["cum_count"])), "type": "line"}],
        }
    else:  # a class: its students' totals in 10-point bands
        totals = [st["total"] for st in data.get("students") or [] if st.get("total") is not None]
        bands = list(range(int(min(totals) // 10) * 10, int(max(totals) // 10) * 10 + 1, 10)) if totals else []
        charts["chart-segments"] = {
            "name": _("人数"),
            "labels": [str(b) for b in bands],
            "values": [sum(1 for t in totals if int(t // 10) * 10 == b) for b in bands],
            "empty": _("总分暂无数据"),
        }
    return charts


def _compare_rows(data: dict, key: str) -> list[dict]:
    cmp = data.get("class_compare") or {}
    table = (cmp.get("subjects") or {}).get(key) or {}
    rows = []
    for i, cid in enumerate(cmp.get("class_id", [])):
        rows.append(
            {
                "id": cid,
                "name": cmp["name"][i],
                "teacher": (table.get("teacher") or [""] * (i + 1))[i],
                "n": _fmt("", (table.get("n") or [None] * (i + 1))[i]),
                "mean": _fmt("", (table.get("mean") or [None] * (i + 1))[i]),
                "score_rate": _fmt("score_rate", (table.get("score_rate") or [None] * (i + 1))[i]),
                "excellent_rate": _fmt("excellent_rate", (table.get("excellent_rate") or [None] * (i + 1))[i]),
                "pass_rate": _fmt("pass_rate", (table.get("pass_rate") or [None] * (i + 1))[i]),
                "gap": _fmt("", (table.get("gap") or [None] * (i + 1))[i]),
                "rank": _fmt("", (table.get("rank") or [None] * (i + 1))[i]),
            }
        )
    return rows


def _context(request, exam, data: dict, level: str) -> dict:
    subject_keys = [s["key"] for s in data.get("subjects", [])]
    key = request.GET.get("subject") if request.GET.get("subject") in subject_keys else "total"
    names = {s["key"]: s["name"] for s in data.get("subjects", [])}
    compare_key = {"school": "district_stats", "class": "school_stats"}.get(level)
    lines = []
    for line in data.get("lines") or []:
        lines.append(
            {
                "label": line.get("label"),
                "score": _fmt("", line.get("score")),
                "total_on": line.get("total_on"),
                "rate": _fmt("score_rate", line.get("total_on_rate")),
                "subjects": [
                    {
                        "name": names.get(k, k),
                        "effective": _fmt("", v.get("effective")),
                        "effective_qm": _fmt("", v.get("effective_qualified_mean")),
                        "single": v.get("single"),
                        "double": v.get("double"),
                        "hit": _fmt("score_rate", v.get("hit_rate")),
                        "contribution": _fmt("score_rate", v.get("contribution_rate")),
                    }
                    for k, v in (line.get("subjects") or {}).items()
                ],
            }
        )
    students = data.get("students") or []
    rank_kinds = [k for k in RANK_LABELS if k in (data.get("rank_kinds") or [])]  # 班级, 校内, 区
    student_rows = [
        {
            "candidate_id": s["candidate_id"],
            "name": s["name"],
            "exam_no": s.get("exam_no", ""),
            "total": _fmt("", s.get("total")),
            "standard": _fmt("", s.get("standard_total")),
            "ranks": [_fmt("", s.get(k)) for k in rank_kinds],
            "scores": [_fmt("", ((s.get("subjects") or {}).get(k) or {}).get("score")) for k in subject_keys[1:]],
        }
        for s in students
    ]
    items = []
    for k, block in (data.get("items") or {}).items():
        if isinstance(block, dict) and block.get("items"):
            items.append(
                {
                    "subject": names.get(k, k),
                    "rows": [
                        {
                            "number": it.get("number"),
                            "kind": it.get("kind"),
                            "full_mark": _fmt("", it.get("full_mark")),
                            "mean": _fmt("", it.get("mean")),
                            "difficulty": _fmt("", it.get("difficulty")),
                            "discrimination": _fmt("", it.get("discrimination")),
                            "r": _fmt("", it.get("r")),
                            "kps": "、".join(it.get("knowledge_points") or []),
                            "options": " ".join(
                                f"{o['option'] or '空'}{'✓' if o.get('is_key') else ''} {100 * (o.get('rate') or 0):.0f}%"
                                for o in (it.get("options") or [])
                            ),
                        }
                        for it in block["items"]
                    ],
                    "kps": [
                        {"kp": r["kp"], "rate": _fmt("score_rate", r.get("rate"))} for r in (block.get("kp") or [])
                    ],
                }
            )
    return {
        "exam": exam,
        "data": data,
        "level": level,
        "stat_columns": [label for _k, label in STAT_COLUMNS],
        "stat_rows": _stat_rows(data, compare_key),
        "over_label": {"school": _("超均率（对全区）"), "class": _("超均率（对全校）")}.get(level),
        "charts": _charts(data, level),
        "subject_key": key,
        "subject_choices": [(s["key"], s["name"]) for s in data.get("subjects", [])],
        "compare": _compare_rows(data, key),
        "lines": lines,
        "borderline": data.get("borderline") or [],
        "student_rows": student_rows,
        "rank_labels": [RANK_LABELS[k] for k in rank_kinds],
        "subject_names": [names[k] for k in subject_keys[1:]],
        "items": items,
        "report_status": (data.get("report") or {}).get("status"),
        "can_set_lines": level == "district" and services.may_manage(request.user, exam),
        "progress": (data.get("report") or {}).get("progress") or 0,
        "has_previous": bool((data.get("report") or {}).get("computed_at")),
        "report_error": (data.get("report") or {}).get("error"),
        "export_url": reverse("exams:report_export", args=[exam.pk]) + f"?level={level}&id={data.get('id') or ''}",
    }


@login_required
def report_entry_view(request, exam_pk: int):
    """The report at the widest level the user may see: district, else their school, else their class."""
    exam = exam_for(request.user, exam_pk)
    access = access_for(request.user, exam)
    if access.district:
        data = exam_report_for(request.user, exam, "district")
        return render(
            request, "exams/report/level.html", {"title": _("考试分析"), **_context(request, exam, data, "district")}
        )
    if not access.staff:  # parents and students: their own report cards
        if access.family:
            return redirect("exams:my_reports")
        raise Http404("没有可查看的考试分析")
    from ..models import ExamStudent

    cands = ExamStudent.objects.visible_to(request.user).filter(exam=exam)
    schools = sorted(set(cands.values_list("school_id", flat=True)))
    classes = sorted(set(cands.values_list("klass_id", flat=True)))
    if len(schools) == 1 and access.sees_school(schools[0]):
        return redirect("exams:report_school", exam_pk=exam.pk, pk=schools[0])
    if classes:
        return redirect("exams:report_class", exam_pk=exam.pk, pk=classes[0])
    raise Http404("没有可查看的考试分析")


@login_required
def report_status_view(request, exam_pk: int):
    """The "report is being computed" banner, polled by the report pages: an empty answer with HX-Refresh once
    the job is done (or failed), so the page reloads with the new results."""
    from ..models import ExamReport, ExamStudent, ReportStatus

    exam = exam_for(request.user, exam_pk)
    access = access_for(request.user, exam)
    sees_results = access.district or (
        access.staff and ExamStudent.objects.visible_to(request.user).filter(exam=exam).exists()
    )
    if not sees_results:
        raise Http404("没有可查看的考试分析")
    report = ExamReport.objects.filter(exam=exam).only("status", "progress", "computed_at").first()
    if report is None or report.status in (ReportStatus.DONE, ReportStatus.FAILED):
        return htmx_reload(status=200)
    ctx = {"exam": exam, "progress": report.progress, "has_previous": report.computed_at is not None}
    return render(request, "exams/report/partials/running.html", ctx)


@login_required
def report_school_view(request, exam_pk: int, pk: int):
    exam, data = _slice(request, exam_pk, "school", pk)
    return render(
        request, "exams/report/level.html", {"title": _("考试分析"), **_context(request, exam, data, "school")}
    )


@login_required
def report_class_view(request, exam_pk: int, pk: int):
    exam, data = _slice(request, exam_pk, "class", pk)
    return render(
        request, "exams/report/level.html", {"title": _("考试分析"), **_context(request, exam, data, "class")}
    )


@login_required
def report_export_view(request, exam_pk: int):
    """The tables of a report level as .xlsx (statistics, classes, 上线, students when at class level)."""
    level = request.GET.get("level", "district")
    raw_id = request.GET.get("id") or ""
    if level not in ("district", "school", "class") or (level != "district" and not raw_id.isdigit()):
        raise Http404("未找到")
    exam, data = _slice(request, exam_pk, level, int(raw_id) if raw_id.isdigit() and level != "district" else None)
    ctx = _context(request, exam, data, level)
    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "成绩统计"
    ws.append(["学科", "满分", *ctx["stat_columns"], *(["超均率"] if ctx["over_label"] else [])])
    for r in ctx["stat_rows"]:
        ws.append([r["name"], r["full_mark"], *r["cells"], *([r["over"]] if ctx["over_label"] else [])])
    if ctx["compare"]:
        ws2 = wb.create_sheet("班级对比")
        ws2.append(["班级", "任课教师", "人数", "平均分", "得分率", "优秀率", "及格率", "与区均分差", "名次"])
        for r in ctx["compare"]:
            ws2.append(
                [
                    r["name"],
                    r["teacher"],
                    r["n"],
                    r["mean"],
                    r["score_rate"],
                    r["excellent_rate"],
                    r["pass_rate"],
                    r["gap"],
                    r["rank"],
                ]
            )
    if ctx["lines"]:
        ws3 = wb.create_sheet("上线分析")
        ws3.append(
            [
                "分数线",
                "线上分数",
                "上线人数",
                "上线率",
                "学科",
                "有效分",
                "有效分（上线生均分法）",
                "单上线",
                "双上线",
                "命中率",
                "贡献率",
            ]
        )
        for line in ctx["lines"]:
            for s in line["subjects"] or [{}]:
                ws3.append(
                    [
                        line["label"],
                        line["score"],
                        line["total_on"],
                        line["rate"],
                        s.get("name"),
                        s.get("effective"),
                        s.get("effective_qm"),
                        s.get("single"),
                        s.get("double"),
                        s.get("hit"),
                        s.get("contribution"),
                    ]
                )
    if ctx["student_rows"]:
        ws4 = wb.create_sheet("学生成绩")
        ws4.append(["考号", "姓名", *ctx["subject_names"], "总分", "标准分（T）", *ctx["rank_labels"]])
        for r in ctx["student_rows"]:
            ws4.append([r["exam_no"], r["name"], *r["scores"], r["total"], r["standard"], *r["ranks"]])
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = bold
    buf = io.BytesIO()
    wb.save(buf)
    audit_record(
        actor=request.user,
        action="exam.report_export",
        obj=exam,
        changes={"level": level, "id": raw_id, "students": len(ctx["student_rows"])},
        district_id=exam.district_id,
    )
    name = data.get("name") or _("全区")
    return attachment_response(
        buf.getvalue(),
        f"考试分析-{exam.name}-{name}",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
def value_added_view(request, exam_pk: int):
    """增值评价: from an earlier exam of the same cohort to this one, per class, teacher and school (mean
    regression residual with its 95 % interval, and the mean change of Z score)."""
    from django.core.exceptions import ValidationError

    from ..report.selectors import exams_visible_to
    from ..report.value_added import value_added_for

    exam = exam_for(request.user, exam_pk)
    access = access_for(request.user, exam)
    if not access.staff:
        if access.family:
            raise PermissionDenied("增值评价仅供教师和管理人员查看")
        raise Http404("未找到")
    from ..models import ExamStudent

    if not access.district and not ExamStudent.objects.visible_to(request.user).filter(exam=exam).exists():
        raise Http404("未找到")  # staff of a participating school with none of its candidates in view
    access.results_allowed()
    earlier = list(
        exams_visible_to(request.user)
        .filter(stage=exam.stage, entry_year=exam.entry_year, exam_date__lt=exam.exam_date)
        .exclude(pk=exam.pk)
        .order_by("-exam_date")
    )
    raw = request.GET.get("before", "")
    before = next((e for e in earlier if str(e.pk) == raw), earlier[0] if earlier else None)
    subjects = [(str(s.subject_id), s.subject.name) for s in exam.subjects.select_related("subject")]
    subject = request.GET.get("subject") if request.GET.get("subject") in dict(subjects) else ""
    data, error = None, ""
    if before is not None:
        try:
            data = value_added_for(request.user, before.pk, exam.pk, subject=int(subject) if subject else None)
        except ValidationError as exc:
            error = "；".join(exc.messages)
    groups = []
    charts = {}
    if data:
        labels = {"class": _("班级"), "teacher": _("教师"), "school": _("学校")}
        for key in ("class", "teacher", "school"):
            rows = data["groups"].get(key) or []
            groups.append(
                {
                    "key": key,
                    "label": labels[key],
                    "rows": [
                        {
                            "name": r.get("name", ""),
                            "n": r.get("n"),
                            "dz": _fmt("", r.get("mean_dz")),
                            "residual": _fmt("", r.get("mean_residual")),
                            "ci": f"[{_fmt('', r.get('ci_low'))}, {_fmt('', r.get('ci_high'))}]",
                            "sign": "up"
                            if (r.get("ci_low") or 0) > 0
                            else "down"
                            if (r.get("ci_high") if r.get("ci_high") is not None else 0) < 0
                            else "",
                        }
                        for r in rows
                    ],
                }
            )
        cls = data["groups"].get("class") or []
        charts["chart-va"] = {
            "labels": [r.get("name", "") for r in cls],
            "series": [{"name": _("平均残差（增值）"), "values": [r.get("mean_residual") for r in cls]}],
            "type": "bar",
        }
    return render(
        request,
        "exams/report/value_added.html",
        {
            "title": _("增值评价"),
            "exam": exam,
            "earlier": earlier,
            "before": before,
            "subjects": subjects,
            "subject": subject,
            "data": data,
            "va_groups": groups,
            "charts": charts,
            "error": error,
        },
    )
