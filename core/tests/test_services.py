"""Services: each write checks scope, validates, writes what it says and exactly one audit row."""

import datetime as dt

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.test import Client
from django.utils.http import urlsafe_base64_decode

from core import idcard, services
from core.models import (
    AuditLog,
    Campus,
    Class,
    Grade,
    Guardianship,
    Person,
    PersonalAccessToken,
    Region,
    RoleGrant,
    School,
    StaffPost,
    Student,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from core.scope import can
from core.testing import unused_id_number

COUNTED = [School, Campus, Grade, Class, Person, User, StaffPost, Student, Guardianship, TeachingAssignment, RoleGrant]


def counts():
    return {m.__name__: m.objects.count() for m in [*COUNTED, AuditLog]}


def new_id(seq: int, born=dt.date(1975, 7, 7)) -> str:
    """A valid 身份证号 that the world does not use (odd seq = male)."""
    return idcard.make("330211", born, seq)


def last_audit():
    return AuditLog.objects.order_by("-id").first()


def fresh(user):
    return User.objects.get(pk=user.pk)


def error_fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


# --- schools -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_school_create_writes_school_main_campus_and_audit_row(world):
    before = counts()
    school = services.school_create(
        actor=world.district_admin,
        district=world.district,
        code="3133000099",
        name="镇海区新城中学",
        school_type="junior",
    )
    school.refresh_from_db()
    assert (school.code, school.name, school.school_type, school.district_id) == (
        "3133000099",
        "镇海区新城中学",
        "junior",
        world.district.pk,
    )
    assert list(school.campuses.values_list("name", "is_main")) == [("本部", True)]
    row = last_audit()
    assert row.action == "school.create"
    assert row.object_id == str(school.pk)
    assert row.actor_id == world.district_admin.pk
    assert (row.district_id, row.school_id) == (world.district.pk, school.pk)
    assert row.changes["code"] == [None, "3133000099"]
    assert row.changes["name"] == [None, "镇海区新城中学"]
    after = counts()
    assert after["School"] == before["School"] + 1
    assert after["AuditLog"] == before["AuditLog"] + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "school_type", "message"),
    [
        ("2133000099", "junior", "前两位应为办学类型代码 31"),  # primary prefix on a junior school
        ("3433000099", "junior", "前两位应为办学类型代码 31"),
        ("3111000099", "junior", "第 3–4 位应为省份代码 33"),  # Beijing province digits in Zhejiang
        ("313300009", "junior", "必须是 10 位数字"),  # 9 digits
        ("31330000990", "junior", "必须是 10 位数字"),
        ("31330000A9", "junior", "必须是 10 位数字"),
        ("3133000099", "primary", "前两位应为办学类型代码 21"),
    ],
)
def test_school_create_rejects_bad_codes_and_writes_nothing(world, code, school_type, message):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.school_create(
            actor=world.district_admin, district=world.district, code=code, name="坏代码学校", school_type=school_type
        )
    assert error_fields(exc) == {"code"}
    assert any(message in m for m in exc.value.message_dict["code"])
    assert counts() == before
    assert not School.objects.filter(name="坏代码学校").exists()


@pytest.mark.django_db
def test_school_create_duplicate_code_is_a_validation_error(world):
    before = counts()
    with pytest.raises(ValidationError):
        services.school_create(
            actor=world.district_admin,
            district=world.district,
            code="3133000001",
            name="重复代码",
            school_type="junior",
        )
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["school_admin_a", "auditor", "head_teacher_a1", "parent1"])
def test_only_district_admin_creates_schools(world, role):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.school_create(
            actor=getattr(world, role),
            district=world.district,
            code="3133000099",
            name="越权学校",
            school_type="junior",
        )
    assert counts() == before


@pytest.mark.django_db
def test_school_update_by_school_admin_and_code_check(world):
    delta = services.school_update(actor=world.school_admin_a, school=world.school_a, address="镇海区骆驼街道")
    assert delta == {"address": ["", "镇海区骆驼街道"]}
    world.school_a.refresh_from_db()
    assert world.school_a.address == "镇海区骆驼街道"
    assert last_audit().action == "school.update"
    with pytest.raises(ValidationError) as exc:
        services.school_update(actor=world.school_admin_a, school=world.school_a, code="2133000001")
    assert error_fields(exc) == {"code"}
    world.school_a.refresh_from_db()
    assert world.school_a.code == "3133000001"
    with pytest.raises(PermissionDenied):
        services.school_update(actor=world.school_admin_a, school=world.school_b, address="越权")
    world.school_b.refresh_from_db()
    assert world.school_b.address == ""


