"""Services of 家校互动: registration and binding, leave approval chain, attendance and its statistics."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditLog, Guardianship, Person, User
from core.scope import roles_of
from homeschool import selectors as sel
from homeschool import services
from homeschool.models import (
    AttendanceMark,
    AttendanceSheet,
    BindingRequest,
    InvitationCode,
    LeaveRequest,
    LeaveStatus,
    school_half_days,
)

from .conftest import next_weekday

pytestmark = pytest.mark.django_db

PASSWORD = "Parent#2026abc"


def register(world, invitation, **kw):
    data = {
        "code": invitation.code,
        "phone": "13911112222",
        "parent_name": "吴大伟",
        "child_name": world.student_a1b.person.name,
        "child_id_number": world.student_a1b.person.id_number,
        "relation": "1",
        "password": PASSWORD,
    }
    data.update(kw)
    return services.parent_register(**data)


# --- registration and binding ----------------------------------------------------------------------------


def test_register_new_parent_then_head_teacher_approves(world, code_a1):
    result = register(world, code_a1, code=code_a1.code.lower())  # typed in lower case: still accepted
    assert result.new_account and not result.password_pending
    user = result.user
    assert user.check_password(PASSWORD)
    assert user.person.name == "吴大伟" and user.person.phone == "13911112222"
    assert result.binding.student == world.student_a1b and result.binding.status == "pending"
    assert InvitationCode.objects.get(pk=code_a1.pk).use_count == 1
    # before approval the parent is no guardian: the child is not visible
    assert "guardian" not in roles_of(User.objects.get(pk=user.pk))

    g = services.binding_approve(actor=world.head_teacher_a1, binding=result.binding)
    assert g.guardian_id == user.person_id and g.student == world.student_a1b and g.relation == "1"
    assert BindingRequest.objects.get(pk=result.binding.pk).status == "approved"
    assert [c.student for c in sel.my_children(User.objects.get(pk=user.pk))] == [world.student_a1b]
    assert AuditLog.objects.filter(action="homeschool.binding_approve").count() == 1


def test_second_child_adds_to_the_same_account(world, code_a1):
    first = register(world, code_a1)
    services.binding_approve(actor=world.head_teacher_a1, binding=first.binding)
    code_a2 = services.invitation_code_create(actor=world.head_teacher_a2, klass=world.class_a2)
    second = register(
        world,
        code_a2,
        child_name=world.student_a2.person.name,
        child_id_number=world.student_a2.person.id_number,
        password="whatever-not-used",
    )
    assert not second.new_account and second.user.pk == first.user.pk
    assert second.user.check_password(PASSWORD)  # the form never changes an existing password
    services.binding_approve(actor=world.head_teacher_a2, binding=second.binding)
    assert Person.objects.filter(phone_index=first.user.person.phone_index).count() == 1
    kids = {g.student_id for g in sel.my_children(User.objects.get(pk=first.user.pk))}
    assert kids == {world.student_a1b.pk, world.student_a2.pk}


@pytest.mark.parametrize(
    "change",
    [
        {"child_id_number": "110101201001011234"},  # an ID number that is nobody's
        {"child_name": "吴小白"},  # right number, wrong name
        {"child_id_number": "ID_OF_A2"},  # a real student, but of another class
    ],
)
def test_mismatch_says_only_xinxi_bu_pipei_and_writes_nothing(world, code_a1, change):
    if change.get("child_id_number") == "ID_OF_A2":
        change = {"child_id_number": world.student_a2.person.id_number, "child_name": world.student_a2.person.name}
    persons, users = Person.objects.count(), User.objects.count()
    with pytest.raises(ValidationError) as exc:
        register(world, code_a1, **change)
    assert exc.value.messages == [services.MISMATCH]
    assert (Person.objects.count(), User.objects.count(), BindingRequest.objects.count()) == (persons, users, 0)
    assert InvitationCode.objects.get(pk=code_a1.pk).use_count == 0


def test_revoked_or_expired_code_is_refused(world, code_a1):
    services.invitation_code_revoke(actor=world.head_teacher_a1, code=code_a1)
    with pytest.raises(ValidationError) as exc:
        register(world, code_a1)
    assert "邀请码无效" in exc.value.message_dict["code"][0]
    fresh = services.invitation_code_create(actor=world.head_teacher_a1, klass=world.class_a1)
    InvitationCode.objects.filter(pk=fresh.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError):
        register(world, fresh)
    used_up = services.invitation_code_create(actor=world.head_teacher_a1, klass=world.class_a1, max_uses=1)
    register(world, used_up)
    with pytest.raises(ValidationError):
        register(world, used_up, phone="13911113333")
    assert BindingRequest.objects.count() == 1


def test_weak_password_and_bad_phone_name_the_field(world, code_a1):
    with pytest.raises(ValidationError) as exc:
        register(world, code_a1, password="123456")
    assert "password" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        register(world, code_a1, phone="12345")
    assert "phone" in exc.value.message_dict
    assert BindingRequest.objects.count() == 0


def test_duplicate_pending_request_and_already_bound(world, code_a1):
    register(world, code_a1)
    with pytest.raises(ValidationError) as exc:
        register(world, code_a1)
    assert "等待班主任审核" in exc.value.message_dict["phone"][0]
    # parent1 is already 周小明's guardian
    with pytest.raises(ValidationError) as exc:
        register(
            world,
            code_a1,
            phone="13800138001",
            child_name=world.student_a1.person.name,
            child_id_number=world.student_a1.person.id_number,
        )
    assert "已绑定" in exc.value.message_dict["phone"][0]


def test_account_without_password_gets_it_only_on_approval(world, code_a1):
    # a parent the school entered earlier (no password yet) registers with the same phone
    bare = services.person_build(name="吴大伟", phone="13911112222")
    user = User.objects.get(person=bare)
    assert not user.has_usable_password()
    result = register(world, code_a1)
    assert result.password_pending and not result.new_account
    assert not User.objects.get(pk=user.pk).has_usable_password()
    services.binding_approve(actor=world.head_teacher_a1, binding=result.binding)
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_only_the_class_head_teacher_decides_and_reject_needs_reason(world, code_a1):
    result = register(world, code_a1)
    with pytest.raises(PermissionDenied):
        services.binding_approve(actor=world.head_teacher_a2, binding=result.binding)
    with pytest.raises(PermissionDenied):
        services.binding_approve(actor=world.teacher_a, binding=result.binding)
    with pytest.raises(ValidationError):
        services.binding_reject(actor=world.head_teacher_a1, binding=result.binding, reason=" ")
    services.binding_reject(actor=world.head_teacher_a1, binding=result.binding, reason="不是本班家长")
    assert not Guardianship.objects.filter(student=world.student_a1b, guardian=result.user.person).exists()
    with pytest.raises(ValidationError):
        services.binding_approve(actor=world.head_teacher_a1, binding=result.binding)
    # a rejected request does not block a new one
    assert register(world, code_a1).binding.status == "pending"


def test_code_creation_is_the_class_head_teachers(world):
    with pytest.raises(PermissionDenied):
        services.invitation_code_create(actor=world.head_teacher_a2, klass=world.class_a1)
    with pytest.raises(PermissionDenied):
        services.invitation_code_create(actor=world.parent1, klass=world.class_a1)
    code = services.invitation_code_create(actor=world.school_admin_a, klass=world.class_a1)
    assert len(code.code) == 8 and not set(code.code) & set("01OIL")


# --- leave ---------------------------------------------------------------------------------------------


def test_school_half_days():
    mon = dt.date(2026, 11, 16)
    assert school_half_days(mon, "am", mon, "pm") == 2
    assert school_half_days(mon, "pm", mon, "pm") == 1
    assert school_half_days(mon, "am", mon + dt.timedelta(days=6), "pm") == 10  # Mon–Sun: five school days
    assert school_half_days(mon + dt.timedelta(days=5), "am", mon + dt.timedelta(days=6), "pm") == 0
    assert school_half_days(mon, "pm", mon + dt.timedelta(days=1), "am") == 2


def submit(world, days=1, **kw):
    start = next_weekday(1)
    end = start
    while school_half_days(start, "am", end, "pm") < days * 2:
        end += dt.timedelta(days=1)
    data = {"kind": "sick", "start_date": start, "end_date": end, "reason": "发烧，去医院"}
    data.update(kw)
    return services.leave_submit(actor=world.parent1, student=world.student_a1, **data)


def test_short_leave_head_teacher_approves(world):
    leave = submit(world)
    assert leave.status == LeaveStatus.PENDING_HEAD and leave.days == Decimal("1")
    assert [t["action"] for t in leave.timeline] == ["submit"]
    with pytest.raises(PermissionDenied):
        services.leave_approve(actor=world.head_teacher_a2, leave=leave)
    with pytest.raises(PermissionDenied):
        services.leave_approve(actor=world.parent1, leave=leave)
    leave = services.leave_approve(actor=world.head_teacher_a1, leave=leave, note="好好休息")
    assert leave.status == LeaveStatus.APPROVED
    assert [t["action"] for t in leave.timeline] == ["submit", "approve"]


def test_long_leave_goes_on_to_the_grade_leader(world, grade_leader):
    leave = submit(world, days=4)
    assert leave.days == Decimal("4")
    leave = services.leave_approve(actor=world.head_teacher_a1, leave=leave)
    assert leave.status == LeaveStatus.PENDING_GRADE
    assert list(sel.leaves_to_decide(grade_leader)) == [leave]
    assert list(sel.leaves_to_decide(world.head_teacher_a1)) == []
    with pytest.raises(PermissionDenied):
        services.leave_approve(actor=world.head_teacher_a1, leave=leave)
    leave = services.leave_approve(actor=grade_leader, leave=leave)
    assert leave.status == LeaveStatus.APPROVED
    assert services.grade_approvers(world.class_a1) == [grade_leader]


def test_long_leave_goes_to_school_admin_without_grade_leader(world, settings):
    settings.ZX_LEAVE_GRADE_LEADER_DAYS = 1
    leave = services.leave_approve(actor=world.head_teacher_a1, leave=submit(world, days=2))
    assert leave.status == LeaveStatus.PENDING_GRADE
    assert services.grade_approvers(world.class_a1) == [world.school_admin_a]
    leave = services.leave_reject(actor=world.school_admin_a, leave=leave, reason="时间太长，请到校面谈")
    assert leave.status == LeaveStatus.REJECTED and leave.reject_reason == "时间太长，请到校面谈"


def test_leave_validation_names_the_field_and_writes_nothing(world):
    cases = [
        ({"reason": "  "}, "reason"),
        ({"kind": "holiday"}, "kind"),
        ({"start_date": next_weekday(3), "end_date": next_weekday(1)}, "end_date"),
        ({"start_date": timezone.localdate() - dt.timedelta(days=20)}, "start_date"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationError) as exc:
            submit(world, **change)
        assert field in exc.value.message_dict, (change, exc.value)
    saturday = timezone.localdate() + dt.timedelta(days=(5 - timezone.localdate().weekday()) % 7 or 7)
    with pytest.raises(ValidationError) as exc:
        submit(world, start_date=saturday, end_date=saturday + dt.timedelta(days=1))
    assert "没有上课日" in exc.value.message_dict["start_date"][0]
    assert LeaveRequest.objects.count() == 0


def test_overlapping_leave_refused_and_other_family_cannot_submit(world):
    submit(world)
    with pytest.raises(ValidationError):
        submit(world)
    with pytest.raises(PermissionDenied):
        services.leave_submit(
            actor=world.parent2,
            student=world.student_a1,
            kind="sick",
            start_date=next_weekday(5),
            end_date=next_weekday(5),
            reason="x",
        )
    assert LeaveRequest.objects.count() == 1


def test_cancel_only_pending_and_only_by_the_family(world):
    leave = submit(world)
    with pytest.raises(PermissionDenied):
        services.leave_cancel(actor=world.parent2, leave=leave)
    with pytest.raises(PermissionDenied):
        services.leave_cancel(actor=world.head_teacher_a1, leave=leave)
    assert services.leave_cancel(actor=world.parent1, leave=leave).status == LeaveStatus.CANCELLED
    other = submit(world)  # the cancelled one no longer blocks the days
    services.leave_approve(actor=world.head_teacher_a1, leave=other)
    with pytest.raises(ValidationError):
        services.leave_cancel(actor=world.parent1, leave=other)


def test_return_recorded_once(world):
    leave = services.leave_approve(actor=world.head_teacher_a1, leave=submit(world))
    with pytest.raises(PermissionDenied):
        services.leave_return(actor=world.parent2, leave=leave)
    leave = services.leave_return(actor=world.parent1, leave=leave, note="已返校")
    assert leave.returned_at is not None and leave.returned_by == world.parent1
    with pytest.raises(ValidationError):
        services.leave_return(actor=world.head_teacher_a1, leave=leave)


def test_parent_sees_only_own_childrens_leaves(world):
    leave = submit(world)
    assert list(sel.leaves_for(world.parent1)) == [leave]
    assert list(sel.leaves_for(world.parent2)) == []
    assert list(sel.leaves_for(world.head_teacher_a2)) == []
    assert list(sel.leaves_for(world.school_admin_b)) == []
    assert list(sel.leaves_for(world.school_admin_a)) == [leave]


# --- attendance ------------------------------------------------------------------------------------------


def test_attendance_take_and_retake(world):
    day = timezone.localdate()
    sheet = services.attendance_take(
        actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a1.pk: "late"}
    )
    assert (sheet.expected, sheet.late, sheet.absent, sheet.present) == (2, 1, 0, 2)
    sheet = services.attendance_take(
        actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a1b.pk: "absent"}
    )
    assert AttendanceSheet.objects.count() == 1
    assert list(AttendanceMark.objects.values_list("student_id", "kind")) == [(world.student_a1b.pk, "absent")]
    assert (sheet.late, sheet.absent, sheet.present) == (0, 1, 1)


def test_attendance_errors_and_scope(world):
    day = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.attendance_take(
            actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a2.pk: "late"}
        )
    assert "不在" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.attendance_take(
            actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a1.pk: "sleeping"}
        )
    assert world.student_a1.person.name in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.attendance_take(
            actor=world.head_teacher_a1, klass=world.class_a1, date=day + dt.timedelta(days=1), marks={}
        )
    for outsider in (world.head_teacher_a2, world.teacher_a, world.parent1, world.school_admin_b):
        with pytest.raises(PermissionDenied):
            services.attendance_take(actor=outsider, klass=world.class_a1, date=day, marks={})
    assert AttendanceSheet.objects.count() == 0


def test_approved_leave_turns_absence_into_leave_on_taken_sheets(world):
    day = next_weekday(0)
    if day > timezone.localdate():  # weekend today: use last Friday
        day = timezone.localdate() - dt.timedelta(days=(timezone.localdate().weekday() - 4))
    sheet = services.attendance_take(
        actor=world.head_teacher_a1, klass=world.class_a1, date=day, marks={world.student_a1.pk: "absent"}
    )
    leave = services.leave_submit(
        actor=world.parent1, student=world.student_a1, kind="sick", start_date=day, end_date=day, reason="发烧"
    )
    services.leave_approve(actor=world.head_teacher_a1, leave=leave)
    sheet.refresh_from_db()
    assert (sheet.absent, sheet.leave) == (0, 1)
    mark = AttendanceMark.objects.get(sheet=sheet, student=world.student_a1)
    assert mark.kind == "leave" and mark.leave_id == leave.pk
    assert services.approved_leaves_on(klass_id=world.class_a1.pk, day=day) == {world.student_a1.pk: leave}


def test_month_statistics_and_overview(world):
    today = timezone.localdate()
    end = today if today.day >= 3 else today.replace(day=1) - dt.timedelta(days=1)
    days = [end - dt.timedelta(days=2), end - dt.timedelta(days=1), end]
    first = end.replace(day=1)
    a1, a1b = world.student_a1.pk, world.student_a1b.pk
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=days[0], marks={a1: "late"})
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=days[1], marks={a1: "absent"})
    services.attendance_take(actor=world.head_teacher_a1, klass=world.class_a1, date=days[2], marks={a1b: "leave"})
    services.attendance_take(actor=world.head_teacher_a2, klass=world.class_a2, date=days[0], marks={})
    last = end
    data = sel.class_month(user=world.head_teacher_a1, klass=world.class_a1, first=first, last=last)
    assert data["days"] == 3 and data["expected"] == 6
    assert data["totals"] == {"late": 1, "early": 0, "absent": 1, "leave": 1}
    assert data["rate"] == round(100 * 4 / 6, 1)
    rows = {r["student"].pk: r for r in data["students"]}
    assert (rows[a1]["late"], rows[a1]["absent"], rows[a1]["rate"]) == (1, 1, round(200 / 3, 1))
    assert rows[a1b]["rate"] == round(200 / 3, 1)
    # school admin: by class; district admin: by school; school B's admin: nothing of school A
    school = sel.overview(user=world.school_admin_a, first=first, last=last)
    assert not school["by_school"]
    assert [(r["name"], r["rate"]) for r in school["rows"]] == [
        (world.class_a1.name, round(400 / 6, 1)),
        (world.class_a2.name, 100.0),
    ]
    district = sel.overview(user=world.district_admin, first=first, last=last)
    assert district["by_school"] and [(r["name"], r["expected"]) for r in district["rows"]] == [
        (world.school_a.name, 7)
    ]
    assert sel.overview(user=world.school_admin_b, first=first, last=last)["rows"] == []


def test_notifications_at_each_step(world, grade_leader, code_a1):
    from core.models import Notification

    def titles(user):
        return list(Notification.objects.filter(user=user, kind="homeschool.leave").values_list("title", flat=True))

    leave = submit(world, days=4)
    assert titles(world.head_teacher_a1) == [f"{world.student_a1.person.name}请假待审批"]
    services.leave_approve(actor=world.head_teacher_a1, leave=leave)
    assert titles(grade_leader) == [f"{world.student_a1.person.name}请假 4.0 天待审批"]
    assert titles(world.parent1) == ["请假：班主任已同意"]
    services.leave_approve(actor=grade_leader, leave=leave)
    assert sorted(titles(world.parent1)) == sorted(["请假：班主任已同意", "请假已批准"])
    assert titles(world.parent2) == []
    # binding: the 班主任 hears of the request, the parent of the decision
    result = register(world, code_a1)
    assert Notification.objects.filter(user=world.head_teacher_a1, kind="homeschool.binding").count() == 1
    services.binding_approve(actor=world.head_teacher_a1, binding=result.binding)
    assert Notification.objects.filter(user=result.user, kind="homeschool.binding", title="家长绑定已通过").exists()


def test_school_admin_takes_the_first_step_only_without_head_teacher(world):
    from core.models import Class, Notification

    leave = submit(world)
    with pytest.raises(PermissionDenied):
        services.leave_approve(actor=world.school_admin_a, leave=leave)
    assert list(sel.leaves_to_decide(world.school_admin_a)) == []
    Class.objects.filter(pk=world.class_a1.pk).update(head_teacher=None)
    leave = LeaveRequest.objects.get(pk=leave.pk)
    assert list(sel.leaves_to_decide(world.school_admin_a)) == [leave]
    assert services.leave_approve(actor=world.school_admin_a, leave=leave).status == LeaveStatus.APPROVED
    # and the school admins hear of new leaves of that class
    services.leave_submit(
        actor=world.parent1,
        student=world.student_a1,
        kind="sick",
        start_date=next_weekday(9),
        end_date=next_weekday(9),
        reason="复诊",
    )
    assert Notification.objects.filter(user=world.school_admin_a, title__endswith="请假待审批").count() == 1
