"""Forms of the exam management pages: create an exam, the 小题 editor (table rows or text pasted from Excel)
and the score upload. Values are checked here only as far as the form needs; the services decide the rest
and their Chinese messages are put back on the form."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Grade, School, Stage, Subject, Term

from .models import DEFAULT_THRESHOLDS, ItemKind

SCOPE_CHOICES = [("district", gettext_lazy("区域联考（多校）")), ("school", gettext_lazy("单校考试"))]
THRESHOLD_FIELDS = [
    ("excellent", gettext_lazy("优秀线")),
    ("good", gettext_lazy("良好线")),
    ("pass", gettext_lazy("及格线")),
    ("low", gettext_lazy("低分线")),
]
MAIN_SUBJECTS = {"语文", "数学", "英语"}
# 新高考 3+1+2 / 3+3: the subjects chosen by combination (ticked as 选考 by default for a senior grade)
ELECTIVE_SUBJECTS = {"物理", "化学", "生物", "生物学", "政治", "思想政治", "历史", "地理", "技术"}
# Usual full marks: 语数英 120 in 初中 and 150 in 高中, 100 elsewhere (editable on the form).
MAIN_FULL_MARK = {Stage.PRIMARY: 100, Stage.JUNIOR: 120, Stage.SENIOR: 150}


def cohort_choices(schools) -> list[tuple[str, str]]:
    """(stage:entry_year, "七年级（初中2025级）") for every cohort the schools have, youngest first per stage."""
    seen: dict[str, Grade] = {}
    for g in Grade.objects.filter(school__in=schools, archived_at__isnull=True).order_by("stage", "-entry_year"):
        seen.setdefault(f"{g.stage}:{g.entry_year}", g)
    order = {s: i for i, s in enumerate(Stage.values)}
    grades = sorted(seen.values(), key=lambda g: (order[g.stage], -g.entry_year))
    return [(f"{g.stage}:{g.entry_year}", f"{g.label()}（{g.cohort_name}）") for g in grades]


def split_cohort(value: str) -> tuple[str, int] | None:
    stage, _sep, year = (value or "").partition(":")
    if stage in Stage.values and year.isdigit():
        return stage, int(year)
    return None


class ExamCreateForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("考试范围"), choices=SCOPE_CHOICES, widget=forms.RadioSelect)
    name = forms.CharField(label=gettext_lazy("考试名称"), max_length=100)
    code = forms.SlugField(
        label=gettext_lazy("考试代码"),
        max_length=40,
        help_text=gettext_lazy("字母、数字、连字符，区县内唯一，如 2026-g7-mid；命令行导入时使用"),
    )
    term = forms.ModelChoiceField(label=gettext_lazy("学期"), queryset=Term.objects.none(), empty_label=None)
    cohort = forms.ChoiceField(label=gettext_lazy("年级"))
    exam_date = forms.DateField(label=gettext_lazy("考试日期"), widget=forms.DateInput(attrs={"type": "date"}))
    school = forms.ModelChoiceField(
        label=gettext_lazy("学校"), queryset=School.objects.none(), required=False, empty_label=None
    )
    schools = forms.ModelMultipleChoiceField(
        label=gettext_lazy("参加联考的学校"),
        queryset=School.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    borderline_band = forms.DecimalField(
        label=gettext_lazy("临界生分差"),
        initial=Decimal("10"),
        min_value=0,
        max_digits=5,
        decimal_places=1,
        help_text=gettext_lazy("总分在某条分数线下方这么多分以内的学生算作临界生"),
    )
    combinations = forms.CharField(
        label=gettext_lazy("选科组合"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "物理+化学+生物\n历史+政治+地理"}),
        help_text=gettext_lazy("新高考年级填写，每行一个组合；其他年级留空"),
    )

    def __init__(self, *args, district_ids: list[int], schools: list[School], allow_district: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_district = allow_district
        self.own_schools = schools
        district_id = district_ids[0] if district_ids else (schools[0].district_id if schools else None)
        self.district_id = district_id
        if allow_district and schools:
            self.fields["scope"].initial = "district"
        elif allow_district:
            self.fields["scope"].choices = SCOPE_CHOICES[:1]
            self.fields["scope"].initial = "district"
        else:
            self.fields["scope"].choices = SCOPE_CHOICES[1:]
            self.fields["scope"].initial = "school"
        terms = Term.objects.filter(district_id=district_id).select_related("academic_year")
        self.fields["term"].queryset = terms
        current = next((t for t in terms if t.is_current), None)
        if current:
            self.fields["term"].initial = current.pk
        district_schools = list(School.objects.filter(district_id=district_id, archived_at__isnull=True))
        pool = district_schools if allow_district else schools
        self.fields["cohort"].choices = [("", _("请选择年级")), *cohort_choices(pool)]
        self.fields["exam_date"].initial = timezone.localdate()
        self.fields["school"].queryset = School.objects.filter(pk__in=[s.pk for s in schools])
        self.fields["scope"].widget.attrs["class"] = "form-check-input"
        self.fields["schools"].widget.attrs["class"] = "form-check-input"
        for key, label in THRESHOLD_FIELDS:
            self.fields[f"t_{key}"] = forms.DecimalField(
                label=label,
                initial=Decimal(str(round(DEFAULT_THRESHOLDS[key] * 100))),
                min_value=1,
                max_value=100,
                max_digits=5,
                decimal_places=1,
            )
        # the stage decides the subjects and (for a 联考) the schools
        raw = self.data.get("cohort") if self.is_bound else self.initial.get("cohort")
        picked = split_cohort(raw or "")
        self.stage = picked[0] if picked else None  # no 年级 chosen yet: no subjects or schools to offer
        stage_schools = [s for s in district_schools if self.stage in s.stages]
        self.fields["schools"].queryset = School.objects.filter(pk__in=[s.pk for s in stage_schools]).order_by("code")
        self.fields["schools"].initial = [s.pk for s in stage_schools]
        subjects = Subject.objects.filter(district_id=district_id, is_active=True).order_by("sort_order", "code")
        self.subjects = [s for s in subjects if self.stage in s.stages.split(",")] if self.stage else []
        main = MAIN_FULL_MARK.get(self.stage, 100)
        for s in self.subjects:
            self.fields[f"subj_{s.pk}"] = forms.BooleanField(
                label=s.name, required=False, initial=s.name in MAIN_SUBJECTS
            )
            self.fields[f"full_{s.pk}"] = forms.DecimalField(
                label=_("%(name)s满分") % {"name": s.name},
                required=False,
                initial=main if s.name in MAIN_SUBJECTS else 100,
                max_digits=6,
                decimal_places=1,
                # text, not number: the size attribute keeps the box narrow without a style attribute (CSP)
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"}),
            )
            if self.stage == Stage.SENIOR:  # 新高考: which subjects are 选考 (taken only by some combinations)
                self.fields[f"elec_{s.pk}"] = forms.BooleanField(
                    label=_("%(name)s为选考科目") % {"name": s.name},
                    required=False,
                    initial=s.name in ELECTIVE_SUBJECTS,
                )

    # for the template
    def subject_rows(self):
        return [
            (
                s,
                self[f"subj_{s.pk}"],
                self[f"full_{s.pk}"],
                self[f"elec_{s.pk}"] if f"elec_{s.pk}" in self.fields else None,
            )
            for s in self.subjects
        ]

    def threshold_fields(self):
        return [self[f"t_{key}"] for key, _label in THRESHOLD_FIELDS]

    def clean(self):
        data = super().clean()
        picked = split_cohort(data.get("cohort", ""))
        if picked is None:
            self.add_error("cohort", _("请选择年级"))
        else:
            data["stage"], data["entry_year"] = picked
        scope = data.get("scope")
        if scope == "school" and not data.get("school"):
            self.add_error("school", _("请选择学校"))
        if scope == "district" and not data.get("schools"):
            self.add_error("schools", _("请选择参加联考的学校"))
        chosen = []
        for s in self.subjects:
            if data.get(f"subj_{s.pk}"):
                full = data.get(f"full_{s.pk}")
                if full is None:
                    self.add_error(f"full_{s.pk}", _("请填写%(name)s的满分") % {"name": s.name})
                    continue
                chosen.append((s, full, bool(data.get(f"elec_{s.pk}"))))
        if not chosen and not self.errors:
            self.add_error(None, _("请至少选择一个考试科目"))
        data["subjects"] = chosen
        data["thresholds"] = {
            key: float(data[f"t_{key}"]) / 100 for key, _label in THRESHOLD_FIELDS if data.get(f"t_{key}") is not None
        }
        # 选科组合 belong to 新高考 (senior) grades; the field is not offered for the others
        data["combination_list"] = (
            [line.strip() for line in re.split(r"[\r\n]+", data.get("combinations") or "") if line.strip()]
            if self.stage == Stage.SENIOR
            else []
        )
        return data


# --- 小题 -------------------------------------------------------------------------------------------------------

KIND_WORDS = {
    "客观题": ItemKind.OBJECTIVE,
    "客观": ItemKind.OBJECTIVE,
    "选择题": ItemKind.OBJECTIVE,
    "选择": ItemKind.OBJECTIVE,
    "单选": ItemKind.OBJECTIVE,
    "单选题": ItemKind.OBJECTIVE,
    "多选": ItemKind.OBJECTIVE,
    "多选题": ItemKind.OBJECTIVE,
    "判断": ItemKind.OBJECTIVE,
    "判断题": ItemKind.OBJECTIVE,
    "objective": ItemKind.OBJECTIVE,
    "主观题": ItemKind.SUBJECTIVE,
    "主观": ItemKind.SUBJECTIVE,
    "填空": ItemKind.SUBJECTIVE,
    "填空题": ItemKind.SUBJECTIVE,
    "解答": ItemKind.SUBJECTIVE,
    "解答题": ItemKind.SUBJECTIVE,
    "subjective": ItemKind.SUBJECTIVE,
    "": ItemKind.SUBJECTIVE,
}
_KP_SPLIT = re.compile(r"[,，、;；/]+")


class ItemsError(Exception):
    pass


def kind_of(text: str, line: int) -> str:
    kind = KIND_WORDS.get(text.strip().lower()) or KIND_WORDS.get(text.strip())
    if kind is None:
        raise ItemsError(_("第 %(n)d 行：题型「%(k)s」无效，应为 客观题 或 主观题") % {"n": line, "k": text})
    return kind


def knowledge_points(text: str) -> list[str]:
    return [k.strip() for k in _KP_SPLIT.split(text or "") if k.strip()]


def items_from_paste(text: str) -> list[dict]:
    """Rows pasted from Excel (tab separated): 题号, 满分, 题型, 答案, 知识点 — a header line is skipped."""
    items = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        # Excel pastes tab-separated cells; a line typed by hand may use spaces
        cells = [c.strip() for c in (line.split("\t") if "\t" in line else line.split())]
        if n == 1 and cells and cells[0] in ("题号", "题目", "小题"):
            continue
        cells += [""] * (5 - len(cells))
        items.append(
            {
                "number": cells[0],
                "full_mark": cells[1],
                "kind": kind_of(cells[2], n),
                "answer": cells[3],
                "knowledge_points": knowledge_points(cells[4]),
            }
        )
    return items


def items_from_rows(post) -> list[dict]:
    """The editor table's rows (parallel lists number/full_mark/kind/answer/kps; rows ticked 删除 left out)."""
    numbers = post.getlist("number")
    marks = post.getlist("full_mark")
    kinds = post.getlist("kind")
    answers = post.getlist("answer")
    kps = post.getlist("kps")
    deleted = set(post.getlist("delete"))
    items = []
    for i, number in enumerate(numbers):
        row = {
            "number": number.strip(),
            "full_mark": (marks[i] if i < len(marks) else "").strip(),
            "kind": kinds[i] if i < len(kinds) and kinds[i] in ItemKind.values else ItemKind.SUBJECTIVE,
            "answer": (answers[i] if i < len(answers) else "").strip(),
            "knowledge_points": knowledge_points(kps[i] if i < len(kps) else ""),
        }
        if str(i) in deleted or not (row["number"] or row["full_mark"] or row["answer"] or row["knowledge_points"]):
            continue
        items.append(row)
    return items


