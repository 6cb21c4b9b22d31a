"""Writes to the org tree, people and access. Each service: keyword-only args, checks the actor's scope,
validates (full_clean), runs atomically and writes one audit row per user-visible change."""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import idcard
from .audit import audit_record, diff, snapshot
from .crypto import blind_index
from .models import (
    ROLE_LEVEL,
    SCHOOL_CODE_TYPE_PREFIX,
    SCHOOL_TYPE_STAGES,
    AcademicYear,
    Campus,
    Class,
    District,
    Grade,
    Guardianship,
    IdType,
    Person,
    PersonalAccessToken,
    RoleGrant,
    School,
    StaffPost,
    Student,
    Subject,
    TeachingAssignment,
    Term,
    User,
    academic_start_year,
)
from .scope import can


def _require(actor, action: str, obj) -> None:
    if not can(actor, action, obj):
        raise PermissionDenied("无权执行此操作")


def _save(obj, *, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude)
    try:
        obj.save()
    except IntegrityError as exc:
        raise ValidationError(f"数据冲突：{exc}") from exc


def _create(actor, obj, *, action: str = "add") -> None:
    _require(actor, "add", obj)
    _save(obj)
    audit_record(actor=actor, action=f"{obj._meta.model_name}.create", obj=obj, changes=diff({}, snapshot(obj)))


def _update(actor, obj, changes: dict, *, action: str = "change") -> dict:
    _require(actor, action, obj)
    moved = copy.copy(obj)
    for key, value in changes.items():
        setattr(moved, key, value)
    _require(actor, action, moved)  # the new position must be in scope too (no moving rows out of scope)
    before = snapshot(obj)
    for key, value in changes.items():
        setattr(obj, key, value)
    _save(obj)
    delta = diff(before, snapshot(obj))
    if delta:
        audit_record(actor=actor, action=f"{obj._meta.model_name}.update", obj=obj, changes=delta)
    return delta


def _archive(actor, obj) -> None:
    _require(actor, "archive", obj)
    if obj.archived_at is None:
        obj.archived_at = timezone.now()
        obj.save(update_fields=["archived_at", "updated_at"])
        audit_record(actor=actor, action=f"{obj._meta.model_name}.archive", obj=obj)


def _restore(actor, obj) -> None:
    _require(actor, "archive", obj)
    if obj.archived_at is not None:
        obj.archived_at = None
        obj.save(update_fields=["archived_at", "updated_at"])
        audit_record(actor=actor, action=f"{obj._meta.model_name}.restore", obj=obj)


# --- schools, campuses, grades, classes -------------------------------------------------------------


def school_code_check(*, code: str, school_type: str, region_code: str) -> None:
    """MoE 学校标识码: 2-digit type + 2-digit province + 6-digit sequence."""
    errors = []
    if school_type not in SCHOOL_CODE_TYPE_PREFIX:
        raise ValidationError({"school_type": "未知的办学类型"})
    if len(code) != 10 or not code.isdigit():
        errors.append("学校标识码必须是 10 位数字")
    else:
        if code[:2] != SCHOOL_CODE_TYPE_PREFIX[school_type]:
            errors.append(f"学校标识码前两位应为办学类型代码 {SCHOOL_CODE_TYPE_PREFIX[school_type]}")
        if code[2:4] != region_code[:2]:
            errors.append(f"学校标识码第 3–4 位应为省份代码 {region_code[:2]}")
    if errors:
        raise ValidationError({"code": errors})


@transaction.atomic
def school_create(
    *,
    actor,
    district,
    code: str,
    name: str,
    school_type: str,
    short_name: str = "",
    address: str = "",
    phone: str = "",
    campus_name: str = "",
) -> School:
    school_code_check(code=code, school_type=school_type, region_code=district.region.code)
    school = School(
        district=district,
        code=code,
        name=name,
        school_type=school_type,
        short_name=short_name,
        address=address,
        phone=phone,
    )
    _create(actor, school)
    campus = Campus(school=school, name=campus_name or "本部", address=address, is_main=True)
    _save(campus)
    return school