@pytest.mark.django_db
def test_school_admin_cannot_move_school_to_another_district(world):
    """Scope checks must stop a school admin re-parenting their school out of the district admin's reach."""
    other = services.district_create(actor=None, region=Region.objects.get(code="330203"), name="海曙区教育局")
    with pytest.raises((PermissionDenied, ValidationError)):
        services.school_update(actor=world.school_admin_a, school=world.school_a, district=other)
    assert School.objects.get(pk=world.school_a.pk).district_id == world.district.pk


@pytest.mark.django_db
def test_school_archive_refused_while_students_enrolled(world):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.school_archive(actor=world.district_admin, school=world.school_a)
    assert "在读学生" in exc.value.messages[0]
    world.school_a.refresh_from_db()
    assert world.school_a.archived_at is None
    assert counts() == before


@pytest.mark.django_db
def test_school_archive_of_empty_school(world):
    school = services.school_create(
        actor=world.district_admin, district=world.district, code="2133000088", name="待撤并小学", school_type="primary"
    )
    with pytest.raises(PermissionDenied):
        services.school_archive(actor=world.school_admin_a, school=school)
    services.school_archive(actor=world.district_admin, school=school)
    school.refresh_from_db()
    assert school.archived_at is not None
    assert last_audit().action == "school.archive"
    # archiving twice writes nothing more
    n = AuditLog.objects.count()
    services.school_archive(actor=world.district_admin, school=school)
    assert AuditLog.objects.count() == n


# --- grades and classes ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_grade_create_refuses_stage_the_school_does_not_have(world):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.grade_create(actor=world.school_admin_b, school=world.school_b, stage="senior", entry_year=2025)
    assert error_fields(exc) == {"stage"}
    assert "没有该学段" in exc.value.message_dict["stage"][0]
    assert counts() == before


@pytest.mark.django_db
def test_grade_create(world):
    year = world.term.academic_year.start_year
    grade = services.grade_create(
        actor=world.school_admin_a, school=world.school_a, stage="junior", entry_year=year - 1
    )
    assert grade.label(year) == "八年级"
    row = last_audit()
    assert (row.action, row.object_id, row.school_id) == ("grade.create", str(grade.pk), world.school_a.pk)
    with pytest.raises(ValidationError):  # same cohort twice
        services.grade_create(actor=world.school_admin_a, school=world.school_a, stage="junior", entry_year=year - 1)
    with pytest.raises(PermissionDenied):
        services.grade_create(actor=world.school_admin_b, school=world.school_a, stage="junior", entry_year=year - 2)
    assert Grade.objects.filter(school=world.school_a).count() == 2


@pytest.mark.django_db
def test_grade_archive_refused_while_students_enrolled(world):
    with pytest.raises(ValidationError):
        services.grade_archive(actor=world.school_admin_a, grade=world.grade_a)
    world.grade_a.refresh_from_db()
    assert world.grade_a.archived_at is None


@pytest.mark.django_db
def test_class_create(world):
    klass = services.class_create(actor=world.school_admin_a, grade=world.grade_a, number=3, head_teacher=world.math_a)
    klass.refresh_from_db()
    assert (klass.school_id, klass.grade_id, klass.number, klass.head_teacher_id) == (
        world.school_a.pk,
        world.grade_a.pk,
        3,
        world.math_a.pk,
    )
    row = last_audit()
    assert row.action == "class.create"
    assert row.changes["head_teacher"] == [None, world.math_a.pk]
    assert row.changes["number"] == [None, 3]
    # the new 班主任 now has the class in scope
    assert can(fresh(world.teacher_a), "change", Student(school=world.school_a, klass=klass))


@pytest.mark.django_db
def test_class_create_duplicate_number_in_grade(world):
    before = counts()
    with pytest.raises(ValidationError):
        services.class_create(actor=world.school_admin_a, grade=world.grade_a, number=1)
    assert counts() == before


@pytest.mark.django_db
def test_class_create_head_teacher_must_be_on_staff_of_that_school(world):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.class_create(actor=world.school_admin_a, grade=world.grade_a, number=3, head_teacher=world.math_b)
    assert error_fields(exc) == {"head_teacher"}
    assert counts() == before


@pytest.mark.django_db
def test_class_create_campus_must_belong_to_the_school(world):
    campus_b = Campus.objects.create(school=world.school_b, name="骆驼本部")
    with pytest.raises(ValidationError) as exc:
        services.class_create(actor=world.school_admin_a, grade=world.grade_a, number=3, campus=campus_b)
    assert error_fields(exc) == {"campus"}
    assert not Class.objects.filter(grade=world.grade_a, number=3).exists()


@pytest.mark.django_db
def test_class_create_in_other_school_is_denied_and_writes_nothing(world):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.class_create(actor=world.school_admin_b, grade=world.grade_a, number=3)
    with pytest.raises(PermissionDenied):
        services.class_create(actor=world.head_teacher_a1, grade=world.grade_a, number=3)
    assert counts() == before


