from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Relation

from .models import HalfDay, LeaveKind


class RegisterForm(forms.Form):
    code = forms.CharField(label=_("班级邀请码"), max_length=20)
    child_name = forms.CharField(label=_("孩子姓名"), max_length=50)
    child_id_number = forms.CharField(
        label=_("孩子身份证号"),
        max_length=18,
        min_length=18,
        help_text=_("18 位居民身份证号，仅用于核对身份，不会显示给任何人"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    parent_name = forms.CharField(label=_("家长姓名"), max_length=50)
    relation = forms.ChoiceField(label=_("与孩子的关系"), choices=Relation.choices)
    phone = forms.CharField(
        label=_("手机号"), max_length=11, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})
    )
    password = forms.CharField(
        label=_("设置登录密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 10 位，包含大写字母、小写字母、数字、符号中的三类"),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LeaveForm(forms.Form):
    kind = forms.ChoiceField(label=_("请假类型"), choices=LeaveKind.choices, widget=forms.RadioSelect)
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    start_half = forms.ChoiceField(label=_("开始"), choices=HalfDay.choices, initial=HalfDay.AM)
    end_date = forms.DateField(label=_("结束日期"), widget=DateInput())
    end_half = forms.ChoiceField(label=_("结束"), choices=HalfDay.choices, initial=HalfDay.PM)
    reason = forms.CharField(label=_("请假事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(
        label=_("附件（可选）"),
        required=False,
        help_text=_("病历、证明等图片或 PDF，不超过 5 MB，仅班主任和审批人可查看"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start_date"].initial = today
        self.fields["end_date"].initial = today


class CodeForm(forms.Form):
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=365, initial=30)
    max_uses = forms.IntegerField(label=_("可用次数"), min_value=1, max_value=1000, initial=100)


class BindMoreForm(forms.Form):
    """A logged-in parent binding another child: the account is known, only the child is checked."""

    code = RegisterForm.base_fields["code"]
    child_name = RegisterForm.base_fields["child_name"]
    child_id_number = RegisterForm.base_fields["child_id_number"]
    relation = RegisterForm.base_fields["relation"]
