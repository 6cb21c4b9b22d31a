"""考试管理 pages: the list of exams, create (联考 or 单校考试), the exam's page (participants, subjects, entry
progress, publish) and the 小题 editor. Every object comes through ``access.exams_visible`` (404 outside the
user's scope); writes go through exams.services (403 when in scope but not allowed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.lists import Column, ScopedListView
from core.models import Grade
from core.views.common import apply_service_errors

from .. import services
from ..forms import ExamCreateForm, ItemsError, items_from_paste, items_from_rows
from ..models import Exam, ExamScope, ExamStatus, ExamStudent, ExamSubject, ItemKind, Score
from .access import (
    admin_schools,
    can_create_any,
    class_progress,
    creatable_district_ids,
    creatable_schools,
    entry_pairs,
    exams_visible,
    get_exam,
    get_exam_subject,
    importable_schools,
)

STATUS_BADGE = {ExamStatus.DRAFT: "warning", ExamStatus.PUBLISHED: "success", ExamStatus.ARCHIVED: "secondary"}


def cohort_label(exam: Exam) -> str:
    """七年级（初中2025级） as of the exam's academic year."""
    grade = Grade(stage=exam.stage, entry_year=exam.entry_year)
    return f"{grade.label(exam.term.academic_year.start_year)}（{grade.cohort_name}）"


def _count(qs, group: str):
    return Coalesce(
        Subquery(qs.values(group).annotate(c=Count("pk")).values("c")[:1], output_field=IntegerField()), Value(0)
    )


def _progress_text(exam) -> str:
    expected = exam.n_candidates * exam.n_subjects
    if not expected:
        return "—"
    pct = min(100, round(100 * exam.n_scores / expected))
    return f"{pct}%（{exam.n_scores:,}/{expected:,}）"


def _scope_text(exam) -> str:
    if exam.scope == ExamScope.SCHOOL and exam.school:
        return f"{exam.get_scope_display()} · {exam.school.short_name or exam.school.name}"
    return exam.get_scope_display()


class ExamListView(ScopedListView):
    """考试管理: the exams the user can see, with the entry progress of the part they can see."""

    model = Exam
    title = gettext_lazy("考试管理")
    search_fields = ["name__icontains", "code__icontains"]
    search_placeholder = gettext_lazy("考试名称或代码")
    select_related = ["school", "term__academic_year"]
    ordering = ["-exam_date", "-id"]
    # status and progress first: on a phone the table scrolls sideways
    columns = [
        Column(gettext_lazy("考试名称"), lambda e: e.name, link=lambda e: reverse("exams:exam_detail", args=[e.pk])),
        Column(gettext_lazy("状态"), lambda e: e.get_status_display(), badge=lambda e: STATUS_BADGE.get(e.status)),
        Column(gettext_lazy("录入进度"), _progress_text, css="text-end"),
        Column(gettext_lazy("年级"), cohort_label),
        Column(gettext_lazy("考试日期"), lambda e: e.exam_date),
        Column(gettext_lazy("范围"), _scope_text),
        Column(gettext_lazy("代码"), lambda e: e.code),
    ]

    def base_queryset(self):
        user = self.request.user
        return exams_visible(user).annotate(
            n_candidates=_count(ExamStudent.objects.visible_to(user).filter(exam=OuterRef("pk")), "exam"),
            n_subjects=_count(ExamSubject.objects.filter(exam=OuterRef("pk")), "exam"),
            n_scores=_count(Score.objects.visible_to(user).filter(candidate__exam=OuterRef("pk")), "candidate__exam"),
        )

    def page_actions(self):
        if can_create_any(self.request.user):
            return [{"label": _("新建考试"), "url": reverse("exams:exam_create"), "icon": "plus-lg"}]
        return []


exam_list_view = ExamListView.as_view()


# --- create ---------------------------------------------------------------------------------------------------

SERVICE_FIELDS = {"stage": "cohort", "entry_year": "cohort", "term": "term", "code": "code"}


