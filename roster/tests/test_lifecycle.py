"""学籍 lifecycle services: 转学, 转出, 休学/复学, 辍学 + 控辍保学, 分班, 升级/毕业, 学籍号."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core import idcard
from core.models import AuditLog, Class, Grade, Guardianship, Person, RoleGrant, School, Student
from core.testing import junior_class_b, make_person, make_user
from roster import selectors, services
from roster.models import ChangeKind, ChangeStatus, RosterChange, StudentProfile
from roster.placement import Pupil, place, quotas, summarize

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------------------------------


def start_year(w) -> int:
    return w.term.academic_year.start_year


def add_student(w, klass, name="学生", *, gender="1", born=None, no=None, **profile) -> Student:
    born = born or dt.date(start_year(w) - 12, 3, 1)
    p = make_person(name, born=born, gender=gender)
    st = Student.objects.create(
        person=p, district=w.district, school=klass.school, klass=klass, student_no=f"G{p.id_number}", class_no=no
    )
    if profile:
        StudentProfile.objects.create(student=st, **profile)
    return st


def state(student: Student) -> tuple:
    """Everything a refused call must leave alone."""
    student = Student.objects.get(pk=student.pk)
    changes = list(RosterChange.objects.filter(student=student).order_by("pk").values_list("pk", "status", "timeline"))
    return (
        student.school_id,
        student.klass_id,
        student.status,
        student.class_no,
        student.archived_at,
        changes,
        AuditLog.objects.count(),
    )


def actions(change: RosterChange) -> list[str]:
    return [e["action"] for e in change.timeline]


def request_a1(w) -> RosterChange:
    return services.transfer_request(
        actor=w.school_admin_a, student=w.student_a1, to_school=w.school_b, reason="随父母工作调动"
    )


# --- 转学 ----------------------------------------------------------------------------------------------------


def test_transfer_a_to_b_full_flow(world):
    w = world
    st = w.student_a1
    guardians = set(Guardianship.objects.filter(student=st).values_list("guardian_id", flat=True))

    ch = request_a1(w)
    assert (ch.kind, ch.status, ch.from_school, ch.to_school) == (
        ChangeKind.TRANSFER,
        ChangeStatus.REQUESTED,
        w.school_a,
        w.school_b,
    )
    assert ch.from_class == w.class_a1 and ch.requested_by == w.school_admin_a
    assert [c.pk for c in selectors.transfer_inbox(w.school_admin_b)] == [ch.pk]
    assert selectors.transfer_inbox(w.school_admin_a) == []
    assert selectors.transfer_inbox(w.district_admin) == []  # not accepted yet

    services.transfer_accept(actor=w.school_admin_b, change=ch, to_class=junior_class_b(w))
    assert ch.status == ChangeStatus.ACCEPTED and ch.to_class == junior_class_b(w)
    assert selectors.transfer_inbox(w.school_admin_b) == []
    assert [c.pk for c in selectors.transfer_inbox(w.district_admin)] == [ch.pk]

    services.transfer_approve(actor=w.district_admin, change=ch)
    st.refresh_from_db()
    assert (st.school, st.klass, st.district, st.status, st.class_no) == (
        w.school_b,
        junior_class_b(w),
        w.district,
        "enrolled",
        None,
    )
    assert set(Guardianship.objects.filter(student=st).values_list("guardian_id", flat=True)) == guardians
    ch.refresh_from_db()
    assert ch.status == ChangeStatus.DONE and ch.decided_by == w.district_admin and ch.effective_on
    assert actions(ch) == ["request", "accept", "approve", "apply"]
    assert {e["by"] for e in ch.timeline} == {"sadmin_a", "sadmin_b", "dadmin"}
    assert all(e["at"] and "note" in e for e in ch.timeline)
    assert ch.timeline[2]["status"] == ChangeStatus.APPROVED

    # the student is now school B's; both schools keep the transfer in view
    assert not Student.objects.visible_to(w.school_admin_a).filter(pk=st.pk).exists()
    assert Student.objects.visible_to(w.school_admin_b).filter(pk=st.pk).exists()
    assert ch in selectors.student_timeline(w.school_admin_a, st)
    assert ch in selectors.student_timeline(w.school_admin_b, st)
    assert selectors.student_timeline(w.teacher_a, st) == []
    assert selectors.transfer_inbox(w.district_admin) == []

    for action, actor in [
        ("rosterchange.transfer_request", w.school_admin_a),
        ("rosterchange.transfer_accept", w.school_admin_b),
        ("rosterchange.transfer_approve", w.district_admin),
    ]:
        assert AuditLog.objects.filter(action=action, actor=actor, object_id=str(ch.pk)).count() == 1
    approve = AuditLog.objects.get(action="rosterchange.transfer_approve")
    assert approve.changes["student"]["school"] == [w.school_a.pk, w.school_b.pk]


def test_transfer_keeps_stage_and_grade(world):
    w = world
    primary = School.objects.create(
        district=w.district, code="2133000009", name="镇海区中心小学", school_type="primary"
    )
    before = RosterChange.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=primary, reason="搬家")
    assert exc.value.message_dict["to_school"] == ["镇海区中心小学（小学）不设初中，不能接收周小明"]
    assert RosterChange.objects.count() == before

    # school B (九年一贯制) runs 初中, but its 小学 class is not the student's 年级
    ch = services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=w.school_b, reason="搬家")
    with pytest.raises(ValidationError) as exc:
        services.transfer_accept(actor=w.school_admin_b, change=ch, to_class=w.class_b1)
    assert exc.value.message_dict["to_class"] == ["周小明就读七年级，转入班级应为七年级的班级"]
    ch.refresh_from_db()
    assert ch.status == ChangeStatus.REQUESTED and ch.to_class is None
    services.transfer_accept(actor=w.school_admin_b, change=ch, to_class=junior_class_b(w))
    assert RosterChange.objects.get(pk=ch.pk).status == ChangeStatus.ACCEPTED


@pytest.mark.parametrize("who", ["school_admin_b", "teacher_a", "head_teacher_a1", "parent1", "auditor"])
def test_wrong_actor_cannot_request(world, who):
    before = state(world.student_a1)
    with pytest.raises(PermissionDenied):
        services.transfer_request(
            actor=getattr(world, who), student=world.student_a1, to_school=world.school_b, reason="x"
        )
    assert state(world.student_a1) == before


@pytest.mark.parametrize("who", ["school_admin_a", "teacher_b", "head_teacher_a1", "parent1", "student_user_b1"])
def test_wrong_actor_cannot_accept(world, who):
    ch = request_a1(world)
    before = state(world.student_a1)
    with pytest.raises(PermissionDenied):
        services.transfer_accept(actor=getattr(world, who), change=ch, to_class=junior_class_b(world))
    assert state(world.student_a1) == before


@pytest.mark.parametrize("who", ["school_admin_a", "school_admin_b", "teacher_b", "head_teacher_a1", "auditor"])
def test_only_district_admin_approves(world, who):
    ch = request_a1(world)
    services.transfer_accept(actor=world.school_admin_b, change=ch, to_class=junior_class_b(world))
    before = state(world.student_a1)
    with pytest.raises(PermissionDenied):
        services.transfer_approve(actor=getattr(world, who), change=ch)
    assert state(world.student_a1) == before


@pytest.mark.parametrize("who", ["school_admin_a", "teacher_b", "teacher_a"])
def test_wrong_actor_cannot_reject(world, who):
    ch = request_a1(world)
    before = state(world.student_a1)
    with pytest.raises(PermissionDenied):
        services.transfer_reject(actor=getattr(world, who), change=ch, reason="不收")
    assert state(world.student_a1) == before


@pytest.mark.parametrize("who", ["school_admin_b", "teacher_a", "head_teacher_a1", "parent1"])
def test_wrong_actor_cannot_cancel(world, who):
    ch = request_a1(world)
    before = state(world.student_a1)
    with pytest.raises(PermissionDenied):
        services.transfer_cancel(actor=getattr(world, who), change=ch)
    assert state(world.student_a1) == before


def test_teacher_can_do_nothing(world):
    w = world
    st = w.student_a1
    before = state(st)
    calls = [
        lambda: services.transfer_out(
            actor=w.teacher_a, student=st, to_district_name="北仑区", to_school_name="x", reason="y"
        ),
        lambda: services.student_suspend(actor=w.head_teacher_a1, student=st, reason="病休"),
        lambda: services.student_withdraw(actor=w.teacher_a, student=st, kind="dropout", reason="x"),
        lambda: services.student_move_class(actor=w.head_teacher_a1, student=st, to_class=w.class_a2, reason="x"),
        lambda: services.student_number_assign(actor=w.head_teacher_a1, student=st),
        lambda: services.school_promote(actor=w.teacher_a, school=w.school_a, to_start_year=start_year(w) + 1),
        lambda: services.school_promote_preview(actor=w.teacher_a, school=w.school_a, to_start_year=2030),
        lambda: services.cohort_place_plan(actor=w.head_teacher_a1, grade=w.grade_a, class_count=2),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert state(st) == before


def test_invalid_transfer_states(world):
    w = world
    ch = request_a1(w)
    with pytest.raises(ValidationError) as e:
        request_a1(w)  # one open transfer per student
    assert "未办结" in str(e.value)
    with pytest.raises(ValidationError) as e:
        services.transfer_approve(actor=w.district_admin, change=ch)  # before acceptance
    assert "status" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.transfer_accept(actor=w.school_admin_b, change=ch, to_class=w.class_a1)  # not a B class
    assert "to_class" in e.value.message_dict
    services.transfer_accept(actor=w.school_admin_b, change=ch, to_class=junior_class_b(w))
    with pytest.raises(ValidationError):
        services.transfer_accept(actor=w.school_admin_b, change=ch, to_class=junior_class_b(w))  # twice
    with pytest.raises(ValidationError):
        services.transfer_cancel(actor=w.school_admin_a, change=ch)  # already accepted
    with pytest.raises(ValidationError) as e:
        services.transfer_reject(actor=w.school_admin_b, change=ch, reason="名额已满")  # B accepted already
    assert "区县" in str(e.value)
    services.transfer_reject(actor=w.district_admin, change=ch, reason="材料不全")
    assert ch.status == ChangeStatus.REJECTED and actions(ch)[-1] == "reject"
    with pytest.raises(ValidationError):
        services.transfer_approve(actor=w.district_admin, change=ch)
    w.student_a1.refresh_from_db()
    assert w.student_a1.school == w.school_a


def test_request_validation(world):
    w = world
    with pytest.raises(ValidationError) as e:
        services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=w.school_a, reason="x")
    assert "to_school" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.transfer_request(actor=w.school_admin_a, student=w.student_a1, to_school=w.school_b, reason=" ")
    assert e.value.message_dict["reason"] == ["请填写转学原因"]
    w.school_b.archived_at = timezone.now()
    w.school_b.save()
    with pytest.raises(ValidationError) as e:
        request_a1(w)
    assert "已归档" in e.value.message_dict["to_school"][0]
    w.school_b.archived_at = None
    w.school_b.save()
    services.student_suspend(actor=w.school_admin_a, student=w.student_a1, reason="病休")
    with pytest.raises(ValidationError) as e:
        request_a1(w)
    assert "在读" in e.value.message_dict["student"][0]
    assert not RosterChange.objects.filter(kind=ChangeKind.TRANSFER).exists()


def test_cancel_and_reject_while_requested(world):
    w = world
    ch = request_a1(w)
    services.transfer_cancel(actor=w.school_admin_a, change=ch)
    assert ch.status == ChangeStatus.CANCELLED
    ch2 = request_a1(w)  # a closed request does not block a new one
    services.transfer_reject(actor=w.school_admin_b, change=ch2, reason="学位已满")
    assert ch2.status == ChangeStatus.REJECTED and ch2.timeline[-1]["note"] == "学位已满"
    assert AuditLog.objects.filter(action="rosterchange.transfer_cancel").count() == 1
    assert AuditLog.objects.filter(action="rosterchange.transfer_reject", actor=w.school_admin_b).count() == 1


def test_transfer_out_of_district(world):
    w = world
    st = w.student_a2
    letter = services.transfer_out(
        actor=w.school_admin_a, student=st, to_district_name="北仑区", to_school_name="北仑区实验中学", reason="搬家"
    )
    assert st.status == "transferred"  # the caller's instance is refreshed
    st.refresh_from_db()
    assert st.status == "transferred" and st.archived_at is not None
    ch = RosterChange.objects.get(pk=letter["change_id"])
    entry = ch.timeline[0]
    assert (entry["to_district"], entry["to_school"], entry["to"]) == (
        "北仑区",
        "北仑区实验中学",
        "北仑区北仑区实验中学",
    )
    assert (ch.kind, ch.status, ch.from_school) == (ChangeKind.TRANSFER_OUT, ChangeStatus.DONE, w.school_a)
    assert letter["student_name"] == "郑小刚" and letter["to_school_name"] == "北仑区实验中学"
    assert letter["from_school"] == w.school_a.name and letter["student_no"] == st.student_no
    assert "*" in letter["student_no_masked"]
    assert ch in selectors.student_timeline(w.school_admin_a, st)
    audit = AuditLog.objects.get(action="rosterchange.transfer_out")
    assert st.person.id_number not in str(audit.changes)
    with pytest.raises(ValidationError):
        services.transfer_out(actor=w.school_admin_a, student=st, to_district_name="x", to_school_name="y", reason="z")


# --- 休学 / 复学 -------------------------------------------------------------------------------------------------


def test_suspend_and_resume_into_later_cohort(world):
    w = world
    st = w.student_a1
    with pytest.raises(ValidationError) as e:
        services.student_suspend(
            actor=w.school_admin_a, student=st, reason="病休", until=timezone.localdate() - dt.timedelta(days=1)
        )
    assert "until" in e.value.message_dict
    until = timezone.localdate() + dt.timedelta(days=180)
    ch = services.student_suspend(actor=w.school_admin_a, student=st, reason="病休", until=until)
    assert st.status == "suspended" and ch.kind == ChangeKind.SUSPEND and ch.timeline[0]["until"] == until.isoformat()
    with pytest.raises(ValidationError):
        services.student_suspend(actor=w.school_admin_a, student=st, reason="again")

    older = Grade.objects.create(school=w.school_a, stage="junior", entry_year=start_year(w) - 1)
    older_class = Class.objects.create(school=w.school_a, grade=older, number=1)
    with pytest.raises(ValidationError) as e:
        services.student_resume(actor=w.school_admin_a, student=st, to_class=older_class)
    assert "to_class" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.student_resume(actor=w.school_admin_a, student=st, to_class=w.class_b1)  # another school

    later = Grade.objects.create(school=w.school_a, stage="junior", entry_year=start_year(w) + 1)
    later_class = Class.objects.create(school=w.school_a, grade=later, number=1)
    r = services.student_resume(actor=w.school_admin_a, student=st, to_class=later_class)
    st.refresh_from_db()
    assert (st.status, st.klass, st.class_no) == ("enrolled", later_class, None)
    assert (r.kind, r.from_class, r.to_class) == (ChangeKind.RESUME, w.class_a1, later_class)
    with pytest.raises(ValidationError):
        services.student_resume(actor=w.school_admin_a, student=st)
    assert AuditLog.objects.filter(action__in=["rosterchange.suspend", "rosterchange.resume"]).count() == 2


def test_resume_into_old_class(world):
    st = world.student_a2
    services.student_suspend(actor=world.district_admin, student=st, reason="随父母出国")
    ch = services.student_resume(actor=world.district_admin, student=st)
    st.refresh_from_db()
    assert st.status == "enrolled" and st.klass == world.class_a2 and st.class_no == 1
    assert ch.timeline[0]["note"] == "复学，回原班级"


# --- 退学 / 辍学 / 控辍保学 ------------------------------------------------------------------------------------


def test_dropout_follow_up_and_return(world):
    w = world
    st = w.student_a1
    with pytest.raises(ValidationError) as e:
        services.student_withdraw(actor=w.school_admin_a, student=st, kind="withdraw", reason="不想读")
    assert "义务教育" in e.value.message_dict["kind"][0]
    with pytest.raises(ValidationError):
        services.student_withdraw(actor=w.school_admin_a, student=st, kind="suspend", reason="x")
    ch = services.student_withdraw(actor=w.school_admin_a, student=st, kind="dropout", reason="外出打工")
    st.refresh_from_db()
    assert st.status == "dropped" and (ch.kind, ch.status) == (ChangeKind.DROPOUT, ChangeStatus.DONE)

    services.dropout_follow_up(actor=w.school_admin_a, change=ch, note="家访，家长同意劝返")
    assert actions(ch) == ["dropout", "follow_up"] and "家访" in ch.follow_up
    with pytest.raises(PermissionDenied):
        services.dropout_follow_up(actor=w.school_admin_b, change=ch, note="x")
    with pytest.raises(PermissionDenied):
        services.dropout_follow_up(actor=w.head_teacher_a1, change=ch, note="x")

    rows = selectors.dropout_watchlist(w.school_admin_a, today=timezone.localdate() + dt.timedelta(days=10))
    assert [r["student"].pk for r in rows] == [st.pk]
    assert rows[0]["days"] == 10 and rows[0]["follow_ups"] == 1
    assert rows[0]["last_follow_up"]["note"] == "家访，家长同意劝返"
    assert selectors.dropout_watchlist(w.school_admin_b) == []
    assert [r["student"].pk for r in selectors.dropout_watchlist(w.district_admin)] == [st.pk]
    assert [r["student"].pk for r in selectors.dropout_watchlist(w.head_teacher_a1)] == [st.pk]
    assert selectors.dropout_watchlist(w.head_teacher_a2) == []

    services.dropout_follow_up(actor=w.school_admin_a, change=ch, note="已返校", returned=True)
    st.refresh_from_db()
    assert st.status == "enrolled" and actions(ch)[-2:] == ["follow_up", "returned"]
    resume = RosterChange.objects.get(student=st, kind=ChangeKind.RESUME)
    assert resume.timeline[0]["dropout_change"] == ch.pk
    assert selectors.dropout_watchlist(w.school_admin_a) == []
    with pytest.raises(ValidationError):
        services.dropout_follow_up(actor=w.school_admin_a, change=ch, note="再访")
    assert AuditLog.objects.filter(action="rosterchange.dropout_follow_up").count() == 2


# --- 分班 (pure algorithm) -----------------------------------------------------------------------------------


def random_cohort(seed: int, n: int = 90) -> list[Pupil]:
    rng = random.Random(seed)
    male_share = rng.uniform(0.35, 0.65)
    return [
        Pupil(
            i,
            "1" if rng.random() < male_share else "2",
            round(rng.gauss(560, 60), 1),
            rng.random() < 0.08,
        )
        for i in range(1, n + 1)
    ]


def spread(rows, key) -> float:
    values = [r[key] for r in rows]
    return max(values) - min(values)


@pytest.mark.parametrize("seed", range(40))
def test_place_balances_random_cohorts(seed):
    pupils = random_cohort(seed, n=80 + seed % 21)
    n = 2 + seed % 4
    assignment = place(pupils, n)
    assert set(assignment) == {p.id for p in pupils} and set(assignment.values()) == set(range(n))
    rows = summarize(pupils, assignment, n)
    for key in ("size", "male", "female", "special"):
        assert spread(rows, key) <= 1, (key, rows)
    assert spread(rows, "mean") <= 2.0, rows  # points, on scores of mean 560 / sd 60


def test_place_is_deterministic_and_order_independent():
    pupils = random_cohort(7)
    a = place(pupils, 3)
    assert place(list(reversed(pupils)), 3) == a
    assert place(random.Random(1).sample(pupils, len(pupils)), 3) == a


def test_place_handles_missing_scores_unknown_gender_and_spread_weight():
    rng = random.Random(3)
    pupils = [
        Pupil(i, rng.choice("1120"), None if i % 7 == 0 else rng.randint(300, 700), i % 9 == 0) for i in range(95)
    ]
    for weights in (None, {"mean": 1, "spread": 1}):
        rows = summarize(pupils, place(pupils, 4, weights=weights), 4)
        for key in ("size", "male", "female", "special"):
            assert spread(rows, key) <= 1, (key, rows)


def test_quotas_contiguous_runs():
    q = quotas([5, 2, 1, 7], 3)
    assert q == [[2, 2, 1], [1, 0, 1], [0, 1, 0], [2, 2, 3]]
    assert [sum(col) for col in zip(*q, strict=True)] == [5, 5, 5]  # the whole run is balanced
    assert [q[0][c] + q[1][c] for c in range(3)] == [3, 2, 2]  # so is any contiguous run of cells
    with pytest.raises(ValueError):
        place([Pupil(1)], 0)
    assert place([Pupil(1), Pupil(2)], 1) == {1: 0, 2: 0}


# --- 分班 (service) --------------------------------------------------------------------------------------------


def new_cohort(w, n=90, seed=5):
    """A new 七年级 of school A imported into a provisional class (number 9)."""
    rng = random.Random(seed)
    grade = Grade.objects.create(school=w.school_a, stage="junior", entry_year=start_year(w) + 1)
    pool = Class.objects.create(school=w.school_a, grade=grade, number=9, alias="待分班")
    students, scores = [], {}
    for i in range(n):
        special = rng.random() < 0.1
        st = add_student(
            w,
            pool,
            f"新生{i}",
            gender=rng.choice("12"),
            born=dt.date(start_year(w) - 11, 1 + i % 12, 1 + i % 28),
            with_class_study="1" if special else "0",
        )
        students.append(st)
        scores[st.pk] = rng.randint(420, 700)
    return grade, pool, students, scores


def test_cohort_place_plan_then_apply(world):
    w = world
    grade, pool, students, scores = new_cohort(w)
    classes_before = Class.objects.count()
    plan = services.cohort_place_plan(
        actor=w.school_admin_a, grade=grade, student_ids=[s.pk for s in students], class_count=3, scores=scores
    )
    assert Class.objects.count() == classes_before and not RosterChange.objects.filter(kind="place").exists()
    assert plan["class_numbers"] == [1, 2, 3] and plan["moves"] == 90
    assert [r["exists"] for r in plan["summary"]] == [False, False, False]

    result = services.cohort_place_apply(actor=w.school_admin_a, grade=grade, plan=plan)
    assert result["moved"] == 90 and result["created_classes"] == [1, 2, 3]
    classes = list(Class.objects.filter(grade=grade, number__in=[1, 2, 3]).order_by("number"))
    assert AuditLog.objects.filter(action="class.create", actor=w.school_admin_a).count() == 3
    sizes, males, specials, means = [], [], [], []
    for k in classes:
        members = list(Student.objects.filter(klass=k).select_related("person", "profile"))
        sizes.append(len(members))
        males.append(sum(s.person.gender == "1" for s in members))
        specials.append(sum(s.profile.with_class_study != "0" for s in members))
        means.append(sum(scores[s.pk] for s in members) / len(members))
    assert sizes == [30, 30, 30]
    assert max(males) - min(males) <= 1 and max(specials) - min(specials) <= 1
    assert max(means) - min(means) <= 2
    assert not Student.objects.filter(klass=pool).exists()
    changes = RosterChange.objects.filter(kind=ChangeKind.PLACE)
    assert changes.count() == 90 and set(changes.values_list("from_class", flat=True)) == {pool.pk}
    assert AuditLog.objects.filter(action="roster.cohort_place").count() == 1

    # applying the same plan again moves nobody
    again = services.cohort_place_apply(actor=w.school_admin_a, grade=grade, plan=plan)
    assert again["moved"] == 0 and RosterChange.objects.filter(kind=ChangeKind.PLACE).count() == 90


def test_cohort_place_defaults_and_scope(world):
    w = world
    grade, _pool, students, _ = new_cohort(w, n=20)
    with pytest.raises(PermissionDenied):
        services.cohort_place(actor=w.school_admin_b, grade=grade, class_count=2)
    with pytest.raises(ValidationError) as e:
        services.cohort_place(actor=w.school_admin_a, grade=grade, student_ids=[w.student_b1.pk], class_count=2)
    assert "student_ids" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.cohort_place(actor=w.school_admin_a, grade=grade, classes=[w.class_a1])
    assert "classes" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.cohort_place(actor=w.school_admin_a, grade=grade, class_count=0)
    # default students: the whole cohort; default classes: given list
    c1 = Class.objects.create(school=w.school_a, grade=grade, number=1)
    c2 = Class.objects.create(school=w.school_a, grade=grade, number=2)
    plan = services.cohort_place(actor=w.district_admin, grade=grade, classes=[c1, c2])
    assert plan["result"]["moved"] == 20 and plan["result"]["created_classes"] == []
    assert sorted(Student.objects.filter(klass__in=[c1, c2]).values_list("pk", flat=True)) == sorted(
        s.pk for s in students
    )
    # a stale plan is refused
    services.student_suspend(actor=w.school_admin_a, student=students[0], reason="病休")
    with pytest.raises(ValidationError) as e:
        services.cohort_place_apply(actor=w.school_admin_a, grade=grade, plan=plan)
    assert "重新生成" in e.value.message_dict["plan"][0]


def test_move_class(world):
    w = world
    st = w.student_a1
    ch = services.student_move_class(actor=w.school_admin_a, student=st, to_class=w.class_a2, reason="家长申请")
    st.refresh_from_db()
    assert st.klass == w.class_a2 and st.class_no is None
    assert (ch.kind, ch.from_class, ch.to_class) == (ChangeKind.PLACE, w.class_a1, w.class_a2)
    with pytest.raises(ValidationError):
        services.student_move_class(actor=w.school_admin_a, student=st, to_class=w.class_a2, reason="x")
    with pytest.raises(ValidationError) as e:
        services.student_move_class(actor=w.district_admin, student=st, to_class=w.class_b1, reason="x")
    assert "to_class" in e.value.message_dict


# --- 升级 / 毕业 ------------------------------------------------------------------------------------------------


def test_promotion_preview_apply_graduation_idempotent(world):
    w = world
    year = start_year(w)
    g9 = Grade.objects.create(school=w.school_a, stage="junior", entry_year=year - 2)  # 九年级 now
    c9 = Class.objects.create(school=w.school_a, grade=g9, number=1)
    leavers = [add_student(w, c9, f"毕业生{i}", born=dt.date(year - 14, 5, 1 + i)) for i in range(2)]
    suspended = add_student(w, w.class_a1, "休学生")
    services.student_suspend(actor=w.school_admin_a, student=suspended, reason="病休")

    preview = services.school_promote_preview(actor=w.school_admin_a, school=w.school_a, to_start_year=year + 1)
    assert (preview["promoted"], preview["graduated"], preview["continued"]) == (3, 2, 0)
    by_grade = {r["grade_id"]: r for r in preview["grades"]}
    assert by_grade[w.grade_a.pk]["from_label"] == "七年级" and by_grade[w.grade_a.pk]["to_label"] == "八年级"
    assert by_grade[g9.pk]["action"] == "graduate" and by_grade[g9.pk]["count"] == 2
    assert not RosterChange.objects.filter(kind__in=["promote", "graduate"]).exists()

    summary = services.school_promote(actor=w.school_admin_a, school=w.school_a, to_start_year=year + 1)
    assert {k: summary[k] for k in ("promoted", "graduated", "grades")} == {
        k: preview[k] for k in ("promoted", "graduated", "grades")
    }
    for st in leavers:
        st.refresh_from_db()
        assert st.status == "graduated" and st.archived_at is not None
        assert RosterChange.objects.filter(student=st, kind=ChangeKind.GRADUATE).count() == 1
    promoted = RosterChange.objects.filter(kind=ChangeKind.PROMOTE)
    assert set(promoted.values_list("student_id", flat=True)) == {
        w.student_a1.pk,
        w.student_a1b.pk,
        w.student_a2.pk,
    }
    assert promoted.first().timeline[0]["note"] == "升级：七年级 → 八年级"
    assert not RosterChange.objects.filter(student=suspended, kind=ChangeKind.PROMOTE).exists()
    assert not RosterChange.objects.filter(student=w.student_b1, kind=ChangeKind.PROMOTE).exists()
    assert AuditLog.objects.filter(action="roster.school_promote").count() == 1

    again = services.school_promote(actor=w.district_admin, school=w.school_a, to_start_year=year + 1)
    assert (again["promoted"], again["graduated"], again["already_done"]) == (0, 0, 3)
    assert RosterChange.objects.filter(kind__in=["promote", "graduate"]).count() == 5
    with pytest.raises(PermissionDenied):
        services.school_promote(actor=w.school_admin_b, school=w.school_a, to_start_year=year + 1)


def test_nine_year_school_primary_leavers_continue(world):
    w = world
    year = start_year(w)
    school = School.objects.create(
        district=w.district, code="3133000009", name="九年一贯制学校", school_type="nine_year"
    )
    admin = make_user(make_person("九校长", born=dt.date(1979, 1, 1)), "sadmin_9")
    RoleGrant.objects.create(user=admin, role="school_admin", district=w.district, school=school)
    p6 = Grade.objects.create(school=school, stage="primary", entry_year=year - 5)  # 六年级 now
    j8 = Grade.objects.create(school=school, stage="junior", entry_year=year - 1)  # 八年级 now
    k6 = Class.objects.create(school=school, grade=p6, number=1)
    k8 = Class.objects.create(school=school, grade=j8, number=1)
    sixth = [add_student(w, k6, f"六年级{i}", born=dt.date(year - 11, 2, 1 + i)) for i in range(2)]
    add_student(w, k8, "八年级")
    summary = services.school_promote(actor=admin, school=school, to_start_year=year + 1)
    assert (summary["promoted"], summary["graduated"], summary["continued"]) == (1, 0, 2)
    for st in sixth:
        st.refresh_from_db()
        assert st.status == "enrolled" and st.archived_at is None
        ch = RosterChange.objects.get(student=st, kind=ChangeKind.GRADUATE)
        assert ch.timeline[0]["note"] == "小学毕业，升入本校初中"
    assert services.school_promote(actor=admin, school=school, to_start_year=year + 1)["continued"] == 0
    with pytest.raises(ValidationError):
        services.school_promote_preview(actor=admin, school=school, to_start_year=1900)


# --- 学籍号 ---------------------------------------------------------------------------------------------------


def no_id_student(w, name, born, klass=None):
    p = Person.objects.create(name=name, gender="2", birth_date=born, id_type="Z")
    return Student.objects.create(
        person=p,
        district=w.district,
        school=w.school_a,
        klass=klass or w.class_a1,
        student_no=f"L330211{born:%Y%m%d}{p.pk:04d}",
    )


def test_g_number_for_id_holders(world):
    w = world
    st = w.student_a1
    expected = "G" + st.person.id_number
    assert services.student_number_assign(actor=w.school_admin_a, student=st) == expected
    assert not RosterChange.objects.filter(kind=ChangeKind.NUMBER).exists()  # already right: nothing to do
    st.student_no = "L3302112013040100001"
    st.save()
    assert services.student_number_assign(actor=w.school_admin_a, student=st) == expected
    st.refresh_from_db()
    assert st.student_no == expected
    ch = RosterChange.objects.get(student=st, kind=ChangeKind.NUMBER)
    assert st.person.id_number not in str(ch.timeline)  # masked in the timeline
    audit = AuditLog.objects.get(action="rosterchange.number")
    assert st.person.id_number not in str(audit.changes)
    # the G number of someone else's ID is refused
    other = w.student_a1b
    other.student_no = "L3302112013040100002"
    other.save()
    st.student_no = "G" + other.person.id_number
    st.save()
    with pytest.raises(ValidationError) as e:
        services.student_number_assign(actor=w.school_admin_a, student=other)
    assert "student_no" in e.value.message_dict


def test_j_number_format_and_uniqueness(world):
    w = world
    born = dt.date(2013, 4, 1)
    a = no_id_student(w, "无证甲", born)
    b = no_id_student(w, "无证乙", born)
    na = services.student_number_assign(actor=w.school_admin_a, student=a)
    nb = services.student_number_assign(actor=w.district_admin, student=b)
    for n in (na, nb):
        assert re.fullmatch(r"J330211201304010\d{2}[\dX]", n)
        assert len(n) == 19 and idcard.check_digit(n[1:18]) == n[18]
        assert services.j_number_valid(n)
    assert na == services.j_number("330211", born, 1) and nb == services.j_number("330211", born, 2)
    assert services.student_number_assign(actor=w.school_admin_a, student=a) == na  # stable
    assert Student.objects.filter(student_no_index=Student.student_no_lookup(na)).count() == 1
    assert RosterChange.objects.filter(kind=ChangeKind.NUMBER).count() == 2
    assert "不确定" in services.J_RULE_NOTE


def test_l_number_and_missing_birth_date(world):
    w = world
    st = no_id_student(w, "临时", dt.date(2012, 9, 9))
    n = services.student_number_assign(actor=w.school_admin_a, student=st, temporary=True)
    assert n == st.student_no  # an L number already: kept
    st.student_no = services.j_number("330211", dt.date(2012, 9, 9), 5)
    st.save()
    with pytest.raises(ValidationError) as e:  # a formal J number is never downgraded to an L number
        services.student_number_assign(actor=w.school_admin_a, student=st, temporary=True)
    assert e.value.message_dict["student_no"] == ["临时已有正式学籍号，不能改为临时学籍号"]
    st.student_no = ""
    st.save()
    n = services.student_number_assign(actor=w.school_admin_a, student=st, temporary=True)
    assert re.fullmatch(r"L33021120120909\d{4}", n)
    st.person.birth_date = None
    st.person.save()
    with pytest.raises(ValidationError) as e:
        services.student_number_assign(actor=w.school_admin_a, student=st)
    assert "birth_date" in e.value.message_dict


def test_move_class_stays_in_the_grade(world):
    w = world
    other = Grade.objects.create(school=w.school_a, stage="junior", entry_year=w.grade_a.entry_year - 1)
    eighth = Class.objects.create(school=w.school_a, grade=other, number=1)
    before = state(w.student_a1)
    with pytest.raises(ValidationError) as e:
        services.student_move_class(actor=w.school_admin_a, student=w.student_a1, to_class=eighth, reason="x")
    assert "调班只能在同一年级内进行" in e.value.message_dict["to_class"][0]
    assert state(w.student_a1) == before


def test_cohort_place_apply_skips_classes_the_plan_leaves_empty(world):
    w = world
    grade, _pool, students, scores = new_cohort(w)
    plan = services.cohort_place_plan(
        actor=w.school_admin_a, grade=grade, student_ids=[s.pk for s in students], class_count=3, scores=scores
    )
    # manual adjustment: everyone of class 3 goes to class 1
    plan["assignments"] = {k: (1 if v == 3 else v) for k, v in plan["assignments"].items()}
    result = services.cohort_place_apply(actor=w.school_admin_a, grade=grade, plan=plan)
    assert result["created_classes"] == [1, 2]
    assert not Class.objects.filter(grade=grade, number=3).exists()
    assert Student.objects.filter(klass__grade=grade, klass__number=1).count() == 60

    bad = {**plan, "class_numbers": [1, 1, 2]}
    with pytest.raises(ValidationError) as e:
        services.cohort_place_apply(actor=w.school_admin_a, grade=grade, plan=bad)
    assert "班级编号无效" in e.value.message_dict["plan"][0]
