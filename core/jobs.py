"""Starting long jobs (imports, reports, timetable solving) without making the user wait for them.

With a Celery broker the task is queued once the current transaction commits. Without one (the default
install: Celery runs eagerly) the task runs in a background thread of this process after commit, so the page
that started it can answer at once and show the job's progress; ``ZX_JOBS_IN_THREAD=0`` runs it inline
instead (the test suite does, so that a test sees the job's outcome when the request returns).

Each job reports its own progress where its pages can read it (a row or a stored status); this module only
decides where the work runs.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)
_threads: list[threading.Thread] = []


def start_job(task, *args, **kwargs) -> None:
    """Run the Celery ``task`` with ``args``: queued on the broker, in a thread, or inline (see above).
    Queued or threaded jobs start after the current transaction commits, so they see the rows that describe
    them; an inline job runs at once on the caller's connection."""
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        transaction.on_commit(lambda: task.delay(*args, **kwargs))
        return
    if not getattr(settings, "ZX_JOBS_IN_THREAD", False):
        task.apply(args=args, kwargs=kwargs)  # same connection: it sees this transaction's rows
        return

    def run() -> None:
        try:
            task.apply(args=args, kwargs=kwargs)
        except Exception:  # the task records its own failure; never let a thread die silently
            logger.exception("background job %s failed", getattr(task, "name", task))
        finally:
            connections.close_all()

    def launch() -> None:
        thread = threading.Thread(target=run, name=f"zx-job-{getattr(task, 'name', 'task')}", daemon=True)
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
        thread.start()

    transaction.on_commit(launch)


def wait_for_jobs(timeout: float = 60) -> None:
    """Wait for the background threads started by this process (tests of the threaded mode)."""
    for thread in list(_threads):
        thread.join(timeout)
