from django.db import models
from django.utils import timezone

from ..scope import ScopedManager


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ArchivableModel(TimeStampedModel):
    """Rows are archived (归档), never deleted: other modules keep pointing at them."""

    archived_at = models.DateTimeField("归档时间", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ScopedModel(models.Model):
    """A model whose rows belong to a node of the org tree. Subclasses set ``scope_paths``."""

    scope_paths: dict[str, str] = {}
    objects = ScopedManager()

    class Meta:
        abstract = True
