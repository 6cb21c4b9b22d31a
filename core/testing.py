"""A small, complete district for tests: two schools, classes, staff, students and families.

``build_world()`` returns a namespace whose users cover every role, in scope and out of scope:
school A users must never see school B rows, and the other way round.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from . import idcard, services
from .models import (
    Class,
    Grade,
    Guardianship,
    Person,
    Region,
    RoleGrant,
    School,
    StaffPost,
    Student,
    Subject,
    TeachingAssignment,
)

PASSWORD = "Zhixiao@2026"
_seq = {"n": 0}


def _next() -> int:
    _seq["n"] += 1
    return _seq["n"]


def make_person(name: str, *, born: dt.date, gender: str = "1", area: str = "330211", phone: str = "") -> Person:
    n = _next()
    # odd sequence digit = male (GB 11643)
    seq = (n * 2 + (1 if gender == "1" else 0)) % 1000
    number = idcard.make(area, born, seq)
    while Person.objects.filter(id_number_index=services.blind_index(f"1:{number}", "id")).exists():
        seq = (seq + 2) % 1000
        number = idcard.make(area, born, seq)
    p = Person(name=name, gender=gender, birth_date=born, id_type="1", id_number=number, phone=phone)
    p.save()
    return p


def unused_id_number(born: dt.date, area: str = "330211") -> str:
    """A valid 身份证号 for ``born`` that no person holds yet (odd sequence digit: male)."""
    for seq in range(501, 1000, 2):
        number = idcard.make(area, born, seq)
        if not Person.objects.filter(id_number_index=services.blind_index(f"1:{number}", "id")).exists():
            return number
    raise AssertionError("no free ID number")


def make_user(person: Person | None, username: str, password: str = PASSWORD):
    User = get_user_model()
    user = User(username=username, person=person)
    user.set_password(password)
    user.save()
    return user


def junior_class_b(w):
    """School B (九年一贯制) also runs 初中: its class of school A's cohort, created on first use, receives
    transfers of school A's students (a transfer keeps 学段 and 年级)."""
    if getattr(w, "class_b2", None) is None:
        grade, _ = Grade.objects.get_or_create(school=w.school_b, stage="junior", entry_year=w.grade_a.entry_year)
        w.class_b2, _ = Class.objects.get_or_create(school=w.school_b, grade=grade, number=1)
    return w.class_b2


