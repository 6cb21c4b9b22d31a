"""学籍 roster import: the MoE 学生基本信息表 template (roster.template) from .xlsx / .xls / .csv.

    result = import_roster(data=..., filename="七年级.xlsx", school=school, actor=user, dry_run=False)

Pipeline: ``reader.read_table`` (unusable files raise ImportFileError) → ``validate.Validator`` (cell, row,
file and database checks) → all-or-nothing ``writer.Writer`` (one transaction, bulk writes, one audit row)
→ on errors ``report.build_report`` (the upload with red, commented cells). ``roster_import_run(job_id=…)``
runs an ImportJob (UI / Celery, see tasks.py); ``manage.py import_roster`` is the command line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied

from .reader import ImportFileError, Table, read_table
from .validate import RowError, Validator

logger = logging.getLogger(__name__)

MAX_STORED_ERRORS = 5000

__all__ = [
    "ImportFileError",
    "ImportResult",
    "RowError",
    "check_permission",
    "import_roster",
    "roster_import_run",
]


@dataclass
class ImportResult:
    status: str  # done / previewed / invalid
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    table: Table | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> bytes | None:
        """The error report workbook (None when there are no errors)."""
        if not self.errors or self.table is None:
            return None
        from .report import build_report

        return build_report(self.table, self.errors)

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "error_count": len(self.errors),
            "error_rows": len({e.row for e in self.errors}),
            "warnings": self.warnings,
            **self.counts,
        }


def check_permission(actor, school) -> None:
    """The actor must be allowed to add (and change) students of the school; None is the system (CLI)."""
    if actor is None:
        return
    from core.models import Student
    from core.scope import can

    probe = Student(district_id=school.district_id, school=school)
    if not (can(actor, "add", probe) and can(actor, "change", probe)):
        raise PermissionDenied("无权向该校导入学籍")


def import_roster(
    *,
    data: bytes,
    filename: str,
    school,
    actor=None,
    dry_run: bool = False,
    source: str = "web",
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Validate and (unless ``dry_run`` or any error) write a roster file. Raises ImportFileError for an
    unusable file and PermissionDenied when ``actor`` may not import into ``school``."""
    from .writer import Writer

    check_permission(actor, school)
    table = read_table(data, filename)
    total = table.total_rows
    if progress is not None:
        progress("validate", 0, total)
    v = Validator(school, table)
    v.cells(progress=(lambda n: progress("validate", n, total)) if progress else None)
    if not v.rows_seen:
        raise ImportFileError("表头下面没有数据行。")
    v.against_db()
    errors = v.sorted_errors()
    result = ImportResult(status="invalid", rows=v.rows_seen, errors=errors, warnings=list(table.warnings), table=table)
    actions = {"create": 0, "link": 0, "update": 0, "unchanged": 0, "reenrol": 0}
    for p in v.rows:
        actions[p.action] += 1
    planned = {
        "to_create": actions["create"] + actions["link"],
        "to_update": actions["update"],
        "to_reenrol": actions["reenrol"],
        "unchanged": actions["unchanged"],
    }
    if errors:
        result.counts = {"created": 0, "updated": 0, "unchanged": 0}
        return result
    if dry_run:
        result.status = "previewed"
        result.counts = planned
        return result
    writer = Writer(v.ctx, actor=actor, filename=filename, source=source)
    todo = len(v.rows) - actions["unchanged"]
    counts = writer.write(v.rows, progress=(lambda n: progress("write", n, todo)) if progress else None)
    result.status = "done"
    result.counts = counts
    return result


def roster_import_run(*, job_id: int) -> None:
    """Run an ImportJob: read job.upload, validate and write (or preview), record progress, errors, summary and
    the error report on the job. Progress (total_rows / processed_rows) is saved every ~500 rows."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from core.crypto import BYTES_MAGIC, decrypt_bytes, encrypt_bytes
    from roster.models import ImportJob

    job = ImportJob.objects.select_related("school", "school__district", "created_by").get(pk=job_id)
    job.status = ImportJob.Status.RUNNING
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows", "updated_at"])

    def progress(phase: str, n: int, total: int) -> None:
        if phase == "validate":
            job.total_rows = total
            job.processed_rows = min(n, total)
            job.summary = {**job.summary, "phase": "校验中"}
        else:  # writing happens inside one transaction: other connections see only the phase change
            job.processed_rows = job.total_rows
            job.summary = {**job.summary, "phase": "写入中", "written": n}
        ImportJob.objects.filter(pk=job.pk).update(
            total_rows=job.total_rows, processed_rows=job.processed_rows, summary=job.summary, updated_at=timezone.now()
        )

    try:
        with job.upload.open("rb") as fh:
            data = fh.read()
        if data.startswith(BYTES_MAGIC):  # uploads through the UI are stored encrypted
            data = decrypt_bytes(data)
        result = import_roster(
            data=data,
            filename=job.filename or job.upload.name,
            school=job.school,
            actor=job.created_by,
            dry_run=job.dry_run,
            source="job",
            progress=progress,
        )
    except ImportFileError as exc:
        _discard_upload(job)
        job.status = ImportJob.Status.FAILED
        job.errors = [{"row": 0, "column": "", "message": exc.message}]
        job.summary = {"error_count": 1, "message": exc.message}
        job.save(update_fields=["status", "errors", "summary", "updated_at"])
        return
    except PermissionDenied as exc:
        job.status = ImportJob.Status.FAILED
        job.errors = [{"row": 0, "column": "", "message": str(exc) or "无权导入"}]
        job.summary = {"error_count": 1, "message": str(exc)}
        job.save(update_fields=["status", "errors", "summary", "updated_at"])
        return
    except Exception:
        logger.exception("roster import job %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.errors = [{"row": 0, "column": "", "message": "导入时发生系统错误，请联系管理员。"}]
        job.summary = {"error_count": 1, "message": "系统错误"}
        job.save(update_fields=["status", "errors", "summary", "updated_at"])
        raise
    job.total_rows = result.rows
    job.processed_rows = result.rows
    job.errors = [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]]
    job.summary = {**result.summary(), "errors_truncated": len(result.errors) > MAX_STORED_ERRORS}
    fields = ["status", "total_rows", "processed_rows", "errors", "summary", "updated_at"]
    if result.errors:
        job.status = ImportJob.Status.INVALID
        stem = (job.filename or "roster").rsplit(".", 1)[0][:80]
        # The report is a copy of the upload (ID numbers included): stored encrypted like the upload.
        job.report.save(f"{stem}-错误报告.bin", ContentFile(encrypt_bytes(result.report())), save=False)
        fields.append("report")
    else:
        job.status = ImportJob.Status.PREVIEWED if job.dry_run else ImportJob.Status.DONE
    job.save(update_fields=fields)
    _discard_upload(job)


def _discard_upload(job) -> None:
    """The uploaded roster is not kept once processed (minimum retention of personal data)."""
    if job.upload:
        job.upload.delete(save=False)
        type(job).objects.filter(pk=job.pk).update(upload="")
