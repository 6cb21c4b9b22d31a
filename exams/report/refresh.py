"""Keeping the cached report fresh.

Pages and the API read ``ExamReport.data`` and ``StudentResult``; they call ``ensure_report`` first, which
recomputes only when the report is missing or stale (``services._mark_report_stale`` sets it back to
``pending`` whenever a score changes). ``report_refresh`` starts the computation as a background job
(``core.jobs.start_job``: a Celery worker, or a thread of this process without a broker); the pages show its
progress meanwhile, with the previous results when there are any, and reload when it is done.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from core.jobs import start_job

from ..models import Exam, ExamReport, ReportStatus

logger = logging.getLogger(__name__)
STUCK_AFTER = dt.timedelta(minutes=30)  # a "running" report not touched for this long is started again


def _report(exam: Exam) -> ExamReport:
    report = ExamReport.objects.filter(exam=exam).defer("data").first()
    if report is None:
        report, _ = ExamReport.objects.get_or_create(exam=exam)
    return report


def report_refresh(exam: Exam, *, force: bool = False) -> ExamReport:
    """Mark the report for recomputation and start it (see the module docstring). A computation already under
    way is not started twice unless ``force``. Returns the report (without ``data``)."""
    from ..tasks import report_task

    report = _report(exam)
    now = timezone.now()
    claim = ExamReport.objects.filter(pk=report.pk)
    if not force:  # claim the run: only one request (or worker) starts it, unless the last run is stuck
        claim = claim.exclude(status=ReportStatus.RUNNING, updated_at__gt=now - STUCK_AFTER)
    if not claim.update(status=ReportStatus.RUNNING, progress=0, error="", updated_at=now):
        return report
    start_job(report_task, exam.pk)
    return ExamReport.objects.defer("data").get(pk=report.pk)


def ensure_report(exam: Exam) -> ExamReport:
    """The exam's report (without ``data``), recomputed first if it is missing or stale."""
    report = _report(exam)
    stuck = report.status == ReportStatus.RUNNING and timezone.now() - report.updated_at >= STUCK_AFTER
    if report.status == ReportStatus.PENDING or stuck:
        report = report_refresh(exam)
    return report
