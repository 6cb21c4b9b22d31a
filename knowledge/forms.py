"""Forms of the knowledge-point pages. They only shape the input; the services check permissions, codes,
placement and prerequisite loops and their Chinese messages are put back on the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Stage

from .models import NodeKind, TextbookEdition, Volume


class NodeForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=NodeKind.choices)
    parent = forms.TypedChoiceField(label=_("上级"), coerce=int, required=False, empty_value=None)
    code = forms.CharField(label=_("编码"), max_length=40, help_text=_("同学段同学科内唯一，如 M7A-1-2-3"))
    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    editions = forms.ModelMultipleChoiceField(
        label=_("教材版本"),
        queryset=TextbookEdition.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("按教材版本浏览时显示本节点"),
    )

    def __init__(self, *args, parent_choices, editions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("（无，作为章）")), *parent_choices]
        self.fields["editions"].queryset = editions


class EditionForm(forms.Form):
    stage = forms.ChoiceField(label=_("学段"), choices=Stage.choices)
    subject = forms.ModelChoiceField(label=_("学科"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("版本"), max_length=40, help_text=_("如 人教版、北师大版"))
    grade_label = forms.CharField(label=_("年级"), max_length=20, required=False, help_text=_("如 七年级"))
    volume = forms.ChoiceField(label=_("册次"), choices=[("", "—"), *Volume.choices], required=False)
    publisher = forms.CharField(label=_("出版社"), max_length=60, required=False)
    code = forms.CharField(
        label=_("版本编码"), max_length=40, help_text=_("区县内唯一，导入文件中可用它指代本版本，如 RJ-M7A")
    )
    order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件"), help_text=_("使用知识点导入模板（.xlsx），一个工作表"))
    dry_run = forms.BooleanField(label=_("只检查，不写入"), required=False)


def apply_errors(form: forms.Form, exc) -> None:
    """Put a service's ValidationError back on the form (field errors where the field exists)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for e in errors:
                form.add_error(target, e.messages[0] if hasattr(e, "messages") else str(e))
    else:
        for m in exc.messages:
            form.add_error(None, m)