@transaction.atomic
def _only(changes: dict, allowed: set[str]) -> None:
    extra = set(changes) - allowed
    if extra:
        raise ValidationError(f"不允许修改的字段：{', '.join(sorted(extra))}")


def school_update(*, actor, school: School, **changes) -> dict:
    _only(changes, {"name", "short_name", "address", "phone", "code", "school_type"})
    _require(actor, "change", school)
    if "code" in changes or "school_type" in changes:
        school_code_check(
            code=changes.get("code", school.code),
            school_type=changes.get("school_type", school.school_type),
            region_code=school.district.region.code,
        )
    return _update(actor, school, changes)


@transaction.atomic
def school_archive(*, actor, school: School) -> None:
    if school.students.filter(archived_at__isnull=True, status="enrolled").exists():
        raise ValidationError("该校仍有在读学生，不能归档；请先办理转学或毕业。")
    _archive(actor, school)


@transaction.atomic
def campus_create(*, actor, school: School, name: str, address: str = "") -> Campus:
    campus = Campus(school=school, name=name, address=address)
    _create(actor, campus)
    return campus


@transaction.atomic
def grade_create(*, actor, school: School, stage: str, entry_year: int) -> Grade:
    _require(actor, "add", Grade(school=school, stage=stage, entry_year=entry_year))
    if stage not in SCHOOL_TYPE_STAGES[school.school_type]:
        raise ValidationError({"stage": f"{school.name}（{school.get_school_type_display()}）没有该学段"})
    grade = Grade(school=school, stage=stage, entry_year=entry_year)
    _create(actor, grade)
    return grade


@transaction.atomic
def grade_archive(*, actor, grade: Grade) -> None:
    if Student.objects.filter(klass__grade=grade, archived_at__isnull=True, status="enrolled").exists():
        raise ValidationError("该年级仍有在读学生，不能归档。")
    _archive(actor, grade)


def _check_head_teacher(klass: Class, person: Person | None) -> None:
    if (
        person is not None
        and not StaffPost.objects.filter(person=person, school_id=klass.school_id, archived_at__isnull=True).exists()
    ):
        raise ValidationError({"head_teacher": f"{person.name} 不是{klass.school.name}的在岗教职工"})


@transaction.atomic
def class_create(
    *,
    actor,
    grade: Grade,
    number: int,
    campus: Campus | None = None,
    head_teacher: Person | None = None,
    alias: str = "",
) -> Class:
    klass = Class(
        school=grade.school, grade=grade, number=number, campus=campus, head_teacher=head_teacher, alias=alias
    )
    if campus is not None and campus.school_id != grade.school_id:
        raise ValidationError({"campus": "校区不属于该学校"})
    _check_head_teacher(klass, head_teacher)
    _create(actor, klass)
    return klass


@transaction.atomic
def class_update(*, actor, klass: Class, **changes) -> dict:
    _only(changes, {"number", "campus", "head_teacher", "alias", "grade"})
    _require(actor, "change", klass)
    if "grade" in changes and changes["grade"].school_id != klass.school_id:
        raise ValidationError({"grade": "年级不属于该学校"})
    if "head_teacher" in changes:
        _check_head_teacher(klass, changes["head_teacher"])
    if changes.get("campus") is not None and changes["campus"].school_id != klass.school_id:
        raise ValidationError({"campus": "校区不属于该学校"})
    return _update(actor, klass, changes)


@transaction.atomic
def class_archive(*, actor, klass: Class) -> None:
    if klass.students.filter(archived_at__isnull=True, status="enrolled").exists():
        raise ValidationError("该班仍有在读学生，不能归档。")
    _archive(actor, klass)


# --- people -------------------------------------------------------------------------------------------


def person_id_check(*, id_type: str, id_number: str, exclude_pk: int | None = None) -> str:
    """Validate and normalise an ID number; raise a Chinese error naming the field."""
    number = id_number.strip().upper()
    if not number:
        return ""
    if id_type == IdType.RESIDENT:
        problem = idcard.validate(number)
        if problem:
            raise ValidationError({"id_number": problem})
    existing = Person.objects.filter(id_number_index=blind_index(f"{id_type}:{number}", "id"))
    if exclude_pk:
        existing = existing.exclude(pk=exclude_pk)
    if existing.exists():
        raise ValidationError({"id_number": "该证件号已登记为其他人员（一人一号）"})
    return number


