"""OneRoster 1.2 CSV (bulk) export: a zip of manifest.csv, orgs, academicSessions, courses, classes,
users, roles and enrollments, for the students (and their classes, teachers and guardians) the user may
export.

Decisions:
- sourcedIds are UUIDv5 of our primary keys under a fixed namespace ("person:12", "class:3" …), so they are
  stable across exports of the same installation. Users are keyed by Person (一人一号): a teacher who is
  also a parent is ONE user with two roles (roles.csv, new in OneRoster 1.2).
- Names: OneRoster splits given/family names; Chinese names are written surname-first without a space.
  ``givenName`` carries the FULL name (姓名, as consumers that greet by givenName should show it) and
  ``familyName`` the surname (first character, or the first two for common compound surnames 欧阳, 司马 …).
- No personal identifiers: identifier, userIds, email, sms, phone, password and demographics are left out.
  Every cell passes through core's ID/phone redaction as a last guard.
- Courses: one per grade cohort and school ("七年级"), classes are ``homeroom`` classes pointing at it.
- Teachers: from current-term TeachingAssignments (primary=false) and class head teachers (primary=true),
  only where the user may export teaching assignments / classes. Guardians: Guardianship rows the user
  may export, for the exported students.
- status and dateLastModified are left empty, as bulk files allow.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections import defaultdict

from core.audit import audit_record
from core.models import (
    STAGE_YEARS,
    AcademicYear,
    Class,
    Guardianship,
    Stage,
    Student,
    StudentStatus,
    TeachingAssignment,
    Term,
    academic_start_year,
)
from core.security.logging import redact_text

from .common import pk_of, require_export

AUDIT_ACTION = "roster.export_oneroster"
NAMESPACE = uuid.UUID("6f1c2a4e-9d1b-5c3e-8a7f-2b4d6e8f0a1c")  # fixed forever: changing it changes every id

HEADERS = {
    "orgs.csv": ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    "academicSessions.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    "courses.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ],
    "classes.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    "users.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "resourceSourcedIds",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ],
    "roles.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ],
    "enrollments.csv": [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
}
# Every OneRoster 1.2 CSV file; the ones we do not write are declared "absent" in the manifest.
ALL_FILES = [
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
]
COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "澹台", "百里", "呼延", "万俟", "申屠", "闻人", "钟离",
}  # fmt: skip
GRADE_OFFSET = {Stage.PRIMARY: 0, Stage.JUNIOR: 6, Stage.SENIOR: 9}


def sourced_id(kind: str, pk) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def split_name(name: str) -> tuple[str, str]:
    """(givenName, familyName) for a Chinese name: the full name and the surname."""
    name = (name or "").strip()
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return name, surname


def grade_code(grade, start_year: int) -> str:
    """CEDS grade level (01–12) of a cohort this school year; empty before entry or after graduation."""
    n = grade.year_in_stage(start_year)
    if n < 1 or n > STAGE_YEARS[grade.stage]:
        return ""
    return f"{GRADE_OFFSET[grade.stage] + n:02d}"


def _csv(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([redact_text(str(v)) if v not in (None, "") else "" for v in row])
    return buf.getvalue().encode("utf-8")


def _blank():
    return ["", ""]  # status, dateLastModified (bulk)


def oneroster_zip(user, *, school=None) -> bytes:
    """OneRoster 1.2 CSV zip of what ``user`` may export (optionally one school). PermissionDenied without
    any student export grant; an out-of-scope school gives files with headers only. One audit row."""
    require_export(user)
    school_pk = pk_of(school)
    start_year = academic_start_year()

    students_qs = Student.objects.visible_to(user, "export").filter(
        status=StudentStatus.ENROLLED, archived_at__isnull=True
    )
    classes_qs = Class.objects.visible_to(user, "export").filter(archived_at__isnull=True)
    if school_pk is not None:
        students_qs = students_qs.filter(school_id=school_pk)
        classes_qs = classes_qs.filter(school_id=school_pk)
    students = list(students_qs.select_related("person__user", "klass").order_by("klass_id", "class_no", "id"))
    exportable_class_ids = set(classes_qs.values_list("pk", flat=True))
    class_ids = exportable_class_ids | {s.klass_id for s in students}
    classes = list(
        Class.objects.filter(pk__in=class_ids)
        .select_related("school__district__region", "grade", "head_teacher__user")
        .order_by("school__code", "grade__stage", "-grade__entry_year", "number")
    )
    schools = sorted({c.school for c in classes}, key=lambda s: s.code)
    district_ids = {s.district_id for s in schools}
    districts = sorted({s.district for s in schools}, key=lambda d: d.pk)

    # --- academic sessions: the current school year and its terms -------------------------------
    current_terms = Term.objects.filter(district_id__in=district_ids, is_current=True)
    years = list(AcademicYear.objects.filter(pk__in=current_terms.values("academic_year_id")).order_by("district_id"))
    terms = list(Term.objects.filter(academic_year__in=years).order_by("academic_year_id", "number"))
    terms_by_district = defaultdict(list)
    for t in terms:
        terms_by_district[t.district_id].append(sourced_id("term", t.pk))
    year_by_district = {y.district_id: y for y in years}

    # --- people --------------------------------------------------------------------------------
    users: dict[int, dict] = {}

    def user_entry(person):
        entry = users.get(person.pk)
        if entry is None:
            account = getattr(person, "user", None)
            entry = users[person.pk] = {
                "person": person,
                "account": account,
                "roles": [],  # (role, org sourcedId)
                "agents": set(),
                "grades": set(),
            }
        return entry

    def add_role(entry, role, org_sid):
        if (role, org_sid) not in entry["roles"]:
            entry["roles"].append((role, org_sid))

    enrollments: dict[str, list] = {}
    class_by_id = {c.pk: c for c in classes}

    def enrol(klass, person, role, primary):
        key = sourced_id("enrollment", f"{role}:{klass.pk}:{person.pk}")
        row = enrollments.get(key)
        if row is not None:
            if primary:
                row[7] = "true"
            return
        enrollments[key] = [
            key,
            *_blank(),
            sourced_id("class", klass.pk),
            sourced_id("school", klass.school_id),
            sourced_id("person", person.pk),
            role,
            "true" if primary else "false",
            "",
            "",
        ]

    student_sid = {}
    for s in students:
        klass = class_by_id[s.klass_id]
        entry = user_entry(s.person)
        add_role(entry, "student", sourced_id("school", s.school_id))
        code = grade_code(klass.grade, start_year)
        if code:
            entry["grades"].add(code)
        student_sid[s.pk] = sourced_id("person", s.person_id)
        enrol(klass, s.person, "student", False)

    # Head teachers of classes the user may export (primary teacher of the homeroom class).
    for c in classes:
        if c.pk in exportable_class_ids and c.head_teacher_id:
            add_role(user_entry(c.head_teacher), "teacher", sourced_id("school", c.school_id))
            enrol(c, c.head_teacher, "teacher", True)
    # Subject teachers of the current term.
    assignments = (
        TeachingAssignment.objects.visible_to(user, "export")
        .filter(term__is_current=True, klass_id__in=class_ids)
        .select_related("teacher__user")
        .order_by("klass_id", "subject_id", "id")
    )
    for ta in assignments:
        klass = class_by_id[ta.klass_id]
        add_role(user_entry(ta.teacher), "teacher", sourced_id("school", klass.school_id))
        enrol(klass, ta.teacher, "teacher", False)
    # Guardians of the exported students.
    guardianships = (
        Guardianship.objects.visible_to(user, "export")
        .filter(student_id__in=list(student_sid))
        .select_related("guardian__user", "student")
        .order_by("student_id", "-is_primary_contact", "id")
    )
    for g in guardianships:
        entry = user_entry(g.guardian)
        add_role(entry, "guardian", sourced_id("school", g.student.school_id))
        entry["agents"].add(student_sid[g.student_id])
        users[g.student.person_id]["agents"].add(sourced_id("person", g.guardian_id))

    # --- rows ----------------------------------------------------------------------------------
    orgs = []
    for d in districts:
        orgs.append([sourced_id("district", d.pk), *_blank(), d.name, "district", d.region.code, ""])
    for s in schools:
        orgs.append(
            [sourced_id("school", s.pk), *_blank(), s.name, "school", s.code, sourced_id("district", s.district_id)]
        )

    sessions = []
    for y in years:
        year_sid = sourced_id("academic_year", y.pk)
        sessions.append(
            [
                year_sid,
                *_blank(),
                str(y),
                "schoolYear",
                y.start_date.isoformat(),
                y.end_date.isoformat(),
                "",
                str(y.start_year + 1),
            ]
        )
    for t in terms:
        year = t.academic_year
        sessions.append(
            [
                sourced_id("term", t.pk),
                *_blank(),
                str(t),
                "semester",
                t.start_date.isoformat(),
                t.end_date.isoformat(),
                sourced_id("academic_year", year.pk),
                str(year.start_year + 1),
            ]
        )

    courses, class_rows = {}, []
    for c in classes:
        grade = c.grade
        code = grade_code(grade, start_year)
        course_sid = sourced_id("course", grade.pk)
        year = year_by_district.get(c.school.district_id)
        if course_sid not in courses:
            courses[course_sid] = [
                course_sid,
                *_blank(),
                sourced_id("academic_year", year.pk) if year else "",
                f"{grade.label(start_year)}（{grade.cohort_name}）",
                f"{c.school.code}-{grade.stage}-{grade.entry_year}",
                code,
                sourced_id("school", c.school_id),
                "",
                "",
            ]
        class_rows.append(
            [
                sourced_id("class", c.pk),
                *_blank(),
                f"{grade.label(start_year)}（{c.number}）班",
                code,
                course_sid,
                f"{c.school.code}-{grade.entry_year}-{c.number:02d}",
                "homeroom",
                "",
                sourced_id("school", c.school_id),
                ",".join(terms_by_district.get(c.school.district_id, [])),
                "",
                "",
                "",
            ]
        )

    user_rows, role_rows = [], []
    for entry in sorted(users.values(), key=lambda e: e["person"].pk):
        person, account = entry["person"], entry["account"]
        sid = sourced_id("person", person.pk)
        given, family = split_name(person.name)
        user_rows.append(
            [
                sid,
                *_blank(),
                "true" if account is not None and account.is_active else "false",
                account.username if account is not None else "",
                "",
                given,
                family,
                "",
                "",  # identifier: never the ID number
                "",
                "",
                "",
                ",".join(sorted(entry["agents"])),
                ",".join(sorted(entry["grades"])),
                "",
                "",
                "",
                "",
                "",
                "",
                entry["roles"][0][1],
                "",
            ]
        )
        for i, (role, org_sid) in enumerate(entry["roles"]):
            role_rows.append(
                [
                    sourced_id("role", f"{person.pk}:{role}:{org_sid}"),
                    *_blank(),
                    sid,
                    "primary" if i == 0 else "secondary",
                    role,
                    "",
                    "",
                    org_sid,
                    "",
                ]
            )

    data = {
        "orgs.csv": orgs,
        "academicSessions.csv": sessions,
        "courses.csv": list(courses.values()),
        "classes.csv": class_rows,
        "users.csv": user_rows,
        "roles.csv": role_rows,
        "enrollments.csv": list(enrollments.values()),
    }
    written = {name.removesuffix(".csv") for name in data}
    manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    manifest += [[f"file.{f}", "bulk" if f in written else "absent"] for f in ALL_FILES]
    manifest += [["source.systemName", "智校 Zhixiao"], ["source.systemCode", "zhixiao"]]

    counts = {name.removesuffix(".csv"): len(rows) for name, rows in data.items()}
    audit_record(
        actor=user,
        action=AUDIT_ACTION,
        object_type="core.student",
        object_repr=f"OneRoster 导出（{counts['users']} 用户，{len(students)} 学生）",
        changes={"filters": {"school": school_pk} if school_pk is not None else {}, "counts": counts},
        school_id=school_pk,
    )

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        for name, rows in data.items():
            zf.writestr(name, _csv(HEADERS[name], rows))
    return buf.getvalue()


__all__ = ["HEADERS", "oneroster_zip", "sourced_id", "split_name"]
