"""分班 pages: choose a grade, set the number of classes (optionally upload scores), preview the balanced
plan, move single students by hand, then apply it.

``Student.klass`` is required, so a new cohort is first imported into one provisional class of its grade and
then placed here. The algorithm and the writes are ``roster.services.cohort_place_plan`` / ``cohort_place_apply``;
these views only collect input and show results.

Between preview and apply the plan travels in a hidden field signed with ``django.core.signing`` (salt of
this page, bound to the grade and the user, valid for ``PLAN_MAX_AGE``), so the browser cannot slip other
students or classes into it. The per-student ``<select name="to_<id>">`` fields are the manual adjustments;
they may only pick one of the plan's class numbers for one of the plan's students.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
import unicodedata

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.audit import redact
from core.models import Class, Grade, School, Student, StudentStatus
from core.scope import can
from core.views.common import get_scoped

from .. import placement, services
from ..importer import reader
from ..models import RosterChange, StudentProfile

SALT = "roster.placement.plan"
PLAN_MAX_AGE = 12 * 3600  # seconds: a plan left open overnight is generated again
WEIGHTS = {"mean": {"mean": 1.0, "spread": 0.0}, "spread": {"mean": 1.0, "spread": 1.0}}
WEIGHT_CHOICES = [
    ("mean", gettext_lazy("均衡各班平均分")),
    ("spread", gettext_lazy("均衡各班平均分和离散度（标准差）")),
]
SCORE_HEADERS = {"成绩", "总分", "分数", "入学成绩"}
KEY_HEADERS = ("学籍号", "身份证件号")
MAX_SCORE_ROWS = 20_000
MAX_LISTED_ERRORS = 20


class PlacementForm(forms.Form):
    class_count = forms.IntegerField(label=gettext_lazy("班级数"), min_value=1, max_value=99)
    weights = forms.ChoiceField(
        label=gettext_lazy("均衡目标"),
        choices=WEIGHT_CHOICES,
        initial="mean",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    scores = forms.FileField(label=gettext_lazy("成绩文件（可选，.xlsx / .xls / .csv）"), required=False)


# --- access ---------------------------------------------------------------------------------------------


def may_place(user, grade: Grade) -> bool:
    """The rule ``cohort_place_plan`` enforces: the school's admin or the district admin."""
    return can(user, "add", services._grade_probe(grade))


def _grade(request, pk: int) -> Grade:
    """The grade through the user's scope (outside it: 404), and only for users who may place (else 403)."""
    grade = get_scoped(
        Grade,
        request.user,
        pk,
        queryset=Grade.objects.filter(archived_at__isnull=True).select_related("school__district"),
    )
    if not may_place(request.user, grade):
        raise PermissionDenied("只有学校管理员或区县管理员可以分班")
    return grade


def _cohort(user, grade: Grade):
    """The students ``cohort_place_plan`` places by default: every 在读 student of the grade."""
    return Student.objects.visible_to(user, "change").filter(
        school=grade.school, klass__grade=grade, status=StudentStatus.ENROLLED, archived_at__isnull=True
    )


