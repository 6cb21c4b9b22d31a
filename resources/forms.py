"""Forms of the resource library; every choice list is scoped to the user (subjects, editions, knowledge
points of the user's district; classes the user teaches)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Stage, Subject

from .models import GRADE_CHOICES, Kind


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件"), help_text=_("PDF、Word、PowerPoint、Excel、MP4、MP3、图片或 ZIP"))
    title = forms.CharField(label=_("标题"), max_length=120)
    kind = forms.ChoiceField(label=_("资源类型"), choices=Kind.choices)
    stage = forms.ChoiceField(label=_("学段"), choices=Stage.choices)
    subject = forms.ModelChoiceField(label=_("学科"), queryset=Subject.objects.none())
    grade_label = forms.ChoiceField(label=_("年级"), choices=[("", "—"), *GRADE_CHOICES], required=False)
    edition = forms.ModelChoiceField(label=_("教材版本"), queryset=None, required=False, empty_label="—")
    chapter = forms.ModelChoiceField(label=_("章节"), queryset=None, required=False)
    knowledge_points = forms.ModelMultipleChoiceField(
        label=_("知识点"), queryset=None, required=False, help_text=_("按住 Ctrl 可多选")
    )
    tags = forms.CharField(
        label=_("标签"), max_length=200, required=False, help_text=_("用空格分隔，如 公开课 分层作业")
    )
    description = forms.CharField(
        label=_("简介"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from knowledge.models import NodeKind
        from knowledge.selectors import editions_for, node_choices, nodes_for

        self.user = user
        self.fields["subject"].queryset = (
            Subject.objects.visible_to(user, "view").filter(is_active=True).order_by("sort_order", "id")
        )
        stage = self.data.get("stage") or self.initial.get("stage") or ""
        subject = self.data.get("subject") or self.initial.get("subject") or ""
        self.fields["edition"].queryset = editions_for(user, stage=stage or None, subject=subject or None)
        nodes = nodes_for(user, stage=stage or None, subject=subject or None)
        self.fields["chapter"].queryset = nodes.filter(kind__in=[NodeKind.CHAPTER, NodeKind.SECTION])
        self.fields["knowledge_points"].queryset = nodes
        if stage and subject:
            choices = node_choices(user, stage=stage, subject=subject)
            self.fields["knowledge_points"].choices = choices
            chapter_ids = set(self.fields["chapter"].queryset.values_list("id", flat=True))
            self.fields["chapter"].choices = [("", "—")] + [(i, label) for i, label in choices if i in chapter_ids]
        else:
            self.fields["knowledge_points"].choices = []
            self.fields["chapter"].choices = [("", _("先选择学段和学科"))]
        self.fields["knowledge_points"].widget.attrs["size"] = 8


class PushForm(forms.Form):
    klass = forms.ChoiceField(label=_("班级"))
    due_date = forms.DateField(label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("要求"), max_length=300, required=False)
    target = forms.ChoiceField(
        label=_("推送对象"),
        choices=[("all", _("全班学生")), ("weak", _("该知识点薄弱的学生（最近一次考试得分率低于 60%）"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    knowledge_point = forms.ChoiceField(label=_("知识点"), required=False)

    def __init__(self, *args, classes, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["klass"].choices = [(c.pk, f"{c.school.short_name or c.school.name} {c.name}") for c in classes]
        self.fields["knowledge_point"].choices = [("", "—")] + [(n.pk, n.name) for n in points]
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + timezone.timedelta(days=7))
