from ..scope import Grant


def scope_grants_load(*, user) -> list["Grant"]:
    """Load every grant of ``user``: explicit role grants plus those implied by the org tree."""
    from ..models import Class, Guardianship, RoleGrant, StaffPost, Student, TeachingAssignment

    grants: list[Grant] = []
    for rg in RoleGrant.objects.filter(user=user).select_related("grade"):
        grants.append(
            Grant(
                role=rg.role,
                level=rg.level,
                district_id=rg.district_id,
                school_id=rg.school_id,
                grade_id=rg.grade_id,
                klass_id=rg.klass_id,
            )
        )
    person_id = user.person_id
    if not person_id:
        return grants
    staff_schools = set()
    for school_id, district_id in StaffPost.objects.filter(
        person_id=person_id, archived_at__isnull=True, school__archived_at__isnull=True
    ).values_list("school_id", "school__district_id"):
        staff_schools.add(school_id)
        grants.append(Grant("staff", "school", district_id=district_id, school_id=school_id))
    # Teaching roles last only while the person holds a post at that school.
    for klass_id, grade_id, school_id, district_id in Class.objects.filter(
        head_teacher_id=person_id, archived_at__isnull=True, school_id__in=staff_schools
    ).values_list("id", "grade_id", "school_id", "school__district_id"):
        grants.append(Grant("head_teacher", "klass", district_id, school_id, grade_id, klass_id))
    for klass_id, grade_id, school_id, district_id in (
        TeachingAssignment.objects.filter(
            teacher_id=person_id,
            term__is_current=True,
            klass__archived_at__isnull=True,
            klass__school_id__in=staff_schools,
        )
        .values_list("klass_id", "klass__grade_id", "klass__school_id", "klass__school__district_id")
        .distinct()
    ):
        grants.append(Grant("subject_teacher", "klass", district_id, school_id, grade_id, klass_id))
    for sid, klass_id, grade_id, school_id, district_id in Guardianship.objects.filter(
        guardian_id=person_id, student__archived_at__isnull=True
    ).values_list(
        "student_id", "student__klass_id", "student__klass__grade_id", "student__school_id", "student__district_id"
    ):
        grants.append(Grant("guardian", "student", district_id, school_id, grade_id, klass_id, sid))
    for sid, klass_id, grade_id, school_id, district_id in Student.objects.filter(
        person_id=person_id, archived_at__isnull=True
    ).values_list("id", "klass_id", "klass__grade_id", "school_id", "district_id"):
        grants.append(Grant("student", "student", district_id, school_id, grade_id, klass_id, sid))
    return grants
