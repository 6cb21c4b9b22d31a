"""成绩导入 pages: upload a school's score file, follow the import's progress (it runs as a background job:
``core.jobs.start_job``), the result (counts, the error list, the highlighted report to download) and the blank
template of the school.

The result and the report belong to the user who uploaded: they are stored encrypted under MEDIA_ROOT (the
report is a copy of the upload, names included) for a day, named by a random token, and only that user can
open them (404 for anyone else)."""

from __future__ import annotations

import datetime as dt
import json
import logging
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
from core.http import attachment_response, htmx_reload
from core.jobs import start_job

from ..forms import ScoreImportForm
from ..importer import ImportFileError, import_scores, may_import, template_rows
from ..importer.sheet import check_upload
from ..models import ExamStatus
from .access import admin_schools, get_exam, importable_schools

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STORE = "exam-imports"
KEEP = dt.timedelta(days=1)
SHOW_ERRORS = 300
RUNNING = {"queued", "running"}
logger = logging.getLogger(__name__)
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
        data = upload.read()
        try:
            check_upload(data)  # the file's size and kind are refused at once, before a job starts
        except ImportFileError as exc:
            form.add_error(None, exc.message)
        else:
            school, subject = d["school_obj"], d["subject_obj"]
            token = job_create(
                user=user,
                exam=exam,
                data=data,
                params={
                    "filename": upload.name[:200],
                    "school_id": school.pk if school else None,
                    "school": school.name if school else _("全部参考学校"),
                    "subject_id": subject.pk if subject else None,
                    "subject": subject.subject.name if subject else "",
                    "dry_run": d["dry_run"],
                },
            )
            from ..tasks import score_import_task

            start_job(score_import_task, token)
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
    running = summary.get("status") in RUNNING
    if request.htmx and not running:
        return htmx_reload()  # the job has finished: show the whole result page
    if running:
        template = "exams/manage/partials/import_progress.html" if request.htmx else "exams/manage/import_result.html"
        return render(
            request,
            template,
            {
                "title": _("正在导入：%(name)s") % {"name": summary["filename"]},
                "exam": exam,
                "s": summary,
                "token": token,
                "running": True,
            },
        )
    ctx = {
        "title": _("导入结果：%(name)s") % {"name": summary["filename"]},
        "exam": exam,
        "s": summary,
        "token": token,
        "has_report": default_storage.exists(_path(token, "xlsx")),
        "errors": summary.get("errors") or [],
        "more_errors": summary.get("error_count", 0) - len(summary.get("errors") or []),
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


def _put(path: str, data: bytes) -> None:
    """Write (or replace) one stored, encrypted file."""
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(encrypt_bytes(data)))


def _get(path: str) -> bytes:
    with default_storage.open(path, "rb") as fh:
        return decrypt_bytes(fh.read())


def job_create(*, user, exam, data: bytes, params: dict) -> str:
    """Store an uploaded score file (encrypted) and its job status for the user; returns the job's token.
    ``score_import_task`` runs it and replaces the status with the result."""
    _cleanup()
    token = secrets.token_urlsafe(18)
    _put(_path(token, "upload"), data)
    meta = {"user": user.pk, "exam": exam.pk, "saved": timezone.now().isoformat(), "status": "queued", "progress": 0}
    _put(_path(token, "json"), json.dumps({**meta, **params}).encode())
    return token


def job_update(token: str, **changes) -> dict:
    """Merge ``changes`` into the stored status of the job ``token``."""
    meta = json.loads(_get(_path(token, "json")))
    meta.update(changes)
    _put(_path(token, "json"), json.dumps(meta).encode())
    return meta


def job_run(token: str) -> str:
    """Run the stored import ``token`` (the body of ``score_import_task``): the scores are checked and written
    by ``import_scores``, the progress and then the result (counts, errors, the highlighted report) are stored
    for the user who uploaded. The upload itself is deleted afterwards."""
    from core.models import User

    from ..models import Exam, ExamSubject

    meta = job_update(token, status="running", progress=1)
    try:
        exam = Exam.objects.get(pk=meta["exam"])
        user = User.objects.get(pk=meta["user"])
        school = exam.participants.filter(school_id=meta.get("school_id")).first() if meta.get("school_id") else None
        subject = ExamSubject.objects.filter(pk=meta.get("subject_id"), exam=exam).first()
        last = {"pct": 0}

        def progress(pct: int) -> None:
            if pct >= last["pct"] + 5:
                last["pct"] = pct
                job_update(token, progress=pct)

        result = import_scores(
            exam=exam,
            data=_get(_path(token, "upload")),
            filename=meta["filename"],
            school=school.school if school else None,
            subject=subject,
            actor=user,
            dry_run=meta.get("dry_run", False),
            progress=progress,
        )
    except ImportFileError as exc:
        job_update(token, status="failed", progress=100, error=exc.message, errors=[], error_count=0)
        return "failed"
    except Exception as exc:  # recorded for the user; the traceback goes to the log
        logger.exception("score import %s failed", token)
        message = str(exc) if isinstance(exc, PermissionDenied) else _("导入时发生内部错误，请联系管理员。")
        job_update(token, status="failed", progress=100, error=message, errors=[], error_count=0)
        return "failed"
    finally:
        if default_storage.exists(_path(token, "upload")):
            default_storage.delete(_path(token, "upload"))
    report = result.report()
    if report:
        _put(_path(token, "xlsx"), report)
    summary = {**result.summary(), "errors": [e.as_dict() for e in result.errors[:SHOW_ERRORS]], "progress": 100}
    job_update(token, **summary)
    return summary["status"]


def result_save(*, user, exam, summary: dict, report: bytes | None) -> str:
    """Store an import's summary (and error report) for its user; returns the token naming them."""
    _cleanup()
    token = secrets.token_urlsafe(18)
    meta = {"user": user.pk, "exam": exam.pk, "saved": timezone.now().isoformat(), **summary}
    _put(_path(token, "json"), json.dumps(meta).encode())
    if report:
        _put(_path(token, "xlsx"), report)
    return token


def result_load(*, user, exam, token: str) -> dict:
    if not _TOKEN.match(token or ""):
        raise Http404("未找到")
    path = _path(token, "json")
    if not default_storage.exists(path):
        raise Http404("未找到")
    try:
        meta = json.loads(_get(path))
    except (FileNotFoundError, ValueError):  # replaced at this instant by the running job: read it again
        meta = json.loads(_get(path))
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


__all__ = ["job_create", "job_run", "result_load", "result_save"]
