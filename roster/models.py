"""学籍: the MoE roster record of a student, code tables, 学籍异动 (lifecycle changes) and import jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedCharField
from core.models import Class, School, Student, TimeStampedModel
from core.models.base import ScopedModel
from core.scope import ScopedQuerySet

STUDENT_PATHS = {
    "district": "student__district_id",
    "school": "student__school_id",
    "grade": "student__klass__grade_id",
    "klass": "student__klass_id",
    "student": "student_id",
}


class CodeTable(TimeStampedModel):
    """One code of a 学籍 code table (性别, 民族, 健康状况 …); data, editable by district admins."""

    kind = models.CharField(_("代码表"), max_length=30, db_index=True)
    code = models.CharField(_("代码"), max_length=10)
    label = models.CharField(_("名称"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("学籍代码")
        verbose_name_plural = _("学籍代码")
        ordering = ["kind", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="codetable_unique_code")]

    def __str__(self):
        return f"{self.code} {self.label}"


class StudentProfile(ScopedModel, TimeStampedModel):
    """The MoE 学籍 template fields beyond core.Student/Person. Addresses and phone are encrypted."""

    student = models.OneToOneField(Student, on_delete=models.PROTECT, related_name="profile", verbose_name=_("学生"))
    name_pinyin = models.CharField(_("姓名拼音"), max_length=100, blank=True)
    former_name = models.CharField(_("曾用名"), max_length=50, blank=True)
    birthplace = models.CharField(_("出生地"), max_length=12, blank=True, help_text=_("行政区划代码"))
    native_place = models.CharField(_("籍贯"), max_length=60, blank=True)
    nationality = models.CharField(_("国籍/地区"), max_length=3, default="CHN")
    hk_mo_tw = models.CharField(_("港澳台侨外"), max_length=2, default="00")
    political_status = models.CharField(_("政治面貌"), max_length=2, blank=True)
    health = models.CharField(_("健康状况"), max_length=2, default="10")
    id_valid_until = models.CharField(_("身份证件有效期"), max_length=30, blank=True)
    hukou_location = models.CharField(_("户口所在地"), max_length=12, blank=True, help_text=_("行政区划代码"))
    hukou_type = models.CharField(_("户口性质"), max_length=1, blank=True)
    specialty = models.CharField(_("特长"), max_length=100, blank=True)
    aux_no = models.CharField(_("学籍辅号"), max_length=30, blank=True)
    entry_month = models.CharField(_("入学年月"), max_length=6, blank=True, help_text="YYYYMM")
    entry_mode = models.CharField(_("入学方式"), max_length=2, blank=True)
    study_mode = models.CharField(_("就读方式"), max_length=1, blank=True)
    source = models.CharField(_("学生来源"), max_length=1, blank=True)
    current_address = EncryptedCharField(_("现住址"), blank=True, default="")
    mailing_address = EncryptedCharField(_("通信地址"), blank=True, default="")
    home_address = EncryptedCharField(_("家庭地址"), blank=True, default="")
    contact_phone = EncryptedCharField(_("联系电话"), blank=True, default="")
    postal_code = models.CharField(_("邮政编码"), max_length=6, blank=True)
    email = models.CharField(_("电子信箱"), max_length=100, blank=True)
    only_child = models.BooleanField(_("是否独生子女"), null=True, blank=True)
    preschool = models.BooleanField(_("是否受过学前教育"), null=True, blank=True)
    left_behind = models.CharField(_("留守儿童"), max_length=1, default="0")
    migrant_child = models.BooleanField(_("是否进城务工人员随迁子女"), default=False)
    orphan = models.BooleanField(_("是否孤儿"), default=False)
    martyr_child = models.BooleanField(_("是否烈士或优抚子女"), default=False)
    with_class_study = models.CharField(_("随班就读"), max_length=1, default="0")
    disability = models.CharField(_("残疾类型"), max_length=1, default="0")
    commute_distance = models.DecimalField(
        _("上下学距离（公里）"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    commute = models.CharField(_("上下学方式"), max_length=1, blank=True)
    school_bus = models.BooleanField(_("是否需要乘坐校车"), default=False)

    scope_paths = STUDENT_PATHS

    class Meta:
        verbose_name = _("学籍信息")
        verbose_name_plural = _("学籍信息")

    def __str__(self):
        return f"{self.student} 学籍信息"


class ChangeKind(models.TextChoices):
    ENROL = "enrol", _("新生入学")
    PLACE = "place", _("分班")
    PROMOTE = "promote", _("升级")
    GRADUATE = "graduate", _("毕业")
    TRANSFER = "transfer", _("转学")
    TRANSFER_OUT = "transfer_out", _("转出本区")
    SUSPEND = "suspend", _("休学")
    RESUME = "resume", _("复学")
    WITHDRAW = "withdraw", _("退学")
    DROPOUT = "dropout", _("辍学")
    NUMBER = "number", _("学籍号分配")


class ChangeStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    ACCEPTED = "accepted", _("转入校已同意")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销")
    DONE = "done", _("已完成")


def admin_nodes(user, action: str) -> tuple[set[int], set[int]]:
    """(district ids, school ids) where ``user`` holds a district- or school-level grant allowing ``action``
    on RosterChange: the admins of a school, not every teacher, parent or pupil who can view it."""
    from core.scope import grants_for, role_allows

    districts, schools = set(), set()
    for g in grants_for(user):
        if not role_allows(g.role, "roster.rosterchange", action):
            continue
        if g.level == "district" and g.district_id:
            districts.add(g.district_id)
        elif g.level == "school" and g.school_id:
            schools.add(g.school_id)
    return districts, schools


def school_q(prefix: str, districts: set[int], schools: set[int]) -> Q:
    q = Q(pk__in=[])
    if districts:
        q |= Q(**{f"{prefix}__district_id__in": sorted(districts)})
    if schools:
        q |= Q(**{f"{prefix}_id__in": sorted(schools)})
    return q


class RosterChangeQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view"):
        """The student's scope, plus transfers from or to a school the user administers (also after the
        student has left the sending school). Teachers, parents and pupils of the receiving school see nothing
        of a transfer until the student arrives."""
        from core.scope import scope_q

        q = scope_q(user, self.model, action)
        cond = q if q is not None else Q(pk__in=[])
        if action == "view":
            districts, schools = admin_nodes(user, "view")
            if districts or schools:
                cond |= Q(kind__in=(ChangeKind.TRANSFER, ChangeKind.TRANSFER_OUT)) & (
                    school_q("to_school", districts, schools) | school_q("from_school", districts, schools)
                )
        return self.filter(cond)


class RosterChange(ScopedModel, TimeStampedModel):
    """学籍异动: one lifecycle event of a student, with its approval status and timeline."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="roster_changes", verbose_name=_("学生")
    )
    kind = models.CharField(_("异动类型"), max_length=20, choices=ChangeKind.choices)
    status = models.CharField(_("状态"), max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DONE)
    from_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("原学校")
    )
    to_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("转入学校")
    )
    from_class = models.ForeignKey(
        Class, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("原班级")
    )
    to_class = models.ForeignKey(
        Class, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("新班级")
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    timeline = models.JSONField(_("处理记录"), default=list, blank=True)
    follow_up = models.TextField(_("控辍保学跟进"), blank=True)

    scope_paths = STUDENT_PATHS
    objects = RosterChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("学籍异动")
        verbose_name_plural = _("学籍异动")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"]), models.Index(fields=["to_school", "status"])]

    def __str__(self):
        return f"{self.student} {self.get_kind_display()}（{self.get_status_display()}）"


class ImportJob(ScopedModel, TimeStampedModel):
    """A roster import (UI or CLI): its progress, result summary and error report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        INVALID = "invalid", _("有错误，未写入")
        PREVIEWED = "previewed", _("预览完成")
        DONE = "done", _("已导入")
        FAILED = "failed", _("文件无法读取")

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(_("文件名"), max_length=200)
    upload = models.FileField(upload_to="roster/imports/%Y/%m/", blank=True)
    report = models.FileField(upload_to="roster/reports/%Y/%m/", blank=True)
    dry_run = models.BooleanField(_("仅预览"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    scope_paths = {"district": "school__district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("学籍导入")
        verbose_name_plural = _("学籍导入")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename}（{self.get_status_display()}）"

    @property
    def progress(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
