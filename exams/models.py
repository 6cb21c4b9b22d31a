"""Exams (考试): 单校考试 and 区域联考, their subjects and 小题, the candidates (考生, a snapshot of school and
class at exam time), scores with 缺考/作弊/免考 marks, corrections after publishing, the computed report and
the district's ranking-visibility policy.

Scope:
- ``Exam`` belongs to its district (district roles see every exam of the district); schools reach an exam
  through ``ExamSchool`` (the participating schools) and everyone else through ``ExamStudent``.
- ``ExamStudent`` and ``Score`` carry the full path district → school → grade → class → student of the
  candidate *at exam time*, so a teacher sees the classes they teach and a parent only their children, even
  after the student changes class.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Class, District, School, Stage, Student, Subject, Term
from core.models.base import ScopedModel, TimeStampedModel

DEFAULT_THRESHOLDS = {"excellent": 0.85, "good": 0.70, "pass": 0.60, "low": 0.40}


def default_thresholds() -> dict:
    return dict(DEFAULT_THRESHOLDS)


class ExamScope(models.TextChoices):
    SCHOOL = "school", _("单校考试")
    DISTRICT = "district", _("区域联考")


class ExamStatus(models.TextChoices):
    DRAFT = "draft", _("录入中")
    PUBLISHED = "published", _("已发布")
    ARCHIVED = "archived", _("已归档")


class Exam(ScopedModel, TimeStampedModel):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="exams", verbose_name=_("区县"))
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_exams",
        verbose_name=_("学校"),
        help_text=_("单校考试的学校；联考为空"),
    )
    scope = models.CharField(_("考试范围"), max_length=10, choices=ExamScope.choices)
    code = models.SlugField(_("考试代码"), max_length=40, help_text=_("字母、数字、连字符，如 2026-g7-mid"))
    name = models.CharField(_("考试名称"), max_length=100)
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="exams", verbose_name=_("学期"))
    stage = models.CharField(_("学段"), max_length=10, choices=Stage.choices)
    entry_year = models.PositiveSmallIntegerField(_("入学年份（届）"))
    exam_date = models.DateField(_("考试日期"))
    status = models.CharField(_("状态"), max_length=10, choices=ExamStatus.choices, default=ExamStatus.DRAFT)
    thresholds = models.JSONField(_("四率分数线（满分比例）"), default=default_thresholds)
    borderline_band = models.DecimalField(_("临界生分差"), max_digits=5, decimal_places=1, default=Decimal("10"))
    combinations = models.JSONField(
        _("选科组合"), default=list, blank=True, help_text=_("新高考年级，如 物理+化学+生物")
    )
    lines = models.JSONField(
        _("上线分数线"),
        default=list,
        blank=True,
        help_text=_("[{key, label, kind: rank|score, value}]；为空时用默认的前 10%/30%/60% 三条线"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("创建人")
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("考试")
        verbose_name_plural = _("考试")
        ordering = ["-exam_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="exam_code_unique")]

    def __str__(self):
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == ExamStatus.PUBLISHED


class ExamSchool(ScopedModel, TimeStampedModel):
    """A school taking part in the exam (one row for a 单校考试)."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="participants", verbose_name=_("考试"))
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="exam_entries", verbose_name=_("学校"))
    submitted_at = models.DateTimeField(_("成绩提交时间"), null=True, blank=True)

    scope_paths = {"district": "exam__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("参考学校")
        verbose_name_plural = _("参考学校")
        constraints = [models.UniqueConstraint(fields=["exam", "school"], name="exam_school_unique")]

    def __str__(self):
        return f"{self.exam} · {self.school}"


class ExamSubject(ScopedModel, TimeStampedModel):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="subjects", verbose_name=_("考试"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    full_mark = models.DecimalField(
        _("满分"), max_digits=6, decimal_places=1, validators=[MinValueValidator(Decimal("1"))]
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    elective = models.BooleanField(_("选考科目"), default=False, help_text=_("只有选了该科的考生参加"))

    scope_paths = {"district": "exam__district_id"}

    class Meta:
        verbose_name = _("考试科目")
        verbose_name_plural = _("考试科目")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["exam", "subject"], name="exam_subject_unique")]

    def __str__(self):
        return self.subject.name


class ItemKind(models.TextChoices):
    OBJECTIVE = "objective", _("客观题")
    SUBJECTIVE = "subjective", _("主观题")


class ExamItem(ScopedModel, TimeStampedModel):
    """小题: number, full mark, objective/subjective, the key of an objective item, knowledge points."""

    exam_subject = models.ForeignKey(ExamSubject, on_delete=models.CASCADE, related_name="items")
    number = models.CharField(_("题号"), max_length=20)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    full_mark = models.DecimalField(_("满分"), max_digits=5, decimal_places=1)
    kind = models.CharField(_("题型"), max_length=10, choices=ItemKind.choices, default=ItemKind.SUBJECTIVE)
    answer = models.CharField(_("标准答案"), max_length=20, blank=True)
    knowledge_points = models.JSONField(_("知识点"), default=list, blank=True)

    scope_paths = {"district": "exam_subject__exam__district_id"}

    class Meta:
        verbose_name = _("小题")
        verbose_name_plural = _("小题")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["exam_subject", "number"], name="exam_item_unique")]

    def __str__(self):
        return self.number


