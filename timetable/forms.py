"""Forms of the timetable pages. They parse and check input; writes go through timetable.services."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_WEIGHTS, ROOM_TYPES, WEIGHT_LABELS, Room, SubstitutionKind


def _bootstrap(form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs.setdefault("class", css)


TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~—至]\s*(\d{1,2}):(\d{2})\s*$")


class WeekSetupForm(forms.Form):
    days = forms.IntegerField(label=_("每周上课天数"), min_value=1, max_value=7)
    periods = forms.IntegerField(label=_("每天节数"), min_value=1, max_value=12)
    morning = forms.IntegerField(label=_("上午节数"), min_value=0, max_value=12, help_text=_("连堂不会跨午休"))
    breaks_after = forms.CharField(
        label=_("大课间在第几节之后"), required=False, help_text=_("用逗号分隔，如：2,6；连堂不会跨大课间")
    )
    period_times = forms.CharField(
        label=_("各节时间"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一节，如：08:00-08:45（用于课表、日历订阅）"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, default in DEFAULT_WEIGHTS.items():
            self.fields[f"w_{key}"] = forms.IntegerField(
                label=WEIGHT_LABELS[key], min_value=0, max_value=100, initial=default
            )
        _bootstrap(self)

    @staticmethod
    def initial_from(setup) -> dict:
        data = {
            "days": setup.days,
            "periods": setup.periods,
            "morning": setup.morning,
            "breaks_after": ",".join(str(b) for b in setup.breaks_after or []),
            "period_times": "\n".join(f"{a}-{b}" for a, b in setup.period_times or []),
        }
        for key, default in DEFAULT_WEIGHTS.items():
            data[f"w_{key}"] = (setup.weights or {}).get(key, default)
        return data

    def clean_breaks_after(self):
        raw = self.cleaned_data.get("breaks_after") or ""
        out = []
        for part in re.split(r"[,，、\s]+", raw.strip()):
            if not part:
                continue
            if not part.isdigit():
                raise ValidationError(_("“%(p)s”不是节次数字") % {"p": part})
            out.append(int(part))
        return out

    def clean_period_times(self):
        raw = self.cleaned_data.get("period_times") or ""
        out = []
        for n, line in enumerate([ln for ln in raw.splitlines() if ln.strip()], start=1):
            m = TIME_RE.match(line)
            if not m:
                raise ValidationError(
                    _("第 %(n)s 行“%(line)s”格式不对，应为 08:00-08:45") % {"n": n, "line": line.strip()}
                )
            h1, m1, h2, m2 = (int(x) for x in m.groups())
            if not (0 <= h1 < 24 and 0 <= h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
                raise ValidationError(_("第 %(n)s 行“%(line)s”的时间不对") % {"n": n, "line": line.strip()})
            out.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"])
        return out

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "days": d["days"],
            "periods": d["periods"],
            "morning": d["morning"],
            "breaks_after": d["breaks_after"],
            "period_times": d["period_times"],
            "weights": {k: d[f"w_{k}"] for k in DEFAULT_WEIGHTS},
        }


def room_type_choices():
    return [(t, t) for t in ROOM_TYPES]


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "room_type", "capacity", "is_active"]
        widgets = {"room_type": forms.Select(choices=room_type_choices())}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class VersionCreateForm(forms.Form):
    name = forms.CharField(label=_("版本名称"), max_length=60, required=False)
    time_limit = forms.IntegerField(label=_("求解时限（秒）"), min_value=1, max_value=600, initial=30)


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("生效日期"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
    )


class SubstitutionForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=SubstitutionKind.choices, initial="substitute")
    date = forms.TypedChoiceField(label=_("上课日期"), coerce=dt.date.fromisoformat)
    substitute = forms.TypedChoiceField(label=_("代课教师"), required=False, coerce=int, empty_value=None)
    swap = forms.CharField(label=_("对调的课"), required=False)
    reason = forms.CharField(label=_("原因"), max_length=200)

    def __init__(self, *args, dates, candidates, swaps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].choices = [(d.isoformat(), f"{d:%Y-%m-%d}") for d in dates]
        self.fields["substitute"].choices = [("", "—")] + [(c["person"].pk, c["person"].name) for c in candidates]
        self.fields["swap"].widget = forms.Select(choices=[("", "—"), *swaps])
        _bootstrap(self)


# --- 合班 / 走班 -------------------------------------------------------------------------------------------


class _NameChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class _NameMultiChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _room_type_field(label):
    return forms.ChoiceField(label=label, required=False, choices=[("", _("本班教室")), *room_type_choices()])


def _school_choices(form, school) -> None:
    from core.models import Person, Subject

    form.fields["subject"].queryset = Subject.objects.filter(district_id=school.district_id, is_active=True)
    form.fields["teacher"].queryset = (
        Person.objects.filter(staff_posts__school=school, staff_posts__archived_at__isnull=True)
        .distinct()
        .only("id", "name")
        .order_by("name")
    )


class CombinedLessonForm(forms.Form):
    """合班: subject, the classes taught together, the teacher, periods a week (连堂) and the room type."""

    subject = _NameChoice(label=_("学科"), queryset=None, empty_label="—")
    classes = _NameMultiChoice(label=_("合班班级"), queryset=None, widget=forms.CheckboxSelectMultiple)
    teacher = _NameChoice(label=_("任课教师"), queryset=None, empty_label="—")
    periods_per_week = forms.IntegerField(label=_("周课时"), min_value=1, max_value=40)
    doubles = forms.IntegerField(label=_("其中连堂次数"), min_value=0, max_value=20, initial=0, required=False)
    room_type = _room_type_field(_("场室类型"))

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        from core.models import Class

        _school_choices(self, school)
        self.fields["classes"].queryset = (
            Class.objects.filter(school=school, archived_at__isnull=True)
            .select_related("grade")
            .order_by("grade__stage", "-grade__entry_year", "number")
        )
        self.fields["room_type"].choices = [("", _("不需要专用场室"))] + [
            c for c in room_type_choices() if c[0] != "普通教室"
        ]
        _bootstrap(self)
        self.fields["classes"].widget.attrs["class"] = "form-check-input"


class ElectiveBlockForm(forms.Form):
    """走班 block: grade, name, periods a week (连堂)."""

    grade = forms.ModelChoiceField(label=_("年级"), queryset=None, empty_label="—")
    name = forms.CharField(label=_("名称"), max_length=40, help_text=_("如：选考A段"))
    periods_per_week = forms.IntegerField(label=_("周课时"), min_value=1, max_value=40)
    doubles = forms.IntegerField(label=_("其中连堂次数"), min_value=0, max_value=20, initial=0, required=False)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        from core.models import Grade

        self.fields["grade"].queryset = Grade.objects.filter(
            school=school, archived_at__isnull=True, classes__isnull=False
        ).distinct()
        self.fields["grade"].label_from_instance = lambda g: g.label()
        _bootstrap(self)


class TeachingGroupForm(forms.Form):
    """A teaching group (教学班) of a 走班 block."""

    name = forms.CharField(label=_("教学班名称"), max_length=40, help_text=_("如：物理A班"))
    subject = _NameChoice(label=_("学科"), queryset=None, empty_label="—")
    teacher = _NameChoice(label=_("任课教师"), queryset=None, empty_label="—")
    classes = _NameMultiChoice(label=_("学生来源班级"), queryset=None, widget=forms.CheckboxSelectMultiple)
    room = _NameChoice(label=_("指定场室"), queryset=None, required=False, empty_label=_("不指定"))
    room_type = _room_type_field(_("或场室类型"))
    size = forms.IntegerField(label=_("学生人数"), min_value=1, max_value=300, required=False)

    def __init__(self, *args, block, **kwargs):
        super().__init__(*args, **kwargs)
        from core.models import Class

        _school_choices(self, block.school)
        self.fields["classes"].queryset = (
            Class.objects.filter(grade=block.grade, archived_at__isnull=True).select_related("grade").order_by("number")
        )
        self.fields["room"].queryset = Room.objects.filter(school=block.school, is_active=True)
        self.fields["room_type"].choices = [("", _("不需要专用场室")), *room_type_choices()]
        _bootstrap(self)
        self.fields["classes"].widget.attrs["class"] = "form-check-input"


def form_errors_named(form) -> list[str]:
    """“字段：错误” lines of a bound form, for the alert at the top of a page."""
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        out.extend(f"{label}：{e}" if label else str(e) for e in errors)
    return out
