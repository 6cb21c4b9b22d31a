"""Who sees which exam and may do what on the management and entry pages (the reads behind the views).

An ``Exam`` is scoped to its district only, so ``Exam.objects.visible_to`` would show every exam of the district
to anyone holding an exam role in it. The pages narrow that down by the level of each grant: district roles see
the district's exams, school roles the exams their school takes part in (``ExamSchool``), grade leaders and
teachers the exams with candidates in their grade or classes (``ExamStudent``).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404

from core.models import Class, School, TeachingAssignment
from core.scope import can, grants_for, role_allows

from ..importer import may_import
from ..models import Exam, ExamSchool, ExamStatus, ExamStudent, ExamSubject, Score

ADMIN_ROLES = {"district_admin", "researcher", "school_admin"}


def exams_visible(user):
    """The exams ``user`` may open on the management pages (see the module docstring)."""
    districts, schools, grades, classes = set(), set(), set(), set()
    for g in grants_for(user):
        if not role_allows(g.role, "exams.exam", "view"):
            continue
        if g.level == "district":
            districts.add(g.district_id)
        elif g.level == "school":
            schools.add(g.school_id)
        elif g.level == "grade":
            grades.add(g.grade_id)
        elif g.level == "klass":
            classes.add(g.klass_id)
    q = Q()
    if districts:
        q |= Q(district_id__in=sorted(districts))
    if schools:
        q |= Q(pk__in=ExamSchool.objects.filter(school_id__in=sorted(schools)).values("exam_id"))
    if grades:
        q |= Q(pk__in=ExamStudent.objects.filter(klass__grade_id__in=sorted(grades)).values("exam_id"))
    if classes:
        q |= Q(pk__in=ExamStudent.objects.filter(klass_id__in=sorted(classes)).values("exam_id"))
    if not q:
        return Exam.objects.none()
    return Exam.objects.visible_to(user).filter(q)


def get_exam(user, pk: int) -> Exam:
    """The exam through the user's scope; 404 outside it."""
    exam = exams_visible(user).select_related("district", "school", "term__academic_year").filter(pk=pk).first()
    if exam is None:
        raise Http404("未找到")
    return exam


def get_exam_subject(exam: Exam, pk: int) -> ExamSubject:
    es = exam.subjects.select_related("subject").filter(pk=pk).first()
    if es is None:
        raise Http404("未找到")
    return es


def can_create_any(user) -> bool:
    """Whether the user may create some exam (a 联考 of their district or a 单校考试 of their school)."""
    return bool(creatable_district_ids(user) or creatable_schools(user))


def creatable_district_ids(user) -> list[int]:
    """Districts where the user may create a 联考."""
    return sorted(
        {
            g.district_id
            for g in grants_for(user)
            if g.level == "district" and can(user, "add", Exam(district_id=g.district_id))
        }
    )


def creatable_schools(user) -> list[School]:
    """Schools for which the user may create a 单校考试."""
    ids = {g.school_id for g in grants_for(user) if g.school_id and g.level in ("district", "school")}
    districts = {g.district_id for g in grants_for(user) if g.level == "district"}
    qs = School.objects.filter(archived_at__isnull=True).filter(Q(pk__in=ids) | Q(district_id__in=districts))
    return [
        s for s in qs.order_by("code") if can(user, "add", ExamSchool(exam=Exam(district_id=s.district_id), school=s))
    ]


def importable_schools(user, exam: Exam) -> list[School]:
    """Participating schools for which the user may import scores."""
    if exam.status != ExamStatus.DRAFT:
        return []
    schools = [p.school for p in exam.participants.select_related("school").order_by("school__code")]
    return [s for s in schools if may_import(user, exam, s)]


def admin_schools(user, exam: Exam) -> list[School]:
    """Participating schools whose entry the user administers (all of them for district roles)."""
    roles = {g.role for g in grants_for(user)}
    if not roles & ADMIN_ROLES:
        return []
    schools = [p.school for p in exam.participants.select_related("school").order_by("school__code")]
    return [s for s in schools if may_import(user, exam, s)]


def entry_pairs(user, exam: Exam, school: School | None = None) -> dict[int, set[int]] | None:
    """{class id: {exam subject ids}} the user may enter as a teacher (their 任课 in the exam's term), or None
    when the user administers the entry of ``school`` (every class and subject)."""
    if school is not None and school in admin_schools(user, exam):
        return None
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return {}
    by_subject = dict(exam.subjects.values_list("subject_id", "pk"))
    classes = ExamStudent.objects.filter(exam=exam).values("klass_id")
    pairs: dict[int, set[int]] = {}
    for klass_id, subject_id in TeachingAssignment.objects.filter(
        teacher_id=person_id, term_id=exam.term_id, klass_id__in=classes, subject_id__in=list(by_subject)
    ).values_list("klass_id", "subject_id"):
        pairs.setdefault(klass_id, set()).add(by_subject[subject_id])
    return pairs


def class_progress(exam: Exam, subjects: list[ExamSubject], class_ids=None, school=None) -> list[dict]:
    """Per class: candidates and, per subject, scores entered (marks included) — four queries whatever the size."""
    cands = ExamStudent.objects.filter(exam=exam)
    if school is not None:
        cands = cands.filter(school=school)
    if class_ids is not None:
        cands = cands.filter(klass_id__in=class_ids)
    counts = dict(cands.values_list("klass_id").annotate(n=Count("id")).values_list("klass_id", "n"))
    entered: dict[tuple[int, int], int] = {}
    for klass_id, es_id, n in (
        Score.objects.filter(candidate__in=cands)
        .values_list("candidate__klass_id", "exam_subject_id")
        .annotate(n=Count("id"))
        .values_list("candidate__klass_id", "exam_subject_id", "n")
    ):
        entered[(klass_id, es_id)] = n
    elective = {es.pk for es in subjects if es.elective and exam.combinations}
    combos: dict[tuple[int, int], int] = {}
    if elective:
        for klass_id, combo, n in (
            cands.values_list("klass_id", "combination")
            .annotate(n=Count("id"))
            .values_list("klass_id", "combination", "n")
        ):
            for es in subjects:
                if es.pk in elective and combo and es.subject.name in combo:
                    combos[(klass_id, es.pk)] = combos.get((klass_id, es.pk), 0) + n
    classes = (
        Class.objects.filter(pk__in=list(counts)).select_related("grade", "school").order_by("school__code", "number")
    )
    out = []
    for k in classes:
        cells = []
        for es in subjects:
            total = combos.get((k.pk, es.pk), 0) if es.pk in elective else counts[k.pk]
            done = entered.get((k.pk, es.pk), 0)
            cells.append({"subject": es, "candidates": total, "entered": done, "complete": done >= total})
        out.append({"klass": k, "candidates": counts[k.pk], "cells": cells})
    return out


__all__ = [
    "admin_schools",
    "can_create_any",
    "class_progress",
    "creatable_district_ids",
    "creatable_schools",
    "entry_pairs",
    "exams_visible",
    "get_exam",
    "get_exam_subject",
    "importable_schools",
]