def _error_messages(request, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


# --- scores file ------------------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


def _shown(value) -> str:
    """A cell as the user typed it (for error messages)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _score_value(value) -> float | None:
    """The score in a cell, None when empty; ValueError when it is not a non-negative number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text:
            return None
        number = float(text)
    if not math.isfinite(number) or number < 0:
        raise ValueError
    return number


def _sheet_rows(data: bytes, filename: str) -> list[tuple[int, list]]:
    """Every row of the first sheet (or the CSV) with its 1-based row number. The format checks (magic bytes,
    size, zip bomb) are the roster importer's."""
    if not data:
        raise ValidationError(_("成绩文件为空。"))
    try:
        if len(data) > reader._max_bytes():
            raise reader.ImportFileError(_("成绩文件过大，请只保留「学籍号」和「成绩」两列。"))
        kind = reader.detect_kind(data, filename)
        if kind == "csv":
            rows = list(csv.reader(io.StringIO(reader._decode_csv(data), newline="")))
            if len(rows) > MAX_SCORE_ROWS:
                raise reader.ImportFileError(_("成绩文件行数过多（上限 %(n)d 行）。") % {"n": MAX_SCORE_ROWS})
            return [(i + 1, row) for i, row in enumerate(rows)]
        if kind == "xlsx":
            zf, sheet_path = reader.check_zip(data)
            reader._scan_members(zf, sheet_path)
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        except Exception as exc:  # calamine raises its own error types
            raise reader.ImportFileError(_("无法读取 Excel 文件（文件已损坏或格式不受支持）。")) from exc
        if sheet.height == 0 or sheet.start is None:
            return []
        if sheet.height > MAX_SCORE_ROWS:
            raise reader.ImportFileError(_("成绩文件行数过多（上限 %(n)d 行）。") % {"n": MAX_SCORE_ROWS})
        first_row = sheet.start[0]
        return [(first_row + i + 1, list(row)) for i, row in enumerate(sheet.iter_rows())]
    except reader.ImportFileError as exc:
        raise ValidationError(_("成绩文件无法使用：%(msg)s") % {"msg": exc.message}) from None


def _header(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int]]:
    for row_no, row in rows[: reader.HEADER_SEARCH_ROWS]:
        columns: dict[str, int] = {}
        for pos, cell in enumerate(row):
            name = reader.normalise_header(cell)
            name = "成绩" if name in SCORE_HEADERS else name
            if name in ("成绩", "姓名", *KEY_HEADERS) and name not in columns:
                columns[name] = pos
        if "成绩" in columns and any(k in columns for k in KEY_HEADERS):
            return row_no, columns
    raise ValidationError(
        _("成绩文件的前 %(n)d 行中没有找到表头：需要「学籍号」（或「身份证件号」）和「成绩」两列。")
        % {"n": reader.HEADER_SEARCH_ROWS}
    )


def read_scores(data: bytes, filename: str, students: list[Student]) -> dict[int, float]:
    """Scores ``{student id: score}`` from an uploaded sheet with the columns 「学籍号」(or 「身份证件号」) and
    「成绩」 (an optional 「姓名」 column is checked against the student). Every bad row is reported by its row
    number and column; if there is any, the whole file is refused (``ValidationError`` with one message per
    problem) and no score is used. Students without a row count as the cohort average."""
    rows = _sheet_rows(data, filename)
    header_row, columns = _header(rows)
    by_key: dict[str, dict[str, Student]] = {"学籍号": {}, "身份证件号": {}}
    for st in students:
        if st.student_no:
            by_key["学籍号"][_cell_text(st.student_no)] = st
        if st.person.id_number:
            by_key["身份证件号"][_cell_text(st.person.id_number)] = st

    def cell(row: list, name: str):
        pos = columns.get(name)
        return row[pos] if pos is not None and pos < len(row) else None

    errors: list[str] = []
    scores: dict[int, float] = {}
    seen: dict[int, int] = {}
    for row_no, row in rows:
        if row_no <= header_row or all(_cell_text(v) == "" for v in row):
            continue
        key_name, key = next(((k, _cell_text(cell(row, k))) for k in KEY_HEADERS if _cell_text(cell(row, k))), ("", ""))
        student = None
        if not key:
            names = "」或「".join(k for k in KEY_HEADERS if k in columns)
            errors.append(_("第 %(row)d 行「%(col)s」：为空") % {"row": row_no, "col": names})
        else:
            student = by_key[key_name].get(key)
            if student is None:
                hint = ""
                if isinstance(cell(row, key_name), (int, float)) and len(key) >= 15:
                    hint = _("（Excel 把长数字存成数值会丢失末几位，请将该列设为文本格式）")
                errors.append(
                    _("第 %(row)d 行「%(col)s」：「%(value)s」不是本年级的在读学生%(hint)s")
                    % {"row": row_no, "col": key_name, "value": redact(key), "hint": hint}
                )
            elif student.pk in seen:
                errors.append(
                    _("第 %(row)d 行「%(col)s」：与第 %(other)d 行是同一名学生（%(name)s）")
                    % {"row": row_no, "col": key_name, "other": seen[student.pk], "name": student.person.name}
                )
                student = None
            else:
                seen[student.pk] = row_no
                name = _cell_text(cell(row, "姓名"))
                if name and name != _cell_text(student.person.name):
                    errors.append(
                        _("第 %(row)d 行「姓名」：「%(value)s」与%(col)s对应的学生「%(name)s」不一致")
                        % {
                            "row": row_no,
                            "value": _shown(cell(row, "姓名")),
                            "col": key_name,
                            "name": student.person.name,
                        }
                    )
                    student = None
        raw = cell(row, "成绩")
        try:
            score = _score_value(raw)
        except ValueError:
            errors.append(
                _("第 %(row)d 行「成绩」：「%(value)s」不是有效的成绩（应为不小于 0 的数字）")
                % {"row": row_no, "value": _shown(raw)}
            )
            continue
        if score is None:
            errors.append(_("第 %(row)d 行「成绩」：为空（没有成绩的学生请删除该行，按平均分计）") % {"row": row_no})
            continue
        if student is not None:
            scores[student.pk] = score
    if errors:
        shown = errors[:MAX_LISTED_ERRORS]
        if len(errors) > MAX_LISTED_ERRORS:
            shown.append(_("……另有 %(n)d 处错误") % {"n": len(errors) - MAX_LISTED_ERRORS})
        raise ValidationError(shown)
    if not scores:
        raise ValidationError(_("成绩文件中没有数据行。"))
    return scores