def phone_check(phone: str) -> str:
    phone = (phone or "").strip()
    if phone and (not phone.isdigit() or len(phone) != 11 or phone[0] != "1"):
        raise ValidationError({"phone": "手机号必须是以 1 开头的 11 位数字"})
    return phone


def person_build(
    *,
    name: str,
    gender: str = "0",
    id_type: str = IdType.RESIDENT,
    id_number: str = "",
    phone: str = "",
    birth_date: dt.date | None = None,
    ethnicity: str = "",
) -> Person:
    number = person_id_check(id_type=id_type, id_number=id_number)
    if number and id_type == IdType.RESIDENT:
        birth_date = birth_date or idcard.birth_date(number)
        gender = idcard.gender_code(number) if gender in ("", "0") else gender
        if idcard.gender_code(number) != gender:
            raise ValidationError({"gender": "性别与身份证号不一致"})
    phone = phone_check(phone)
    person = Person(
        name=name.strip(),
        gender=gender or "0",
        id_type=id_type,
        id_number=number,
        phone=phone,
        birth_date=birth_date,
        ethnicity=ethnicity,
    )
    person.full_clean(exclude=["id_number_index"])
    person.save()
    User.objects.create(username=_free_username(person), person=person, password="!")
    return person


def _free_username(person: Person) -> str:
    base = f"u{person.pk:07d}"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def person_find(*, id_type: str = IdType.RESIDENT, id_number: str = "", phone: str = "") -> Person | None:
    if id_number:
        return Person.objects.filter(
            id_number_index=blind_index(f"{id_type}:{id_number.strip().upper()}", "id")
        ).first()
    if phone:
        return Person.objects.filter(phone_index=blind_index(phone, "phone")).first()
    return None


@transaction.atomic
def person_update(*, actor, person: Person, **changes) -> dict:
    allowed = {"name", "gender", "phone", "ethnicity", "id_number", "id_type", "birth_date"}
    if set(changes) - allowed:
        raise ValidationError(f"不允许修改的字段：{', '.join(sorted(set(changes) - allowed))}")
    if not Person.objects.visible_to(actor, "change").filter(pk=person.pk).exists():
        raise PermissionDenied("无权修改该人员")
    if "phone" in changes:
        changes["phone"] = phone_check(changes["phone"])
    if "id_number" in changes:
        changes["id_number"] = person_id_check(
            id_type=changes.get("id_type", person.id_type), id_number=changes["id_number"], exclude_pk=person.pk
        )
    before = snapshot(person)
    for k, v in changes.items():
        setattr(person, k, v)
    person.full_clean(exclude=["id_number_index"])
    person.save()
    delta = diff(before, snapshot(person))
    if delta:
        audit_record(actor=actor, action="person.update", obj=person, changes=delta)
    return delta


def person_reveal(*, actor, person: Person, field: str) -> str:
    """Return the full value of a sensitive field; only for roles with ``reveal``, always audited."""
    if field not in Person.SENSITIVE_FIELDS:
        raise ValidationError("未知字段")
    if not Person.objects.visible_to(actor, "reveal").filter(pk=person.pk).exists():
        audit_record(actor=actor, action="person.reveal", obj=person, changes={"field": field}, result="denied")
        raise PermissionDenied("无权查看完整信息")
    with transaction.atomic():
        audit_record(actor=actor, action="person.reveal", obj=person, changes={"field": field})
    return getattr(person, field)


