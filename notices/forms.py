"""The send form (发布通知) and the 回执 form. The form offers only the nodes the user may send from; the
service checks scope and audience again."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import Class, Grade

from .models import ReceiptKind, SenderLevel

TARGET_CHOICES = [("staff", _("教职工")), ("parents", _("家长")), ("students", _("学生"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _dt_field(label, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=help_text,
    )


class NoticeForm(forms.Form):
    sender = forms.ChoiceField(label=_("发布身份"))
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(
        label=_("正文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-zx-richtext": "1"}),
        help_text=_(
            "可用工具栏设置加粗、小标题、列表和链接，也可粘贴网页或文档内容；仅保留段落、加粗、列表、表格、链接等安全格式。"
        ),
    )
    targets = forms.MultipleChoiceField(
        label=_("接收人"), choices=TARGET_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    schools = forms.MultipleChoiceField(
        label=_("学校（区县通知）"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选即全区所有学校。"),
    )
    grades = forms.MultipleChoiceField(label=_("年级（学校通知）"), required=False, widget=forms.CheckboxSelectMultiple)
    classes = forms.MultipleChoiceField(
        label=_("班级（学校通知）"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("年级、班级都不选即全校。"),
    )
    attachments = MultipleFileField(label=_("附件"), help_text=_("最多 10 个，每个不超过 20 MB。"))
    publish_at = _dt_field(_("定时发布"), _("留空即立即发布。"))
    expires_at = _dt_field(_("截止展示"), _("到期后接收人列表中不再显示。"))
    pinned = forms.BooleanField(label=_("置顶"), required=False)
    receipt_kind = forms.ChoiceField(label=_("回执"), choices=ReceiptKind.choices, required=False)
    receipt_prompt = forms.CharField(
        label=_("回执说明"), max_length=200, required=False, help_text=_("如：请家长确认是否同意孩子参加研学活动。")
    )
    receipt_options = forms.CharField(
        label=_("回执选项（每行一个）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    receipt_deadline = _dt_field(_("回执截止"))

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        choices = []
        for d in options.districts:
            choices.append((f"district:{d.pk}", gettext("%(name)s（区县通知）") % {"name": d.name}))
        for s in options.schools:
            choices.append((f"school:{s.pk}", gettext("%(name)s（学校通知）") % {"name": s.name}))
        for k in options.classes:
            label = (
                gettext("%(name)s（班级通知）") % {"name": k.name}
                if len({c.school_id for c in options.classes}) < 2
                else f"{k.school.name} {k.name}"
            )
            choices.append((f"class:{k.pk}", label))
        self.fields["sender"].choices = choices
        if len(choices) == 1:
            self.fields["sender"].initial = choices[0][0]
        if options.districts:
            from core.models import School

            schools = School.objects.filter(district__in=options.districts, archived_at__isnull=True).order_by("code")
            self.fields["schools"].choices = [(str(s.pk), s.name) for s in schools]
        else:
            del self.fields["schools"]
        if options.schools:
            grades = sorted(
                Grade.objects.filter(school__in=options.schools, archived_at__isnull=True), key=lambda g: g.sort_key
            )
            many = len(options.schools) > 1
            self.fields["grades"].choices = [
                (str(g.pk), f"{g.school.short_name or g.school.name} {g}" if many else str(g)) for g in grades
            ]
            classes = Class.objects.filter(school__in=options.schools, archived_at__isnull=True).select_related(
                "grade", "school"
            )
            classes = sorted(classes, key=lambda k: (k.school.code, k.grade.sort_key, k.number))
            self.fields["classes"].choices = [
                (str(k.pk), f"{k.school.short_name or k.school.name} {k.name}" if many else k.name) for k in classes
            ]
        else:
            del self.fields["grades"]
            del self.fields["classes"]
        allowed = set()
        if options.districts:
            allowed |= {"staff", "parents"}
        if options.schools:
            allowed |= {"staff", "parents", "students"}
        if options.classes:
            allowed |= {"parents", "students"}
        self.fields["targets"].choices = [(k, v) for k, v in TARGET_CHOICES if k in allowed]
        self.fields["targets"].initial = ["parents"]

    def node(self):
        """(level, node object) of the chosen sender."""
        level, _sep, pk = self.cleaned_data["sender"].partition(":")
        pools = {
            SenderLevel.DISTRICT: self.options.districts,
            SenderLevel.SCHOOL: self.options.schools,
            SenderLevel.CLASS: self.options.classes,
        }
        node = next(o for o in pools[level] if str(o.pk) == pk)
        return level, node

    def service_kwargs(self) -> dict:
        cd = self.cleaned_data
        level, node = self.node()
        aware = lambda v: timezone.make_aware(v) if v is not None and timezone.is_naive(v) else v  # noqa: E731
        audience = {"targets": cd.get("targets") or []}
        if level == SenderLevel.DISTRICT:
            audience["schools"] = [int(x) for x in cd.get("schools") or []]
        elif level == SenderLevel.SCHOOL:
            audience["grades"] = [int(x) for x in cd.get("grades") or []]
            audience["classes"] = [int(x) for x in cd.get("classes") or []]
        return {
            "level": level,
            "node": node,
            "title": cd["title"],
            "body": cd.get("body") or "",
            "audience": audience,
            "publish_at": aware(cd.get("publish_at")),
            "expires_at": aware(cd.get("expires_at")),
            "pinned": cd.get("pinned") or False,
            "receipt_kind": cd.get("receipt_kind") or "",
            "receipt_prompt": cd.get("receipt_prompt") or "",
            "receipt_options": (cd.get("receipt_options") or "").splitlines(),
            "receipt_deadline": aware(cd.get("receipt_deadline")),
            "attachments": cd.get("attachments") or [],
        }


class ReceiptForm(forms.Form):
    choice = forms.ChoiceField(label=_("请选择"), required=False, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("回执内容"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(label=_("上传文件"), required=False)

    def __init__(self, *args, notice, **kwargs):
        super().__init__(*args, **kwargs)
        kind = notice.receipt_kind
        self.fields["choice"].choices = [(o, o) for o in notice.receipt_options]
        if kind != ReceiptKind.CHOICE:
            del self.fields["choice"]
        if kind != ReceiptKind.TEXT:
            del self.fields["text"]
        if kind != ReceiptKind.FILE:
            del self.fields["file"]
