"""教学资源库: resources at three levels (个人 → 校级 → 区级) with review, ratings, favourites, downloads and
pushes to classes.

Visibility (``resources.selectors.resources_visible``) starts from ``Resource.objects.visible_to(user)``, which
scopes rows to the district, and narrows it by level:

* 个人 (personal): only the owner;
* 校级 (school): the staff and students of the owner's school (``school``);
* 区级 (district): everyone in the district;
* pending items are also visible to the reviewer of the level they wait for (school_admin of the school;
  district_admin or researcher of the district); retired (淘汰) items only to their owner and reviewers.

Files are stored through Django's default storage under a generated name (``resources/ab/<uuid>.<ext>``),
never the uploader's file name; ``sha256`` detects duplicates. ``search_text`` holds the jieba tokens of title,
description, tags and extracted text, indexed by FTS5 (SQLite) or a tsvector + GIN (PostgreSQL), see
``resources.search``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Class, District, School, Stage, Student, Subject
from core.models.base import ScopedModel, TimeStampedModel


class Kind(models.TextChoices):
    COURSEWARE = "courseware", _("课件")
    LESSON_PLAN = "lesson_plan", _("教案")
    GUIDE = "guide", _("学案/学习任务单")
    MICRO = "micro", _("微课")
    PAPER = "paper", _("试卷")
    MATERIAL = "material", _("素材")


class Level(models.TextChoices):
    PERSONAL = "personal", _("个人")
    SCHOOL = "school", _("校级")
    DISTRICT = "district", _("区级")


class ReviewState(models.TextChoices):
    NONE = "", _("—")
    PENDING_SCHOOL = "pending_school", _("待学校审核")
    PENDING_DISTRICT = "pending_district", _("待区级准入")
    RETURNED = "returned", _("已退回")


GRADE_CHOICES = [
    (g, g)
    for g in (
        [
            "一年级",
            "二年级",
            "三年级",
            "四年级",
            "五年级",
            "六年级",
            "七年级",
            "八年级",
            "九年级",
            "高一",
            "高二",
            "高三",
        ]
    )
]


class Resource(ScopedModel, TimeStampedModel):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("区县"))
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属学校")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="resources", verbose_name=_("上传者")
    )
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("简介"), blank=True, max_length=2000)
    kind = models.CharField(_("资源类型"), max_length=12, choices=Kind.choices)
    stage = models.CharField(_("学段"), max_length=10, choices=Stage.choices)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    grade_label = models.CharField(_("年级"), max_length=10, choices=GRADE_CHOICES, blank=True)
    edition = models.ForeignKey(
        "knowledge.TextbookEdition",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
        verbose_name=_("教材版本"),
    )
    chapter = models.ForeignKey(
        "knowledge.KnowledgeNode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chapter_resources",
        verbose_name=_("章节"),
    )
    knowledge_points = models.ManyToManyField(
        "knowledge.KnowledgeNode", blank=True, related_name="resources", verbose_name=_("知识点")
    )
    tags = models.CharField(_("标签"), max_length=200, blank=True, help_text=_("用空格或逗号分隔"))

    # the file (detected type, never the user's name for storage)
    file = models.FileField(_("文件"), max_length=200)
    file_type = models.CharField(_("文件类型"), max_length=8)
    mime = models.CharField(max_length=100)
    size = models.BigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, db_index=True)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    preview_pdf = models.CharField(max_length=200, blank=True, editable=False)  # converted office preview

    # review
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.PERSONAL)
    review_state = models.CharField(
        _("审核状态"), max_length=20, choices=ReviewState.choices, default=ReviewState.NONE, blank=True
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    school_approved_at = models.DateTimeField(_("校级通过时间"), null=True, blank=True)
    district_approved_at = models.DateTimeField(_("区级准入时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("淘汰时间"), null=True, blank=True)

    # search and use
    extracted_text = models.TextField(blank=True, editable=False)
    extract_status = models.CharField(max_length=10, blank=True, editable=False)
    search_title = models.TextField(blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    download_count = models.PositiveIntegerField(_("下载次数"), default=0, editable=False)
    rating_count = models.PositiveIntegerField(_("评分人数"), default=0, editable=False)
    rating_avg = models.FloatField(_("平均评分"), default=0, editable=False)
    favorite_count = models.PositiveIntegerField(_("收藏数"), default=0, editable=False)

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("教学资源")
        verbose_name_plural = _("教学资源")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["district", "level", "retired_at"], name="res_level_idx"),
            models.Index(fields=["district", "school", "level"], name="res_school_idx"),
            models.Index(fields=["owner", "created_at"], name="res_owner_idx"),
            models.Index(fields=["district", "stage", "subject"], name="res_facet_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def status_label(self) -> str:
        if self.retired_at:
            return str(_("已淘汰"))
        if self.review_state:
            return str(self.get_review_state_display())
        return str(self.get_level_display())

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.replace("，", " ").replace(",", " ").split() if t]


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("提交学校审核")
    SCHOOL_APPROVE = "school_approve", _("学校审核通过")
    RETURN = "return", _("退回")
    RECOMMEND = "recommend", _("推荐到区级")
    DISTRICT_APPROVE = "district_approve", _("区级准入")
    RETIRE = "retire", _("淘汰")
    RESTORE = "restore", _("恢复")


class ResourceReview(ScopedModel, models.Model):
    """One step of the review trail shown on the resource page (the audit log has the same steps)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="reviews")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("操作"), max_length=20, choices=ReviewAction.choices)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    reason = models.CharField(_("意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    scope_paths = {"district": "resource__district_id"}

    class Meta:
        ordering = ["created_at", "id"]


class Rating(ScopedModel, TimeStampedModel):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField(_("评分"))

    scope_paths = {"district": "resource__district_id"}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="resource_rating_once"),
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="resource_rating_1_5"),
        ]


class Comment(ScopedModel, TimeStampedModel):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.CharField(_("评论"), max_length=500)

    scope_paths = {"district": "resource__district_id"}

    class Meta:
        ordering = ["-created_at", "-id"]


class Favorite(ScopedModel, models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="favorites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_favorites")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope_paths = {"district": "resource__district_id"}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource", "user"], name="resource_favorite_once")]


class Download(ScopedModel, models.Model):
    """One download (for the monthly statistics); ``Resource.download_count`` is the running total."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    scope_paths = {"district": "resource__district_id"}


class Push(ScopedModel, TimeStampedModel):
    """学习任务: a teacher pushes a resource to a class (all students, or those weak on a knowledge point)."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="pushes", verbose_name=_("资源"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    knowledge_point = models.ForeignKey(
        "knowledge.KnowledgeNode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("完成期限"))
    note = models.CharField(_("要求"), max_length=300, blank=True)

    scope_paths = {
        "district": "klass__school__district_id",
        "school": "klass__school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
    }

    class Meta:
        ordering = ["-created_at", "-id"]


class PushTarget(ScopedModel, models.Model):
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="targets")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    scope_paths = {
        "district": "push__klass__school__district_id",
        "school": "push__klass__school_id",
        "grade": "push__klass__grade_id",
        "klass": "push__klass_id",
        "student": "student_id",
    }

    class Meta:
        constraints = [models.UniqueConstraint(fields=["push", "student"], name="resource_push_target_once")]