@pytest.mark.django_db
def test_class_update_moves_head_teacher_with_before_after_ids(world):
    delta = services.class_update(actor=world.school_admin_a, klass=world.class_a1, head_teacher=world.head_a2)
    assert delta == {"head_teacher": [world.head_a1.pk, world.head_a2.pk]}
    assert Class.objects.get(pk=world.class_a1.pk).head_teacher_id == world.head_a2.pk
    row = last_audit()
    assert row.action == "class.update"
    assert row.object_id == str(world.class_a1.pk)
    assert row.changes == {"head_teacher": [world.head_a1.pk, world.head_a2.pk]}
    assert (row.district_id, row.school_id) == (world.district.pk, world.school_a.pk)


@pytest.mark.django_db
def test_class_update_without_change_writes_no_audit_row(world):
    n = AuditLog.objects.count()
    assert services.class_update(actor=world.school_admin_a, klass=world.class_a1, head_teacher=world.head_a1) == {}
    assert AuditLog.objects.count() == n


@pytest.mark.django_db
def test_class_update_refuses_head_teacher_from_other_school_and_other_admin(world):
    with pytest.raises(ValidationError):
        services.class_update(actor=world.school_admin_a, klass=world.class_a1, head_teacher=world.math_b)
    with pytest.raises(PermissionDenied):
        services.class_update(actor=world.school_admin_b, klass=world.class_a1, alias="越权")
    with pytest.raises((PermissionDenied, ValidationError)):  # moving the class out of one's own scope
        services.class_update(actor=world.school_admin_a, klass=world.class_a2, school=world.school_b)
    fresh_class = Class.objects.get(pk=world.class_a1.pk)
    assert (fresh_class.head_teacher_id, fresh_class.alias) == (world.head_a1.pk, "")
    assert Class.objects.get(pk=world.class_a2.pk).school_id == world.school_a.pk


@pytest.mark.django_db
def test_class_cannot_be_put_into_a_grade_of_another_school(world):
    """A class of school A under school B's grade would leak school A's students into school B's grade scope."""
    with pytest.raises((ValidationError, PermissionDenied)):
        services.class_update(actor=world.school_admin_a, klass=world.class_a2, grade=world.grade_b)
    assert Class.objects.get(pk=world.class_a2.pk).grade_id == world.grade_a.pk


@pytest.mark.django_db
def test_class_cannot_be_moved_to_another_school_leaving_its_grade_behind(world):
    with pytest.raises((ValidationError, PermissionDenied)):
        services.class_update(actor=world.district_admin, klass=world.class_a2, school=world.school_b)
    assert Class.objects.get(pk=world.class_a2.pk).school_id == world.school_a.pk


@pytest.mark.django_db
def test_class_archive_refused_while_students_enrolled(world):
    with pytest.raises(ValidationError):
        services.class_archive(actor=world.school_admin_a, klass=world.class_a1)
    empty = services.class_create(actor=world.school_admin_a, grade=world.grade_a, number=5)
    services.class_archive(actor=world.school_admin_a, klass=empty)
    empty.refresh_from_db()
    assert empty.archived_at is not None
    assert last_audit().action == "class.archive"


# --- teaching assignments ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_teaching_assignment_set_replaces_the_teacher(world):
    old = TeachingAssignment.objects.get(klass=world.class_a1, subject=world.math, term=world.term)
    n = AuditLog.objects.count()
    ta = services.teaching_assignment_set(
        actor=world.school_admin_a, klass=world.class_a1, subject=world.math, teacher=world.head_a1, periods_per_week=4
    )
    assert ta.pk == old.pk
    rows = TeachingAssignment.objects.filter(klass=world.class_a1, subject=world.math, term=world.term)
    assert [(r.teacher_id, r.periods_per_week) for r in rows] == [(world.head_a1.pk, 4)]
    assert AuditLog.objects.count() == n + 1
    row = last_audit()
    assert row.action == "teachingassignment.update"
    assert row.changes == {"teacher": [world.math_a.pk, world.head_a1.pk], "periods_per_week": [5, 4]}
    # the old teacher no longer teaches the class, the new one does
    assert can(fresh(world.teacher_a), "view", world.student_a1) is False
    assert can(fresh(world.head_teacher_a1), "view", world.student_a1) is True


@pytest.mark.django_db
def test_teaching_assignment_set_creates_in_current_term(world):
    ta = services.teaching_assignment_set(
        actor=world.school_admin_a,
        klass=world.class_a2,
        subject=world.chinese,
        teacher=world.head_a2,
        periods_per_week=6,
    )
    assert ta.term_id == world.term.pk
    row = last_audit()
    assert (row.action, row.object_id) == ("teachingassignment.create", str(ta.pk))
    assert row.changes["teacher"] == [None, world.head_a2.pk]


