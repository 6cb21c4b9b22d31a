"""共建共享统计: uploads, approved items, downloads and ratings by school, teacher, subject and month, with
charts and Excel export. District reviewers see every school of the district; a school admin their school."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_record
from core.excel import xlsx_response
from core.models import School, Subject

from ..models import Download, Level, Rating, Resource
from ..selectors import district_review_ids, school_review_ids

APPROVED = Q(level__in=[Level.SCHOOL, Level.DISTRICT])
DISTRICT = Q(level=Level.DISTRICT)


def stats_scope(user):
    """(resources, downloads, ratings, school or None) the user may count; PermissionDenied for others."""
    districts = district_review_ids(user)
    schools = school_review_ids(user)
    res = Resource.objects.visible_to(user, "export")
    if districts:
        res = res.filter(district_id__in=sorted(districts))
    elif schools:
        res = res.filter(school_id__in=sorted(schools))
    else:
        raise PermissionDenied(_("无权查看资源统计"))
    downloads = Download.objects.filter(resource__in=res.values("pk"))
    ratings = Rating.objects.filter(resource__in=res.values("pk"))
    return res, downloads, ratings


def _school_filter(request, res, downloads, ratings):
    school_id = request.GET.get("school")
    if school_id and school_id.isdigit():
        sid = int(school_id)
        res = res.filter(school_id=sid)
        downloads = downloads.filter(resource__school_id=sid)
        ratings = ratings.filter(resource__school_id=sid)
        return res, downloads, ratings, sid
    return res, downloads, ratings, None


def by_group(res, field: str, names: dict) -> list[list]:
    rows = (
        res.order_by()
        .values(field)
        .annotate(
            uploads=Count("id"),
            approved=Count("id", filter=APPROVED),
            district=Count("id", filter=DISTRICT),
            downloads=Sum("download_count"),
            ratings=Sum("rating_count"),
            avg=Avg("rating_avg", filter=Q(rating_count__gt=0)),
        )
        .order_by("-uploads")
    )
    return [
        [
            names.get(r[field], _("区级（无学校）") if r[field] is None else str(r[field])),
            r["uploads"],
            r["approved"],
            r["district"],
            r["downloads"] or 0,
            r["ratings"] or 0,
            round(r["avg"], 2) if r["avg"] else "—",
        ]
        for r in rows
    ]


def by_month(res, downloads) -> list[list]:
    since = (timezone.localdate().replace(day=1) - timezone.timedelta(days=335)).replace(day=1)
    uploads = dict(
        res.filter(created_at__date__gte=since)
        .annotate(m=TruncMonth("created_at"))
        .order_by()
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    approved = dict(
        res.filter(school_approved_at__date__gte=since)
        .annotate(m=TruncMonth("school_approved_at"))
        .order_by()
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    dls = dict(
        downloads.filter(created_at__date__gte=since)
        .annotate(m=TruncMonth("created_at"))
        .order_by()
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )

    def key(d):
        return d.strftime("%Y-%m") if d else ""

    uploads, approved, dls = ({key(k): v for k, v in d.items()} for d in (uploads, approved, dls))
    months = []
    d = since
    for _i in range(12):
        months.append(d.strftime("%Y-%m"))
        d = (d + timezone.timedelta(days=32)).replace(day=1)
    return [[m, uploads.get(m, 0), approved.get(m, 0), dls.get(m, 0)] for m in months]


HEADERS = [
    gettext_lazy("上传"),
    gettext_lazy("校级以上"),
    gettext_lazy("区级准入"),
    gettext_lazy("下载"),
    gettext_lazy("评分人次"),
    gettext_lazy("平均评分"),
]


def stats_tables(res, downloads, user) -> dict:
    school_names = dict(School.objects.visible_to(user, "view").values_list("pk", "name")) if res.exists() else {}
    missing = set(res.values_list("school_id", flat=True).distinct()) - set(school_names) - {None}
    school_names.update(School.objects.filter(pk__in=missing).values_list("pk", "name"))
    subjects = dict(Subject.objects.filter(pk__in=res.values("subject_id")).values_list("pk", "name"))
    from core.models import User

    owners = {u.pk: u.display_name for u in User.objects.filter(pk__in=res.values("owner_id")).select_related("person")}
    return {
        "school": {"title": _("按学校"), "first": _("学校"), "rows": by_group(res, "school_id", school_names)},
        "teacher": {"title": _("按教师"), "first": _("教师"), "rows": by_group(res, "owner_id", owners)[:100]},
        "subject": {"title": _("按学科"), "first": _("学科"), "rows": by_group(res, "subject_id", subjects)},
        "month": {"title": _("按月份（近 12 个月）"), "first": _("月份"), "rows": by_month(res, downloads)},
    }


@login_required
def stats_view(request):
    res, downloads, ratings = stats_scope(request.user)
    all_schools = sorted(
        School.objects.filter(pk__in=res.values("school_id")).values_list("pk", "name"), key=lambda s: s[1]
    )
    res, downloads, ratings, school_id = _school_filter(request, res, downloads, ratings)
    tables = stats_tables(res, downloads, request.user)
    export = request.GET.get("export")
    if export in tables:
        t = tables[export]
        month = export == "month"
        headers = [t["first"], *([_("上传"), _("校级通过"), _("下载")] if month else HEADERS)]
        audit_record(
            actor=request.user,
            action="export",
            object_type="resources.resource",
            object_repr=f"资源共建共享统计·{t['title']}（{len(t['rows'])} 行）",
            changes={"table": export, "school": school_id},
        )
        return xlsx_response(
            filename=f"资源统计-{t['title']}", headers=[str(h) for h in headers], rows=t["rows"], sheet=str(t["title"])
        )
    totals = res.aggregate(
        uploads=Count("id"), approved=Count("id", filter=APPROVED), district=Count("id", filter=DISTRICT)
    )
    cards = [
        (_("上传资源"), totals["uploads"]),
        (_("校级以上"), totals["approved"]),
        (_("区级准入"), totals["district"]),
        (_("下载次数"), downloads.count()),
        (_("评分人次"), ratings.count()),
    ]
    school_rows = tables["school"]["rows"][:30]
    charts = {
        "chart-res-school": {
            "labels": [r[0] for r in school_rows],
            "series": [
                {"name": str(_("上传")), "values": [r[1] for r in school_rows]},
                {"name": str(_("校级以上")), "values": [r[2] for r in school_rows]},
                {"name": str(_("区级准入")), "values": [r[3] for r in school_rows]},
            ],
        },
        "chart-res-month": {
            "labels": [r[0] for r in tables["month"]["rows"]],
            "type": "line",
            "series": [
                {"name": str(_("上传")), "values": [r[1] for r in tables["month"]["rows"]]},
                {"name": str(_("校级通过")), "values": [r[2] for r in tables["month"]["rows"]]},
                {"name": str(_("下载")), "values": [r[3] for r in tables["month"]["rows"]]},
            ],
        },
        "chart-res-subject": {
            "name": str(_("上传")),
            "labels": [r[0] for r in tables["subject"]["rows"]],
            "values": [r[1] for r in tables["subject"]["rows"]],
        },
    }
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "resources/stats.html",
        {
            "title": _("共建共享统计"),
            "cards": cards,
            "tables": tables,
            "headers": HEADERS,
            "month_headers": [_("上传"), _("校级通过"), _("下载")],
            "charts": charts,
            "schools": all_schools,
            "school_id": school_id,
            "query": query.urlencode(),
        },
    )
