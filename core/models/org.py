import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import ArchivableModel, ScopedModel, TimeStampedModel

region_code_validator = RegexValidator(r"^\d{6}$", _("行政区划代码必须是 6 位数字（GB/T 2260）"))
school_code_validator = RegexValidator(r"^\d{10}$", _("学校标识码必须是 10 位数字"))


class Region(models.Model):
    """GB/T 2260 行政区划."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("地级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True, validators=[region_code_validator])
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def full_name(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class District(ScopedModel, TimeStampedModel):
    """A district education bureau (区县教育局): the root of one installation's org tree."""

    region = models.OneToOneField(Region, on_delete=models.PROTECT, verbose_name=_("行政区划"))
    name = models.CharField(_("名称"), max_length=100)

    scope_paths = {"district": "pk"}

    class Meta:
        verbose_name = _("区县")
        verbose_name_plural = _("区县")

    def __str__(self):
        return self.name

    @property
    def code(self) -> str:
        return self.region.code


class Stage(models.TextChoices):
    """学段 and the number of years in each."""

    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")


STAGE_YEARS = {Stage.PRIMARY: 6, Stage.JUNIOR: 3, Stage.SENIOR: 3}
GRADE_NAMES = {
    Stage.PRIMARY: ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
    Stage.JUNIOR: ["七年级", "八年级", "九年级"],
    Stage.SENIOR: ["高一", "高二", "高三"],
}


class SchoolType(models.TextChoices):
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初级中学")
    SENIOR = "senior", _("高级中学")
    NINE_YEAR = "nine_year", _("九年一贯制学校")
    COMPLETE = "complete", _("完全中学")
    SPECIAL = "special", _("特殊教育学校")


SCHOOL_TYPE_STAGES = {
    SchoolType.PRIMARY: [Stage.PRIMARY],
    SchoolType.JUNIOR: [Stage.JUNIOR],
    SchoolType.SENIOR: [Stage.SENIOR],
    SchoolType.NINE_YEAR: [Stage.PRIMARY, Stage.JUNIOR],
    SchoolType.COMPLETE: [Stage.JUNIOR, Stage.SENIOR],
    SchoolType.SPECIAL: [Stage.PRIMARY, Stage.JUNIOR],
}
# First two digits of the MoE 学校标识码 by school type.
SCHOOL_CODE_TYPE_PREFIX = {
    SchoolType.PRIMARY: "21",
    SchoolType.NINE_YEAR: "31",
    SchoolType.JUNIOR: "31",
    SchoolType.COMPLETE: "34",
    SchoolType.SENIOR: "34",
    SchoolType.SPECIAL: "51",
}


class School(ScopedModel, ArchivableModel):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools", verbose_name=_("区县"))
    code = models.CharField(_("学校标识码"), max_length=10, unique=True, validators=[school_code_validator])
    name = models.CharField(_("学校名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    school_type = models.CharField(_("办学类型"), max_length=20, choices=SchoolType.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    scope_paths = {"district": "district_id", "school": "pk"}

    class Meta:
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="school_unique_name_in_district")]

    def __str__(self):
        return self.name

    @property
    def stages(self) -> list[str]:
        return list(SCHOOL_TYPE_STAGES[self.school_type])

    @property
    def stage_labels(self) -> str:
        return "、".join(str(Stage(s).label) for s in self.stages)


class Campus(ScopedModel, ArchivableModel):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="campuses", verbose_name=_("学校"))
    name = models.CharField(_("校区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_main = models.BooleanField(_("主校区"), default=False)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("校区")
        verbose_name_plural = _("校区")
        ordering = ["-is_main", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="campus_unique_name")]

    def __str__(self):
        return self.name


class AcademicYear(ScopedModel, TimeStampedModel):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="academic_years", verbose_name=_("区县")
    )
    start_year = models.PositiveSmallIntegerField(_("起始年份"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("学年")
        verbose_name_plural = _("学年")
        ordering = ["-start_year"]
        constraints = [models.UniqueConstraint(fields=["district", "start_year"], name="academic_year_unique")]

    def __str__(self):
        return f"{self.start_year}—{self.start_year + 1}学年"


class Term(ScopedModel, TimeStampedModel):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="terms", verbose_name=_("区县"))
    academic_year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="terms", verbose_name=_("学年")
    )
    number = models.PositiveSmallIntegerField(_("学期"), choices=[(1, _("第一学期")), (2, _("第二学期"))])
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    is_current = models.BooleanField(_("当前学期"), default=False)

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("学期")
        verbose_name_plural = _("学期")
        ordering = ["-academic_year__start_year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "number"], name="term_unique_number"),
            models.UniqueConstraint(
                fields=["district"], condition=models.Q(is_current=True), name="term_one_current_per_district"
            ),
        ]

    def __str__(self):
        return f"{self.academic_year}{self.get_number_display()}"


