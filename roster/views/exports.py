"""Download endpoints for the 学籍 exports (the work is in roster.exports)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from core.http import attachment_response
from core.models import Class, Grade, School, academic_start_year
from core.views.common import get_scoped

from ..exports import moe_roster_workbook, oneroster_zip, roster_pdf


def _filters(request):
    """Optional school/grade/class filters, each fetched through the user's scope (404 outside it)."""
    user = request.user
    school = grade = klass = None
    if request.GET.get("school", "").isdigit():
        school = get_scoped(School, user, int(request.GET["school"]))
    if request.GET.get("grade", "").isdigit():
        grade = get_scoped(Grade, user, int(request.GET["grade"]))
    if request.GET.get("klass", "").isdigit():
        klass = get_scoped(Class, user, int(request.GET["klass"]))
    return school, grade, klass


@login_required
def moe_export_view(request):
    """``?year=`` picks the academic year whose 年级 names are written: the current one (default) or the next
    (after the year-end 升级)."""
    school, grade, klass = _filters(request)
    current = academic_start_year()
    raw = request.GET.get("year", "")
    if raw and (not raw.isdigit() or int(raw) not in (current, current + 1)):
        return HttpResponseBadRequest(
            _("学年参数无效：只能导出 %(a)s 或 %(b)s 学年") % {"a": current, "b": current + 1}
        )
    year = int(raw) if raw else current
    content = moe_roster_workbook(request.user, school=school, grade=grade, klass=klass, start_year=year)
    name = (klass and klass.name) or (grade and grade.label(year)) or (school and school.name) or "全区"
    if year != current:
        name = f"{name}-{year}学年"
    return attachment_response(
        content, f"学籍-{name}", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@login_required
def class_roster_pdf_view(request, pk: int):
    klass = get_scoped(Class, request.user, pk, queryset=Class.objects.select_related("school", "grade"))
    return attachment_response(
        roster_pdf(request.user, klass), f"花名册-{klass.school.name}-{klass.name}", "application/pdf"
    )


@login_required
def oneroster_export_view(request):
    school, _grade, _klass = _filters(request)
    return attachment_response(oneroster_zip(request.user, school=school), "OneRoster", "application/zip")
