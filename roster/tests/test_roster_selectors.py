"""学籍 selectors: every read is scoped to the user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import Class, Grade, Student
from core.testing import junior_class_b, make_person
from roster import selectors, services
from roster.models import ChangeKind, RosterChange, StudentProfile

pytestmark = pytest.mark.django_db


def test_student_timeline_newest_first_and_scoped(world):
    w = world
    st = w.student_a2
    first = services.student_suspend(actor=w.school_admin_a, student=st, reason="病休")
    second = services.student_resume(actor=w.school_admin_a, student=st)
    rows = selectors.student_timeline(w.school_admin_a, st)
    assert [r.pk for r in rows] == [second.pk, first.pk]
    assert rows[1].timeline[0]["action"] == "suspend" and rows[1].timeline[0]["by"] == "sadmin_a"
    assert [r.pk for r in selectors.student_timeline(w.parent2, st)] == [second.pk, first.pk]  # own child
    assert [r.pk for r in selectors.student_timeline(w.head_teacher_a2, st)] == [second.pk, first.pk]
    for outsider in (w.parent1, w.head_teacher_a1, w.school_admin_b, w.teacher_b, w.teacher_a):
        assert selectors.student_timeline(outsider, st) == []


def test_open_transfer_visible_to_receiving_admin_only(world):
    w = world
    ch = services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=w.school_b, reason="搬家")
    assert ch in selectors.student_timeline(w.school_admin_b, w.student_a1)
    # teachers, parents and pupils of the receiving school do not see who is coming
    for user in (w.teacher_b, w.student_user_b1):
        assert not selectors.changes_visible_to(user).filter(pk=ch.pk).exists()
    assert selectors.changes_visible_to(w.parent1).filter(pk=ch.pk).exists()  # parent of the student himself


def test_transfer_inbox_per_role(world):
    w = world
    a = services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=w.school_b, reason="搬家")
    klass = junior_class_b(w)  # a 初一 student of school B can move to school A (a 初中)
    junior_b = Student.objects.create(
        person=make_person("林小初", born=dt.date(2013, 3, 1)),
        district=w.district,
        school=w.school_b,
        klass=klass,
        student_no="L1",
    )
    b = services.transfer_request(actor=w.school_admin_b, student=junior_b, to_school=w.school_a, reason="搬家")
    assert [c.pk for c in selectors.transfer_inbox(w.school_admin_b)] == [a.pk]
    assert [c.pk for c in selectors.transfer_inbox(w.school_admin_a)] == [b.pk]
    services.transfer_accept(actor=w.school_admin_a, change=b, to_class=w.class_a2)
    assert selectors.transfer_inbox(w.school_admin_a) == []
    assert [c.pk for c in selectors.transfer_inbox(w.district_admin)] == [b.pk]
    for user in (w.teacher_a, w.teacher_b, w.parent1, w.auditor, w.head_teacher_a1):
        assert selectors.transfer_inbox(user) == []


def test_dropout_watchlist_only_compulsory_without_return(world):
    w = world
    b_drop = services.student_withdraw(actor=w.school_admin_b, student=w.student_b1, kind="dropout", reason="厌学")
    a_drop = services.student_withdraw(actor=w.school_admin_a, student=w.student_a2, kind="dropout", reason="打工")
    RosterChange.objects.filter(pk=a_drop.pk).update(effective_on=timezone.localdate() - dt.timedelta(days=30))
    services.dropout_follow_up(actor=w.school_admin_a, change=a_drop, note="电话联系家长")
    services.dropout_follow_up(actor=w.school_admin_a, change=a_drop, note="家访")
    rows = selectors.dropout_watchlist(w.district_admin)
    assert [r["student"].pk for r in rows] == [w.student_a2.pk, w.student_b1.pk]  # longest first
    assert rows[0]["days"] == 30 and rows[0]["follow_ups"] == 2 and rows[0]["last_follow_up"]["note"] == "家访"
    assert rows[1]["last_follow_up"] is None and rows[1]["change"].pk == b_drop.pk
    assert [r["student"].pk for r in selectors.dropout_watchlist(w.school_admin_b)] == [w.student_b1.pk]
    assert [r["student"].pk for r in selectors.dropout_watchlist(w.parent2)] == [w.student_a2.pk]
    assert selectors.dropout_watchlist(w.teacher_b) == []

    # a senior-high dropout is not a 控辍保学 case
    senior = w.school_a.__class__.objects.create(
        district=w.district, code="3433000005", name="镇海中学", school_type="senior"
    )
    g = Grade.objects.create(school=senior, stage="senior", entry_year=w.term.academic_year.start_year)
    k = Class.objects.create(school=senior, grade=g, number=1)
    p = make_person("高中生", born=dt.date(2010, 1, 1))
    st = Student.objects.create(person=p, district=w.district, school=senior, klass=k, student_no=f"G{p.id_number}")
    services.student_withdraw(actor=w.district_admin, student=st, kind="withdraw", reason="出国")
    assert st.pk not in {r["student"].pk for r in selectors.dropout_watchlist(w.district_admin)}


def test_enrolment_stats_scoped(world):
    w = world
    StudentProfile.objects.create(student=w.student_a1, migrant_child=True, left_behind="0")
    StudentProfile.objects.create(student=w.student_a1b, left_behind="2")
    StudentProfile.objects.create(student=w.student_b1, migrant_child=True, left_behind="1")
    w.student_a1.person.ethnicity = "03"
    w.student_a1.person.save()
    services.student_suspend(actor=w.school_admin_a, student=w.student_a2, reason="病休")  # not 在读

    d = selectors.enrolment_stats(w.district_admin)
    assert d["total"] == 3
    assert {r["name"]: r["n"] for r in d["by_school"]} == {w.school_a.name: 2, w.school_b.name: 1}
    assert {r["label"]: r["n"] for r in d["by_grade"]} == {"七年级": 2, "三年级": 1}
    assert {r["class_id"]: r["n"] for r in d["by_class"]} == {w.class_a1.pk: 2, w.class_b1.pk: 1}
    assert d["by_gender"] == {"1": 2, "2": 1}
    assert d["by_ethnicity"] == {"": 2, "03": 1}
    assert (d["migrant_child"], d["left_behind"], d["without_profile"]) == (2, 2, 0)

    a = selectors.enrolment_stats(w.school_admin_a)
    assert a["total"] == 2 and [r["school_id"] for r in a["by_school"]] == [w.school_a.pk]
    assert (a["migrant_child"], a["left_behind"]) == (1, 1)
    assert selectors.enrolment_stats(w.district_admin, school=w.school_b)["total"] == 1
    assert selectors.enrolment_stats(w.school_admin_a, school=w.school_b)["total"] == 0
    assert selectors.enrolment_stats(w.head_teacher_a1)["total"] == 2
    assert selectors.enrolment_stats(w.auditor)["total"] == 0


def test_change_stats_by_kind_and_month_scoped(world):
    w = world
    services.student_suspend(actor=w.school_admin_a, student=w.student_a1, reason="病休")
    services.student_resume(actor=w.school_admin_a, student=w.student_a1)
    services.student_move_class(actor=w.school_admin_a, student=w.student_a1b, to_class=w.class_a2, reason="调整")
    services.student_suspend(actor=w.school_admin_b, student=w.student_b1, reason="病休")
    old = services.student_suspend(actor=w.school_admin_a, student=w.student_a2, reason="病休")
    RosterChange.objects.filter(pk=old.pk).update(created_at=timezone.now().replace(year=2020, month=3, day=15))

    d = selectors.change_stats(w.district_admin)
    assert d["total"] == 5 and d["by_kind"] == {"suspend": 3, "resume": 1, "place": 1}
    assert d["by_kind_label"]["休学"] == 3
    assert d["by_month"]["2020-03"] == 1 and sum(d["by_month"].values()) == 5
    this_year = selectors.change_stats(w.district_admin, year=timezone.localdate().year)
    assert this_year["total"] == 4 and "2020-03" not in this_year["by_month"]
    a = selectors.change_stats(w.school_admin_a, year=timezone.localdate().year)
    assert a["by_kind"] == {"suspend": 1, "resume": 1, "place": 1}
    assert selectors.change_stats(w.school_admin_b)["by_kind"] == {"suspend": 1}
    assert selectors.change_stats(w.teacher_a)["total"] == 0
    # the district admin narrowed to one school; a transfer counts for both schools
    assert selectors.change_stats(w.district_admin, school=w.school_b)["by_kind"] == {"suspend": 1}
    services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=w.school_b, reason="搬家")
    assert selectors.change_stats(w.district_admin, school=w.school_b)["by_kind"] == {"suspend": 1, "transfer": 1}
    assert selectors.change_stats(w.district_admin, school=w.school_a)["by_kind"]["transfer"] == 1
    assert selectors.change_stats(w.school_admin_a, school=w.school_b)["total"] == 1  # only the transfer it sent
    assert {r["kind"] for r in d["by_kind_month"]} == {ChangeKind.SUSPEND, ChangeKind.RESUME, ChangeKind.PLACE}


@pytest.mark.django_db
def test_incoming_transfer_is_visible_to_receiving_admins_only_and_stays_visible_to_the_sender(world):
    from roster import services
    from roster.models import RosterChange

    change = services.transfer_request(
        actor=world.school_admin_a, student=world.student_a2, to_school=world.school_b, reason="搬家"
    )
    visible = lambda user: RosterChange.objects.visible_to(user).filter(pk=change.pk).exists()  # noqa: E731
    assert visible(world.school_admin_b) and visible(world.school_admin_a) and visible(world.district_admin)
    assert not visible(world.teacher_b) and not visible(world.student_user_b1)
    services.transfer_accept(actor=world.school_admin_b, change=change, to_class=junior_class_b(world))
    services.transfer_approve(actor=world.district_admin, change=RosterChange.objects.get(pk=change.pk))
    assert visible(world.school_admin_a)  # the sending school keeps its record after the student left
