"""成绩录入 grid: one row per candidate of a class for one subject. Typing a value and leaving the cell posts it
(htmx, ``hx-trigger="change"``) to the cell endpoint, which saves it with ``services.score_set`` and answers with
the cell in its new state (saved, or the Chinese error with nothing written). Enter / arrow keys move between
cells (core/static/core/app.js). After publishing the grid is read-only, except for those who may correct a
score: they give a reason, and each change is kept as a ScoreCorrection and audited by the service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.scope import can

from .. import services
from ..importer.cells import MARK_HINT, MARK_LABELS, CellError, mark_of, number_text, parse_score
from ..models import ExamStatus, ExamStudent, Score, ScoreStatus
from .access import admin_schools, entry_pairs, get_exam, get_exam_subject


def _candidates(exam, class_pk: int, es):
    qs = (
        ExamStudent.objects.filter(exam=exam, klass_id=class_pk)
        .select_related("student__person", "klass__grade", "school", "exam")
        .order_by("exam_no", "pk")
    )
    if es.elective and exam.combinations:
        # electives: only the candidates whose 选科组合 includes the subject (or who have none recorded)
        return [c for c in qs if not c.combination or es.subject.name in c.combination]
    return list(qs)


def _locks(user, exam, cand) -> tuple[bool, bool]:
    """(read-only, correcting): after publishing only the exam's owner or the candidate's school admin may
    correct (with a reason); an archived exam is read-only for everyone."""
    if exam.status == ExamStatus.DRAFT:
        return False, False
    if exam.status == ExamStatus.PUBLISHED and (
        services.may_manage(user, exam, "publish") or can(user, "publish", Score(candidate=cand))
    ):
        return False, True
    return True, False


def _cell(cand, es, score, *, state: str = "", message: str = "", text: str | None = None, readonly=False):
    if text is None:
        if score is None:
            text = ""
        elif score.status != ScoreStatus.NORMAL:
            text = MARK_LABELS[score.status]
        else:
            text = number_text(score.value)
    return {
        "cand": cand,
        "es": es,
        "text": text,
        "status": score.status if score is not None else "",
        "state": state,
        "message": message,
        "readonly": readonly,
    }


@login_required
def entry_grid_view(request, pk: int, class_pk: int, es_pk: int):
    user = request.user
    exam = get_exam(user, pk)
    es = get_exam_subject(exam, es_pk)
    cands = _candidates(exam, class_pk, es)
    if not cands:
        raise Http404("未找到")
    if not services.may_enter(user, cands[0], es):
        raise PermissionDenied("无权录入该班该科成绩")
    readonly, correcting = _locks(user, exam, cands[0])
    scores = {s.candidate_id: s for s in Score.objects.filter(exam_subject=es, candidate__in=[c.pk for c in cands])}
    rows = [_cell(c, es, scores.get(c.pk), readonly=readonly) for c in cands]
    klass = cands[0].klass
    # the other subjects of this class the user may enter (a subject switcher above the grid)
    pairs = None if cands[0].school in admin_schools(user, exam) else entry_pairs(user, exam)
    allowed = None if pairs is None else pairs.get(klass.pk, set())
    others = [s for s in exam.subjects.select_related("subject") if allowed is None or s.pk in allowed]
    entered = sum(1 for r in rows if r["status"])
    ctx = {
        "title": _("%(klass)s · %(subject)s 成绩录入") % {"klass": klass.name, "subject": es.subject.name},
        "exam": exam,
        "es": es,
        "klass": klass,
        "klass_pk": klass.pk,
        "school": cands[0].school,
        "rows": rows,
        "subjects": others,
        "readonly": readonly,
        "correcting": correcting,
        "entered": entered,
        "total": len(rows),
        "mark_hint": MARK_HINT,
        "marks": [(k, v) for k, v in MARK_LABELS.items()],
        "full_mark": number_text(es.full_mark),
    }
    return render(request, "exams/entry/grid.html", ctx)


@login_required
@require_POST
def entry_cell_view(request, pk: int, class_pk: int, es_pk: int, cand_pk: int):
    """Save one cell; answer with the cell (saved / error). 403 for users who may not enter this score."""
    user = request.user
    exam = get_exam(user, pk)
    es = get_exam_subject(exam, es_pk)
    cand = (
        ExamStudent.objects.filter(exam=exam, klass_id=class_pk, pk=cand_pk)
        .select_related("student__person", "exam", "school")
        .first()
    )
    if cand is None:
        raise Http404("未找到")
    if not services.may_enter(user, cand, es):
        raise PermissionDenied("无权录入该考生的该科成绩")
    readonly, _correcting = _locks(user, exam, cand)
    current = Score.objects.filter(candidate=cand, exam_subject=es).first()
    text = request.POST.get("value", "")
    chosen = request.POST.get("status", "")
    by_select = request.headers.get("HX-Trigger-Name") == "status"
    kept = _("（原成绩 %(v)s 未改动）") % {"v": _cell(cand, es, current)["text"]} if current else ""
    try:
        if by_select and chosen in MARK_LABELS:
            status, value = chosen, None
            text = MARK_LABELS[chosen]
        else:
            if by_select and mark_of(text):  # back to 正常 from a mark: the cell needs a number now
                text = ""
            parsed = parse_score(text, es.full_mark)
            if parsed is None:
                raise CellError(_("请填写成绩，或标记为缺考/作弊/免考") + kept)
            status, value = parsed
        score = services.score_set(
            actor=user,
            candidate=cand,
            exam_subject=es,
            value=value,
            status=status,
            reason=request.POST.get("reason", ""),
        )
    except CellError as exc:
        cell = _cell(cand, es, current, state="error", message=str(exc), text=text, readonly=readonly)
    except ValidationError as exc:
        message = "；".join(exc.messages)
        if "reason" in getattr(exc, "error_dict", {}):
            # the stored score stays in the cell, so typing the correction again (after the reason) saves it
            message += _("：请先在上方填写更正原因，再重新输入")
            text = None
        cell = _cell(cand, es, current, state="error", message=message, text=text, readonly=readonly)
    except PermissionDenied as exc:  # published: locked for this user
        cell = _cell(cand, es, current, state="error", message=str(exc), readonly=True)
    else:
        cell = _cell(cand, es, score, state="saved", readonly=readonly)
    # the grid's 已录 n/total, updated out of band with the cell
    class_cands = [c.pk for c in _candidates(exam, class_pk, es)]
    counter = {
        "entered": Score.objects.filter(exam_subject=es, candidate_id__in=class_cands).count(),
        "total": len(class_cands),
    }
    ctx = {"cell": cell, "exam": exam, "klass_pk": class_pk, "counter": counter}
    return render(request, "exams/entry/_cell.html", ctx)
