"""成绩报告单 pages: the family's list (我的成绩 / 孩子的成绩), one candidate's report card (page and PDF), and the
district's ranking-visibility policy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.http import attachment_response
from core.scope import can, grants_for

from .. import services
from ..models import POLICY_ROLES, RANK_KINDS, RankingPolicy
from ..report_card import candidate_for, family_reports, student_report

RANK_LABELS = {"class_rank": _("班级排名"), "school_rank": _("校内排名"), "district_rank": _("区排名")}
ROLE_LABELS = {
    "student": _("学生"),
    "guardian": _("家长"),
    "head_teacher": _("班主任"),
    "subject_teacher": _("任课教师"),
    "school_admin": _("学校管理员"),
}


def _pct(x):
    return None if x is None else round(100 * x, 1)


def _charts(report: dict) -> dict:
    rows = report["rows"]
    labels = [r["subject"] for r in rows]

    def rate(v, full):
        return None if v is None or not full else round(100 * v / full, 1)

    subject_chart = {
        "labels": labels,
        "type": "bar",
        "max": 100,
        "min": 0,
        "series": [
            {"name": _("本人"), "values": [rate(r["value"], r["full_mark"]) for r in rows]},
            {"name": _("班级平均"), "values": [rate(r["class_mean"], r["full_mark"]) for r in rows]},
            {
                "name": _("区平均") if report["is_district"] else _("校平均"),
                "values": [
                    rate(r["district_mean"] if report["is_district"] else r["school_mean"], r["full_mark"])
                    for r in rows
                ],
            },
        ],
        "empty": _("暂无成绩"),
    }
    trend = report["trend"]
    trend_chart = {
        "labels": [t["exam"].name for t in trend],
        "type": "line",
        "max": 100,
        "min": 0,
        "series": [
            {"name": _("本人总分得分率 %"), "values": [_pct(t["rate"]) for t in trend]},
            {"name": _("班级平均得分率 %"), "values": [_pct(t["class_rate"]) for t in trend]},
        ]
        if len(trend) > 1
        else [],
        "empty": _("参加两次以上考试后显示成绩走势"),
    }
    return {"chart-card-subjects": subject_chart, "chart-card-trend": trend_chart}


@login_required
def my_reports_view(request):
    """我的成绩 (students) / 孩子的成绩 (parents): published exams, newest first, grouped by child."""
    rows = list(family_reports(request.user))
    children: dict[int, dict] = {}
    for cand in rows:
        entry = children.setdefault(cand.student_id, {"name": cand.student.person.name, "items": []})
        entry["items"].append(cand)
    return render(
        request,
        "exams/report/my.html",
        {"title": _("成绩报告"), "children": list(children.values())},
    )


@login_required
def report_card_view(request, exam_pk: int, pk: int):
    cand = candidate_for(request.user, pk)
    if cand.exam_id != exam_pk:
        return redirect("exams:report_card", exam_pk=cand.exam_id, pk=cand.pk)
    report = student_report(request.user, cand)
    return render(
        request,
        "exams/report/card.html",
        {
            "title": _("成绩报告单"),
            "r": report,
            "rank_labels": RANK_LABELS,
            "charts": _charts(report),
        },
    )


@login_required
def report_card_pdf_view(request, exam_pk: int, pk: int):
    from weasyprint import HTML

    cand = candidate_for(request.user, pk)
    if cand.exam_id != exam_pk:
        raise PermissionDenied
    report = student_report(request.user, cand)
    html = render_to_string(
        "exams/report/print/card.html",
        {"r": report, "rank_labels": RANK_LABELS, "printed_on": timezone.localdate()},
    )
    pdf = HTML(string=html).write_pdf()
    audit_record(
        actor=request.user,
        action="exam.print_report_card",
        obj=cand,
        object_repr=f"{report['exam'].name} · {report['student']} 成绩报告单",
        changes={"ranks": report["rank_kinds"]},
        district_id=report["exam"].district_id,
        school_id=cand.school_id,
    )
    return attachment_response(pdf, f"成绩报告单-{report['student']}-{report['exam'].name}", "application/pdf")


def _policy_district(user):
    """The district whose policy ``user`` may edit (district admin / 教研员), else PermissionDenied."""
    for g in grants_for(user):
        if g.level == "district" and can(user, "change", RankingPolicy(district_id=g.district_id)):
            return g.district_id
    raise PermissionDenied("只有区县管理员或教研员可以设置排名公开规则")


@login_required
def ranking_policy_view(request):
    district_id = _policy_district(request.user)
    if request.method == "POST":
        rules = {role: {k: f"{role}.{k}" in request.POST for k in RANK_KINDS} for role in POLICY_ROLES}
        try:
            services.ranking_policy_set(actor=request.user, district_id=district_id, rules=rules)
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("排名公开规则已保存，成绩页面、报告单和接口立即按新规则显示"))
        return redirect("exams:ranking_policy")
    rules = services.ranking_policy(district_id)
    table = [
        {
            "role": role,
            "label": ROLE_LABELS[role],
            "cells": [{"kind": k, "name": f"{role}.{k}", "on": rules[role][k]} for k in RANK_KINDS],
        }
        for role in POLICY_ROLES
    ]
    return render(
        request,
        "exams/report/policy.html",
        {"title": _("排名公开规则"), "table": table, "kinds": [RANK_LABELS[k] for k in RANK_KINDS]},
    )
