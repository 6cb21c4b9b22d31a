"""排课与课表: the school's week (作息), rooms, 课时计划 per grade, teacher and class constraints, timetable
versions (solve job, placements, publishing), 调课/代课 requests and the private iCalendar feed token.

Slots are (day, period), both 0-based, as in the engine (``timetable.engine.model``). JSON lists of slots are
stored as ``[[day, period], ...]``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Class, Grade, Person, School, Student, Subject, Term
from core.models.base import ScopedModel, TimeStampedModel

DAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
DEFAULT_PERIOD_TIMES = [
    ["08:00", "08:45"],
    ["08:55", "09:40"],
    ["10:10", "10:55"],
    ["11:05", "11:50"],
    ["13:30", "14:15"],
    ["14:25", "15:10"],
    ["15:20", "16:05"],
    ["16:15", "17:00"],
    ["18:30", "19:15"],
    ["19:25", "20:10"],
]
ROOM_TYPES = [
    "普通教室",
    "物理实验室",
    "化学实验室",
    "生物实验室",
    "计算机教室",
    "音乐教室",
    "美术教室",
    "体育场馆",
    "多功能厅",
]
WEIGHT_LABELS = {
    "spread": _("同一学科分散到一周"),
    "twice_a_day": _("同一学科一天不上两次"),
    "main_morning": _("主科排在上午"),
    "teacher_gaps": _("教师空堂少"),
    "teacher_consecutive": _("教师连续上课不超限"),
    "daily_balance": _("每天课量均衡"),
    "preferences": _("教师偏好时段"),
}
DEFAULT_WEIGHTS = {
    "spread": 10,
    "twice_a_day": 20,
    "main_morning": 3,
    "teacher_gaps": 5,
    "teacher_consecutive": 10,
    "daily_balance": 2,
    "preferences": 5,
}


def slots_clean(value, days: int, periods: int, label: str) -> list[list[int]]:
    """Sorted unique ``[[day, period], ...]`` inside the week, or a ValidationError naming ``label``."""
    out = set()
    for item in value or []:
        try:
            d, p = int(item[0]), int(item[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise ValidationError(_("%(label)s：时段格式不正确") % {"label": label}) from exc
        if not (0 <= d < days and 0 <= p < periods):
            raise ValidationError(
                _("%(label)s：第 %(d)s 天第 %(p)s 节超出了每周的天数或每天的节数")
                % {"label": label, "d": d + 1, "p": p + 1}
            )
        out.add((d, p))
    return [list(s) for s in sorted(out)]


class WeekSetup(ScopedModel, TimeStampedModel):
    """作息与周设置 of a school: days, periods, lunch, breaks, blocked slots, period times, soft weights."""

    school = models.OneToOneField(School, on_delete=models.PROTECT, related_name="week_setup", verbose_name=_("学校"))
    days = models.PositiveSmallIntegerField(_("每周上课天数"), default=5)
    periods = models.PositiveSmallIntegerField(_("每天节数"), default=8)
    morning = models.PositiveSmallIntegerField(_("上午节数"), default=4)
    breaks_after = models.JSONField(_("大课间（在第几节之后）"), default=list, blank=True)
    blocked = models.JSONField(_("不排课时段"), default=list, blank=True)
    period_times = models.JSONField(_("各节时间"), default=list, blank=True)
    weights = models.JSONField(_("软约束权重"), default=dict, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("作息设置")
        verbose_name_plural = _("作息设置")

    def __str__(self):
        return f"{self.school.name} {self.days}×{self.periods}"

    def clean(self):
        if not 1 <= self.days <= 7:
            raise ValidationError({"days": _("每周上课天数须在 1–7 之间")})
        if not 1 <= self.periods <= 12:
            raise ValidationError({"periods": _("每天节数须在 1–12 之间")})
        if not 0 <= self.morning <= self.periods:
            raise ValidationError({"morning": _("上午节数不能超过每天节数")})
        self.blocked = slots_clean(self.blocked, self.days, self.periods, _("不排课时段"))
        breaks = set()
        for b in self.breaks_after or []:
            try:
                b = int(b)
            except (TypeError, ValueError) as exc:
                raise ValidationError({"breaks_after": _("大课间须填节次数字")}) from exc
            if not 1 <= b < self.periods:
                raise ValidationError({"breaks_after": _("大课间“第 %(b)s 节之后”不在一天的节次内") % {"b": b}})
            breaks.add(b)
        self.breaks_after = sorted(breaks)
        times = list(self.period_times or [])
        if len(times) < self.periods:
            times += DEFAULT_PERIOD_TIMES[len(times) : self.periods]
        self.period_times = times[: self.periods]
        weights = dict(DEFAULT_WEIGHTS)
        for key, value in (self.weights or {}).items():
            if key in DEFAULT_WEIGHTS:
                try:
                    weights[key] = max(0, min(100, int(value)))
                except (TypeError, ValueError) as exc:
                    raise ValidationError({"weights": _("权重须为 0–100 的整数")}) from exc
        self.weights = weights

    @property
    def day_names(self) -> list[str]:
        return DAY_NAMES[: self.days]

    def slot_name(self, day: int, period: int) -> str:
        """A slot as users read it in messages: “周三第2节” (a day outside the week: “第8天第2节”)."""
        names = self.day_names
        day_name = names[day] if 0 <= day < len(names) else _("第%(d)s天") % {"d": day + 1}
        return _("%(day)s第%(p)s节") % {"day": day_name, "p": period + 1}

    def period_time(self, period: int) -> tuple[str, str]:
        times = self.period_times or DEFAULT_PERIOD_TIMES
        if period < len(times):
            return times[period][0], times[period][1]
        return DEFAULT_PERIOD_TIMES[period % len(DEFAULT_PERIOD_TIMES)]


class Room(ScopedModel, TimeStampedModel):
    """场室: 普通教室 or a special room (实验室, 机房…) with a capacity; special lessons need one of its type."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("学校"))
    name = models.CharField(_("场室名称"), max_length=50)
    room_type = models.CharField(_("类型"), max_length=20, default="普通教室")
    capacity = models.PositiveSmallIntegerField(_("容量（人）"), default=50)
    unavailable = models.JSONField(_("不可用时段"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("场室")
        verbose_name_plural = _("场室")
        ordering = ["room_type", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="timetable_room_unique_name")]

    def __str__(self):
        return self.name


class CoursePlan(ScopedModel, TimeStampedModel):
    """课时计划: how many periods a subject has per week in a grade, how many of them are 连堂, whether it is a
    主科 (morning preferred) and which room type it needs (blank: the class's own room)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="course_plans", verbose_name=_("年级"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    periods_per_week = models.PositiveSmallIntegerField(_("周课时"))
    doubles = models.PositiveSmallIntegerField(_("连堂次数"), default=0)
    is_main = models.BooleanField(_("主科"), default=False)
    room_type = models.CharField(_("场室类型"), max_length=20, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id", "grade": "grade_id"}

    class Meta:
        verbose_name = _("课时计划")
        verbose_name_plural = _("课时计划")
        ordering = ["grade_id", "subject__sort_order"]
        constraints = [models.UniqueConstraint(fields=["grade", "subject"], name="timetable_plan_unique")]

    def __str__(self):
        return f"{self.subject.name} {self.periods_per_week}"

    def clean(self):
        if self.grade_id and self.school_id and self.grade.school_id != self.school_id:
            raise ValidationError({"grade": _("年级不属于该学校")})
        if self.periods_per_week is not None and self.periods_per_week > 40:
            raise ValidationError({"periods_per_week": _("周课时不能超过 40")})
        if self.periods_per_week is not None and self.doubles * 2 > self.periods_per_week:
            raise ValidationError(
                {
                    "doubles": _("连堂 %(d)s 次需要 %(n)s 课时，超过了周课时")
                    % {"d": self.doubles, "n": self.doubles * 2}
                }
            )


class TeacherRule(ScopedModel, TimeStampedModel):
    """教师约束 at one school: slots the teacher cannot teach (hard), slots they would rather not (soft), caps."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    teacher = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("教师"))
    unavailable = models.JSONField(_("不可排课时段"), default=list, blank=True)
    preferred_off = models.JSONField(_("尽量不排时段"), default=list, blank=True)
    max_per_day = models.PositiveSmallIntegerField(_("每天最多节数"), null=True, blank=True)
    max_consecutive = models.PositiveSmallIntegerField(_("最多连续节数"), null=True, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("教师约束")
        verbose_name_plural = _("教师约束")
        constraints = [models.UniqueConstraint(fields=["school", "teacher"], name="timetable_teacher_rule_unique")]


class ClassRule(ScopedModel, TimeStampedModel):
    """班级约束: slots the class has no lesson (e.g. 班会 outside the plan) and a daily cap."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    klass = models.OneToOneField(Class, on_delete=models.PROTECT, related_name="timetable_rule", verbose_name=_("班级"))
    unavailable = models.JSONField(_("不排课时段"), default=list, blank=True)
    max_per_day = models.PositiveSmallIntegerField(_("每天最多节数"), null=True, blank=True)

    scope_paths = {
        "district": "school__district_id",
        "school": "school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
    }

    class Meta:
        verbose_name = _("班级约束")
        verbose_name_plural = _("班级约束")


class CombinedLesson(ScopedModel, TimeStampedModel):
    """合班: classes of the school taught one subject together by one teacher (e.g. 初一(1)(2)班 体育). For these
    classes it replaces their own lessons of the subject from the 课时计划 and 任课."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    classes = models.ManyToManyField(Class, related_name="+", verbose_name=_("合班班级"))
    teacher = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("任课教师"))
    periods_per_week = models.PositiveSmallIntegerField(_("周课时"))
    doubles = models.PositiveSmallIntegerField(_("连堂次数"), default=0)
    room_type = models.CharField(_("场室类型"), max_length=20, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("合班")
        verbose_name_plural = _("合班")
        ordering = ["subject__sort_order", "id"]

    def __str__(self):
        return f"{self.subject.name} {self.periods_per_week}"

    def clean(self):
        _periods_clean(self)


def _periods_clean(obj) -> None:
    if obj.periods_per_week is not None and not 1 <= obj.periods_per_week <= 40:
        raise ValidationError({"periods_per_week": _("周课时须在 1–40 之间")})
    if obj.periods_per_week is not None and obj.doubles * 2 > obj.periods_per_week:
        raise ValidationError(
            {"doubles": _("连堂 %(d)s 次需要 %(n)s 课时，超过了周课时") % {"d": obj.doubles, "n": obj.doubles * 2}}
        )
    room_type = getattr(obj, "room_type", "")
    if room_type and room_type not in ROOM_TYPES:
        raise ValidationError({"room_type": _("未知的场室类型“%(t)s”") % {"t": room_type}})


class ElectiveBlock(ScopedModel, TimeStampedModel):
    """走班 block (e.g. 选考A段) of a grade: its teaching groups (教学班) have their lessons at the same times,
    each drawing students from some classes of the grade; while the block runs those classes have no other lesson."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="+", verbose_name=_("年级"))
    name = models.CharField(_("名称"), max_length=40)
    periods_per_week = models.PositiveSmallIntegerField(_("周课时"))
    doubles = models.PositiveSmallIntegerField(_("连堂次数"), default=0)
    # 网上选课: students (or their parents) pick a teaching group themselves between these times
    choose_from = models.DateTimeField(_("选课开始"), null=True, blank=True)
    choose_until = models.DateTimeField(_("选课截止"), null=True, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id", "grade": "grade_id"}

    class Meta:
        verbose_name = _("走班")
        verbose_name_plural = _("走班")
        ordering = ["grade_id", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="timetable_block_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.grade_id and self.school_id and self.grade.school_id != self.school_id:
            raise ValidationError({"grade": _("年级不属于该学校")})
        _periods_clean(self)

    def choosing_state(self, now) -> str:
        """ "" (no 选课 set up), "soon", "open" or "closed" at ``now``."""
        if self.choose_from is None or self.choose_until is None:
            return ""
        if now < self.choose_from:
            return "soon"
        return "open" if now <= self.choose_until else "closed"


class TeachingGroup(ScopedModel, TimeStampedModel):
    """教学班 of a 走班 block: a subject taught by one teacher to students from some classes of the grade, in a
    given room or a room of a given type (blank: any free 普通教室 is not assigned; students go to the teacher)."""

    block = models.ForeignKey(ElectiveBlock, on_delete=models.CASCADE, related_name="groups", verbose_name=_("走班"))
    name = models.CharField(_("教学班名称"), max_length=40)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    teacher = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("任课教师"))
    classes = models.ManyToManyField(Class, related_name="+", verbose_name=_("学生来源班级"))
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("场室")
    )
    room_type = models.CharField(_("场室类型"), max_length=20, blank=True)
    size = models.PositiveSmallIntegerField(_("学生人数"), null=True, blank=True)
    # 教学班名单: who comes (from 选课); a student is in at most one group of a block (services check it)
    students = models.ManyToManyField(Student, blank=True, related_name="teaching_groups", verbose_name=_("学生名单"))

    scope_paths = {
        "district": "block__school__district_id",
        "school": "block__school_id",
        "grade": "block__grade_id",
    }

    class Meta:
        verbose_name = _("教学班")
        verbose_name_plural = _("教学班")
        ordering = ["block_id", "name"]
        constraints = [models.UniqueConstraint(fields=["block", "name"], name="timetable_group_unique_name")]

    def __str__(self):
        return self.name

    @property
    def seats(self) -> int | None:
        """How many students may choose the group: its planned 学生人数, else its room's capacity (None: no cap)."""
        if self.size:
            return self.size
        return self.room.capacity if self.room_id and self.room.capacity else None

    def clean(self):
        if self.room_type and self.room_type not in ROOM_TYPES:
            raise ValidationError({"room_type": _("未知的场室类型“%(t)s”") % {"t": self.room_type}})
        if self.size is not None and self.size > 300:
            raise ValidationError({"size": _("学生人数不能超过 300")})


class TimetableStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    QUEUED = "queued", _("排队中")
    SOLVING = "solving", _("排课中")
    SOLVED = "solved", _("已排好")
    FAILED = "failed", _("无法排出")
    PUBLISHED = "published", _("已发布")
    ARCHIVED = "archived", _("已停用")


class Timetable(ScopedModel, TimeStampedModel):
    """A timetable version of a school for a term: its solve job (progress, conflicts, penalty) and its
    placements. Only one version per school is published at a time; older published versions are archived
    and kept."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="timetables", verbose_name=_("学校"))
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("学期"))
    name = models.CharField(_("版本名称"), max_length=60)
    status = models.CharField(_("状态"), max_length=12, choices=TimetableStatus.choices, default="draft")
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    time_limit = models.PositiveSmallIntegerField(_("求解时限（秒）"), default=30)
    progress = models.JSONField(_("求解进度"), default=dict, blank=True)
    conflicts = models.JSONField(_("冲突说明"), default=list, blank=True)
    hard_violations = models.PositiveIntegerField(_("硬约束违反"), default=0)
    soft_penalty = models.FloatField(_("软约束罚分"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("课表版本")
        verbose_name_plural = _("课表版本")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @property
    def is_running(self) -> bool:
        return self.status in (TimetableStatus.QUEUED, TimetableStatus.SOLVING)

    @property
    def editable(self) -> bool:
        return self.status in (TimetableStatus.DRAFT, TimetableStatus.SOLVED, TimetableStatus.FAILED)


class TimetableEntry(ScopedModel, models.Model):
    """One lesson occurrence of a version: class × subject × teacher at (day, period), ``length`` 2 for 连堂
    (it also occupies period + 1). ``lesson_key`` ties it to the engine lesson it came from; ``locked`` keeps it
    in place when the rest is solved again."""

    timetable = models.ForeignKey(Timetable, on_delete=models.CASCADE, related_name="entries")
    lesson_key = models.CharField(max_length=60)
    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("学科"))
    teacher = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("教师")
    )
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day = models.PositiveSmallIntegerField(_("星期"))
    period = models.PositiveSmallIntegerField(_("节次"))
    length = models.PositiveSmallIntegerField(_("节数"), default=1)
    locked = models.BooleanField(_("锁定"), default=False)
    # 合班/走班: the rows of one lesson occurrence taught to several classes (one row per class, and for 走班 per
    # teaching group) share this key; they move and lock together. Blank for a class's own lesson.
    parallel_key = models.CharField(max_length=40, blank=True, default="")
    teaching_group = models.ForeignKey(
        TeachingGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("教学班")
    )

    scope_paths = {
        "district": "timetable__school__district_id",
        "school": "timetable__school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
    }

    class Meta:
        verbose_name = _("课表条目")
        verbose_name_plural = _("课表条目")
        ordering = ["day", "period"]
        indexes = [
            models.Index(fields=["timetable", "klass"]),
            models.Index(fields=["timetable", "teacher"]),
            models.Index(fields=["timetable", "parallel_key"]),
        ]

    def periods(self) -> list[int]:
        return list(range(self.period, self.period + self.length))


class SubstitutionKind(models.TextChoices):
    SUBSTITUTE = "substitute", _("代课")
    SWAP = "swap", _("调课")


class SubstitutionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤回")


class Substitution(ScopedModel, TimeStampedModel):
    """调课/代课: a teacher asks that one lesson on a date be taught by a colleague (代课), or be swapped with a
    colleague's lesson of the same class in the same week (调课). The 教务 approves; the week's timetable shows it."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    entry = models.ForeignKey(TimetableEntry, on_delete=models.PROTECT, related_name="substitutions")
    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    kind = models.CharField(_("类型"), max_length=12, choices=SubstitutionKind.choices, default="substitute")
    date = models.DateField(_("上课日期"))
    original_teacher = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("原任课教师")
    )
    substitute = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("代课/调课教师")
    )
    swap_entry = models.ForeignKey(
        TimetableEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("对调的课")
    )
    swap_date = models.DateField(_("对调课的日期"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=SubstitutionStatus.choices, default="pending")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    scope_paths = {
        "district": "school__district_id",
        "school": "school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
    }

    class Meta:
        verbose_name = _("调课代课")
        verbose_name_plural = _("调课代课")
        ordering = ["-date", "-id"]


class CalendarFeed(TimeStampedModel):
    """The secret token of a user's iCalendar feed (课表订阅). Regenerating it invalidates the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timetable_feed")
    token = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("课表订阅")
        verbose_name_plural = _("课表订阅")

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