def academic_start_year(today: dt.date | None = None) -> int:
    """The school year starts in September: 2026-11 is in 2026—2027, 2027-03 is in 2026—2027."""
    today = today or timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


class Grade(ScopedModel, ArchivableModel):
    """A cohort (入学年份 + 学段). Its label (七年级, 高二 …) follows from the academic year, so promotion
    to the next grade is a change of label, not of rows."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="grades", verbose_name=_("学校"))
    stage = models.CharField(_("学段"), max_length=10, choices=Stage.choices)
    entry_year = models.PositiveSmallIntegerField(_("入学年份"))

    scope_paths = {"district": "school__district_id", "school": "school_id", "grade": "pk"}

    class Meta:
        verbose_name = _("年级")
        verbose_name_plural = _("年级")
        ordering = ["stage", "-entry_year"]
        constraints = [models.UniqueConstraint(fields=["school", "stage", "entry_year"], name="grade_unique_cohort")]

    def __str__(self):
        return self.label()

    def year_in_stage(self, start_year: int | None = None) -> int:
        return (start_year or academic_start_year()) - self.entry_year + 1

    def label(self, start_year: int | None = None) -> str:
        n = self.year_in_stage(start_year)
        names = GRADE_NAMES[self.stage]
        if n < 1:
            return f"{self.entry_year}级（未入学）"
        if n > len(names):
            return f"{self.entry_year}级（已毕业）"
        return names[n - 1]

    @property
    def cohort_name(self) -> str:
        return f"{self.get_stage_display()}{self.entry_year}级"

    @property
    def sort_key(self) -> tuple[int, int]:
        order = {Stage.PRIMARY: 0, Stage.JUNIOR: 1, Stage.SENIOR: 2}
        return order[self.stage], -self.entry_year


class Class(ScopedModel, ArchivableModel):
    """班级."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="classes", verbose_name=_("学校"))
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="classes", verbose_name=_("年级"))
    number = models.PositiveSmallIntegerField(_("班号"))
    campus = models.ForeignKey(
        Campus, null=True, blank=True, on_delete=models.PROTECT, related_name="classes", verbose_name=_("校区")
    )
    head_teacher = models.ForeignKey(
        "core.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="head_of_classes",
        verbose_name=_("班主任"),
    )
    alias = models.CharField(_("别名"), max_length=30, blank=True, help_text=_("如：实验班、国际班"))

    scope_paths = {"district": "school__district_id", "school": "school_id", "grade": "grade_id", "klass": "pk"}

    class Meta:
        verbose_name = _("班级")
        verbose_name_plural = _("班级")
        ordering = ["grade__stage", "-grade__entry_year", "number"]
        constraints = [models.UniqueConstraint(fields=["grade", "number"], name="class_unique_number_in_grade")]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return f"{self.grade.label()}（{self.number}）班"

    def clean(self):
        if self.grade_id and self.school_id and self.grade.school_id != self.school_id:
            raise ValidationError({"grade": _("年级不属于该学校")})


class Subject(ScopedModel, TimeStampedModel):
    """学科: a district-managed table seeded with national defaults."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="subjects", verbose_name=_("区县"))
    code = models.CharField(_("学科代码"), max_length=10)
    name = models.CharField(_("学科名称"), max_length=30)
    stages = models.CharField(_("适用学段"), max_length=40, help_text=_("逗号分隔：primary,junior,senior"))
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    scope_paths = {"district": "district_id"}

    class Meta:
        verbose_name = _("学科")
        verbose_name_plural = _("学科")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="subject_unique_code"),
            models.UniqueConstraint(fields=["district", "name"], name="subject_unique_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def stage_labels(self) -> str:
        return "、".join(str(Stage(s).label) for s in self.stages.split(",") if s)