@pytest.mark.django_db
def test_teaching_assignment_set_validation_and_scope(world):
    before = counts()
    with pytest.raises(ValidationError) as exc:  # not on the staff of school A
        services.teaching_assignment_set(
            actor=world.school_admin_a, klass=world.class_a1, subject=world.math, teacher=world.math_b
        )
    assert error_fields(exc) == {"teacher"}
    Subject.objects.filter(pk=world.chinese.pk).update(is_active=False)
    world.chinese.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.teaching_assignment_set(
            actor=world.school_admin_a, klass=world.class_a1, subject=world.chinese, teacher=world.head_a1
        )
    assert error_fields(exc) == {"subject"}
    with pytest.raises(PermissionDenied):
        services.teaching_assignment_set(
            actor=world.school_admin_b, klass=world.class_a1, subject=world.math, teacher=world.head_a1
        )
    with pytest.raises(PermissionDenied):
        services.teaching_assignment_set(
            actor=world.teacher_a, klass=world.class_a1, subject=world.math, teacher=world.head_a1
        )
    assert counts() == before
    assert TeachingAssignment.objects.get(klass=world.class_a1, subject=world.math).teacher_id == world.math_a.pk


@pytest.mark.django_db
def test_teaching_assignment_remove(world):
    ta = TeachingAssignment.objects.get(klass=world.class_a1)
    with pytest.raises(PermissionDenied):
        services.teaching_assignment_remove(actor=world.school_admin_b, assignment=ta)
    services.teaching_assignment_remove(actor=world.school_admin_a, assignment=ta)
    assert not TeachingAssignment.objects.filter(pk=ta.pk).exists()
    row = last_audit()
    assert row.action == "teachingassignment.delete"
    assert row.changes["teacher"] == [world.math_a.pk, None]


# --- people ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_student_create_with_new_person(world):
    number = new_id(11, dt.date(2013, 3, 3))
    before = counts()
    student = services.student_create(
        actor=world.school_admin_a,
        klass=world.class_a2,
        student_no="L2026000001",
        class_no=2,
        person_data={"name": " 钱小多 ", "id_number": number.lower()},
    )
    student.refresh_from_db()
    p = student.person
    assert (p.name, p.id_number, p.gender, p.birth_date) == ("钱小多", number, "1", dt.date(2013, 3, 3))
    assert (student.school_id, student.district_id, student.klass_id) == (
        world.school_a.pk,
        world.district.pk,
        world.class_a2.pk,
    )
    assert User.objects.filter(person=p).exists()  # an account, not yet usable
    assert not User.objects.get(person=p).has_usable_password()
    after = counts()
    assert (after["Student"], after["Person"], after["AuditLog"]) == (
        before["Student"] + 1,
        before["Person"] + 1,
        before["AuditLog"] + 1,
    )
    assert last_audit().action == "student.create"
    assert can(fresh(world.head_teacher_a2), "view", student)


@pytest.mark.django_db
def test_student_create_denied_writes_nothing(world):
    before = counts()
    for actor in [world.head_teacher_a1, world.school_admin_b, world.parent1]:
        with pytest.raises(PermissionDenied):
            services.student_create(
                actor=actor,
                klass=world.class_a1,
                student_no="L2026000002",
                person_data={"name": "越权", "id_number": new_id(13)},
            )
    assert counts() == before