class ExamStudent(ScopedModel, TimeStampedModel):
    """考生: the student with school and class as they were when the exam was set up."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("考试"))
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="exam_entries")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    exam_no = models.CharField(_("考号"), max_length=30, blank=True)
    combination = models.CharField(_("选科组合"), max_length=40, blank=True)

    scope_paths = {
        "district": "exam__district_id",
        "school": "school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
        "student": "student_id",
    }

    class Meta:
        verbose_name = _("考生")
        verbose_name_plural = _("考生")
        constraints = [models.UniqueConstraint(fields=["exam", "student"], name="exam_student_unique")]
        indexes = [models.Index(fields=["exam", "school", "klass"])]

    def __str__(self):
        return f"{self.exam} · {self.student_id}"


class ScoreStatus(models.TextChoices):
    NORMAL = "normal", _("正常")
    ABSENT = "absent", _("缺考")
    CHEAT = "cheat", _("作弊")
    EXEMPT = "exempt", _("免考")


class Score(ScopedModel, TimeStampedModel):
    """One candidate × subject: the score (or a mark), and the 小题 scores / chosen options when entered."""

    candidate = models.ForeignKey(ExamStudent, on_delete=models.CASCADE, related_name="scores")
    exam_subject = models.ForeignKey(ExamSubject, on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(_("成绩"), max_digits=6, decimal_places=1, null=True, blank=True)
    status = models.CharField(_("标记"), max_length=10, choices=ScoreStatus.choices, default=ScoreStatus.NORMAL)
    items = models.JSONField(_("小题得分"), null=True, blank=True)
    options = models.JSONField(_("客观题作答"), null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    scope_paths = {
        "district": "candidate__exam__district_id",
        "school": "candidate__school_id",
        "grade": "candidate__klass__grade_id",
        "klass": "candidate__klass_id",
        "student": "candidate__student_id",
    }

    class Meta:
        verbose_name = _("成绩")
        verbose_name_plural = _("成绩")
        constraints = [
            models.UniqueConstraint(fields=["candidate", "exam_subject"], name="score_unique"),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0), name="score_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["exam_subject", "candidate"])]


class ScoreCorrection(ScopedModel, TimeStampedModel):
    """A change to a score after the exam was published (also in the audit log)."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="corrections")
    old_value = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    new_value = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    old_status = models.CharField(max_length=10)
    new_status = models.CharField(max_length=10)
    reason = models.CharField(_("更正原因"), max_length=200)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope_paths = {k: f"score__{v}" for k, v in Score.scope_paths.items()}

    class Meta:
        verbose_name = _("成绩更正")
        verbose_name_plural = _("成绩更正")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("待计算")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExamReport(ScopedModel, TimeStampedModel):
    """The computed analysis of an exam (cached): aggregates per level in ``data``; per-student numbers in
    ``StudentResult``. Recomputed when scores change."""

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="report")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    computed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    scope_paths = {"district": "exam__district_id"}

    class Meta:
        verbose_name = _("考试分析报告")
        verbose_name_plural = _("考试分析报告")


class StudentResult(ScopedModel, models.Model):
    """A candidate's computed numbers: total, ranks, Z/T, per-subject ranks (``subjects``: {exam_subject_id:
    {score, class_rank, school_rank, district_rank, z, t}})."""

    candidate = models.OneToOneField(ExamStudent, on_delete=models.CASCADE, related_name="result")
    total = models.FloatField(null=True)
    class_rank = models.PositiveIntegerField(null=True)
    school_rank = models.PositiveIntegerField(null=True)
    district_rank = models.PositiveIntegerField(null=True)
    standard_total = models.FloatField(null=True)
    subjects = models.JSONField(default=dict)

    scope_paths = {k: f"candidate__{v}" for k, v in ExamStudent.scope_paths.items()}

    class Meta:
        verbose_name = _("考生成绩结果")
        verbose_name_plural = _("考生成绩结果")


RANK_KINDS = ("class_rank", "school_rank", "district_rank")
POLICY_ROLES = ("student", "guardian", "head_teacher", "subject_teacher", "school_admin")


def default_policy() -> dict:
    """Rankings are hidden from students and parents by default (many districts forbid publishing them)."""
    staff = dict.fromkeys(RANK_KINDS, True)
    return {
        "student": dict.fromkeys(RANK_KINDS, False),
        "guardian": dict.fromkeys(RANK_KINDS, False),
        "head_teacher": staff,
        "subject_teacher": staff,
        "school_admin": staff,
    }


class RankingPolicy(ScopedModel, TimeStampedModel):
    """The district's rule of which role may see which ranking (pages, PDF and API obey it)."""

    district = models.OneToOneField(District, on_delete=models.CASCADE, related_name="ranking_policy")
    rules = models.JSONField(default=default_policy)

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("排名公开规则")
        verbose_name_plural = _("排名公开规则")
