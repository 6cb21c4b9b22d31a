import datetime as dt
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory

from core import idcard
from core.data.regions import COUNTIES
from core.demo.generate import (
    CLASS_MAX,
    CLASS_MIN,
    CORE_PERIODS,
    DEMO_PASSWORD,
    ENTRY_AGE,
    SPECIAL_CLASS_MAX,
    SPECIAL_CLASS_MIN,
    plan_district,
    seed_demo,
)
from core.models import (
    STAGE_YEARS,
    AuditLog,
    Campus,
    Class,
    District,
    Grade,
    Guardianship,
    Person,
    Post,
    RoleGrant,
    School,
    StaffPost,
    Student,
    TeachingAssignment,
    User,
)
from core.services import current_term, school_code_check

SMALL = {"schools": 3, "students_per_school": 60, "seed": 7}
DEMO_ROLES = [
    "district_admin",
    "auditor",
    "researcher",
    "school_admin",
    "head_teacher",
    "teacher",
    "teacher2",
    "student",
    "parent",
]


@pytest.fixture
def seeded(db):
    return seed_demo(**SMALL)


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# --- the plan (no database) ----------------------------------------------------------------------------


def test_default_plan_is_a_realistic_district():
    plans = plan_district(start_year=2026)
    assert len(plans) == 6
    types = Counter(p.school_type for p in plans)
    assert types["primary"] == 2
    assert types["nine_year"] == 1
    assert types["junior"] == 1
    assert types["complete"] + types["senior"] == 1
    assert 2700 <= sum(p.students for p in plans) <= 3300
    assert len({p.name for p in plans}) == len({p.code for p in plans}) == 6
    for p in plans:
        school_code_check(code=p.code, school_type=p.school_type, region_code="330211")
        sizes = [c.size for c in p.classes]
        if p.school_type == "special":
            assert all(SPECIAL_CLASS_MIN <= s <= SPECIAL_CLASS_MAX for s in sizes)
        else:
            assert all(CLASS_MIN <= s <= CLASS_MAX for s in sizes), (p.name, sizes)
        # one cohort per year of every stage
        cohorts = {(c.stage, c.entry_year) for c in p.classes}
        expected = {(s, 2026 - k) for s in p.stages for k in range(STAGE_YEARS[s])}
        assert cohorts == expected


def test_large_plan_keeps_class_sizes_and_total():
    plans = plan_district(schools=200, students_per_school=750, seed=3, start_year=2026)
    assert 140_000 <= sum(p.students for p in plans) <= 160_000
    assert len({p.name for p in plans}) == len({p.code for p in plans}) == 200
    for p in plans:
        limit = SPECIAL_CLASS_MAX if p.school_type == "special" else CLASS_MAX
        assert all(1 <= c.size <= limit for c in p.classes)
        for (_stage, _entry), numbers in _numbers_by_cohort(p.classes).items():
            assert numbers == list(range(1, len(numbers) + 1))


def _numbers_by_cohort(classes):
    out = defaultdict(list)
    for c in classes:
        out[(c.stage, c.entry_year)].append(c.number)
    return out


def test_plan_is_deterministic():
    a = plan_district(schools=12, students_per_school=300, seed=5, start_year=2026)
    b = plan_district(schools=12, students_per_school=300, seed=5, start_year=2026)
    c = plan_district(schools=12, students_per_school=300, seed=6, start_year=2026)
    assert a == b
    assert a != c


def test_plan_needs_two_schools():
    with pytest.raises(ValueError):
        plan_district(schools=1)


# --- the written district ----------------------------------------------------------------------------------


def test_id_numbers_valid_unique_and_consistent(seeded):
    counties = {code for code, *_ in COUNTIES}
    from homeschool.models import BindingRequest

    numbers = []
    # parents who registered themselves with an invitation code give a phone, not an ID number
    self_registered = BindingRequest.objects.values("guardian_id")
    for p in Person.objects.exclude(pk__in=self_registered):
        assert idcard.validate(p.id_number) is None, p.id_number
        assert idcard.birth_date(p.id_number) == p.birth_date
        assert idcard.gender_code(p.id_number) == p.gender
        assert p.id_number[:6] in counties
        assert p.id_number_index
        numbers.append(p.id_number)
    assert len(numbers) == len(set(numbers))
    for st in Student.objects.select_related("person"):
        assert st.student_no == f"G{st.person.id_number}"


