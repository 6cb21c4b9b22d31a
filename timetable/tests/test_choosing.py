"""网上选课: while a block's 选课 is open a student (or a parent for their child) takes a seat in a teaching group of
their class, changes it or gives it back; a full group takes nobody more; other people's children, other schools
and closed windows are refused. The 教务 opens the window on the block page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog, Notification, User
from core.testing import client_for
from timetable import selectors as sel
from timetable import services
from timetable.testing import GROUP_NAME, parallel_world, tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    w = tt_world(world)
    parallel_world(w)
    now = timezone.now()
    services.elective_window_set(
        actor=w.school_admin_a,
        block=w.block_a,
        choose_from=now - dt.timedelta(hours=1),
        choose_until=now + dt.timedelta(days=2),
    )
    return w


def names(group) -> set[str]:
    return {st.person.name for st in group.students.all()}


def test_choose_change_and_give_back(w):
    services.elective_choose(actor=w.student_user_a1, block=w.block_a, student=w.student_a1, group=w.group_a)
    assert names(w.group_a) == {"周小明"}
    # a change moves the seat; the old group has it back
    services.elective_choose(actor=w.student_user_a1, block=w.block_a, student=w.student_a1, group=w.group_a2)
    assert names(w.group_a) == set() and names(w.group_a2) == {"周小明"}
    # the parent gives it back for the child
    services.elective_choose(actor=w.parent1, block=w.block_a, student=w.student_a1, group=None)
    assert names(w.group_a2) == set()
    assert AuditLog.objects.filter(action="electiveblock.choose").count() == 3


def test_a_full_group_and_the_wrong_people_are_refused(w):
    w.group_a.size = 1
    w.group_a.save()
    services.elective_choose(actor=w.student_user_a2, block=w.block_a, student=w.student_a2, group=w.group_a)
    with pytest.raises(ValidationError) as exc:
        services.elective_choose(actor=w.parent1, block=w.block_a, student=w.student_a1, group=w.group_a)
    assert exc.value.message_dict == {"group": [f"{GROUP_NAME} 已满（1 人）"]}
    # another parent's child, another student
    for actor, student in ((w.parent2, w.student_a1), (w.student_user_a1, w.student_a2), (w.teacher_a, w.student_a1)):
        with pytest.raises(PermissionDenied):
            services.elective_choose(actor=actor, block=w.block_a, student=student, group=w.group_a2)
    # a group that does not draw from the student's class
    w.group_a2.classes.set([w.class_a2])
    with pytest.raises(ValidationError) as exc:
        services.elective_choose(actor=w.student_user_a1, block=w.block_a, student=w.student_a1, group=w.group_a2)
    assert exc.value.message_dict == {"group": [f"{w.group_a2.name} 不招收{w.class_a1.name}的学生"]}
    assert names(w.group_a) == {"郑小刚"} and names(w.group_a2) == set()


def test_opening_the_window_tells_students_and_parents(w):
    """The fixture opened it: every student of the block's classes with an account and their parents."""
    told = set(Notification.objects.filter(kind="timetable.choosing").values_list("user__username", flat=True))
    students = {u.username for u in User.objects.filter(person__student__klass__in=[w.class_a1, w.class_a2])}
    assert students >= {w.student_user_a1.username, w.student_user_a2.username}
    assert told == students | {w.parent1.username, w.parent2.username}
    assert w.student_user_b1.username not in told
    body = Notification.objects.filter(kind="timetable.choosing").first()
    assert body.title == f"{w.block_a.name} 网上选课" and body.url == "/timetable/choose/"
    # saving the same window again sends nothing new; closing it neither
    block = w.block_a
    services.elective_window_set(
        actor=w.school_admin_a, block=block, choose_from=block.choose_from, choose_until=block.choose_until
    )
    services.elective_window_set(actor=w.school_admin_a, block=block, choose_from=None, choose_until=None)
    assert Notification.objects.filter(kind="timetable.choosing").count() == len(told)