@pytest.mark.django_db
def test_person_build_rejects_gender_that_contradicts_id_number():
    with pytest.raises(ValidationError) as exc:
        services.person_build(name="张三", gender="2", id_number=new_id(15))  # odd sequence: male
    assert error_fields(exc) == {"gender"}
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_person_id_check_normalises_lower_case_x():
    assert services.person_id_check(id_type="1", id_number=" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.django_db
def test_staff_post_create_reuses_person_found_by_id_number(world):
    before = counts()
    post = services.staff_post_create(
        actor=world.school_admin_b,
        school=world.school_b,
        person_data={"name": "陈老师", "id_number": world.math_a.id_number},
        is_primary=False,
    )
    assert post.person_id == world.math_a.pk  # 一人一号: the exchange teacher is one person
    after = counts()
    assert after["Person"] == before["Person"]
    assert after["StaffPost"] == before["StaffPost"] + 1
    assert last_audit().action == "staffpost.create"
    with pytest.raises(ValidationError):
        services.staff_post_create(actor=world.school_admin_b, school=world.school_b, person=world.math_a)
    with pytest.raises(PermissionDenied):
        services.staff_post_create(actor=world.school_admin_a, school=world.school_b, person=world.math_a, post="staff")


@pytest.mark.django_db
def test_guardianship_bind_existing_person_found_by_id_number(world):
    before = counts()
    g = services.guardianship_bind(
        actor=world.head_teacher_a1,
        student=world.student_a1b,
        relation="1",
        guardian_data={"name": "周建国", "id_number": world.parent1_person.id_number},
    )
    assert g.guardian_id == world.parent1_person.pk
    after = counts()
    assert after["Person"] == before["Person"]  # 一人一号: no duplicate person
    assert after["User"] == before["User"]
    assert after["Guardianship"] == before["Guardianship"] + 1
    assert after["AuditLog"] == before["AuditLog"] + 1
    row = last_audit()
    assert (row.action, row.object_id, row.school_id) == ("guardianship.create", str(g.pk), world.school_a.pk)
    # the parent now sees the second child
    assert can(fresh(world.parent1), "view", world.student_a1b)


@pytest.mark.django_db
def test_guardianship_bind_existing_person_found_by_phone(world):
    g = services.guardianship_bind(
        actor=world.head_teacher_a1,
        student=world.student_a1b,
        relation="2",
        guardian_data={"name": "郑芳", "phone": "13800138002"},
    )
    assert g.guardian_id == world.parent2_person.pk


@pytest.mark.django_db
def test_guardianship_bind_new_person(world):
    number = new_id(20, dt.date(1986, 6, 6))
    before = counts()
    g = services.guardianship_bind(
        actor=world.head_teacher_a1,
        student=world.student_a1b,
        relation="2",
        guardian_data={"name": "吴妈妈", "id_number": number, "phone": "13900139001"},
        is_primary_contact=True,
    )
    p = Person.objects.get(pk=g.guardian_id)
    assert (p.name, p.id_number, p.phone, p.gender) == ("吴妈妈", number, "13900139001", "2")
    after = counts()
    assert after["Person"] == before["Person"] + 1
    assert after["User"] == before["User"] + 1
    assert after["Guardianship"] == before["Guardianship"] + 1
    assert Guardianship.objects.get(pk=g.pk).is_primary_contact is True
    # the new parent's account sees the child
    assert can(User.objects.get(person=p), "view", world.student_a1b)


@pytest.mark.django_db
def test_guardianship_bind_twice_is_an_error(world):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.guardianship_bind(
            actor=world.head_teacher_a1, student=world.student_a1, relation="1", guardian=world.parent1_person
        )
    assert error_fields(exc) == {"guardian"}
    with pytest.raises(ValidationError):  # also when the parent is found by ID number
        services.guardianship_bind(
            actor=world.head_teacher_a1,
            student=world.student_a1,
            relation="1",
            guardian_data={"name": "周建国", "id_number": world.parent1_person.id_number},
        )
    assert counts() == before


@pytest.mark.django_db
def test_guardianship_bind_refusals(world):
    before = counts()
    with pytest.raises(ValidationError):  # a student is not their own guardian
        services.guardianship_bind(
            actor=world.head_teacher_a1, student=world.student_a1, relation="9", guardian=world.student_a1.person
        )
    with pytest.raises(ValidationError) as exc:  # bad ID number of a new parent: nothing created
        services.guardianship_bind(
            actor=world.head_teacher_a1,
            student=world.student_a1,
            relation="2",
            guardian_data={"name": "错号", "id_number": "110105194912310021"},
        )
    assert error_fields(exc) == {"id_number"}
    with pytest.raises(PermissionDenied):  # another class
        services.guardianship_bind(
            actor=world.head_teacher_a1, student=world.student_a2, relation="1", guardian=world.parent1_person
        )
    with pytest.raises(PermissionDenied):  # subject teachers do not bind families
        services.guardianship_bind(
            actor=world.teacher_a, student=world.student_a1b, relation="1", guardian=world.parent1_person
        )
    assert counts() == before


@pytest.mark.django_db
def test_guardianship_unbind(world):
    g = Guardianship.objects.get(guardian=world.parent1_person, student=world.student_a1)
    with pytest.raises(PermissionDenied):
        services.guardianship_unbind(actor=world.head_teacher_a2, guardianship=g)
    services.guardianship_unbind(actor=world.head_teacher_a1, guardianship=g)
    assert not Guardianship.objects.filter(pk=g.pk).exists()
    assert last_audit().action == "guardianship.delete"
    assert Person.objects.filter(pk=world.parent1_person.pk).exists()  # the person stays


@pytest.mark.django_db
def test_person_update_invalid_id_checksum(world):
    person = world.student_a1.person
    original = person.id_number
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=world.school_admin_a, person=person, id_number="110105194912310021")
    assert error_fields(exc) == {"id_number"}
    assert exc.value.message_dict["id_number"] == ["身份证号校验位错误"]
    assert Person.objects.get(pk=person.pk).id_number == original
    assert counts() == before