def test_student_age_matches_grade(seeded):
    start = current_term(district_id=seeded.district.pk).academic_year.start_year
    for st in Student.objects.select_related("person", "klass__grade"):
        grade = st.klass.grade
        assert start - STAGE_YEARS[grade.stage] < grade.entry_year <= start
        age = _age_on(st.person.birth_date, dt.date(grade.entry_year, 9, 1))
        assert age in (ENTRY_AGE[grade.stage], ENTRY_AGE[grade.stage] + 1), (grade, st.person.birth_date)
        assert st.enrolled_on == dt.date(grade.entry_year, 9, 1)


def test_grades_classes_and_campuses(seeded):
    start = current_term(district_id=seeded.district.pk).academic_year.start_year
    for school in School.objects.all():
        school_code_check(code=school.code, school_type=school.school_type, region_code="330211")
        cohorts = set(Grade.objects.filter(school=school).values_list("stage", "entry_year"))
        assert cohorts == {(s, start - k) for s in school.stages for k in range(STAGE_YEARS[s])}
        main = Campus.objects.filter(school=school, is_main=True)
        assert [c.name for c in main] == ["本部"]
    assert Campus.objects.filter(is_main=False).count() == 1
    for klass in Class.objects.all():
        nos = sorted(klass.students.values_list("class_no", flat=True))
        assert 1 <= len(nos) <= CLASS_MAX
        assert nos == list(range(1, len(nos) + 1))
        assert klass.campus.school_id == klass.school_id
    for grade in Grade.objects.all():
        numbers = sorted(grade.classes.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


def test_head_teachers_and_teaching_assignments(seeded):
    term = current_term(district_id=seeded.district.pk)
    heads = Counter()
    loads = Counter()  # classes per (teacher, subject) of the generated 任课
    for klass in Class.objects.select_related("grade"):
        assert klass.head_teacher_id is not None
        assert StaffPost.objects.filter(person_id=klass.head_teacher_id, school_id=klass.school_id).exists()
        heads[klass.head_teacher_id] += 1
        year = klass.grade.year_in_stage(term.academic_year.start_year)
        expected = {name for name, periods in CORE_PERIODS[klass.grade.stage].items() if periods[year - 1]}
        tas = list(TeachingAssignment.objects.filter(klass=klass).select_related("subject", "term"))
        # the timetable demo adds the other subjects (音乐, 体育…) of the school whose timetable it builds
        assert expected <= {ta.subject.name for ta in tas}
        for ta in [ta for ta in tas if ta.subject.name in expected]:
            loads[(ta.teacher_id, ta.subject_id)] += 1
            assert ta.term_id == term.pk
            assert ta.periods_per_week == CORE_PERIODS[klass.grade.stage][ta.subject.name][year - 1]
            assert StaffPost.objects.filter(
                person_id=ta.teacher_id, school_id=klass.school_id, main_subject=ta.subject
            ).exists()
    assert max(heads.values()) == 1  # nobody is 班主任 of two classes
    assert max(loads.values()) <= 4


def test_staff_posts(seeded):
    for school in School.objects.all():
        posts = Counter(StaffPost.objects.filter(school=school).values_list("post", flat=True))
        assert posts[Post.PRINCIPAL] == posts[Post.VICE_PRINCIPAL] == posts[Post.ACADEMIC_DIRECTOR] == 1
        assert posts[Post.TEACHER] >= 10
        principal = StaffPost.objects.get(school=school, post=Post.PRINCIPAL).person
        assert RoleGrant.objects.filter(user__person=principal, role="school_admin", school=school).exists()
    # one 交流教师 with posts at two schools, teaching in both
    exchange = [pid for pid, n in Counter(StaffPost.objects.values_list("person_id", flat=True)).items() if n > 1]
    assert len(exchange) == 1
    schools = set(TeachingAssignment.objects.filter(teacher_id=exchange[0]).values_list("klass__school_id", flat=True))
    assert len(schools) == 2


def test_families(seeded):
    today = dt.date.today()
    for st in Student.objects.prefetch_related("guardianships__guardian"):
        gs = list(st.guardianships.all())
        assert 1 <= len(gs) <= 2
        assert sum(g.is_primary_contact for g in gs) == 1
        for g in gs:
            assert g.relation in ("1", "2", "3")
            if g.relation in ("1", "2"):
                assert 30 <= _age_on(g.guardian.birth_date, today) <= 50
                assert g.guardian.gender == ("1" if g.relation == "1" else "2")
            assert len(g.guardian.phone) == 11
            assert g.guardian.phone[:2] in ("13", "15", "18")
    schools_of = defaultdict(set)
    for guardian_id, school_id in Guardianship.objects.values_list("guardian_id", "student__school_id"):
        schools_of[guardian_id].add(school_id)
    assert any(len(s) == 2 for s in schools_of.values())


def test_one_user_per_person_with_unusable_passwords(seeded):
    assert User.objects.count() == Person.objects.count()
    assert not Person.objects.filter(user__isnull=True).exists()
    for user in User.objects.exclude(username__in=DEMO_ROLES):
        assert not user.has_usable_password(), user.username
    staff_user = User.objects.filter(person__staff_posts__isnull=False).exclude(username__in=DEMO_ROLES).first()
    assert staff_user.username == f"t{staff_user.person.staff_posts.first().staff_no}"


def test_demo_logins(seeded):
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_ROLES).select_related("person")}
    assert set(users) == set(DEMO_ROLES)
    request = RequestFactory().post("/login/")
    for name, user in users.items():
        assert user.check_password(DEMO_PASSWORD)
        assert authenticate(request=request, username=name, password=DEMO_PASSWORD) == user
    district = seeded.district
    assert RoleGrant.objects.filter(user=users["district_admin"], role="district_admin", district=district).exists()
    assert RoleGrant.objects.filter(user=users["auditor"], role="auditor", district=district).exists()
    assert not RoleGrant.objects.filter(user=users["auditor"]).exclude(role="auditor").exists()

    grant = RoleGrant.objects.get(user=users["school_admin"], role="school_admin")
    school = grant.school
    assert school.school_type in ("nine_year", "junior")
    assert StaffPost.objects.filter(person=users["school_admin"].person, school=school, post="principal").exists()

    head = users["head_teacher"].person
    klass = Class.objects.get(head_teacher=head)
    assert klass.school_id == school.pk

    teacher = users["teacher"].person
    assert TeachingAssignment.objects.filter(teacher=teacher, klass__school=school).exists()
    assert not Class.objects.filter(head_teacher=teacher).exists()

    student = users["student"].person.student
    assert student.klass_id == klass.pk

    parent = users["parent"].person
    wards = Student.objects.filter(guardianships__guardian=parent)
    assert student in wards
    assert len({s.school_id for s in wards}) == 2

    out = "\n".join(f"{x.role} {x.username} {x.password}" for x in seeded.logins)
    assert "区县管理员 district_admin Zhixiao@2026" in out


