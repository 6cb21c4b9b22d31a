"""学籍统计: the page and its Excel export agree with direct database counts, within the user's scope."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from core import services as core_services
from core.models import AuditLog, Student, StudentStatus
from core.testing import login
from roster import services
from roster.models import RosterChange, StudentProfile


def client_for(user):
    c = Client()
    login(c, user)
    return c


def enrolled(**filters):
    return Student.objects.filter(status=StudentStatus.ENROLLED, archived_at__isnull=True, **filters)


@pytest.fixture
def w(world):
    """The world plus 民族, a 随迁子女 / 留守儿童 profile and one 转学申请 (A → B)."""
    world.student_a1.person.ethnicity = "03"
    world.student_a1.person.save()
    world.student_b1.person.ethnicity = "01"
    world.student_b1.person.save()
    StudentProfile.objects.create(student=world.student_a1, migrant_child=True, left_behind="1")
    StudentProfile.objects.create(student=world.student_b1, left_behind="2")
    world.transfer = services.transfer_request(
        actor=world.school_admin_a, student=world.student_a2, to_school=world.school_b, reason="随父母工作调动"
    )
    return world


def _table(ctx, title):
    return next(t for t in ctx["tables"] if t.title == title)


@pytest.mark.django_db
def test_school_admin_sees_only_their_school(w):
    r = client_for(w.school_admin_a).get("/roster/stats/")
    assert r.status_code == 200
    ctx = r.context
    e = ctx["enrolment"]
    assert e["total"] == enrolled(school=w.school_a).count() == 3
    assert [(x["name"], x["n"]) for x in e["by_school"]] == [(w.school_a.name, 3)]
    assert e["migrant_child"] == enrolled(school=w.school_a, profile__migrant_child=True).count() == 1
    assert (
        e["left_behind"]
        == enrolled(school=w.school_a).exclude(profile__left_behind="0").filter(profile__isnull=False).count()
        == 1
    )
    assert sum(x["n"] for x in e["by_grade"]) == 3
    gender = dict(_table(ctx, "按性别").rows)
    assert gender["男"] == enrolled(school=w.school_a, person__gender="1").count()
    assert gender["女"] == enrolled(school=w.school_a, person__gender="2").count()
    eth = dict(_table(ctx, "按民族").rows)
    assert eth == {"回族": 1, "未填": 2}
    assert ctx["changes"]["total"] == RosterChange.objects.filter(student__school=w.school_a).count() == 1
    assert dict(_table(ctx, "异动类型").rows) == {"转学": 1}
    page = r.content.decode()
    assert w.school_b.name not in page and "孙小丽" not in page
    assert 'data-chart="chart-stats-grade"' in page and 'id="chart-stats-grade"' in page
    assert 'id="stats-school"' not in page  # one school: no filter
    assert "导出 Excel" in page


@pytest.mark.django_db
def test_district_admin_sees_both_schools_and_filters(w):
    c = client_for(w.district_admin)
    ctx = c.get("/roster/stats/").context
    e = ctx["enrolment"]
    assert e["total"] == enrolled(district=w.district).count() == 4
    assert {x["name"]: x["n"] for x in e["by_school"]} == {
        w.school_a.name: enrolled(school=w.school_a).count(),
        w.school_b.name: enrolled(school=w.school_b).count(),
    }
    assert e["left_behind"] == 2 and e["migrant_child"] == 1
    assert "chart-stats-school" in ctx["charts"]
    page = c.get("/roster/stats/").content.decode()
    assert 'id="stats-school"' in page
    only_b = c.get("/roster/stats/", {"school": w.school_b.pk}).context
    assert only_b["enrolment"]["total"] == 1
    assert only_b["changes"]["total"] == 1  # the transfer into school B


@pytest.mark.django_db
def test_grade_leader_sees_their_grade(w):
    core_services.role_grant_create(
        actor=w.school_admin_a, user=w.head_teacher_a2, role="grade_leader", grade=w.grade_a
    )
    ctx = client_for(w.head_teacher_a2).get("/roster/stats/").context
    assert ctx["enrolment"]["total"] == enrolled(klass__grade=w.grade_a).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["parent1", "head_teacher_a1", "teacher_a", "student_user_a1"])
def test_users_without_roster_admin_rights_get_403(w, who):
    c = client_for(getattr(w, who))
    assert c.get("/roster/stats/").status_code == 403
    assert c.get("/roster/stats/export.xlsx").status_code == 403


@pytest.mark.django_db
def test_school_admin_cannot_filter_on_another_school(w):
    c = client_for(w.school_admin_a)
    assert c.get("/roster/stats/", {"school": w.school_b.pk}).status_code == 404
    assert c.get("/roster/stats/export.xlsx", {"school": w.school_b.pk}).status_code == 404


@pytest.mark.django_db
def test_export_writes_the_tables_as_sheets(w):
    r = client_for(w.district_admin).get("/roster/stats/export.xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["按学校", "按年级", "按性别", "按民族", "随迁子女与留守儿童", "异动类型", "异动月份"]
    rows = lambda name: list(wb[name].iter_rows(values_only=True))  # noqa: E731
    assert rows("按学校") == [("学校", "在籍人数"), (w.school_a.name, 3), (w.school_b.name, 1)]
    assert dict(rows("随迁子女与留守儿童")[1:]) == {
        "在籍学生": 4,
        "进城务工人员随迁子女": 1,
        "留守儿童": 2,
        "未建学籍信息": 2,
    }
    assert dict(rows("按民族")[1:]) == {"未填": 2, "汉族": 1, "回族": 1}
    assert dict(rows("异动类型")[1:]) == {"转学": 1}
    month = rows("异动月份")
    assert month[0] == ("月份", "合计", "转学") and month[1][1:] == (1, 1)
    assert sum(r[-1] for r in rows("按年级")[1:]) == 4
    assert AuditLog.objects.filter(action="roster.stats_export", actor=w.district_admin).exists()


@pytest.mark.django_db
def test_export_of_school_admin_holds_only_their_school(w):
    r = client_for(w.school_admin_b).get("/roster/stats/export.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert list(wb["按学校"].iter_rows(values_only=True)) == [("学校", "在籍人数"), (w.school_b.name, 1)]
    assert w.school_a.name not in str([list(ws.iter_rows(values_only=True)) for ws in wb])
