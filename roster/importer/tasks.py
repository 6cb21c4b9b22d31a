"""Celery wrapper of the roster import. With CELERY_TASK_ALWAYS_EAGER (no broker configured) it runs in-process.

Celery's autodiscovery imports ``roster.tasks``, not this module: a worker must import it (``roster/tasks.py``
re-exporting it, or RosterConfig.ready()); the explicit task name keeps callers independent of the module path.
"""

from celery import shared_task


@shared_task(name="roster.import_roster")
def roster_import_task(job_id: int) -> None:
    from . import roster_import_run

    roster_import_run(job_id=job_id)