# --- the signed plan --------------------------------------------------------------------------------------


def sign_plan(*, grade: Grade, user, class_numbers, assignments: dict, scores: dict, weights: str) -> str:
    """The hidden-field value carrying a plan from preview to apply."""
    payload = {
        "grade_id": grade.pk,
        "user_id": user.pk,
        "class_numbers": [int(n) for n in class_numbers],
        "assignments": {str(k): int(v) for k, v in assignments.items()},
        "scores": {str(k): float(v) for k, v in scores.items()},
        "weights": weights,
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def load_plan(token: str, *, grade: Grade, user) -> dict:
    """The plan signed by ``sign_plan`` for this grade and user; ValidationError if tampered, foreign or old."""
    try:
        payload = signing.loads(token or "", salt=SALT, max_age=PLAN_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(_("分班方案已过期，请重新生成。")) from None
    except signing.BadSignature:
        raise ValidationError(_("分班方案校验失败（内容被修改或不完整），未做任何改动，请重新生成。")) from None
    if payload.get("grade_id") != grade.pk or payload.get("user_id") != user.pk:
        raise ValidationError(_("分班方案不属于该年级或当前用户，未做任何改动，请重新生成。"))
    return {
        "class_numbers": [int(n) for n in payload["class_numbers"]],
        "assignments": {int(k): int(v) for k, v in payload["assignments"].items()},
        "scores": {int(k): float(v) for k, v in payload["scores"].items()},
        "weights": payload.get("weights", "mean"),
    }


def _adjusted(request, plan: dict) -> dict[int, int]:
    """The plan's assignments with the manual moves (``to_<student id>`` fields) applied."""
    numbers = set(plan["class_numbers"])
    out = dict(plan["assignments"])
    for pk in out:
        raw = (request.POST.get(f"to_{pk}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) not in numbers:
            raise ValidationError(_("新班级只能从方案中的班级里选择，请重新选择。"))
        out[pk] = int(raw)
    return out


# --- preview --------------------------------------------------------------------------------------------


def _class_name(grade: Grade, number: int) -> str:
    return Class(grade=grade, number=number).name


def _special(student: Student) -> bool:
    try:
        profile = student.profile
    except StudentProfile.DoesNotExist:
        profile = None
    return services._is_special(profile)


def _spread(rows: list[dict], key: str):
    values = [r[key] for r in rows if r[key] is not None]
    return round(max(values) - min(values), 2) if values else None


def _preview_context(request, grade: Grade, plan: dict) -> dict:
    """Everything the preview shows for ``plan``: per-class numbers (recomputed from the database and the
    carried scores, so manual moves are reflected), the per-student rows and the newly signed plan."""
    assignments, numbers, scores = plan["assignments"], plan["class_numbers"], plan["scores"]
    students = list(
        Student.objects.visible_to(request.user, "change")
        .filter(pk__in=assignments, school=grade.school, status=StudentStatus.ENROLLED, archived_at__isnull=True)
        .select_related("person", "klass__grade", "profile")
    )
    if len(students) != len(assignments):
        raise ValidationError(_("方案中的学生已发生变化（转出、休学或无权操作），请重新生成分班方案。"))
    existing = {k.number: k for k in Class.objects.filter(grade=grade, number__in=numbers, archived_at__isnull=True)}
    index = {n: i for i, n in enumerate(numbers)}
    special = {s.pk: _special(s) for s in students}
    pupils = [placement.Pupil(s.pk, s.person.gender, scores.get(s.pk), special[s.pk]) for s in students]
    summary = placement.summarize(pupils, {pk: index[n] for pk, n in assignments.items()}, len(numbers))
    for number, row in zip(numbers, summary, strict=True):
        values = [scores[pk] for pk, n in assignments.items() if n == number and pk in scores]
        row.update(
            number=number,
            name=_class_name(grade, number),
            short=_("（%(n)d）班") % {"n": number},
            exists=number in existing,
            sd=round(statistics.pstdev(values), 2) if values else None,
        )
    spreads = {key: _spread(summary, key) for key in ("size", "male", "female", "special", "mean", "sd")}
    moves = 0
    rows = []
    for s in students:
        target = assignments[s.pk]
        moved = existing.get(target) is None or existing[target].pk != s.klass_id
        moves += moved
        rows.append({"student": s, "score": scores.get(s.pk), "special": special[s.pk], "to": target, "moved": moved})
    rows.sort(key=lambda r: (r["to"], r["student"].klass.number, r["student"].class_no or 0, r["student"].pk))
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return {
        "title": _("分班"),
        "grade": grade,
        "school": grade.school,
        "summary": summary,
        "spreads": spreads,
        "rows": rows,
        "numbers": numbers,
        "choices": [(n, _("（%(n)d）班") % {"n": n}) for n in numbers],
        "moves": moves,
        "scored": len(scores),
        "total": len(students),
        "weights_label": dict(WEIGHT_CHOICES).get(plan["weights"], ""),
        "created": [r["name"] for r in summary if not r["exists"]],
        "empty": [r["name"] for r in summary if r["size"] == 0],
        # every <select> is a POST field: past Django's field limit the plan can still be applied, not edited
        "editable": limit is None or len(students) + 10 <= limit,
        "plan_token": sign_plan(
            grade=grade,
            user=request.user,
            class_numbers=numbers,
            assignments=assignments,
            scores=scores,
            weights=plan["weights"],
        ),
    }


def _grade_context(request, grade: Grade, form: PlacementForm | None = None) -> dict:
    classes = list(
        Class.objects.visible_to(request.user)
        .filter(grade=grade, archived_at__isnull=True)
        .select_related("grade")
        .annotate(n=Count("students", filter=Q(students__status=StudentStatus.ENROLLED)))
        .order_by("number")
    )
    if form is None:
        form = PlacementForm(initial={"class_count": len(classes) or 1, "weights": "mean"})
    return {
        "title": _("分班"),
        "grade": grade,
        "school": grade.school,
        "classes": classes,
        "student_count": _cohort(request.user, grade).count(),
        "form": form,
    }


def _render_grade(request, grade: Grade, form: PlacementForm | None = None):
    return render(request, "roster/placement/grade.html", _grade_context(request, grade, form))


# --- views ----------------------------------------------------------------------------------------------


@login_required
def school_placement_view(request, pk: int):
    """Which grade to place: the school's grades with their classes and 在读 students."""
    school = get_scoped(School, request.user, pk)
    probe = RosterChange(student=Student(district_id=school.district_id, school=school))
    if not can(request.user, "add", probe):
        raise PermissionDenied("只有学校管理员或区县管理员可以分班")
    grades = sorted(
        Grade.objects.visible_to(request.user)
        .filter(school=school, archived_at__isnull=True)
        .annotate(
            n_classes=Count("classes", filter=Q(classes__archived_at__isnull=True), distinct=True),
            n_students=Count(
                "classes__students",
                filter=Q(classes__students__status=StudentStatus.ENROLLED, classes__students__archived_at__isnull=True),
                distinct=True,
            ),
        ),
        key=lambda g: g.sort_key,
    )
    grades = [g for g in grades if may_place(request.user, g)]
    return render(request, "roster/placement/school.html", {"title": _("分班"), "school": school, "grades": grades})


@login_required
def grade_placement_view(request, grade_pk: int):
    grade = _grade(request, grade_pk)
    return _render_grade(request, grade)


@login_required
@require_POST
def grade_placement_preview_view(request, grade_pk: int):
    """Compute a plan from the form, or (when a signed plan is posted) recompute the numbers after manual moves."""
    grade = _grade(request, grade_pk)
    if "plan" in request.POST:
        try:
            plan = load_plan(request.POST["plan"], grade=grade, user=request.user)
            plan["assignments"] = _adjusted(request, plan)
            ctx = _preview_context(request, grade, plan)
        except ValidationError as exc:
            if request.htmx:
                return render(request, "roster/placement/_summary.html", {"errors": exc.messages})
            _error_messages(request, exc)
            return redirect("roster:grade_placement", grade_pk=grade.pk)
        template = "roster/placement/_summary.html" if request.htmx else "roster/placement/preview.html"
        return render(request, template, ctx)

    form = PlacementForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_grade(request, grade, form)
    weights = form.cleaned_data["weights"]
    scores: dict[int, float] = {}
    upload = form.cleaned_data.get("scores")
    if upload:
        students = list(_cohort(request.user, grade).select_related("person"))
        try:
            scores = read_scores(upload.read(), upload.name, students)
        except ValidationError as exc:
            form.add_error("scores", exc)
            return _render_grade(request, grade, form)
    try:
        plan = services.cohort_place_plan(
            actor=request.user,
            grade=grade,
            class_count=form.cleaned_data["class_count"],
            scores=scores,
            weights=WEIGHTS[weights],
        )
        ctx = _preview_context(
            request,
            grade,
            {
                "class_numbers": plan["class_numbers"],
                "assignments": plan["assignments"],
                "scores": scores,
                "weights": weights,
            },
        )
    except ValidationError as exc:
        _error_messages(request, exc)
        return _render_grade(request, grade, form)
    return render(request, "roster/placement/preview.html", ctx)


@login_required
@require_POST
def grade_placement_apply_view(request, grade_pk: int):
    grade = _grade(request, grade_pk)
    try:
        plan = load_plan(request.POST.get("plan", ""), grade=grade, user=request.user)
        plan["assignments"] = _adjusted(request, plan)
    except ValidationError as exc:
        _error_messages(request, exc)
        return redirect("roster:grade_placement", grade_pk=grade.pk)
    try:
        result = services.cohort_place_apply(
            actor=request.user,
            grade=grade,
            plan={"grade_id": grade.pk, "class_numbers": plan["class_numbers"], "assignments": plan["assignments"]},
        )
    except ValidationError as exc:
        _error_messages(request, exc)
        try:  # keep the admin's manual moves on screen when the plan itself is still usable
            return render(request, "roster/placement/preview.html", _preview_context(request, grade, plan))
        except ValidationError:
            return redirect("roster:grade_placement", grade_pk=grade.pk)
    text = _("分班完成：%(n)d 名学生分入 %(k)d 个班，其中 %(m)d 人调整了班级。") % {
        "n": result["students"],
        "k": len(plan["class_numbers"]),
        "m": result["moved"],
    }
    if result["created_classes"]:
        text += _("新建班级：%(names)s。") % {
            "names": "、".join(_class_name(grade, n) for n in result["created_classes"])
        }
    left_empty = (
        Class.objects.filter(grade=grade, archived_at__isnull=True)
        .exclude(number__in=plan["class_numbers"])
        .exclude(students__status=StudentStatus.ENROLLED)
        .select_related("grade")
        .order_by("number")
    )
    if left_empty:
        text += _("%(names)s 已没有在读学生，可以归档。") % {"names": "、".join(k.name for k in left_empty)}
    messages.success(request, text)
    return redirect("core:grade_detail", pk=grade.pk)
