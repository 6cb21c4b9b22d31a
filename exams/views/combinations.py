"""选科组合 page of a 新高考 exam: the school (or district) records which combination each candidate takes, so
that entry, import and the report count each 选考 subject only for the candidates who take it. Per student, a
whole class at once, or pasted from Excel (考号 and 组合)."""

from __future__ import annotations

import re
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..models import ExamStatus, ExamStudent
from .access import admin_schools, get_exam

_PASTE_SPLIT = re.compile(r"[\s,，]+")  # Excel pastes tabs; typed lines use spaces or commas


def _paste_changes(text: str, by_no: dict[str, int], allowed: list[str]) -> tuple[dict[int, str], list[str]]:
    """Lines "考号<tab>组合" pasted from Excel → ({candidate id: combination}, errors naming the line)."""
    changes, errors = {}, []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = _PASTE_SPLIT.split(line.strip())
        if n == 1 and cells and cells[0] in ("考号", "准考证号"):
            continue
        if len(cells) < 2:
            errors.append(_("第 %(n)d 行：应为「考号 组合」两列") % {"n": n})
            continue
        no, combo = cells[0], "+".join(services.combination_subjects(cells[-1]))
        if no not in by_no:
            errors.append(_("第 %(n)d 行：考号「%(no)s」不是本页可设置的考生") % {"n": n, "no": no})
        elif combo not in allowed:
            errors.append(_("第 %(n)d 行：「%(c)s」不是本次考试的选科组合") % {"n": n, "c": cells[-1]})
        else:
            changes[by_no[no]] = combo
    return changes, errors


@login_required
def combinations_view(request, pk: int):
    user = request.user
    exam = get_exam(user, pk)
    schools = admin_schools(user, exam)
    if not exam.combinations or not schools:
        raise PermissionDenied(_("无权设置该考试的选科组合"))
    school = next((s for s in schools if str(s.pk) == request.GET.get("school", "")), schools[0])
    cands = list(
        ExamStudent.objects.visible_to(user, "change")
        .filter(exam=exam, school=school)
        .select_related("student__person", "klass__grade")
        .order_by("klass__number", "exam_no", "id")
    )
    editable = exam.status == ExamStatus.DRAFT
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("成绩已发布，选科组合已锁定"))
        ids = {c.pk for c in cands}
        changes: dict[int, str] = {}
        errors: list[str] = []
        for key, value in request.POST.items():
            if key.startswith("c_") and key[2:].isdigit() and int(key[2:]) in ids:
                changes[int(key[2:])] = value
        class_combo = request.POST.get("class_combination", "")
        class_id = request.POST.get("class_id", "")
        if class_combo and class_id.isdigit():
            changes.update({c.pk: class_combo for c in cands if c.klass_id == int(class_id)})
        if request.POST.get("paste", "").strip():
            pasted, errors = _paste_changes(
                request.POST["paste"], {c.exam_no: c.pk for c in cands if c.exam_no}, exam.combinations
            )
            changes.update(pasted)
        if errors:
            for e in errors[:50]:
                messages.error(request, e)
        else:
            try:
                n = services.candidate_combinations_set(actor=user, exam=exam, changes=changes)
            except ValidationError as exc:
                for e in exc.messages:
                    messages.error(request, e)
            else:
                messages.success(request, _("已更新 %(n)d 名考生的选科组合。") % {"n": n})
                return redirect(f"{request.path}?school={school.pk}")
    classes: dict[int, dict] = {}
    for c in cands:
        entry = classes.setdefault(c.klass_id, {"klass": c.klass, "rows": []})
        entry["rows"].append(c)
    counts = Counter(c.combination or "" for c in cands)
    ctx = {
        "title": _("选科组合：%(name)s") % {"name": exam.name},
        "exam": exam,
        "school": school,
        "schools": schools,
        "classes": list(classes.values()),
        "combinations": exam.combinations,
        "summary": [(combo, counts.get(combo, 0)) for combo in exam.combinations],
        "unset": counts.get("", 0),
        "editable": editable,
    }
    return render(request, "exams/manage/combinations.html", ctx)
