"""学籍 reads: timelines, the transfer inbox, the 控辍保学 watchlist and enrolment / change statistics.

Every read starts from the user's scope (``visible_to``). Transfers add one rule to the student scope: a
school admin (or district admin) of the sending or receiving school sees the transfer, also after the
student has left (``changes_visible_to``).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.models import Grade, Stage, Student, StudentStatus

from .models import ChangeKind, ChangeStatus, RosterChange, admin_nodes


def changes_visible_to(user, action: str = "view"):
    """RosterChange rows ``user`` may see (the rule lives in ``RosterChange.objects.visible_to``)."""
    return RosterChange.objects.visible_to(user, action)


def student_timeline(user, student) -> list[RosterChange]:
    """The student's 学籍异动 visible to ``user``, newest first; each row carries its ``timeline`` list."""
    return list(
        changes_visible_to(user)
        .filter(student=student)
        .select_related("from_school", "to_school", "from_class__grade", "to_class__grade", "requested_by")
        .order_by("-created_at", "-id")
    )


def transfer_inbox(user) -> list[RosterChange]:
    """Transfers waiting for ``user``: as a school admin, requests to their school awaiting acceptance; as a
    district admin, accepted transfers awaiting approval. Oldest first."""
    _districts, schools = admin_nodes(user, "add")
    approve_districts, _ = admin_nodes(user, "approve")
    cond = Q(pk__in=[])
    if schools:
        cond |= Q(status=ChangeStatus.REQUESTED, to_school_id__in=sorted(schools))
    if approve_districts:
        cond |= Q(status=ChangeStatus.ACCEPTED, student__district_id__in=sorted(approve_districts))
    return list(
        changes_visible_to(user)
        .filter(cond, kind=ChangeKind.TRANSFER)
        .select_related(
            "student__person",
            "student__klass__grade",
            "from_school",
            "to_school",
            "from_class__grade",
            "to_class__grade",
        )
        .order_by("created_at", "id")
    )


def dropout_watchlist(user, *, today=None) -> list[dict]:
    """控辍保学: 辍学 students of compulsory education (小学、初中) who have not returned, with days since the
    dropout and the last follow-up; longest first."""
    today = today or timezone.localdate()
    changes = (
        changes_visible_to(user)
        .filter(
            kind=ChangeKind.DROPOUT,
            status=ChangeStatus.DONE,
            student__status=StudentStatus.DROPPED,
            student__klass__grade__stage__in=(Stage.PRIMARY, Stage.JUNIOR),
        )
        .select_related("student__person", "student__school", "student__klass__grade")
        .order_by("student_id", "-created_at", "-id")
    )
    rows, seen = [], set()
    for ch in changes:
        if ch.student_id in seen:
            continue  # the latest dropout record per student
        seen.add(ch.student_id)
        if any(e.get("action") == "returned" for e in ch.timeline):
            continue
        follow_ups = [e for e in ch.timeline if e.get("action") == "follow_up"]
        since = ch.effective_on or timezone.localdate(ch.created_at)
        rows.append(
            {
                "change": ch,
                "student": ch.student,
                "school": ch.student.school,
                "klass": ch.student.klass,
                "dropped_on": since,
                "days": (today - since).days,
                "follow_ups": len(follow_ups),
                "last_follow_up": follow_ups[-1] if follow_ups else None,
            }
        )
    rows.sort(key=lambda r: (-r["days"], r["student"].pk))
    return rows


def _count(qs, *fields) -> list[dict]:
    return list(qs.values(*fields).annotate(n=Count("pk")).order_by(*fields))


def enrolment_stats(user, *, school=None) -> dict:
    """在读 students visible to ``user`` by school, grade, class, 性别, 民族, 随迁子女 and 留守儿童."""
    qs = Student.objects.visible_to(user).filter(status=StudentStatus.ENROLLED, archived_at__isnull=True)
    if school is not None:
        qs = qs.filter(school=school)
    by_grade = []
    for row in _count(qs, "klass__grade_id", "klass__grade__stage", "klass__grade__entry_year", "school_id"):
        g = Grade(
            pk=row["klass__grade_id"], stage=row["klass__grade__stage"], entry_year=row["klass__grade__entry_year"]
        )
        by_grade.append(
            {
                "grade_id": g.pk,
                "school_id": row["school_id"],
                "label": g.label(),
                "cohort": g.cohort_name,
                "n": row["n"],
            }
        )
    return {
        "total": qs.count(),
        "by_school": [
            {"school_id": r["school_id"], "name": r["school__name"], "n": r["n"]}
            for r in _count(qs, "school_id", "school__name")
        ],
        "by_grade": by_grade,
        "by_class": [
            {"class_id": r["klass_id"], "grade_id": r["klass__grade_id"], "number": r["klass__number"], "n": r["n"]}
            for r in _count(qs, "klass_id", "klass__grade_id", "klass__number")
        ],
        "by_gender": {r["person__gender"]: r["n"] for r in _count(qs, "person__gender")},
        "by_ethnicity": {r["person__ethnicity"] or "": r["n"] for r in _count(qs, "person__ethnicity")},
        "migrant_child": qs.filter(profile__migrant_child=True).count(),
        "left_behind": qs.filter(profile__isnull=False).exclude(profile__left_behind="0").count(),
        "without_profile": qs.filter(profile__isnull=True).count(),
    }


def change_stats(user, *, school=None, year: int | None = None) -> dict:
    """RosterChange rows visible to ``user`` (created in ``year`` if given) by kind and by month; with a
    ``school``: the changes of its students and the transfers from or to it."""
    qs = changes_visible_to(user)
    if school is not None:
        qs = qs.filter(Q(student__school=school) | Q(from_school=school) | Q(to_school=school))
    if year is not None:
        qs = qs.filter(created_at__year=year)
    by_kind = {r["kind"]: r["n"] for r in _count(qs, "kind")}
    by_kind_month = []
    for r in qs.annotate(month=TruncMonth("created_at")).values("month", "kind").annotate(n=Count("pk")):
        by_kind_month.append({"month": r["month"].strftime("%Y-%m"), "kind": r["kind"], "n": r["n"]})
    by_kind_month.sort(key=lambda r: (r["month"], r["kind"]))
    by_month: dict[str, int] = {}
    for r in by_kind_month:
        by_month[r["month"]] = by_month.get(r["month"], 0) + r["n"]
    return {
        "total": sum(by_kind.values()),
        "by_kind": by_kind,
        "by_kind_label": {str(ChangeKind(k).label): n for k, n in by_kind.items()},
        "by_month": by_month,
        "by_kind_month": by_kind_month,
    }