def build_world() -> SimpleNamespace:
    w = SimpleNamespace(password=PASSWORD)
    from .data.loaders import regions_ensure

    regions_ensure(Region)
    region = Region.objects.get(code="330211")
    w.district = services.district_create(actor=None, region=region, name="镇海区教育局")
    w.term = services.current_term(district_id=w.district.pk)
    year = w.term.academic_year.start_year
    w.math = Subject.objects.get(district=w.district, name="数学")
    w.chinese = Subject.objects.get(district=w.district, name="语文")

    w.school_a = School.objects.create(
        district=w.district, code="3133000001", name="镇海区蛟川中学", school_type="junior"
    )
    w.school_b = School.objects.create(
        district=w.district, code="3133000002", name="镇海区骆驼学校", school_type="nine_year"
    )
    w.grade_a = Grade.objects.create(school=w.school_a, stage="junior", entry_year=year)
    w.grade_b = Grade.objects.create(school=w.school_b, stage="primary", entry_year=year - 2)
    w.class_a1 = Class.objects.create(school=w.school_a, grade=w.grade_a, number=1)
    w.class_a2 = Class.objects.create(school=w.school_a, grade=w.grade_a, number=2)
    w.class_b1 = Class.objects.create(school=w.school_b, grade=w.grade_b, number=1)

    # staff
    w.district_admin = make_user(make_person("区管理员", born=dt.date(1980, 3, 1)), "dadmin")
    RoleGrant.objects.create(user=w.district_admin, role="district_admin", district=w.district)
    w.auditor = make_user(make_person("审计员", born=dt.date(1982, 3, 1)), "auditor")
    RoleGrant.objects.create(user=w.auditor, role="auditor", district=w.district)

    def staff(name, school, post="teacher", subject=None, username=None):
        p = make_person(name, born=dt.date(1985, 5, 5), gender="2")
        StaffPost.objects.create(person=p, school=school, post=post, main_subject=subject)
        return p, make_user(p, username)

    w.principal_a, w.school_admin_a = staff("张校长", w.school_a, "principal", username="sadmin_a")
    RoleGrant.objects.create(user=w.school_admin_a, role="school_admin", district=w.district, school=w.school_a)
    w.principal_b, w.school_admin_b = staff("李校长", w.school_b, "principal", username="sadmin_b")
    RoleGrant.objects.create(user=w.school_admin_b, role="school_admin", district=w.district, school=w.school_b)
    w.head_a1, w.head_teacher_a1 = staff("王班主任", w.school_a, subject=w.chinese, username="head_a1")
    w.class_a1.head_teacher = w.head_a1
    w.class_a1.save()
    w.head_a2, w.head_teacher_a2 = staff("赵班主任", w.school_a, subject=w.chinese, username="head_a2")
    w.class_a2.head_teacher = w.head_a2
    w.class_a2.save()
    w.math_a, w.teacher_a = staff("陈老师", w.school_a, subject=w.math, username="teacher_a")
    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a1, subject=w.math, term=w.term, periods_per_week=5
    )
    w.math_b, w.teacher_b = staff("刘老师", w.school_b, subject=w.math, username="teacher_b")
    TeachingAssignment.objects.create(
        teacher=w.math_b, klass=w.class_b1, subject=w.math, term=w.term, periods_per_week=5
    )

    # students and families
    def student(name, klass, no, born):
        p = make_person(name, born=born, gender="1" if no % 2 else "2")
        s = Student.objects.create(
            person=p, district=w.district, school=klass.school, klass=klass, student_no=f"G{p.id_number}", class_no=no
        )
        return s, make_user(p, f"stu{p.pk}")

    w.student_a1, w.student_user_a1 = student("周小明", w.class_a1, 1, dt.date(year - 12, 4, 1))
    w.student_a1b, _ = student("吴小红", w.class_a1, 2, dt.date(year - 12, 6, 1))
    w.student_a2, w.student_user_a2 = student("郑小刚", w.class_a2, 1, dt.date(year - 12, 7, 1))
    w.student_b1, w.student_user_b1 = student("孙小丽", w.class_b1, 1, dt.date(year - 9, 2, 1))

    # Family 1: one parent with a child in each school (多子女跨校).
    w.parent1_person = make_person("周建国", born=dt.date(1983, 1, 1), phone="13800138001")
    w.parent1 = make_user(w.parent1_person, "parent1")
    Guardianship.objects.create(guardian=w.parent1_person, student=w.student_a1, relation="1", is_primary_contact=True)
    Guardianship.objects.create(guardian=w.parent1_person, student=w.student_b1, relation="1")
    # Family 2: parent of a school A class 2 child only.
    w.parent2_person = make_person("郑芳", born=dt.date(1984, 1, 1), gender="2", phone="13800138002")
    w.parent2 = make_user(w.parent2_person, "parent2")
    Guardianship.objects.create(guardian=w.parent2_person, student=w.student_a2, relation="2")
    # One audited write, so the audit log has a school A row to find.
    services.school_update(actor=w.district_admin, school=w.school_a, short_name="蛟川")
    w.school_a.refresh_from_db()
    return w


def login(client, user) -> None:
    """Log in and mark the session as having passed the second factor (for admins)."""
    client.force_login(user)
    if hasattr(user, "otp_device"):
        del user.otp_device
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()


def client_for(user):
    """A test client logged in as ``user`` (second factor passed, for admins)."""
    from django.test import Client

    c = Client()
    login(c, user)
    return c


def check_api_scope_case(world, case, *, expected_id: int | None = None, also_outside=()) -> None:
    """Walk one API scope case (``core.api.ScopeCase``: url, in-scope and out-of-scope user attributes, kind):
    anonymous → 401; the out-of-scope user (and any ``also_outside`` users) → 404 for a detail, an empty list
    for a list; the in-scope user → the object (id from the URL, or ``expected_id``) or a non-empty list."""
    from django.test import Client

    url, inside, outside = case
    kind = getattr(case, "kind", "detail" if url.split("?")[0].rstrip("/").rsplit("/", 1)[-1].isdigit() else "list")
    assert Client().get(url).status_code == 401, url
    for user in (getattr(world, outside), *also_outside):
        c = Client()
        login(c, user)
        response = c.get(url)
        if kind == "detail":
            assert response.status_code == 404, (url, user, response.status_code)
        else:
            assert response.status_code == 200, (url, user, response.status_code)
            assert response.json()["count"] == 0, (url, user, response.json())
    c = Client()
    login(c, getattr(world, inside))
    response = c.get(url)
    assert response.status_code == 200, (url, inside, response.content[:300])
    if kind == "list":
        assert response.json()["count"] >= 1, (url, inside)
    else:
        want = expected_id if expected_id is not None else int(url.split("?")[0].rstrip("/").rsplit("/", 1)[-1])
        assert response.json()["id"] == want, (url, inside)


def race(*calls) -> list[str]:
    """Run ``calls`` in threads released together (each on its own database connection, closed afterwards), for
    the PostgreSQL concurrency tests. Returns per call "ok" or the name of the exception it raised."""
    import threading

    results, barrier = [None] * len(calls), threading.Barrier(len(calls))

    def run(i, fn):
        from django.db import connections

        try:
            barrier.wait()
            fn()
            results[i] = "ok"
        except Exception as exc:  # the outcome is what the test compares
            results[i] = type(exc).__name__
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
