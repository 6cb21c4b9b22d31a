"""Data scopes: exactly which rows each role sees, ``can`` on saved and unsaved objects, deny by default,
and how scope follows the org tree (current term, removed assignments, archived posts, 交流教师)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from core import idcard, services
from core.audit import audit_record
from core.models import (
    AuditLog,
    Class,
    Grade,
    Guardianship,
    Person,
    School,
    StaffPost,
    Student,
    TeachingAssignment,
    Term,
    User,
)
from core.scope import can, can_any, grants_for, roles_of
from core.testing import make_person, make_user


def fresh(user):
    """A new instance of ``user``: grants are cached per user object (per request)."""
    return User.objects.get(pk=user.pk)


def named(w):
    """Every row of the test world under a readable name."""
    gs = {
        "g_parent1_a1": Guardianship.objects.get(guardian=w.parent1_person, student=w.student_a1),
        "g_parent1_b1": Guardianship.objects.get(guardian=w.parent1_person, student=w.student_b1),
        "g_parent2_a2": Guardianship.objects.get(guardian=w.parent2_person, student=w.student_a2),
    }
    persons = {
        "dadmin": w.district_admin.person,
        "auditor": w.auditor.person,
        "principal_a": w.principal_a,
        "principal_b": w.principal_b,
        "head_a1": w.head_a1,
        "head_a2": w.head_a2,
        "math_a": w.math_a,
        "math_b": w.math_b,
        "student_a1": w.student_a1.person,
        "student_a1b": w.student_a1b.person,
        "student_a2": w.student_a2.person,
        "student_b1": w.student_b1.person,
        "parent1": w.parent1_person,
        "parent2": w.parent2_person,
    }
    return {
        Student: {n: getattr(w, n) for n in ["student_a1", "student_a1b", "student_a2", "student_b1"]},
        Class: {n: getattr(w, n) for n in ["class_a1", "class_a2", "class_b1"]},
        School: {n: getattr(w, n) for n in ["school_a", "school_b"]},
        Grade: {n: getattr(w, n) for n in ["grade_a", "grade_b"]},
        # staff posts are named after their holder
        StaffPost: {
            n: StaffPost.objects.get(person=persons[n])
            for n in ["principal_a", "principal_b", "head_a1", "head_a2", "math_a", "math_b"]
        },
        Guardianship: gs,
        Person: persons,
        TeachingAssignment: {
            "ta_a1_math": TeachingAssignment.objects.get(klass=w.class_a1),
            "ta_b1_math": TeachingAssignment.objects.get(klass=w.class_b1),
        },
    }


def visible_names(model, user, names, action="view"):
    by_pk = {obj.pk: name for name, obj in names[model].items()}
    pks = set(model.objects.visible_to(user, action).values_list("pk", flat=True))
    unknown = pks - set(by_pk)
    assert not unknown, f"{model.__name__}: rows outside the world visible: {unknown}"
    return {by_pk[pk] for pk in pks}


A_STUDENTS = {"student_a1", "student_a1b", "student_a2"}
ALL_STUDENTS = A_STUDENTS | {"student_b1"}
A_STAFF = {"principal_a", "head_a1", "head_a2", "math_a"}
B_STAFF = {"principal_b", "math_b"}
NOTHING = {
    Student: set(),
    Class: set(),
    School: set(),
    Grade: set(),
    StaffPost: set(),
    Guardianship: set(),
    TeachingAssignment: set(),
}

EXPECTED = {
    "district_admin": {
        Student: ALL_STUDENTS,
        Class: {"class_a1", "class_a2", "class_b1"},
        School: {"school_a", "school_b"},
        Grade: {"grade_a", "grade_b"},
        StaffPost: A_STAFF | B_STAFF,
        Guardianship: {"g_parent1_a1", "g_parent1_b1", "g_parent2_a2"},
        TeachingAssignment: {"ta_a1_math", "ta_b1_math"},
        Person: ALL_STUDENTS | A_STAFF | B_STAFF | {"parent1", "parent2", "dadmin"},
    },
    "auditor": {
        **NOTHING,
        School: {"school_a", "school_b"},
        Person: {"auditor"},
    },
    "school_admin_a": {
        Student: A_STUDENTS,
        Class: {"class_a1", "class_a2"},
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: A_STAFF,
        Guardianship: {"g_parent1_a1", "g_parent2_a2"},
        TeachingAssignment: {"ta_a1_math"},
        Person: A_STUDENTS | A_STAFF | {"parent1", "parent2"},
    },
    "school_admin_b": {
        Student: {"student_b1"},
        Class: {"class_b1"},
        School: {"school_b"},
        Grade: {"grade_b"},
        StaffPost: B_STAFF,
        Guardianship: {"g_parent1_b1"},
        TeachingAssignment: {"ta_b1_math"},
        Person: {"student_b1", "parent1"} | B_STAFF,
    },
    "head_teacher_a1": {
        Student: {"student_a1", "student_a1b"},
        Class: {"class_a1", "class_a2"},  # class_a2 through the school's staff directory
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: A_STAFF,
        Guardianship: {"g_parent1_a1"},
        TeachingAssignment: {"ta_a1_math"},
        Person: {"student_a1", "student_a1b", "parent1"} | A_STAFF,
    },
    "head_teacher_a2": {
        Student: {"student_a2"},
        Class: {"class_a1", "class_a2"},
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: A_STAFF,
        Guardianship: {"g_parent2_a2"},
        TeachingAssignment: {"ta_a1_math"},
        Person: {"student_a2", "parent2"} | A_STAFF,
    },
    "teacher_a": {
        Student: {"student_a1", "student_a1b"},  # the class taught this term
        Class: {"class_a1", "class_a2"},
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: A_STAFF,
        Guardianship: set(),  # subject teachers do not see families
        TeachingAssignment: {"ta_a1_math"},
        Person: {"student_a1", "student_a1b"} | A_STAFF,
    },
    "teacher_b": {
        Student: {"student_b1"},
        Class: {"class_b1"},
        School: {"school_b"},
        Grade: {"grade_b"},
        StaffPost: B_STAFF,
        Guardianship: set(),
        TeachingAssignment: {"ta_b1_math"},
        Person: {"student_b1"} | B_STAFF,
    },
    "parent1": {  # children in both schools (多子女跨校)
        Student: {"student_a1", "student_b1"},
        Class: {"class_a1", "class_b1"},
        School: {"school_a", "school_b"},
        Grade: {"grade_a", "grade_b"},
        StaffPost: set(),
        Guardianship: {"g_parent1_a1", "g_parent1_b1"},
        TeachingAssignment: {"ta_a1_math", "ta_b1_math"},
        Person: {"student_a1", "student_b1", "parent1"},
    },
    "parent2": {
        Student: {"student_a2"},
        Class: {"class_a2"},
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: set(),
        Guardianship: {"g_parent2_a2"},
        TeachingAssignment: set(),
        Person: {"student_a2", "parent2"},
    },
    "student_user_a1": {
        Student: {"student_a1"},
        Class: {"class_a1"},
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: set(),
        Guardianship: set(),
        TeachingAssignment: {"ta_a1_math"},
        Person: {"student_a1"},
    },
    "student_user_a2": {
        Student: {"student_a2"},
        Class: {"class_a2"},
        School: {"school_a"},
        Grade: {"grade_a"},
        StaffPost: set(),
        Guardianship: set(),
        TeachingAssignment: set(),
        Person: {"student_a2"},
    },
    "student_user_b1": {
        Student: {"student_b1"},
        Class: {"class_b1"},
        School: {"school_b"},
        Grade: {"grade_b"},
        StaffPost: set(),
        Guardianship: set(),
        TeachingAssignment: {"ta_b1_math"},
        Person: {"student_b1"},
    },
}

MODELS = [Student, Class, School, Grade, StaffPost, Guardianship, TeachingAssignment, Person]


def visible_world(user, names):
    return {m: visible_names(m, user, names) for m in MODELS}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_its_rows(world, role):
    names = named(world)
    expected = {m: EXPECTED[role].get(m, set()) for m in MODELS}
    assert visible_world(getattr(world, role), names) == expected


@pytest.mark.django_db
def test_roles_of_world_users(world):
    assert roles_of(world.district_admin) == {"district_admin"}
    assert roles_of(world.auditor) == {"auditor"}
    assert roles_of(world.school_admin_a) == {"school_admin", "staff"}
    assert roles_of(world.head_teacher_a1) == {"staff", "head_teacher"}
    assert roles_of(world.teacher_a) == {"staff", "subject_teacher"}
    assert roles_of(world.parent1) == {"guardian"}
    assert len([g for g in grants_for(world.parent1) if g.role == "guardian"]) == 2
    assert roles_of(world.student_user_a1) == {"student"}


# --- audit log visibility ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_log_visibility_by_role(world):
    mine = {}
    services.class_update(actor=world.school_admin_a, klass=world.class_a1, alias="实验班")
    mine["school_a"] = AuditLog.objects.get(action="class.update", object_id=str(world.class_a1.pk)).pk
    services.class_update(actor=world.school_admin_b, klass=world.class_b1, alias="国际班")
    mine["school_b"] = AuditLog.objects.get(action="class.update", object_id=str(world.class_b1.pk)).pk
    services.term_make_current(actor=world.district_admin, term=world.term)
    mine["district"] = AuditLog.objects.get(action="term.make_current").pk
    mine["nowhere"] = audit_record(actor=None, action="login_failed", object_type="core.user", result="denied").pk
    by_pk = {v: k for k, v in mine.items()}

    def seen(user):
        rows = list(AuditLog.objects.visible_to(user))
        return rows, {by_pk[r.pk] for r in rows if r.pk in by_pk}

    district = world.district.pk
    for role in ["district_admin", "auditor"]:
        rows, names = seen(getattr(world, role))
        # district readers see the whole district plus platform rows (failed logins for unknown names)
        assert names == {"district", "school_a", "school_b", "nowhere"}, role
        assert {r.district_id for r in rows} <= {district, None}
        assert len(rows) == AuditLog.objects.count()
    rows, names = seen(world.school_admin_a)
    assert names == {"school_a"}
    assert {r.school_id for r in rows} == {world.school_a.pk}
    rows, names = seen(world.school_admin_b)
    assert names == {"school_b"}
    assert {r.school_id for r in rows} == {world.school_b.pk}
    for role in ["head_teacher_a1", "teacher_a", "teacher_b", "parent1", "parent2", "student_user_a1"]:
        assert seen(getattr(world, role))[0] == [], role
    # only district-level readers may export
    assert AuditLog.objects.visible_to(world.auditor, "export").count() == AuditLog.objects.count()
    assert not AuditLog.objects.visible_to(world.school_admin_a, "export").exists()


@pytest.mark.django_db
def test_auditor_sees_reveal_of_personal_data(world):
    """Who looked at a full 身份证号 is the core of the audit; the 审计管理员 must be able to see those rows."""
    services.person_reveal(actor=world.district_admin, person=world.student_a1.person, field="id_number")
    services.person_update(actor=world.school_admin_a, person=world.student_a1.person, phone="13900139000")
    visible = set(AuditLog.objects.visible_to(world.auditor).values_list("action", flat=True))
    assert "person.reveal" in visible
    assert "person.update" in visible
    # and the school's own admin sees changes to the school's people
    assert "person.update" in set(AuditLog.objects.visible_to(world.school_admin_a).values_list("action", flat=True))


# --- can() -------------------------------------------------------------------------------------------


def build(w, name):
    """Saved world objects by attribute name, or unsaved objects for "add" checks."""
    unsaved = {
        "new_class_in_a": lambda: Class(school=w.school_a, grade=w.grade_a, number=9),
        "new_class_in_b": lambda: Class(school=w.school_b, grade=w.grade_b, number=9),
        "new_school": lambda: School(district=w.district, code="3133000099", name="新学校", school_type="junior"),
        "new_grade_in_a": lambda: Grade(school=w.school_a, stage="junior", entry_year=2020),
        "new_staffpost_in_a": lambda: StaffPost(school=w.school_a, post="teacher"),
        "new_staffpost_in_b": lambda: StaffPost(school=w.school_b, post="teacher"),
        "new_student_in_a1": lambda: Student(district=w.district, school=w.school_a, klass=w.class_a1),
        "new_student_in_b1": lambda: Student(district=w.district, school=w.school_b, klass=w.class_b1),
        "new_guardianship_a1": lambda: Guardianship(student=w.student_a1, relation="2"),
        "new_guardianship_a2": lambda: Guardianship(student=w.student_a2, relation="2"),
        "g_parent1_a1": lambda: Guardianship.objects.get(guardian=w.parent1_person, student=w.student_a1),
        "g_parent2_a2": lambda: Guardianship.objects.get(guardian=w.parent2_person, student=w.student_a2),
        "ta_a1": lambda: TeachingAssignment.objects.get(klass=w.class_a1),
        "term": lambda: w.term,
        "district": lambda: w.district,
    }
    if name in unsaved:
        return unsaved[name]()
    return getattr(w, name)


CAN_CASES = [
    # district admin: everything in the district
    ("district_admin", "archive", "student_b1", True),
    ("district_admin", "reveal", "student_b1", True),
    ("district_admin", "archive", "school_b", True),
    ("district_admin", "add", "new_school", True),
    ("district_admin", "add", "new_class_in_b", True),
    ("district_admin", "change", "term", True),
    # auditor: reads the audit log and the school list, nothing else
    ("auditor", "view", "school_a", True),
    ("auditor", "change", "school_a", False),
    ("auditor", "view", "student_a1", False),
    ("auditor", "reveal", "student_a1", False),
    ("auditor", "add", "new_school", False),
    ("auditor", "view", "class_a1", False),
    # school admin A: school A only
    ("school_admin_a", "view", "student_a1", True),
    ("school_admin_a", "change", "student_a1", True),
    ("school_admin_a", "archive", "student_a1", True),
    ("school_admin_a", "reveal", "student_a1", True),
    ("school_admin_a", "view", "student_b1", False),
    ("school_admin_a", "change", "student_b1", False),
    ("school_admin_a", "reveal", "student_b1", False),
    ("school_admin_a", "archive", "class_a1", True),
    ("school_admin_a", "archive", "class_b1", False),
    ("school_admin_a", "change", "school_a", True),
    ("school_admin_a", "archive", "school_a", False),
    ("school_admin_a", "change", "school_b", False),
    ("school_admin_a", "view", "school_b", False),
    ("school_admin_a", "add", "new_class_in_a", True),
    ("school_admin_a", "add", "new_class_in_b", False),
    ("school_admin_a", "add", "new_school", False),
    ("school_admin_a", "add", "new_grade_in_a", True),
    ("school_admin_a", "add", "new_staffpost_in_a", True),
    ("school_admin_a", "add", "new_staffpost_in_b", False),
    ("school_admin_a", "add", "new_student_in_a1", True),
    ("school_admin_a", "add", "new_student_in_b1", False),
    ("school_admin_a", "view", "term", True),
    ("school_admin_a", "change", "term", False),
    ("school_admin_a", "view", "district", True),
    ("school_admin_a", "change", "district", False),
    # school admin B mirrors A
    ("school_admin_b", "view", "student_a1", False),
    ("school_admin_b", "change", "class_a1", False),
    ("school_admin_b", "add", "new_class_in_a", False),
    ("school_admin_b", "add", "new_class_in_b", True),
    # 班主任 of class A1
    ("head_teacher_a1", "view", "student_a1", True),
    ("head_teacher_a1", "change", "student_a1", True),
    ("head_teacher_a1", "archive", "student_a1", False),
    ("head_teacher_a1", "reveal", "student_a1", False),
    ("head_teacher_a1", "view", "student_a2", False),
    ("head_teacher_a1", "change", "student_a2", False),
    ("head_teacher_a1", "view", "class_a2", True),
    ("head_teacher_a1", "change", "class_a1", False),
    ("head_teacher_a1", "add", "new_guardianship_a1", True),
    ("head_teacher_a1", "add", "new_guardianship_a2", False),
    ("head_teacher_a1", "archive", "g_parent1_a1", True),
    ("head_teacher_a1", "view", "g_parent2_a2", False),
    ("head_teacher_a1", "add", "new_student_in_a1", False),
    ("head_teacher_a1", "add", "new_class_in_a", False),
    # 任课教师
    ("teacher_a", "view", "student_a1", True),
    ("teacher_a", "change", "student_a1", False),
    ("teacher_a", "view", "student_a2", False),
    ("teacher_a", "view", "g_parent1_a1", False),
    ("teacher_a", "view", "ta_a1", True),
    ("teacher_a", "change", "ta_a1", False),
    ("teacher_b", "view", "student_a1", False),
    ("teacher_b", "view", "class_a1", False),
    # 家长
    ("parent1", "view", "student_a1", True),
    ("parent1", "view", "student_b1", True),
    ("parent1", "change", "student_b1", False),
    ("parent1", "reveal", "student_b1", False),
    ("parent1", "view", "student_a1b", False),
    ("parent1", "view", "student_a2", False),
    ("parent1", "view", "class_a1", True),
    ("parent1", "view", "class_a2", False),
    ("parent1", "view", "g_parent2_a2", False),
    ("parent1", "add", "new_guardianship_a1", False),
    ("parent2", "view", "student_a1", False),
    ("parent2", "view", "school_b", False),
    # 学生
    ("student_user_a1", "view", "student_a1", True),
    ("student_user_a1", "view", "student_a1b", False),
    ("student_user_a1", "change", "student_a1", False),
    ("student_user_a1", "view", "class_a1", True),
    ("student_user_a1", "view", "class_a2", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "action", "obj", "expected"), CAN_CASES, ids=[f"{r}-{a}-{o}" for r, a, o, _ in CAN_CASES]
)
def test_can(world, role, action, obj, expected):
    assert can(getattr(world, role), action, build(world, obj)) is expected


@pytest.mark.django_db
def test_can_agrees_with_visible_to(world):
    """For every saved object and user, can(view) is True exactly when the row is in visible_to(view)."""
    names = named(world)
    for role in EXPECTED:
        user = getattr(world, role)
        for model in [Student, Class, School, StaffPost, Guardianship, TeachingAssignment]:
            visible = set(model.objects.visible_to(user).values_list("pk", flat=True))
            for obj in names[model].values():
                assert can(user, "view", obj) is (obj.pk in visible), (role, model.__name__, obj.pk)


@pytest.mark.django_db
def test_can_any_for_menus(world):
    assert can_any(world.school_admin_a, "add", Class)
    assert not can_any(world.teacher_a, "add", Class)
    assert can_any(world.auditor, "view", AuditLog)
    assert not can_any(world.head_teacher_a1, "view", AuditLog)
    assert can_any(world.head_teacher_a1, "add", Guardianship)


# --- deny by default ---------------------------------------------------------------------------------


def assert_sees_nothing(user, world, *, own_person=None):
    """No row of any scoped model, no audit row, every ``can`` False; Person: at most ``own_person``."""
    names = named(world)
    seen = {m: visible_names(m, user, names) for m in MODELS if m is not Person}
    assert seen == {m: set() for m in MODELS if m is not Person}
    expected_persons = [own_person.pk] if own_person is not None else []
    assert list(Person.objects.visible_to(user).values_list("pk", flat=True)) == expected_persons
    assert not AuditLog.objects.visible_to(user).exists()
    for obj in [world.student_a1, world.student_b1, world.class_a1, world.school_a, world.district]:
        for action in ["view", "change", "archive", "reveal", "add", "export"]:
            assert can(user, action, obj) is False
    assert can(user, "add", Class(school=world.school_a, grade=world.grade_a, number=9)) is False
    assert not can_any(user, "view", Student)


@pytest.mark.django_db
def test_user_without_grants_or_person_sees_nothing(world):
    nobody = User.objects.create_user("nobody", password="Zhixiao@2026")
    assert grants_for(nobody) == []
    assert_sees_nothing(nobody, world)


@pytest.mark.django_db
def test_user_whose_person_has_no_links_sees_only_own_person(world):
    p = make_person("无关人员", born=dt.date(1990, 1, 1))
    user = make_user(p, "unlinked")
    assert_sees_nothing(user, world, own_person=p)


@pytest.mark.django_db
def test_anonymous_and_none_see_nothing(world):
    assert_sees_nothing(AnonymousUser(), world)
    assert not Person.objects.visible_to(AnonymousUser()).exists()
    assert grants_for(None) == []
    assert not Student.objects.visible_to(None).exists()
    assert not Person.objects.visible_to(None).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["district_admin", "school_admin_a", "head_teacher_a1", "parent1", "student_user_a1"])
def test_inactive_user_sees_no_scoped_rows(world, role):
    user = getattr(world, role)
    user.is_active = False
    user.save()
    user = fresh(user)
    assert grants_for(user) == []
    assert_sees_nothing(user, world)  # not even their own Person record


@pytest.mark.django_db
def test_inactive_user_does_not_see_even_own_person(world):
    """Deny by default: a deactivated account sees nothing at all, its own Person record included."""
    user = world.parent1
    user.is_active = False
    user.save()
    assert not Person.objects.visible_to(fresh(user)).exists()


@pytest.mark.django_db
def test_second_district_is_invisible_to_first_district_admin(world):
    from core.models import Region

    other = services.district_create(actor=None, region=Region.objects.get(code="330203"), name="海曙区教育局")
    school = School.objects.create(district=other, code="3133000077", name="海曙中学", school_type="junior")
    assert not School.objects.visible_to(world.district_admin).filter(pk=school.pk).exists()
    assert can(world.district_admin, "view", school) is False
    assert can(world.district_admin, "add", Class(school=school, grade_id=None, number=1)) is False
    assert not Term.objects.visible_to(world.district_admin).filter(district=other).exists()


# --- scope follows the org tree ---------------------------------------------------------------------


@pytest.mark.django_db
def test_subject_teacher_loses_students_when_term_is_no_longer_current(world):
    assert can(world.teacher_a, "view", world.student_a1)
    other_term = (
        Term.objects.filter(district=world.district)
        .exclude(pk=world.term.pk)
        .get(academic_year=world.term.academic_year)
    )
    services.term_make_current(actor=world.district_admin, term=other_term)
    teacher = fresh(world.teacher_a)
    assert "subject_teacher" not in roles_of(teacher)
    assert not Student.objects.visible_to(teacher).exists()
    assert can(teacher, "view", world.student_a1) is False
    # still a member of staff: the school's classes stay visible
    assert set(Class.objects.visible_to(teacher)) == {world.class_a1, world.class_a2}
    # and the switch back restores access
    services.term_make_current(actor=world.district_admin, term=world.term)
    assert can(fresh(world.teacher_a), "view", world.student_a1)


@pytest.mark.django_db
def test_subject_teacher_loses_students_when_assignment_removed(world):
    ta = TeachingAssignment.objects.get(klass=world.class_a1, subject=world.math)
    services.teaching_assignment_remove(actor=world.school_admin_a, assignment=ta)
    teacher = fresh(world.teacher_a)
    assert not TeachingAssignment.objects.filter(pk=ta.pk).exists()
    assert not Student.objects.visible_to(teacher).exists()
    assert set(Person.objects.visible_to(teacher)) == {world.principal_a, world.head_a1, world.head_a2, world.math_a}


@pytest.mark.django_db
def test_subject_teacher_gains_students_of_a_newly_assigned_class(world):
    assert can(world.teacher_a, "view", world.student_a2) is False
    services.teaching_assignment_set(
        actor=world.school_admin_a, klass=world.class_a2, subject=world.math, teacher=world.math_a, periods_per_week=5
    )
    assert can(fresh(world.teacher_a), "view", world.student_a2) is True


@pytest.mark.django_db
def test_archived_staff_post_removes_staff_scope(world):
    post = services.staff_post_create(
        actor=world.school_admin_a,
        school=world.school_a,
        person_data={"name": "新老师", "gender": "2", "id_number": idcard.make("330211", dt.date(1990, 1, 1), 2)},
    )
    user = post.person.user
    user.set_password("Zhixiao@2026")
    user.save()
    names = named(world)
    names[StaffPost]["new"] = post
    names[Person]["new"] = post.person
    assert visible_names(StaffPost, fresh(user), names) == A_STAFF | {"new"}
    assert visible_names(School, fresh(user), names) == {"school_a"}
    assert visible_names(Class, fresh(user), names) == {"class_a1", "class_a2"}

    services.staff_post_archive(actor=world.school_admin_a, staff_post=post)
    user = fresh(user)
    assert roles_of(user) == set()
    assert visible_names(StaffPost, user, names) == set()
    assert visible_names(School, user, names) == set()
    assert visible_names(Class, user, names) == set()
    assert visible_names(Person, user, names) == {"new"}


@pytest.mark.django_db
def test_archived_school_removes_staff_scope(world):
    school = services.school_create(
        actor=world.district_admin, district=world.district, code="3133000055", name="新建中学", school_type="junior"
    )
    p = make_person("新校教师", born=dt.date(1991, 1, 1))
    StaffPost.objects.create(person=p, school=school)
    user = make_user(p, "newschool_teacher")
    assert set(School.objects.visible_to(user)) == {school}
    services.school_archive(actor=world.district_admin, school=school)
    assert not School.objects.visible_to(fresh(user)).exists()


@pytest.mark.django_db
def test_teacher_who_left_the_school_no_longer_sees_its_students(world):
    """A subject teacher / 班主任 whose only post at the school is archived (调离) keeps no student access."""
    services.staff_post_archive(actor=world.school_admin_a, staff_post=StaffPost.objects.get(person=world.math_a))
    services.staff_post_archive(actor=world.school_admin_a, staff_post=StaffPost.objects.get(person=world.head_a1))
    teacher = fresh(world.teacher_a)
    head = fresh(world.head_teacher_a1)
    assert not StaffPost.objects.visible_to(teacher).exists()
    assert not Student.objects.visible_to(teacher).exists()
    assert not Student.objects.visible_to(head).exists()
    assert not Guardianship.objects.visible_to(head).exists()
    assert can(head, "change", world.student_a1) is False


@pytest.mark.django_db
def test_exchange_teacher_with_posts_at_two_schools_sees_both_directories(world):
    names = named(world)
    before = visible_names(StaffPost, world.teacher_a, names)
    assert before == A_STAFF
    b_post = services.staff_post_create(
        actor=world.school_admin_b, school=world.school_b, person=world.math_a, is_primary=False
    )
    names[StaffPost]["math_a@b"] = b_post
    teacher = fresh(world.teacher_a)
    assert visible_names(StaffPost, teacher, names) == A_STAFF | B_STAFF | {"math_a@b"}
    assert visible_names(School, teacher, names) == {"school_a", "school_b"}
    assert visible_names(Class, teacher, names) == {"class_a1", "class_a2", "class_b1"}
    # a staff post gives the directory, not the students: still only the class taught
    assert visible_names(Student, teacher, names) == {"student_a1", "student_a1b"}
    # both schools' admins see the exchange teacher as their staff
    assert StaffPost.objects.visible_to(world.school_admin_b).filter(person=world.math_a).exists()
    assert StaffPost.objects.visible_to(world.school_admin_a).filter(person=world.math_a).exists()


@pytest.mark.django_db
def test_head_teacher_scope_moves_with_the_class(world):
    services.class_update(actor=world.school_admin_a, klass=world.class_a1, head_teacher=world.math_a)
    old = fresh(world.head_teacher_a1)
    new = fresh(world.teacher_a)
    assert can(old, "view", world.student_a1) is False
    assert not Guardianship.objects.visible_to(old).exists()
    assert can(new, "change", world.student_a1) is True
    assert Guardianship.objects.visible_to(new).count() == 1


@pytest.mark.django_db
def test_grade_leader_sees_the_grade_read_only(world):
    services.role_grant_create(
        actor=world.school_admin_a, user=world.head_teacher_a2, role="grade_leader", grade=world.grade_a
    )
    leader = fresh(world.head_teacher_a2)
    names = named(world)
    assert visible_names(Student, leader, names) == A_STUDENTS
    assert visible_names(Guardianship, leader, names) == {"g_parent1_a1", "g_parent2_a2"}
    assert can(leader, "change", world.student_a1) is False  # read-only outside own class
    assert can(leader, "change", world.student_a2) is True  # still 班主任 of class A2
    assert can(leader, "view", world.student_b1) is False


@pytest.mark.django_db
def test_parent_loses_access_when_unbound(world):
    g = Guardianship.objects.get(guardian=world.parent1_person, student=world.student_a1)
    services.guardianship_unbind(actor=world.head_teacher_a1, guardianship=g)
    assert not Guardianship.objects.filter(pk=g.pk).exists()
    parent = fresh(world.parent1)
    assert set(Student.objects.visible_to(parent)) == {world.student_b1}
    assert can(parent, "view", world.class_a1) is False
    assert can(parent, "view", world.class_b1) is True


@pytest.mark.django_db
def test_archived_student_grants_nothing(world):
    Student.objects.filter(pk=world.student_a2.pk).update(archived_at=timezone.now())
    assert not Student.objects.visible_to(fresh(world.parent2)).exists()
    assert not Student.objects.visible_to(fresh(world.student_user_a2)).exists()
