"""学籍统计: 在籍 counts (school, grade, 性别, 民族, 随迁子女, 留守儿童) and 学籍异动 by type and month, as a page
and as an Excel workbook with the same tables.

Who: district admins, school admins and grade leaders (district-, school- or grade-level grants on the roster).
Head teachers, teachers, parents and pupils get 403. The numbers come from ``roster.selectors`` and so from the
user's scope (``visible_to``).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from core.audit import audit_record
from core.http import attachment_response
from core.models import Gender, School
from core.scope import grants_for, role_allows
from core.views.common import get_scoped

from ..models import ChangeKind
from ..selectors import change_stats, enrolment_stats

STATS_LEVELS = ("district", "school", "grade")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOP_ETHNICITIES = 10


def stats_allowed(user, action: str = "view") -> bool:
    """District admins, school admins and grade leaders: a district-, school- or grade-level grant allowing
    ``action`` on 学籍信息. (Class-level head teachers, staff, parents and pupils: no.)"""
    return any(
        g.level in STATS_LEVELS and role_allows(g.role, "roster.studentprofile", action) for g in grants_for(user)
    )


def _ethnicity_labels() -> dict[str, str]:
    from ..data import CODE_TABLES
    from ..models import CodeTable

    labels = dict(CODE_TABLES.get("ethnicity", []))
    labels.update(dict(CodeTable.objects.filter(kind="ethnicity").values_list("code", "label")))
    return labels


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def _chart(name: str, pairs) -> dict:
    pairs = list(pairs)
    return {"name": name, "labels": [str(p[0]) for p in pairs], "values": [p[1] for p in pairs]}


def build_stats(user, *, school=None, year=None) -> dict:
    """Cards, charts and tables of the statistics page (the export writes the same tables)."""
    e = enrolment_stats(user, school=school)
    c = change_stats(user, school=school, year=year)
    multi_school = len(e["by_school"]) > 1
    school_names = {r["school_id"]: r["name"] for r in e["by_school"]}

    by_school = Table("按学校", ["学校", "在籍人数"], [[r["name"], r["n"]] for r in e["by_school"]])
    grade_rows = sorted(e["by_grade"], key=lambda r: (school_names.get(r["school_id"], ""), r["cohort"]))
    by_grade = Table(
        "按年级",
        ["学校", "年级", "届别", "在籍人数"],
        [[school_names.get(r["school_id"], ""), r["label"], r["cohort"], r["n"]] for r in grade_rows],
    )
    genders = dict(Gender.choices)
    by_gender = Table(
        "按性别",
        ["性别", "在籍人数"],
        [[str(genders.get(k, k or "未填")), n] for k, n in sorted(e["by_gender"].items())],
    )
    labels = _ethnicity_labels()
    eth = Counter({labels.get(k, k) if k else "未填": n for k, n in e["by_ethnicity"].items()})
    ranked = sorted(eth.items(), key=lambda kv: (-kv[1], kv[0]))
    eth_rows = [[k, n] for k, n in ranked[:TOP_ETHNICITIES]]
    if len(ranked) > TOP_ETHNICITIES:
        eth_rows.append(["其他", sum(n for _k, n in ranked[TOP_ETHNICITIES:])])
    by_ethnicity = Table("按民族", ["民族", "在籍人数"], eth_rows)
    special = Table(
        "随迁子女与留守儿童",
        ["项目", "人数"],
        [
            ["在籍学生", e["total"]],
            ["进城务工人员随迁子女", e["migrant_child"]],
            ["留守儿童", e["left_behind"]],
            ["未建学籍信息", e["without_profile"]],
        ],
    )
    kind_labels = dict(ChangeKind.choices)
    change_kind = Table(
        "异动类型",
        ["异动类型", "条数"],
        [[str(kind_labels.get(k, k)), n] for k, n in sorted(c["by_kind"].items(), key=lambda kv: (-kv[1], kv[0]))],
    )
    kinds = sorted({r["kind"] for r in c["by_kind_month"]})
    cells = {(r["month"], r["kind"]): r["n"] for r in c["by_kind_month"]}
    change_month = Table(
        "异动月份",
        ["月份", "合计", *[str(kind_labels.get(k, k)) for k in kinds]],
        [[m, total, *[cells.get((m, k), 0) for k in kinds]] for m, total in sorted(c["by_month"].items())],
    )

    grade_label = (lambda r: f"{r[0]}·{r[1]}") if multi_school else (lambda r: r[1])
    charts = {
        "chart-stats-grade": _chart("在籍人数", [(grade_label(r), r[3]) for r in by_grade.rows]),
        "chart-stats-change-kind": _chart("异动条数", change_kind.rows),
        "chart-stats-change-month": _chart("异动条数", sorted(c["by_month"].items())),
    }
    if multi_school:
        charts["chart-stats-school"] = _chart("在籍人数", by_school.rows)
    return {
        "enrolment": e,
        "changes": c,
        "multi_school": multi_school,
        "cards": [
            ("在籍学生", e["total"]),
            ("随迁子女", e["migrant_child"]),
            ("留守儿童", e["left_behind"]),
            ("学籍异动", c["total"]),
        ],
        "charts": charts,
        "tables": [by_school, by_grade, by_gender, by_ethnicity, special, change_kind, change_month],
    }


def _filters(request):
    user = request.user
    schools = list(School.objects.visible_to(user).filter(archived_at__isnull=True).order_by("code"))
    school = None
    raw = request.GET.get("school", "")
    if raw.isdigit():
        school = get_scoped(School, user, int(raw))
    year = None
    raw_year = request.GET.get("year", "")
    if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
        year = int(raw_year)
    return schools, school, year


@login_required
def stats_view(request):
    if not stats_allowed(request.user):
        raise PermissionDenied("无权查看学籍统计")
    schools, school, year = _filters(request)
    this_year = timezone.localdate().year
    ctx = build_stats(request.user, school=school, year=year)
    ctx.update(
        title="学籍统计",
        schools=schools,
        school=school,
        year=year,
        years=list(range(this_year, this_year - 5, -1)),
        can_export=stats_allowed(request.user, "export"),
        query=request.GET.urlencode(),
    )
    return render(request, "roster/stats/stats.html", ctx)


def stats_workbook(tables: list[Table]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for t in tables:
        ws = wb.create_sheet(title=t.title[:31])
        ws.append(t.headers)
        for cell in ws[1]:
            cell.font = bold
        for row in t.rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@login_required
def stats_export_view(request):
    if not stats_allowed(request.user, "export"):
        raise PermissionDenied("无权导出学籍统计")
    _schools, school, year = _filters(request)
    data = build_stats(request.user, school=school, year=year)
    name = school.name if school else "全部"
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="roster.stats_export",
            object_type="roster.stats",
            object_repr=f"学籍统计-{name}" + (f"-{year}" if year else ""),
            district_id=school.district_id if school else None,
            school_id=school.pk if school else None,
        )
    return attachment_response(stats_workbook(data["tables"]), f"学籍统计-{name}", XLSX)
