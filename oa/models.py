"""行政办公 (OA): approval chains and requests (请假、出差、采购、工资签单), delegation, payslips (工资签单) and
公文 (发文/收文 with 阅办 tracking).

Every row belongs to a school (公文 may belong to the district itself). Who sees which row beyond the school
scope (the applicant, the approvers, the payslip's owner, the people a document is routed to) is decided in
``oa.selectors``, always on top of ``visible_to``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedCharField
from core.models import District, Post, School
from core.models.base import ScopedModel, TimeStampedModel

SCHOOL_PATHS = {"district": "school__district_id", "school": "school_id"}


class RequestType(models.TextChoices):
    LEAVE = "leave", _("请假")
    TRIP = "trip", _("出差")
    PURCHASE = "purchase", _("采购")
    PAYROLL = "payroll", _("工资签单确认")


class ApproverKind(models.TextChoices):
    POST = "post", _("岗位")
    SCHOOL_ADMIN = "school_admin", _("学校管理员")
    PERSON = "person", _("指定人员")


class ConditionField(models.TextChoices):
    NONE = "", _("始终需要")
    AMOUNT = "amount", _("金额超过")
    DAYS = "days", _("天数超过")


class ApprovalChain(ScopedModel, TimeStampedModel):
    """审批流程: the ordered steps a request of one type passes in one school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("学校"))
    request_type = models.CharField(_("申请类型"), max_length=12, choices=RequestType.choices)

    scope_paths = SCHOOL_PATHS

    class Meta:
        verbose_name = _("审批流程")
        verbose_name_plural = _("审批流程")
        ordering = ["school_id", "request_type"]
        constraints = [models.UniqueConstraint(fields=["school", "request_type"], name="oa_chain_unique")]

    def __str__(self):
        return f"{self.school.name} · {self.get_request_type_display()}"