@pytest.mark.django_db
def test_person_update_duplicate_id_number(world):
    person = world.student_a1.person
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=world.school_admin_a, person=person, id_number=world.parent1_person.id_number)
    assert error_fields(exc) == {"id_number"}
    assert "一人一号" in exc.value.message_dict["id_number"][0]
    assert Person.objects.get(pk=person.pk).id_number != world.parent1_person.id_number


@pytest.mark.django_db
def test_person_update_keeps_own_id_number_and_changes_others(world):
    person = world.student_a1.person
    number = person.id_number
    delta = services.person_update(actor=world.school_admin_a, person=person, id_number=number, name="周晓明")
    assert delta == {"name": ["周小明", "周晓明"]}
    assert Person.objects.get(pk=person.pk).name == "周晓明"
    row = last_audit()
    assert (row.action, row.changes) == ("person.update", {"name": ["周小明", "周晓明"]})


@pytest.mark.django_db
def test_person_update_new_id_number_masked_in_audit(world):
    person = world.student_a1.person
    old = person.id_number
    number = unused_id_number(person.birth_date)
    services.person_update(actor=world.school_admin_a, person=person, id_number=number)
    assert Person.objects.get(pk=person.pk).id_number == number
    assert services.person_find(id_number=number) == person
    assert services.person_find(id_number=old) is None
    assert last_audit().changes == {
        "id_number": [old[:6] + "********" + old[-4:], number[:6] + "********" + number[-4:]]
    }


@pytest.mark.django_db
def test_person_update_scope_and_field_whitelist(world):
    with pytest.raises(PermissionDenied):
        services.person_update(actor=world.school_admin_b, person=world.student_a1.person, name="越权")
    with pytest.raises(PermissionDenied):
        services.person_update(actor=world.teacher_a, person=world.student_a1.person, name="越权")
    with pytest.raises(ValidationError):
        services.person_update(actor=world.school_admin_a, person=world.student_a1.person, id_number_index="x")
    assert Person.objects.get(pk=world.student_a1.person.pk).name == "周小明"


@pytest.mark.django_db
def test_person_update_validates_phone_like_person_build(world):
    """person_build refuses a phone that is not 11 digits; editing a person must refuse it too."""
    for phone in ["1380013800", "138001380001", "1380013800a"]:
        with pytest.raises(ValidationError) as exc:
            services.person_build(name="新人", phone=phone)
        assert "phone" in exc.value.message_dict
    n = AuditLog.objects.count()
    for phone in ["1380013800", "138001380001", "1380013800a"]:
        with pytest.raises(ValidationError) as exc:
            services.person_update(actor=world.school_admin_a, person=world.parent2_person, phone=phone)
        assert "phone" in exc.value.message_dict
    assert Person.objects.get(pk=world.parent2_person.pk).phone == "13800138002"
    assert AuditLog.objects.count() == n


@pytest.mark.django_db
def test_person_reveal_by_district_admin_returns_full_value_and_is_audited(world):
    person = world.student_b1.person
    n = AuditLog.objects.count()
    value = services.person_reveal(actor=world.district_admin, person=person, field="id_number")
    assert value == Person.objects.get(pk=person.pk).id_number
    assert len(value) == 18 and idcard.validate(value) is None
    assert AuditLog.objects.count() == n + 1
    row = last_audit()
    assert (row.action, row.result, row.actor_id, row.object_id) == (
        "person.reveal",
        "ok",
        world.district_admin.pk,
        str(person.pk),
    )
    assert row.changes == {"field": "id_number"}
    assert (
        services.person_reveal(actor=world.school_admin_a, person=world.parent1_person, field="phone") == "13800138001"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "student"),
    [
        ("head_teacher_a1", "student_a1"),
        ("teacher_a", "student_a1"),
        ("school_admin_a", "student_b1"),
        ("auditor", "student_a1"),
        ("parent1", "student_a1"),
    ],
)
def test_person_reveal_denied_is_audited(world, role, student):
    actor = getattr(world, role)
    person = getattr(world, student).person
    n = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_reveal(actor=actor, person=person, field="id_number")
    assert AuditLog.objects.count() == n + 1
    row = last_audit()
    assert (row.action, row.result, row.actor_id, row.object_id) == (
        "person.reveal",
        "denied",
        actor.pk,
        str(person.pk),
    )


@pytest.mark.django_db
def test_person_reveal_unknown_field(world):
    with pytest.raises(ValidationError):
        services.person_reveal(actor=world.district_admin, person=world.parent1_person, field="name")


