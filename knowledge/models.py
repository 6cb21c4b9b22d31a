"""Knowledge points (知识点): the district's shared teaching vocabulary.

One tree per 学段 × 学科: chapter (章) → section (节) → point (知识点). Nodes belong to one or more
textbook editions (教材版本) and carry prerequisite links (前置知识点, a directed acyclic graph checked in
the services). Item bank, homework, mastery, resources and the 小题 of exams tag their rows with nodes.

``path`` is the materialised path of ancestor ids plus the node's own id (``"12/45/78/"``) so a subtree is
one ``path__startswith`` query; ``depth`` is 0 for a chapter. Both are maintained by ``knowledge.services``.

Scope: every row belongs to its district. Every district user except parents may view (see
``knowledge.permissions``); district_admin and researcher edit.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, Stage, Subject
from core.models.base import ScopedModel, TimeStampedModel


class Volume(models.TextChoices):
    FIRST = "上册", _("上册")
    SECOND = "下册", _("下册")
    WHOLE = "全一册", _("全一册")


class TextbookEdition(ScopedModel, TimeStampedModel):
    """教材版本: one book of one publisher's series, e.g. 人教版 七年级上册."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="textbook_editions", verbose_name=_("区县")
    )
    stage = models.CharField(_("学段"), max_length=10, choices=Stage.choices)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    name = models.CharField(_("版本"), max_length=40, help_text=_("如 人教版、北师大版"))
    publisher = models.CharField(_("出版社"), max_length=60, blank=True)
    grade_label = models.CharField(_("年级"), max_length=20, blank=True, help_text=_("如 七年级"))
    volume = models.CharField(_("册次"), max_length=10, choices=Volume.choices, blank=True)
    code = models.CharField(_("版本编码"), max_length=40, help_text=_("区县内唯一，如 RJ-M7A"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    archived_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("教材版本")
        verbose_name_plural = _("教材版本")
        ordering = ["stage", "subject_id", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="textbookedition_unique_code")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name} {self.grade_label}{self.volume}".strip()

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class NodeKind(models.TextChoices):
    CHAPTER = "chapter", _("章")
    SECTION = "section", _("节")
    POINT = "point", _("知识点")


# Which kind may sit under which parent kind (None: top level).
KIND_PARENTS = {
    NodeKind.CHAPTER: {None},
    NodeKind.SECTION: {NodeKind.CHAPTER},
    NodeKind.POINT: {NodeKind.CHAPTER, NodeKind.SECTION},
}


class KnowledgeNode(ScopedModel, TimeStampedModel):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="knowledge_nodes", verbose_name=_("区县")
    )
    stage = models.CharField(_("学段"), max_length=10, choices=Stage.choices)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=NodeKind.choices, default=NodeKind.POINT)
    code = models.CharField(_("编码"), max_length=40, help_text=_("同学段同学科内唯一，如 M7-1-2-3"))
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    editions = models.ManyToManyField(TextbookEdition, blank=True, related_name="nodes", verbose_name=_("教材版本"))
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks", verbose_name=_("前置知识点")
    )
    path = models.CharField(_("路径"), max_length=255, blank=True, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("知识点")
        verbose_name_plural = _("知识点")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["district", "stage", "subject", "code"], name="knowledgenode_unique_code")
        ]
        indexes = [models.Index(fields=["district", "stage", "subject", "parent"], name="knode_tree_idx")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids of the ancestors, root first (from ``path``)."""
        ids = [int(p) for p in self.path.split("/") if p]
        return ids[:-1]
