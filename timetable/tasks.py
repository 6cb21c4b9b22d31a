"""Celery tasks of the timetable app (autodiscovered as ``timetable.tasks``); started through
``core.jobs.start_job`` so that without a broker they run in a background thread and the page can poll."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="timetable.solve")
def solve_task(timetable_id: int) -> str:
    """Solve one timetable version (``services.timetable_solve_run``); the outcome is stored on the row."""
    from .services import timetable_solve_run

    return timetable_solve_run(timetable_id)


__all__ = ["solve_task"]