@transaction.atomic
def staff_post_create(
    *,
    actor,
    school: School,
    person: Person | None = None,
    post: str = "teacher",
    staff_no: str = "",
    main_subject=None,
    is_primary: bool = True,
    person_data: dict | None = None,
) -> StaffPost:
    """Appoint a person to a post at a school (new person from ``person_data`` or an existing one)."""
    probe = StaffPost(school=school, post=post)
    _require(actor, "add", probe)
    if person is None:
        person_data = person_data or {}
        person = person_find(
            id_type=person_data.get("id_type", IdType.RESIDENT), id_number=person_data.get("id_number", "")
        ) or person_build(**person_data)
    sp = StaffPost(
        person=person,
        school=school,
        post=post,
        staff_no=staff_no,
        main_subject=main_subject,
        is_primary=is_primary,
        started_on=timezone.localdate(),
    )
    if StaffPost.objects.filter(person=person, school=school, post=post, archived_at__isnull=True).exists():
        raise ValidationError({"post": f"{person.name} 已在{school.name}担任该岗位"})
    _save(sp)
    audit_record(actor=actor, action="staffpost.create", obj=sp, changes=diff({}, snapshot(sp)))
    return sp


@transaction.atomic
def staff_post_archive(*, actor, staff_post: StaffPost) -> None:
    _archive(actor, staff_post)


@transaction.atomic
def student_create(
    *,
    actor,
    klass: Class,
    student_no: str,
    person: Person | None = None,
    class_no: int | None = None,
    person_data: dict | None = None,
    enrolled_on: dt.date | None = None,
) -> Student:
    probe = Student(district_id=klass.school.district_id, school=klass.school, klass=klass)
    _require(actor, "add", probe)
    if person is None:
        person = person_build(**(person_data or {}))
    student = Student(
        person=person,
        district_id=klass.school.district_id,
        school=klass.school,
        klass=klass,
        student_no=student_no,
        class_no=class_no,
        enrolled_on=enrolled_on,
    )
    _save(student)
    audit_record(actor=actor, action="student.create", obj=student, changes=diff({}, snapshot(student)))
    return student


# --- assignments --------------------------------------------------------------------------------------


def current_term(*, district_id: int) -> Term | None:
    return Term.objects.filter(district_id=district_id, is_current=True).select_related("academic_year").first()


@transaction.atomic
def teaching_assignment_set(
    *, actor, klass: Class, subject, teacher: Person, term: Term | None = None, periods_per_week: int = 0
) -> TeachingAssignment:
    """任课安排: set (or replace) the teacher of ``subject`` in ``klass`` for the term."""
    _require(actor, "add", TeachingAssignment(klass=klass))
    term = term or current_term(district_id=klass.school.district_id)
    if term is None:
        raise ValidationError("尚未设置当前学期")
    if term.district_id != klass.school.district_id:
        raise ValidationError({"term": "学期不属于该区县"})
    if klass.grade.stage not in subject.stages.split(","):
        raise ValidationError({"subject": f"{subject.name} 不是{klass.grade.get_stage_display()}学段的学科"})
    if not StaffPost.objects.filter(person=teacher, school_id=klass.school_id, archived_at__isnull=True).exists():
        raise ValidationError({"teacher": f"{teacher.name} 不是{klass.school.name}的在岗教职工"})
    if subject.district_id != klass.school.district_id or not subject.is_active:
        raise ValidationError({"subject": "学科不可用"})
    existing = TeachingAssignment.objects.filter(klass=klass, subject=subject, term=term).first()
    if existing is not None:
        changes = {"teacher": teacher}
        if periods_per_week is not None:
            changes["periods_per_week"] = periods_per_week
        _update(actor, existing, changes)
        return existing
    ta = TeachingAssignment(
        klass=klass, subject=subject, term=term, teacher=teacher, periods_per_week=periods_per_week or 0
    )
    _create(actor, ta)
    return ta


@transaction.atomic
def teaching_assignment_remove(*, actor, assignment: TeachingAssignment) -> None:
    _require(actor, "archive", assignment)
    audit_record(
        actor=actor, action="teachingassignment.delete", obj=assignment, changes=diff(snapshot(assignment), {})
    )
    assignment.delete()


