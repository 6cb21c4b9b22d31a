"""Forms of 行政办公 pages. They only parse input; the rules live in ``oa.services``."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.models import Post, School

from .models import ApproverKind, ConditionField, LeaveType, RequestType, Urgency

User = get_user_model()
CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_ATTACHMENT = 10 * 1024 * 1024
PURCHASE_ROWS = 6


def staff_choices(school_ids) -> list[tuple[int, str]]:
    users = (
        User.objects.filter(
            person__staff_posts__school_id__in=list(school_ids),
            person__staff_posts__archived_at__isnull=True,
            is_active=True,
        )
        .select_related("person")
        .distinct()
        .order_by("person__name", "pk")
    )
    return [(u.pk, u.display_name) for u in users]


class AttachmentField(forms.FileField):
    def clean(self, data, initial=None):
        f = super().clean(data, initial)
        if f and getattr(f, "size", 0) > MAX_ATTACHMENT:
            raise forms.ValidationError(_("附件不能超过 10 MB。"))
        return f


class RequestForm(forms.Form):
    """One form for the three staff request types; fields not used by a type are removed in __init__."""

    school = forms.ModelChoiceField(label=_("学校"), queryset=School.objects.none())
    leave_type = forms.ChoiceField(label=_("请假类型"), choices=[("", "---------"), *LeaveType.choices])
    destination = forms.CharField(label=_("出差地点"), max_length=60)
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE)
    estimated_cost = forms.DecimalField(
        label=_("预计费用（元）"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    budget_line = forms.CharField(
        label=_("预算科目"), max_length=60, required=False, help_text=_("如：办公费、教学设备购置费")
    )
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    substitute = forms.CharField(
        label=_("工作安排（代课/代班）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        required=False,
        help_text=_("请假期间的课由谁代上、班级由谁照看"),
    )
    attachment = AttachmentField(label=_("附件（可选，不超过 10 MB）"), required=False)

    FIELDS = {
        RequestType.LEAVE: ["school", "leave_type", "start_date", "end_date", "reason", "substitute", "attachment"],
        RequestType.TRIP: ["school", "destination", "start_date", "end_date", "estimated_cost", "reason", "attachment"],
        RequestType.PURCHASE: ["school", "budget_line", "reason", "attachment"],
    }

    def __init__(self, *args, request_type: str, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        for name in list(self.fields):
            if name not in self.FIELDS[request_type]:
                del self.fields[name]
        self.fields["school"].queryset = schools
        if schools.count() == 1:
            self.fields["school"].initial = schools.first()
            self.fields["school"].widget = forms.HiddenInput()
        if request_type == RequestType.PURCHASE:
            self.fields["reason"].label = _("采购用途")
        if request_type == RequestType.TRIP:
            self.fields["reason"].label = _("出差事由")
        self.items = [
            {
                "name": self.data.get(f"item_name_{i}", ""),
                "quantity": self.data.get(f"item_qty_{i}", ""),
                "unit_price": self.data.get(f"item_price_{i}", ""),
            }
            for i in range(PURCHASE_ROWS)
        ]

    def set_items(self, items: list[dict]) -> None:
        rows = list(items)[:PURCHASE_ROWS]
        self.items = rows + [{"name": "", "quantity": "", "unit_price": ""}] * (PURCHASE_ROWS - len(rows))

    def details(self) -> dict:
        d = self.cleaned_data
        if self.request_type == RequestType.LEAVE:
            return {"leave_type": d["leave_type"], "substitute": d.get("substitute", "").strip()}
        if self.request_type == RequestType.TRIP:
            cost = d.get("estimated_cost")
            return {"destination": d["destination"].strip(), "estimated_cost": "" if cost is None else str(cost)}
        return {"items": self.items, "budget_line": d.get("budget_line", "").strip()}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("同意")), ("reject", _("驳回")), ("return", _("退回修改"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )


class ChainStepForm(forms.Form):
    approver_kind = forms.ChoiceField(label=_("审批人"), choices=ApproverKind.choices)
    post = forms.ChoiceField(label=_("岗位"), choices=[("", "---------"), *Post.choices], required=False)
    person = forms.TypedChoiceField(label=_("指定人员"), coerce=int, required=False, empty_value=None)
    condition = forms.ChoiceField(label=_("条件"), choices=ConditionField.choices, required=False)
    threshold = forms.DecimalField(label=_("阈值"), min_value=0, max_digits=12, decimal_places=2, required=False)

    def __init__(self, *args, school_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "---------"), *staff_choices([school_id])]


class DelegationForm(forms.Form):
    delegate = forms.TypedChoiceField(label=_("代理人"), coerce=int)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=100, required=False, help_text=_("如：外出培训"))

    def __init__(self, *args, school_ids, exclude_user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].choices = [c for c in staff_choices(school_ids) if c[0] != exclude_user.pk]


class PayrollUploadForm(forms.Form):
    school = forms.ModelChoiceField(label=_("学校"), queryset=School.objects.none())
    month = forms.CharField(
        label=_("月份"), widget=forms.DateInput(attrs={"type": "month"}), help_text=_("格式：2026-11")
    )
    file = forms.FileField(
        label=_("工资表（.xlsx / .xls / .csv）"),
        help_text=_("第一行为表头：工号、姓名，其后每列一个工资项目（如 岗位工资、绩效工资、实发工资）"),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if schools.count() == 1:
            self.fields["school"].initial = schools.first()
            self.fields["school"].widget = forms.HiddenInput()

    def clean_month(self):
        import datetime as dt

        value = self.cleaned_data["month"].strip()
        try:
            return dt.datetime.strptime(value[:7], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，如 2026-11。")) from None


class DocumentForm(forms.Form):
    number = forms.CharField(label=_("文号"), max_length=60, help_text=_("如：镇教〔2026〕35号"))
    title = forms.CharField(label=_("标题"), max_length=200)
    source_unit = forms.CharField(label=_("来文单位"), max_length=100)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    body = forms.CharField(label=_("正文/摘要"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    attachment = AttachmentField(label=_("附件（可选，不超过 10 MB）"), required=False)
    to_schools = forms.ModelMultipleChoiceField(
        label=_("发往学校"), queryset=School.objects.none(), required=False, widget=CHECKS
    )
    to_users = forms.TypedMultipleChoiceField(label=_("本校阅知人员"), coerce=int, required=False, widget=CHECKS)

    def __init__(self, *args, mode: str, schools=None, staff_school_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        if mode == "register":
            del self.fields["to_schools"], self.fields["to_users"]
            return
        del self.fields["source_unit"]
        if schools is not None:
            self.fields["to_schools"].queryset = schools
            del self.fields["to_users"]
        else:
            del self.fields["to_schools"]
            self.fields["to_users"].choices = staff_choices([staff_school_id])


class RouteForm(forms.Form):
    users = forms.TypedMultipleChoiceField(label=_("阅办人员"), coerce=int, widget=CHECKS)
    instruction = forms.CharField(
        label=_("批示"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如：请教务处阅办，按要求组织落实")}),
    )
    needs_action = forms.BooleanField(label=_("需要办理（不只阅知）"), required=False)

    def __init__(self, *args, school_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = staff_choices([school_id])
