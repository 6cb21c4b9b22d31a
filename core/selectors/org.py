"""Reads for the org-tree pages. Every query starts from the user's scope."""

from django.db.models import Count, Q

from ..models import Campus, Class, Grade, Guardianship, StaffPost, Student, TeachingAssignment


def school_detail_load(*, user, school) -> dict:
    grades = sorted(
        Grade.objects.visible_to(user)
        .filter(school=school, archived_at__isnull=True)
        .annotate(
            n_classes=Count("classes", filter=Q(classes__archived_at__isnull=True), distinct=True),
            n_students=Count("classes__students", filter=Q(classes__students__status="enrolled"), distinct=True),
        ),
        key=lambda g: g.sort_key,
    )
    staff = (
        StaffPost.objects.visible_to(user)
        .filter(school=school, archived_at__isnull=True)
        .select_related("person", "main_subject")
        .order_by("post", "person__name")
    )
    return {
        "school": school,
        "campuses": Campus.objects.visible_to(user).filter(school=school, archived_at__isnull=True),
        "grades": grades,
        "staff_count": staff.count(),
        "staff_leaders": list(staff.exclude(post__in=["teacher", "staff"])[:10]),
        "student_count": Student.objects.visible_to(user).filter(school=school, status="enrolled").count(),
    }


def class_detail_load(*, user, klass) -> dict:
    students = (
        Student.objects.visible_to(user)
        .filter(klass=klass, archived_at__isnull=True)
        .select_related("person")
        .order_by("class_no", "id")
    )
    assignments = (
        TeachingAssignment.objects.visible_to(user)
        .filter(klass=klass, term__is_current=True)
        .select_related("teacher", "subject")
        .order_by("subject__sort_order")
    )
    guardians = {}
    for g in Guardianship.objects.visible_to(user).filter(student__klass=klass).select_related("guardian"):
        guardians.setdefault(g.student_id, []).append(g)
    return {
        "klass": klass,
        "students": [(s, guardians.get(s.pk, [])) for s in students],
        "assignments": assignments,
        "class_size": len(students),
    }


def classes_taught_load(*, user) -> dict:
    """A teacher's classes: as 班主任 and as subject teacher in the current term."""
    person_id = user.person_id
    if not person_id:
        return {"head_of": [], "teaching": []}
    head_of = (
        Class.objects.visible_to(user)
        .filter(head_teacher_id=person_id, archived_at__isnull=True)
        .select_related("school", "grade")
        .annotate(n=Count("students", filter=Q(students__status="enrolled")))
    )
    teaching = (
        TeachingAssignment.objects.visible_to(user)
        .filter(teacher_id=person_id, term__is_current=True)
        .select_related("klass__school", "klass__grade", "subject")
        .order_by("klass__school_id", "klass__grade__entry_year", "klass__number")
    )
    return {"head_of": list(head_of), "teaching": list(teaching)}