# --- roles and accounts ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_role_grant_create_bumps_session_epoch_and_is_audited(world):
    user = world.head_teacher_a2
    epoch, auth_hash = user.session_epoch, user.get_session_auth_hash()
    grant = services.role_grant_create(actor=world.school_admin_a, user=user, role="grade_leader", grade=world.grade_a)
    assert (grant.district_id, grant.school_id, grant.grade_id, grant.granted_by_id) == (
        world.district.pk,
        world.school_a.pk,
        world.grade_a.pk,
        world.school_admin_a.pk,
    )
    user = fresh(user)
    assert user.session_epoch == epoch + 1
    assert user.get_session_auth_hash() != auth_hash
    row = last_audit()
    assert row.action == "rolegrant.create"
    assert row.changes == {"role": [None, "grade_leader"], "user": [None, user.username]}
    with pytest.raises(ValidationError):  # the same grant twice
        services.role_grant_create(actor=world.school_admin_a, user=user, role="grade_leader", grade=world.grade_a)
    assert RoleGrant.objects.filter(user=user).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "role", "node"),
    [
        ("auditor", "school_admin", "school_a"),  # an auditor may not administer
        ("auditor", "district_admin", "district"),
        ("district_admin", "auditor", "district"),  # an administrator may not audit
        ("school_admin_a", "auditor", "district"),
    ],
)
def test_role_grant_three_officer_separation(world, user, role, node):
    target = getattr(world, user)
    epoch = target.session_epoch
    before = counts()
    kwargs = {{"school_a": "school", "district": "district"}[node]: getattr(world, node)}
    with pytest.raises(ValidationError) as exc:
        services.role_grant_create(actor=world.district_admin, user=target, role=role, **kwargs)
    assert "三员分立" in exc.value.message_dict["role"][0]
    assert counts() == before
    assert fresh(target).session_epoch == epoch


@pytest.mark.django_db
def test_school_admin_cannot_grant_district_roles_or_other_schools(world):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.role_grant_create(
            actor=world.school_admin_a, user=world.teacher_a, role="district_admin", district=world.district
        )
    with pytest.raises(PermissionDenied):
        services.role_grant_create(
            actor=world.school_admin_a, user=world.teacher_a, role="auditor", district=world.district
        )
    with pytest.raises(PermissionDenied):
        services.role_grant_create(
            actor=world.school_admin_a, user=world.teacher_b, role="school_admin", school=world.school_b
        )
    with pytest.raises(PermissionDenied):
        services.role_grant_create(
            actor=world.head_teacher_a1, user=world.teacher_a, role="grade_leader", grade=world.grade_a
        )
    assert counts() == before
    assert fresh(world.teacher_a).session_epoch == 0


@pytest.mark.django_db
def test_district_admin_grants_school_admin(world):
    services.role_grant_create(
        actor=world.district_admin, user=world.teacher_a, role="school_admin", school=world.school_a
    )
    assert can(fresh(world.teacher_a), "change", world.student_a2)


@pytest.mark.django_db
def test_role_grant_revoke(world):
    grant = RoleGrant.objects.get(user=world.school_admin_a)
    with pytest.raises(PermissionDenied):
        services.role_grant_revoke(actor=world.school_admin_b, grant=grant)
    epoch = world.school_admin_a.session_epoch
    services.role_grant_revoke(actor=world.district_admin, grant=grant)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    user = fresh(world.school_admin_a)
    assert user.session_epoch == epoch + 1
    assert can(user, "change", world.student_a1) is False
    assert last_audit().changes == {"role": ["school_admin", None], "user": ["sadmin_a", None]}


def session_user(client):
    """The user an incoming request with this client's session cookie resolves to (AuthenticationMiddleware)."""
    request = HttpRequest()
    request.session = client.session
    return get_user(request)


@pytest.mark.django_db
def test_user_sessions_revoke_invalidates_logged_in_client(world):
    client = Client()
    client.force_login(world.teacher_a)
    other = Client()
    other.force_login(world.teacher_a)
    assert session_user(client).pk == world.teacher_a.pk
    old_hash = world.teacher_a.get_session_auth_hash()
    with pytest.raises(PermissionDenied):
        services.user_sessions_revoke(actor=world.school_admin_b, user=world.teacher_a)
    assert session_user(client).pk == world.teacher_a.pk
    services.user_sessions_revoke(actor=world.school_admin_a, user=world.teacher_a)
    assert fresh(world.teacher_a).get_session_auth_hash() != old_hash
    assert isinstance(session_user(client), AnonymousUser)
    assert isinstance(session_user(other), AnonymousUser)
    row = last_audit()
    assert (row.action, row.object_id, row.actor_id) == (
        "user.sessions_revoke",
        str(world.teacher_a.pk),
        world.school_admin_a.pk,
    )
    # a fresh login works again
    client.force_login(fresh(world.teacher_a))
    assert session_user(client).pk == world.teacher_a.pk


@pytest.mark.django_db
def test_user_can_revoke_own_sessions(world):
    client = Client()
    client.force_login(world.parent1)
    services.user_sessions_revoke(actor=world.parent1, user=world.parent1)
    assert isinstance(session_user(client), AnonymousUser)