class ChainStep(ScopedModel):
    """One step of a chain. With a condition the step only applies when the request's amount / days exceed
    the threshold (采购 > 5,000 元 adds the principal)."""

    chain = models.ForeignKey(ApprovalChain, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    approver_kind = models.CharField(_("审批人类型"), max_length=12, choices=ApproverKind.choices)
    post = models.CharField(_("岗位"), max_length=20, choices=Post.choices, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("指定人员"),
    )
    condition = models.CharField(_("条件"), max_length=8, choices=ConditionField.choices, blank=True)
    threshold = models.DecimalField(_("阈值"), max_digits=12, decimal_places=2, null=True, blank=True)

    scope_paths = {"district": "chain__school__district_id", "school": "chain__school_id"}

    class Meta:
        verbose_name = _("审批步骤设置")
        verbose_name_plural = _("审批步骤设置")
        ordering = ["chain_id", "order", "id"]

    def clean(self):
        errors = {}
        if self.approver_kind == ApproverKind.POST and not self.post:
            errors["post"] = _("请选择审批岗位。")
        if self.approver_kind == ApproverKind.PERSON and not self.person_id:
            errors["person"] = _("请选择审批人。")
        if self.condition and (self.threshold is None or self.threshold < 0):
            errors["threshold"] = _("设置了条件时须填写不小于 0 的阈值。")
        if self.condition == ConditionField.DAYS and self.chain_id and self.chain.request_type not in ("leave", "trip"):
            errors["condition"] = _("只有请假和出差可以按天数设置条件。")
        if errors:
            raise ValidationError(errors)

    @property
    def approver_label(self) -> str:
        if self.approver_kind == ApproverKind.POST:
            return str(Post(self.post).label) if self.post else ""
        if self.approver_kind == ApproverKind.PERSON:
            return self.person.display_name if self.person_id else ""
        return str(ApproverKind.SCHOOL_ADMIN.label)

    @property
    def condition_label(self) -> str:
        if not self.condition:
            return str(_("始终需要"))
        unit = _("元") if self.condition == ConditionField.AMOUNT else _("天")
        t = self.threshold
        number = f"{int(t):,}" if t == t.to_integral_value() else f"{t:,.2f}"
        return f"{self.get_condition_display()} {number} {unit}"

    def applies(self, *, amount: Decimal | None, days: Decimal | None) -> bool:
        if not self.condition:
            return True
        value = amount if self.condition == ConditionField.AMOUNT else days
        return value is not None and value > self.threshold


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    RETURNED = "returned", _("退回修改")
    WITHDRAWN = "withdrawn", _("已撤回")


class LeaveType(models.TextChoices):
    PERSONAL = "personal", _("事假")
    SICK = "sick", _("病假")
    ANNUAL = "annual", _("年休假")
    MARRIAGE = "marriage", _("婚假")
    MATERNITY = "maternity", _("产假/陪产假")
    BEREAVEMENT = "bereavement", _("丧假")
    OFFICIAL = "official", _("公假（培训、会议）")
    OTHER = "other", _("其他")


def attachment_path(instance, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in ``attachment_name``.
    ext = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"oa/{timezone.now():%Y/%m}/{timezone.now():%d%H%M%S%f}.{ext}"


class ApprovalRequest(ScopedModel, TimeStampedModel):
    """A staff request (请假/出差/采购/工资签单确认) and where it stands in its chain."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oa_requests", verbose_name=_("申请人")
    )
    request_type = models.CharField(_("申请类型"), max_length=12, choices=RequestType.choices)
    title = models.CharField(_("标题"), max_length=120)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    days = models.DecimalField(_("天数"), max_digits=5, decimal_places=1, null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    reason = models.TextField(_("事由"), blank=True)
    # type-specific fields: leave_type, substitute (请假); destination (出差); items, budget_line (采购);
    # batch (工资签单)
    details = models.JSONField(_("明细"), default=dict, blank=True)
    attachment = models.FileField(_("附件"), upload_to=attachment_path, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    round = models.PositiveSmallIntegerField(default=1, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    scope_paths = SCHOOL_PATHS

    class Meta:
        verbose_name = _("审批申请")
        verbose_name_plural = _("审批申请")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["school", "status"]), models.Index(fields=["applicant", "status"])]

    def __str__(self):
        return self.title

    @property
    def current_step(self):
        return next((s for s in self.steps.all() if s.round == self.round and s.status == StepStatus.PENDING), None)


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("未到达")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("驳回")
    RETURNED = "returned", _("退回修改")
    SKIPPED = "skipped", _("跳过")
    CANCELLED = "cancelled", _("已取消")


class ApprovalStep(ScopedModel):
    """A step of one request, with its approver resolved at submit time (and the delegate, if the approver
    was away when the step was reached)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField(default=1)
    order = models.PositiveSmallIntegerField()
    label = models.CharField(_("步骤"), max_length=60)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oa_steps", verbose_name=_("审批人")
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="oa_delegated_steps",
        verbose_name=_("代理审批人"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("审批意见"), blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)

    scope_paths = {"district": "request__school__district_id", "school": "request__school_id"}

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["request_id", "round", "order"]
        indexes = [models.Index(fields=["approver", "status"]), models.Index(fields=["delegate", "status"])]

    def __str__(self):
        return f"{self.request} · {self.label}"

    @property
    def assignee(self):
        return self.delegate if self.delegate_id else self.approver


class ApprovalEvent(models.Model):
    """One line of a request's timeline (提交、同意、驳回、退回、撤回、重新提交、代审批…)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    text = models.CharField(max_length=200)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class Delegation(models.Model):
    """审批代理: while ``user`` is away (starts_on…ends_on) the steps reaching them go to ``delegate``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oa_delegations")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("代理人")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    note = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("审批代理")
        verbose_name_plural = _("审批代理")
        ordering = ["-starts_on", "-id"]

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
        if self.delegate_id and self.delegate_id == self.user_id:
            raise ValidationError({"delegate": _("不能委托给自己。")})


# --- 工资签单 -------------------------------------------------------------------------------------------


class PayrollStatus(models.TextChoices):
    APPROVING = "approving", _("审批中")
    RELEASED = "released", _("已发布")
    REJECTED = "rejected", _("未通过")


class PayrollBatch(ScopedModel, TimeStampedModel):
    """One month's payslips of a school, uploaded by the school's finance person (学校管理员)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    month = models.DateField(_("月份"))
    title = models.CharField(_("标题"), max_length=60)
    columns = models.JSONField(_("工资项目"), default=list)
    status = models.CharField(_("状态"), max_length=10, choices=PayrollStatus.choices, default=PayrollStatus.APPROVING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request = models.OneToOneField(
        ApprovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="payroll"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    scope_paths = SCHOOL_PATHS

    class Meta:
        verbose_name = _("工资签单")
        verbose_name_plural = _("工资签单")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month"], condition=~models.Q(status="rejected"), name="oa_payroll_month_unique"
            )
        ]

    def __str__(self):
        return self.title


class SlipStatus(models.TextChoices):
    PENDING = "pending", _("待签收")
    CONFIRMED = "confirmed", _("已签收")
    QUESTIONED = "questioned", _("有疑问")


class Payslip(ScopedModel):
    """One person's slip. The amounts are encrypted at rest: only the person and the school's admins read
    them (``oa.selectors``)."""

    batch = models.ForeignKey(PayrollBatch, on_delete=models.CASCADE, related_name="slips")
    person = models.ForeignKey("core.Person", on_delete=models.PROTECT, related_name="+")
    staff_no = models.CharField(_("工号"), max_length=20, blank=True)
    name = models.CharField(_("姓名"), max_length=50)
    row = models.PositiveIntegerField(_("行号"))
    amounts = EncryptedCharField(_("工资项目（加密）"))  # JSON list of [item, "amount"]
    status = models.CharField(_("状态"), max_length=10, choices=SlipStatus.choices, default=SlipStatus.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    question = models.TextField(_("疑问"), blank=True)
    reply = models.TextField(_("答复"), blank=True)

    scope_paths = {"district": "batch__school__district_id", "school": "batch__school_id"}

    class Meta:
        verbose_name = _("工资条")
        verbose_name_plural = _("工资条")
        ordering = ["batch_id", "row"]
        constraints = [models.UniqueConstraint(fields=["batch", "person"], name="oa_payslip_unique")]

    def __str__(self):
        return f"{self.batch} · {self.name}"

    @property
    def items(self) -> list[tuple[str, Decimal]]:
        import json

        return [(k, Decimal(v)) for k, v in json.loads(self.amounts or "[]")]

    @property
    def net(self) -> Decimal | None:
        items = dict(self.items)
        for key in ("实发工资", "实发合计", "实发金额", "实发"):
            if key in items:
                return items[key]
        return None


# --- 公文 -----------------------------------------------------------------------------------------------


class DocDirection(models.TextChoices):
    OUTGOING = "out", _("发文")
    INCOMING = "in", _("收文")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("普通")
    URGENT = "urgent", _("急件")
    VERY_URGENT = "very_urgent", _("特急")


class Document(ScopedModel, TimeStampedModel):
    """A 公文 of a unit (the district when ``school`` is empty, else a school): 发文 it issues, or 收文 it
    registered (from a higher unit, or created automatically when the district issues to the school)."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校")
    )
    direction = models.CharField(_("类别"), max_length=3, choices=DocDirection.choices)
    number = models.CharField(_("文号"), max_length=60)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    source_unit = models.CharField(_("来文单位"), max_length=100, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)
    attachment = models.FileField(_("附件"), upload_to=attachment_path, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="copies", verbose_name=_("原发文")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("成文/收文日期"), default=timezone.localdate)

    scope_paths = {"district": "district_id", "school": "school_id"}

    class Meta:
        verbose_name = _("公文")
        verbose_name_plural = _("公文")
        ordering = ["-issued_on", "-id"]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def unit_name(self) -> str:
        return self.school.name if self.school_id else self.district.name


class RoutingStatus(models.TextChoices):
    PENDING = "pending", _("待阅")
    READ = "read", _("已阅")
    DONE = "done", _("已办")


class DocumentRouting(ScopedModel):
    """阅办: a document routed to a person with the leader's 批示; the reader marks 已阅 / 已办 with a note."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="routings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oa_routings")
    instruction = models.CharField(_("批示"), max_length=300, blank=True)
    needs_action = models.BooleanField(_("需办理"), default=False)
    routed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    routed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("状态"), max_length=8, choices=RoutingStatus.choices, default=RoutingStatus.PENDING)
    note = models.CharField(_("办理说明"), max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    scope_paths = {"district": "document__district_id", "school": "document__school_id"}

    class Meta:
        verbose_name = _("公文阅办")
        verbose_name_plural = _("公文阅办")
        ordering = ["document_id", "routed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="oa_routing_unique")]
