"""Celery tasks of the exams app (autodiscovered as ``exams.tasks``). With CELERY_TASK_ALWAYS_EAGER (no broker
configured) they run in-process."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="exams.report")
def report_task(exam_id: int) -> str:
    """Compute the exam's report (``exams.report.compute.compute_report``), saving the progress (0–100) on the
    ExamReport as it goes. A failure is recorded on the report (status ``failed`` and the error) and logged."""
    from .models import Exam, ExamReport
    from .report.compute import compute_report

    exam = Exam.objects.filter(pk=exam_id).first()
    if exam is None:
        return "missing"
    last = {"pct": -1}

    def progress(pct: int, phase: str) -> None:
        if pct < 100 and pct != last["pct"]:
            last["pct"] = pct
            ExamReport.objects.filter(exam_id=exam_id).update(progress=pct)

    try:
        compute_report(exam, progress)
    except Exception:
        logger.exception("exam report %s failed", exam_id)
        return "failed"
    return "done"


@shared_task(name="exams.import_scores")
def score_import_task(token: str) -> str:
    """Run the score import stored under ``token`` (``exams.views.imports.job_run``): progress and result are
    stored for the uploader's result page."""
    from .views.imports import job_run

    return job_run(token)


__all__ = ["report_task", "score_import_task"]