def test_command_prints_logins_and_is_idempotent(db):
    out = StringIO()
    call_command("seed_demo", "--schools", "2", "--students-per-school", "40", "--seed", "1", stdout=out)
    text = out.getvalue()
    assert "学校 2/2" in text
    assert "district_admin" in text
    assert "Zhixiao@2026" in text
    assert "TOTP" in text
    counts = (District.objects.count(), Person.objects.count(), Student.objects.count())
    assert AuditLog.objects.filter(action="seed_demo").count() == 1

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "演示数据已存在" in again.getvalue()
    assert (District.objects.count(), Person.objects.count(), Student.objects.count()) == counts
    assert AuditLog.objects.filter(action="seed_demo").count() == 1


def test_same_seed_same_people(db):
    def run():
        with transaction.atomic():
            seed_demo(schools=2, students_per_school=40, seed=11)
            rows = sorted(Person.objects.values_list("name", "birth_date", "id_number_index"))
            transaction.set_rollback(True)
        return rows

    assert run() == run()


@pytest.mark.django_db
def test_demo_otp_prints_the_current_code_only_in_demo_mode(settings):
    import io

    from django.core.management import CommandError, call_command
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.models import User

    user = User.objects.create(username="demo_admin_x")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=False)
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_otp", "demo_admin_x")
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_otp", "demo_admin_x", stdout=out)
    assert out.getvalue().strip() == f"{TOTP(device.bin_key).token():06d}"


@pytest.mark.django_db
def test_logins_flag_prints_existing_demo_logins():
    import io

    from django.core.management import call_command

    call_command("seed_demo", schools=2, students_per_school=40, seed=3, stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", logins=True, stdout=out)
    text = out.getvalue()
    for username in ("district_admin", "school_admin", "head_teacher", "teacher", "student", "parent", "auditor"):
        assert username in text


@pytest.mark.django_db
def test_no_username_reveals_an_id_number():
    import io
    import re

    from django.core.management import call_command

    from core.models import User

    call_command("seed_demo", schools=2, students_per_school=40, seed=5, stdout=io.StringIO())
    id_like = re.compile(r"\d{17}[\dX]")
    assert not [u for u in User.objects.values_list("username", flat=True) if id_like.search(u)]