# --- import -----------------------------------------------------------------------------------------------------


class ScoreImportForm(forms.Form):
    school = forms.ChoiceField(label=gettext_lazy("学校"))
    layout = forms.ChoiceField(label=gettext_lazy("文件格式"))
    file = forms.FileField(label=gettext_lazy("成绩文件（.xlsx / .xls / .csv）"))
    dry_run = forms.BooleanField(label=gettext_lazy("仅预览，不写入"), required=False)

    def __init__(self, *args, schools: list[School], allow_all: bool, item_subjects, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), s.name) for s in schools]
        if allow_all and len(schools) > 1:
            choices.append(("all", _("全部参考学校（文件可含各校考生）")))
        self.fields["school"].choices = choices
        self.fields["layout"].choices = [("subjects", _("每科一列（各科总分）"))] + [
            (str(es.pk), _("%(name)s：每个小题一列") % {"name": es.subject.name}) for es in item_subjects
        ]
        self.schools = {str(s.pk): s for s in schools}
        self.item_subjects = {str(es.pk): es for es in item_subjects}

    def clean_file(self):
        f = self.cleaned_data["file"]
        limit = getattr(settings, "ZX_ROSTER_MAX_BYTES", 20 * 1024 * 1024)
        if f.size > limit:
            raise forms.ValidationError(
                _("文件过大（%(size).1f MB），上限 %(limit).0f MB。") % {"size": f.size / 2**20, "limit": limit / 2**20}
            )
        return f

    def clean(self):
        data = super().clean()
        data["school_obj"] = self.schools.get(data.get("school"))
        data["subject_obj"] = self.item_subjects.get(data.get("layout"))
        return data
