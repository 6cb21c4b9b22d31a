"""Celery autodiscovery looks for ``<app>.tasks``: re-export the roster tasks for workers."""

from .importer.tasks import roster_import_task

__all__ = ["roster_import_task"]