@transaction.atomic
def guardianship_bind(
    *,
    actor,
    student: Student,
    relation: str,
    guardian: Person | None = None,
    guardian_data: dict | None = None,
    is_primary_contact: bool = False,
) -> Guardianship:
    """绑定家长: link an existing person (found by ID number or phone) or a new one to a student."""
    probe = Guardianship(student=student, relation=relation)
    _require(actor, "add", probe)
    if guardian is None:
        data = dict(guardian_data or {})
        guardian = person_find(
            id_type=data.get("id_type", IdType.RESIDENT),
            id_number=data.get("id_number", ""),
            phone=data.get("phone", ""),
        )
        if guardian is None:
            guardian = person_build(**data)
    if guardian.pk == student.person_id:
        raise ValidationError({"guardian": "学生不能绑定自己为家长"})
    g = Guardianship(guardian=guardian, student=student, relation=relation, is_primary_contact=is_primary_contact)
    if Guardianship.objects.filter(guardian=guardian, student=student).exists():
        raise ValidationError({"guardian": f"{guardian.name} 已绑定为{student.person.name}的家长"})
    _save(g)
    audit_record(actor=actor, action="guardianship.create", obj=g, changes=diff({}, snapshot(g)))
    return g


@transaction.atomic
def guardianship_unbind(*, actor, guardianship: Guardianship) -> None:
    _require(actor, "archive", guardianship)
    audit_record(actor=actor, action="guardianship.delete", obj=guardianship, changes=diff(snapshot(guardianship), {}))
    guardianship.delete()


# --- accounts and roles -------------------------------------------------------------------------------


@transaction.atomic
def role_grant_create(*, actor, user: User, role: str, district=None, school=None, grade=None) -> RoleGrant:
    level = ROLE_LEVEL[role]
    node = {"district": district, "school": school, "grade": grade}[level]
    if node is None:
        raise ValidationError({"role": "未指定授权范围"})
    if level == "grade":
        school = node.school
    if level in ("school", "grade"):
        district = school.district
    grant = RoleGrant(
        user=user,
        role=role,
        district=district,
        school=school,
        grade=grade,
        granted_by=actor if actor and actor.is_authenticated else None,
    )
    if actor is not None:
        _require(actor, "manage", grant)
        from .scope import roles_of

        if role in ("district_admin", "auditor") and "district_admin" not in roles_of(actor):
            raise PermissionDenied("只有区县管理员可以授予该角色")
    # 三员分立: an auditor may not also administer, and vice versa.
    held = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    if (role == "auditor" and held & {"district_admin", "school_admin"}) or (role != "auditor" and "auditor" in held):
        raise ValidationError({"role": "审计管理员不能同时担任系统管理角色（三员分立）"})
    _save(grant)
    user.session_epoch += 1  # new powers need a fresh login (and MFA)
    user.save(update_fields=["session_epoch"])
    audit_record(
        actor=actor, action="rolegrant.create", obj=grant, changes={"role": [None, role], "user": [None, user.username]}
    )
    return grant


@transaction.atomic
def role_grant_revoke(*, actor, grant: RoleGrant) -> None:
    _require(actor, "manage", grant)
    audit_record(
        actor=actor,
        action="rolegrant.delete",
        obj=grant,
        changes={"role": [grant.role, None], "user": [grant.user.username, None]},
    )
    user = grant.user
    grant.delete()
    user.session_epoch += 1
    user.save(update_fields=["session_epoch"])


def _can_manage_account(actor, user: User) -> bool:
    """The actor may manage the account of a person they may change, unless that account holds
    powers the actor could not grant (no school admin resets a district admin's password)."""
    if actor.pk == user.pk:
        return True
    if user.person_id is None:
        return False
    if not Person.objects.visible_to(actor, "change").filter(pk=user.person_id).exists():
        return False
    return all(can(actor, "manage", g) for g in RoleGrant.objects.filter(user=user))