def test_the_window(w):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.elective_window_set(
            actor=w.school_admin_a, block=w.block_a, choose_from=now, choose_until=now - dt.timedelta(hours=1)
        )
    assert exc.value.message_dict == {"choose_until": ["选课截止时间须晚于开始时间"]}
    with pytest.raises(PermissionDenied):
        services.elective_window_set(actor=w.teacher_a, block=w.block_a, choose_from=None, choose_until=None)
    services.elective_window_set(
        actor=w.school_admin_a,
        block=w.block_a,
        choose_from=now - dt.timedelta(days=3),
        choose_until=now - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        services.elective_choose(actor=w.student_user_a1, block=w.block_a, student=w.student_a1, group=w.group_a)
    assert exc.value.message_dict["group"][0].startswith("选课已于 ")
    assert sel.elective_offers(w.student_user_a1)[0]["state"] == "closed"
    services.elective_window_set(actor=w.school_admin_a, block=w.block_a, choose_from=None, choose_until=None)
    assert sel.elective_offers(w.student_user_a1) == []


def test_the_page(w):
    url = reverse("timetable:choose")
    parent = client_for(w.parent1)
    page = parent.get(url).content.decode()
    assert page.count('data-testid="offer"') == 1  # only the child at school A has a 走班
    assert GROUP_NAME in page and "选课中" in page
    response = parent.post(url, {"student": w.student_a1.pk, "block": w.block_a.pk, "group": w.group_a.pk}, follow=True)
    assert f"周小明已选{GROUP_NAME}" in response.content.decode()
    assert names(w.group_a) == {"周小明"}
    # another family's child: not offered to this parent
    assert (
        client_for(w.parent2)
        .post(url, {"student": w.student_a1.pk, "block": w.block_a.pk, "group": w.group_a2.pk})
        .status_code
        == 404
    )
    assert names(w.group_a2) == set()
    assert 'data-testid="no-offers"' in client_for(w.student_user_b1).get(url).content.decode()
    assert Client().get(url).status_code == 302


def test_the_api(w):
    url = "/api/v1/timetable/electives"
    choice = f"{url}/{w.block_a.pk}/choice"
    student = client_for(w.student_user_a1)
    offers = student.get(url).json()["items"]
    assert [(o["block"], o["student"], o["state"]) for o in offers] == [(w.block_a.name, "周小明", "open")]
    r = student.post(choice, {"student": w.student_a1.pk, "group": w.group_a.pk}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert [g["name"] for g in r.json()["groups"] if g["mine"]] == [GROUP_NAME]
    # full: 422 with the reason
    w.group_a2.size = 1
    w.group_a2.save()
    services.elective_choose(actor=w.parent2, block=w.block_a, student=w.student_a2, group=w.group_a2)
    r = student.post(choice, {"student": w.student_a1.pk, "group": w.group_a2.pk}, content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"] == f"{w.group_a2.name} 已满（1 人）"
    # out of scope: another school's student, another family; anonymous
    other = client_for(w.student_user_b1)
    assert other.get(url).json() == {"count": 0, "items": []}
    r = other.post(choice, {"student": w.student_a1.pk, "group": w.group_a2.pk}, content_type="application/json")
    assert r.status_code == 404
    r = client_for(w.parent2).post(choice, {"student": w.student_a1.pk, "group": None}, content_type="application/json")
    assert r.status_code == 404
    assert Client().get(url).status_code == 401
    assert names(w.group_a) == {"周小明"}


def test_the_block_page_opens_the_window(w):
    url = reverse("timetable:elective_block", args=[w.school_a.pk, w.block_a.pk])
    admin = client_for(w.school_admin_a)
    response = admin.post(
        url,
        {"action": "window", "choose_from": "2026-12-01T08:00", "choose_until": "2026-12-03T18:00"},
        follow=True,
    )
    assert "选课时间已保存" in response.content.decode()
    w.block_a.refresh_from_db()
    assert timezone.localtime(w.block_a.choose_until).strftime("%Y-%m-%d %H:%M") == "2026-12-03 18:00"
    page = admin.post(
        url, {"action": "window", "choose_from": "2026-12-05T08:00", "choose_until": "2026-12-03T18:00"}
    ).content.decode()
    assert "选课截止时间须晚于开始时间" in page
    assert client_for(w.teacher_a).post(
        url, {"action": "window", "choose_from": "", "choose_until": ""}
    ).status_code in (
        403,
        404,
    )