@pytest.mark.django_db
def test_user_activation_link_issue(world):
    path = services.user_activation_link_issue(actor=world.school_admin_a, user=world.teacher_a)
    assert path.startswith("/account/activate/")
    uidb64, token = path.rstrip("/").split("/")[-2:]
    assert urlsafe_base64_decode(uidb64).decode() == str(world.teacher_a.pk)
    user = fresh(world.teacher_a)
    assert default_token_generator.check_token(user, token)
    assert not default_token_generator.check_token(world.teacher_b, token)
    row = last_audit()
    assert (row.action, row.actor_id, row.object_repr) == ("user.activation_link", world.school_admin_a.pk, "teacher_a")
    # the link is single-use: setting a password invalidates it
    user.set_password("Zhixiao@2027")
    user.save()
    assert not default_token_generator.check_token(fresh(user), token)


@pytest.mark.django_db
def test_user_activation_link_refused_for_self_and_out_of_scope(world):
    n = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        services.user_activation_link_issue(actor=world.teacher_a, user=world.teacher_a)
    with pytest.raises(PermissionDenied):
        services.user_activation_link_issue(actor=world.school_admin_b, user=world.teacher_a)
    with pytest.raises(PermissionDenied):
        services.user_activation_link_issue(actor=world.school_admin_a, user=world.district_admin)
    with pytest.raises(PermissionDenied):
        services.user_activation_link_issue(actor=world.teacher_a, user=world.student_user_a1)
    assert AuditLog.objects.count() == n


@pytest.mark.django_db
@pytest.mark.parametrize("service", ["activation_link", "deactivate"])
def test_school_admin_cannot_take_over_a_more_privileged_account(world, service):
    """A school admin may reset passwords of their staff, but not of a staff member who is a district admin:
    that would hand the school admin the district admin's powers."""
    services.role_grant_create(
        actor=world.district_admin, user=world.teacher_a, role="district_admin", district=world.district
    )
    target = fresh(world.teacher_a)
    with pytest.raises(PermissionDenied):
        if service == "activation_link":
            services.user_activation_link_issue(actor=world.school_admin_a, user=target)
        else:
            services.user_set_active(actor=world.school_admin_a, user=target, active=False)
    assert fresh(target).is_active


@pytest.mark.django_db
def test_user_set_active(world):
    client = Client()
    client.force_login(world.teacher_a)
    services.user_set_active(actor=world.school_admin_a, user=world.teacher_a, active=False)
    user = fresh(world.teacher_a)
    assert user.is_active is False
    assert isinstance(session_user(client), AnonymousUser)
    assert not Student.objects.visible_to(user).exists()
    assert last_audit().action == "user.deactivate"
    with pytest.raises(PermissionDenied):
        services.user_set_active(actor=world.school_admin_a, user=world.school_admin_a, active=False)
    services.user_set_active(actor=world.school_admin_a, user=user, active=True)
    assert fresh(user).is_active is True
    assert last_audit().action == "user.activate"


@pytest.mark.django_db
def test_api_token_create_stores_only_the_hash(world):
    tok, secret = services.api_token_create(actor=world.teacher_a, name="成绩同步")
    assert secret.startswith("zx_")
    tok.refresh_from_db()
    assert tok.token_hash == PersonalAccessToken.hash(secret)
    assert secret not in {tok.token_hash, tok.token_prefix, tok.name}
    assert tok.is_usable
    row = last_audit()
    assert row.action == "token.create"
    assert secret not in row.payload()
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=world.teacher_b, token=tok)
    assert PersonalAccessToken.objects.get(pk=tok.pk).is_usable
    services.api_token_revoke(actor=world.teacher_a, token=tok)
    assert not PersonalAccessToken.objects.get(pk=tok.pk).is_usable


# --- district calendar -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_district_create_seeds_subjects_and_one_current_term(world):
    assert Subject.objects.filter(district=world.district, name__in=["语文", "数学"]).count() == 2
    assert Term.objects.filter(district=world.district).count() == 2
    assert Term.objects.filter(district=world.district, is_current=True).count() == 1
    assert services.current_term(district_id=world.district.pk) == world.term


@pytest.mark.django_db
def test_term_make_current_only_by_district_admin(world):
    other = Term.objects.filter(district=world.district).exclude(pk=world.term.pk).get()
    with pytest.raises(PermissionDenied):
        services.term_make_current(actor=world.school_admin_a, term=other)
    assert services.current_term(district_id=world.district.pk) == world.term
    services.term_make_current(actor=world.district_admin, term=other)
    assert services.current_term(district_id=world.district.pk) == other
    assert Term.objects.filter(district=world.district, is_current=True).count() == 1
    assert last_audit().action == "term.make_current"