@login_required
def exam_create_view(request):
    user = request.user
    district_ids = creatable_district_ids(user)
    schools = creatable_schools(user)
    if not district_ids and not schools:
        raise PermissionDenied("无权新建考试")
    kwargs = {"district_ids": district_ids, "schools": schools, "allow_district": bool(district_ids)}
    if request.method == "POST":
        form = ExamCreateForm(request.POST, **kwargs)
        if form.is_valid():
            exam = _create(request, form)
            if exam is not None:
                messages.success(
                    request,
                    _("已创建考试「%(name)s」：%(n)d 名考生。") % {"name": exam.name, "n": exam.candidates.count()},
                )
                return redirect("exams:exam_detail", pk=exam.pk)
    else:
        # htmx re-renders the stage-dependent part (subjects, schools) when 年级 or 范围 changes
        initial = {k: request.GET[k] for k in ("cohort", "scope") if k in request.GET}
        form = ExamCreateForm(initial=initial, **kwargs)
    return render(request, "exams/manage/create.html", {"title": _("新建考试"), "form": form})


def _create(request, form):
    d = form.cleaned_data
    scope = d["scope"]
    try:
        return services.exam_create(
            actor=request.user,
            district_id=form.district_id,
            code=d["code"],
            name=d["name"],
            term=d["term"],
            stage=d["stage"],
            entry_year=d["entry_year"],
            exam_date=d["exam_date"],
            subjects=d["subjects"],
            school=d["school"] if scope == "school" else None,
            schools=list(d["schools"]) if scope == "district" else None,
            thresholds=d["thresholds"],
            borderline_band=d["borderline_band"],
            combinations=d["combination_list"],
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                field = SERVICE_FIELDS.get(name, name)
                form.add_error(field if field in form.fields else None, errors)
        else:
            apply_service_errors(form, exc)
    except PermissionDenied:
        form.add_error(None, _("无权为所选学校或区县新建考试"))
    return None


# --- detail -----------------------------------------------------------------------------------------------------


@login_required
def exam_detail_view(request, pk: int):
    user = request.user
    exam = get_exam(user, pk)
    subjects = list(exam.subjects.select_related("subject").annotate(n_items=Count("items")))
    owner = services.may_manage(user, exam)
    schools = admin_schools(user, exam)
    participants = list(exam.participants.select_related("school").order_by("school__code"))
    counts = dict(exam.candidates.values_list("school_id").annotate(n=Count("id")).values_list("school_id", "n"))
    # school × subject progress for the schools the user administers
    progress = []
    if schools:
        wanted = {s.pk for s in schools}
        by_school: dict[int, dict] = {}
        for p in services.entry_progress(exam):
            if p["school"].pk not in wanted:
                continue
            row = by_school.setdefault(p["school"].pk, {"school": p["school"], "cells": []})
            row["cells"].append(p)
        progress = list(by_school.values())
    # per class × subject: a chosen school for administrators, the teacher's own classes otherwise
    chosen = None
    if schools:
        chosen = next((s for s in schools if str(s.pk) == request.GET.get("school")), schools[0])
        pairs = None
        classes = class_progress(exam, subjects, school=chosen)
    else:
        pairs = entry_pairs(user, exam)
        classes = class_progress(exam, subjects, class_ids=list(pairs)) if pairs else []
    for row in classes:
        allowed = None if pairs is None else pairs.get(row["klass"].pk, set())
        for cell in row["cells"]:
            cell["may_enter"] = allowed is None or cell["subject"].pk in allowed
    ctx = {
        "title": exam.name,
        "exam": exam,
        "cohort": cohort_label(exam),
        "subjects": subjects,
        # the participating schools with their candidates: for administrators (teachers see their classes)
        "participants": [{"school": p.school, "candidates": counts.get(p.school_id, 0)} for p in participants]
        if (schools or owner or exam.scope == ExamScope.SCHOOL)
        else [],
        "n_schools": len(participants),
        "owner": owner,
        "can_publish": owner and exam.status == ExamStatus.DRAFT and services.may_manage(user, exam, "publish"),
        "can_import": bool(importable_schools(user, exam)),
        "can_admin": bool(admin_schools(user, exam)),
        "progress": progress,
        "admin_schools": schools,
        "chosen_school": chosen,
        "classes": classes,
        "thresholds": [(k, round(v * 100)) for k, v in exam.thresholds.items()],
        "status_badge": STATUS_BADGE.get(exam.status),
        "candidates_total": sum(counts.values()),
    }
    return render(request, "exams/manage/detail.html", ctx)


@login_required
@require_POST
def exam_publish_view(request, pk: int):
    exam = get_exam(request.user, pk)
    if not services.may_manage(request.user, exam, "publish"):
        raise PermissionDenied("只有考试组织者可以发布成绩")
    try:
        services.exam_publish(actor=request.user, exam=exam)
    except ValidationError as exc:
        messages.error(request, _("未能发布：%(why)s") % {"why": "；".join(exc.messages)})
    else:
        messages.success(request, _("已发布「%(name)s」的成绩，成绩已锁定。") % {"name": exam.name})
    return redirect("exams:exam_detail", pk=exam.pk)


# --- 小题 ---------------------------------------------------------------------------------------------------------


def _item_rows(items: list[dict], extra: int = 0) -> list[dict]:
    rows = [
        {
            "number": it.get("number", ""),
            "full_mark": it.get("full_mark", ""),
            "kind": it.get("kind") or ItemKind.SUBJECTIVE,
            "answer": it.get("answer", ""),
            "kps": "、".join(it.get("knowledge_points") or []),
        }
        for it in items
    ]
    rows += [{"number": "", "full_mark": "", "kind": ItemKind.SUBJECTIVE, "answer": "", "kps": ""}] * extra
    return rows


@login_required
def items_view(request, pk: int, es_pk: int):
    """小题设置: a table of rows (add / delete rows), or rows pasted from Excel; saved with services.items_set."""
    exam = get_exam(request.user, pk)
    es = get_exam_subject(exam, es_pk)
    editable = services.may_manage(request.user, exam) and exam.status == ExamStatus.DRAFT
    stored = [
        {
            "number": it.number,
            "full_mark": _plain_number(it.full_mark),
            "kind": it.kind,
            "answer": it.answer,
            "knowledge_points": it.knowledge_points,
        }
        for it in es.items.all()
    ]
    errors: list[str] = []
    paste = ""
    rows = _item_rows(stored, extra=0 if stored or not editable else 5)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("只有考试的组织者可以设置小题")
        paste = request.POST.get("paste", "")
        from_paste = request.POST.get("save") == "paste"
        if from_paste and not paste.strip():
            errors.append(_("请先粘贴小题（每行一题）"))
        try:
            items = items_from_paste(paste) if from_paste else items_from_rows(request.POST)
        except ItemsError as exc:
            errors.append(str(exc))
            items = items_from_rows(request.POST)
        if "add" in request.POST:  # 添加一行: redisplay with one more empty row, nothing saved
            rows = _item_rows(items, extra=int(request.POST.get("add") or 1))
        elif not errors:
            try:
                saved = services.items_set(actor=request.user, exam_subject=es, items=items)
            except ValidationError as exc:
                errors.extend(exc.messages)
                rows = _item_rows(items)
            else:
                messages.success(
                    request,
                    _("已保存%(subject)s的小题：%(n)d 题。") % {"subject": es.subject.name, "n": len(saved)},
                )
                return redirect("exams:items", pk=exam.pk, es_pk=es.pk)
        else:
            rows = _item_rows(items_from_rows(request.POST) if from_paste else items)
    total = sum((it.full_mark for it in es.items.all()), 0)
    ctx = {
        "title": _("%(subject)s · 小题设置") % {"subject": es.subject.name},
        "exam": exam,
        "es": es,
        "rows": rows,
        "editable": editable,
        "errors": errors,
        "paste": paste,
        "kinds": ItemKind.choices,
        "stored_total": total,
        "has_items": bool(stored),
    }
    return render(request, "exams/manage/items.html", ctx)


def _plain_number(d) -> str:
    from ..importer.cells import number_text

    return number_text(d)