@transaction.atomic
def user_activation_link_issue(*, actor, user: User) -> str:
    """Admin-issued activation / password-reset link (no e-mail needed: the admin hands it over)."""
    if actor.pk == user.pk or not _can_manage_account(actor, user):
        raise PermissionDenied("无权为该用户签发激活链接")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    audit_record(actor=actor, action="user.activation_link", obj=user.person, object_repr=user.username)
    return reverse("core:activate", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def user_sessions_revoke(*, actor, user: User) -> None:
    """退出所有设备: every existing session of ``user`` stops working."""
    if not _can_manage_account(actor, user):
        raise PermissionDenied("无权操作")
    user.session_epoch += 1
    user.save(update_fields=["session_epoch"])
    audit_record(
        actor=actor,
        action="user.sessions_revoke",
        object_type="core.user",
        object_id=str(user.pk),
        object_repr=user.username,
    )


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> None:
    if actor.pk == user.pk or not _can_manage_account(actor, user):
        raise PermissionDenied("无权操作")
    user.is_active = active
    user.session_epoch += 1
    user.save(update_fields=["is_active", "session_epoch"])
    audit_record(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        object_type="core.user",
        object_id=str(user.pk),
        object_repr=user.username,
    )


@transaction.atomic
def api_token_create(*, actor, name: str, days: int | None = 90) -> tuple[PersonalAccessToken, str]:
    secret = PersonalAccessToken.new_secret()
    tok = PersonalAccessToken.objects.create(
        user=actor,
        name=name or "API",
        token_prefix=secret[:10],
        token_hash=PersonalAccessToken.hash(secret),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit_record(
        actor=actor,
        action="token.create",
        object_type="core.personalaccesstoken",
        object_id=str(tok.pk),
        object_repr=tok.name,
    )
    return tok, secret


@transaction.atomic
def api_token_revoke(*, actor, token: PersonalAccessToken) -> None:
    if token.user_id != actor.pk:
        raise PermissionDenied("无权操作")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        object_type="core.personalaccesstoken",
        object_id=str(token.pk),
        object_repr=token.name,
    )


# --- district setup -----------------------------------------------------------------------------------


@transaction.atomic
def district_create(*, actor, region, name: str) -> District:
    """Create a district with the national subject table and the current academic year and terms."""
    from .data import NATIONAL_SUBJECTS

    district = District(region=region, name=name)
    _save(district)
    Subject.objects.bulk_create(
        [
            Subject(district=district, code=c, name=n, stages=s, sort_order=i)
            for i, (c, n, s) in enumerate(NATIONAL_SUBJECTS)
        ]
    )
    academic_year_create(actor=None, district=district, start_year=academic_start_year(), make_current=True)
    audit_record(actor=actor, action="district.create", obj=district)
    return district


@transaction.atomic
def academic_year_create(*, actor, district, start_year: int, make_current: bool = False):
    """学年 with its two terms (Sep–Jan, Feb–Jul). ``make_current`` makes the term containing today current."""

    if actor is not None:
        _require(actor, "add", AcademicYear(district=district))
    year = AcademicYear(
        district=district,
        start_year=start_year,
        start_date=dt.date(start_year, 9, 1),
        end_date=dt.date(start_year + 1, 7, 31),
    )
    _save(year)
    t1 = Term(
        district=district,
        academic_year=year,
        number=1,
        start_date=dt.date(start_year, 9, 1),
        end_date=dt.date(start_year + 1, 1, 31),
    )
    t2 = Term(
        district=district,
        academic_year=year,
        number=2,
        start_date=dt.date(start_year + 1, 2, 1),
        end_date=dt.date(start_year + 1, 7, 31),
    )
    _save(t1)
    _save(t2)
    if make_current:
        today = timezone.localdate()
        term_make_current(actor=None, term=t2 if today >= t2.start_date else t1)
    if actor is not None:
        audit_record(actor=actor, action="academicyear.create", obj=year)
    return year


@transaction.atomic
def term_make_current(*, actor, term: Term) -> None:
    if actor is not None:
        _require(actor, "change", term)
    Term.objects.filter(district_id=term.district_id, is_current=True).update(is_current=False)
    term.is_current = True
    term.save(update_fields=["is_current", "updated_at"])
    if actor is not None:
        audit_record(actor=actor, action="term.make_current", obj=term)


@transaction.atomic
def subject_create(*, actor, district, code: str, name: str, stages: list[str]) -> Subject:
    subject = Subject(district=district, code=code.strip(), name=name.strip(), stages=",".join(stages), sort_order=100)
    _create(actor, subject)
    return subject


@transaction.atomic
def subject_set_active(*, actor, subject: Subject, active: bool) -> None:
    _update(actor, subject, {"is_active": active})
