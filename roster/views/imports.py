"""学籍导入 pages: upload, progress (polled with htmx), error list and report download."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.crypto import BYTES_MAGIC, decrypt_bytes, encrypt_bytes
from core.excel import xlsx_response
from core.http import attachment_response
from core.models import School, Student
from core.scope import can, can_any
from core.views.common import get_scoped

from ..importer.tasks import roster_import_task
from ..models import ImportJob
from ..template import COLUMNS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def importable_schools(user):
    schools = School.objects.visible_to(user).filter(archived_at__isnull=True).select_related("district")
    return [s for s in schools if can(user, "add", Student(district_id=s.district_id, school=s))]


class ImportForm(forms.Form):
    school = forms.ModelChoiceField(label=gettext_lazy("学校"), queryset=School.objects.none())
    file = forms.FileField(label=gettext_lazy("学籍文件（.xlsx / .xls / .csv，教育部学籍模板）"))
    dry_run = forms.BooleanField(label=gettext_lazy("仅预览，不写入"), required=False, initial=True)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(pk__in=[s.pk for s in schools])
        if len(schools) == 1:
            self.fields["school"].initial = schools[0].pk

    def clean_file(self):
        f = self.cleaned_data["file"]
        limit = getattr(settings, "ZX_ROSTER_MAX_BYTES", 20 * 1024 * 1024)
        if f.size > limit:
            raise forms.ValidationError(
                _("文件过大（%(size).1f MB），上限 %(limit).0f MB。") % {"size": f.size / 2**20, "limit": limit / 2**20}
            )
        return f


@login_required
def import_list_view(request):
    schools = importable_schools(request.user)
    if not schools and not can_any(request.user, "view", ImportJob):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, schools=schools)
    if request.method == "POST":
        if not schools:
            raise PermissionDenied
        if form.is_valid():
            school = form.cleaned_data["school"]
            upload = form.cleaned_data["file"]
            with transaction.atomic():
                job = ImportJob(
                    school=school,
                    created_by=request.user,
                    filename=upload.name[:200],
                    dry_run=form.cleaned_data["dry_run"],
                )
                # Rosters carry ID numbers: the upload is stored encrypted and removed once processed.
                job.upload.save(f"{school.code}.bin", ContentFile(encrypt_bytes(upload.read())), save=False)
                job.save()
                transaction.on_commit(lambda: roster_import_task.delay(job.pk))
            return redirect("roster:import_detail", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("school", "created_by")[:30]
    return render(
        request,
        "roster/imports.html",
        {"title": _("学籍导入"), "form": form, "jobs": jobs, "can_import": bool(schools)},
    )


@login_required
def import_detail_view(request, pk: int):
    job = get_scoped(ImportJob, request.user, pk, queryset=ImportJob.objects.select_related("school", "created_by"))
    running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    ctx = {"title": _("学籍导入：%s") % job.filename, "job": job, "running": running, "errors": job.errors[:300]}
    if request.htmx:
        return render(request, "roster/partials/import_status.html", ctx)
    return render(request, "roster/import_detail.html", ctx)


@login_required
def import_report_view(request, pk: int):
    job = get_scoped(ImportJob, request.user, pk)
    if not job.report:
        raise Http404
    with job.report.open("rb") as fh:
        blob = fh.read()
    data = decrypt_bytes(blob) if blob.startswith(BYTES_MAGIC) else blob
    stem = job.filename.rsplit(".", 1)[0]
    return attachment_response(data, f"{stem}-错误报告", XLSX, stamp=False)


@login_required
def import_template_view(request):
    if not importable_schools(request.user):
        raise PermissionDenied
    headers = [f"{c.header}★" if c.required else c.header for c in COLUMNS]
    return xlsx_response(filename="学生基本信息模板", headers=headers, rows=[], sheet="学生基本信息")
