"""成绩导入 pages: upload a school's score file (synchronous: a 2,000-student file takes about a second), the
result (counts, the error list, the highlighted report to download) and the blank template of the school.

The result and the report belong to the user who uploaded: they are stored encrypted under MEDIA_ROOT (the
report is a copy of the upload, names included) for a day, named by a random token, and only that user can
open them (404 for anyone else)."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.crypto import decrypt_bytes, encrypt_bytes
from core.excel import xlsx_response
from core.http import attachment_response

from ..forms import ScoreImportForm
from ..importer import ImportFileError, import_scores, may_import, template_rows
from ..models import ExamStatus
from .access import admin_schools, get_exam, importable_schools

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STORE = "exam-imports"
KEEP = dt.timedelta(days=1)
SHOW_ERRORS = 300
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _item_subjects(exam):
    return [es for es in exam.subjects.select_related("subject").order_by("sort_order", "id") if es.items.exists()]


@login_required
def import_view(request, pk: int):
    user = request.user
    exam = get_exam(user, pk)
    if not admin_schools(user, exam):
        raise PermissionDenied("无权导入该考试的成绩")
    schools = importable_schools(user, exam)
    form = ScoreImportForm(
        request.POST or None,
        request.FILES or None,
        schools=schools,
        allow_all=may_import(user, exam, None),
        item_subjects=_item_subjects(exam),
    )
    if request.method == "POST" and schools and form.is_valid():
        d = form.cleaned_data
        upload = d["file"]
        try:
            result = import_scores(
                exam=exam,
                data=upload.read(),
                filename=upload.name[:200],
                school=d["school_obj"],
                subject=d["subject_obj"],
                actor=user,
                dry_run=d["dry_run"],
            )
        except ImportFileError as exc:
            form.add_error(None, exc.message)
        else:
            school = d["school_obj"]
            summary = {
                **result.summary(),
                "filename": upload.name[:200],
                "school": school.name if school else _("全部参考学校"),
                "subject": d["subject_obj"].subject.name if d["subject_obj"] else "",
                "dry_run": d["dry_run"],
                "errors": [e.as_dict() for e in result.errors[:SHOW_ERRORS]],
            }
            token = result_save(user=user, exam=exam, summary=summary, report=result.report())
            return redirect("exams:import_result", pk=exam.pk, token=token)
    ctx = {
        "title": _("导入成绩：%(name)s") % {"name": exam.name},
        "exam": exam,
        "form": form,
        "locked": exam.status != ExamStatus.DRAFT,
        "schools": schools,
    }
    return render(request, "exams/manage/import.html", ctx)


@login_required
def import_result_view(request, pk: int, token: str):
    exam = get_exam(request.user, pk)
    summary = result_load(user=request.user, exam=exam, token=token)
    ctx = {
        "title": _("导入结果：%(name)s") % {"name": summary["filename"]},
        "exam": exam,
        "s": summary,
        "token": token,
        "has_report": default_storage.exists(_path(token, "xlsx")),
        "errors": summary["errors"],
        "more_errors": summary["error_count"] - len(summary["errors"]),
    }
    return render(request, "exams/manage/import_result.html", ctx)


@login_required
def import_report_view(request, pk: int, token: str):
    exam = get_exam(request.user, pk)
    summary = result_load(user=request.user, exam=exam, token=token)
    path = _path(token, "xlsx")
    if not default_storage.exists(path):
        raise Http404("未找到")
    with default_storage.open(path, "rb") as fh:
        data = decrypt_bytes(fh.read())
    stem = summary["filename"].rsplit(".", 1)[0]
    return attachment_response(data, f"{stem}-错误报告", XLSX, stamp=False)


@login_required
def import_template_view(request, pk: int):
    """The school's blank score file: every candidate with 考号, 姓名, 班级 and a column per subject (or per
    小题 of ``?layout=<exam subject>``)."""
    user = request.user
    exam = get_exam(user, pk)
    schools = admin_schools(user, exam)
    if not schools:
        raise PermissionDenied("无权下载该考试的成绩模板")
    wanted = request.GET.get("school", "")
    school = next((s for s in schools if str(s.pk) == wanted), None)
    if school is None and not (wanted == "all" and may_import(user, exam, None)):
        school = schools[0]
    subject = next((es for es in _item_subjects(exam) if str(es.pk) == request.GET.get("layout")), None)
    headers, rows = template_rows(exam, school, subject)
    where = (school.short_name or school.name) if school else _("全部学校")
    audit_record(
        actor=user,
        action="export",
        object_type="exams.examstudent",
        object_repr=f"成绩导入模板（{exam.name} · {where}，{len(rows)} 行）",
        changes={"exam": exam.pk, "school": school.pk if school else None, "rows": len(rows)},
        district_id=exam.district_id,
        school_id=school.pk if school else None,
    )
    name = f"{exam.name}-{where}-成绩模板"
    if subject is not None:
        name += f"-{subject.subject.name}小题"
    return xlsx_response(filename=name, headers=headers, rows=rows, sheet="成绩")


# --- the stored result ------------------------------------------------------------------------------------------


def _path(token: str, kind: str) -> str:
    return f"{STORE}/{token}.{kind}.bin"


def result_save(*, user, exam, summary: dict, report: bytes | None) -> str:
    """Store an import's summary (and error report) for its user; returns the token naming them."""
    _cleanup()
    token = secrets.token_urlsafe(18)
    meta = {"user": user.pk, "exam": exam.pk, "saved": timezone.now().isoformat(), **summary}
    default_storage.save(_path(token, "json"), ContentFile(encrypt_bytes(json.dumps(meta).encode())))
    if report:
        default_storage.save(_path(token, "xlsx"), ContentFile(encrypt_bytes(report)))
    return token


def result_load(*, user, exam, token: str) -> dict:
    if not _TOKEN.match(token or ""):
        raise Http404("未找到")
    path = _path(token, "json")
    if not default_storage.exists(path):
        raise Http404("未找到")
    with default_storage.open(path, "rb") as fh:
        meta = json.loads(decrypt_bytes(fh.read()))
    if meta.get("user") != user.pk or meta.get("exam") != exam.pk:
        raise Http404("未找到")
    return meta


def _cleanup() -> None:
    """Results older than a day are removed (they hold names and scores)."""
    try:
        _dirs, files = default_storage.listdir(STORE)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - KEEP
    for name in files:
        path = f"{STORE}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, OSError):
            continue


__all__ = ["result_load", "result_save"]
