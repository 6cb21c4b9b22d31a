"""学籍 lifecycle services: 转学, 转出本区, 休学/复学, 退学/辍学 and 控辍保学, 分班, 升级/毕业, 学籍号.

Same style as ``core.services``: keyword-only arguments with ``actor`` first, permission checked first
(``PermissionDenied``), then validated (``ValidationError`` with Chinese messages naming the field), one
transaction, one audit row per user-visible change. Every change of a student is also a ``RosterChange`` row
whose ``timeline`` gets one ``{"at", "by", "action", "note", ...}`` entry per step.

Who may do what (``roster.permissions``): ``add``/``change`` on ``roster.rosterchange`` is held by school
admins (their school) and district admins; ``approve`` only by district admins. A probe ``Student`` placed
where the student would end up (``_placed``) checks the new position, so nobody moves a student into a
school or class outside their scope.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import idcard
from core.audit import audit_record, diff, redact, snapshot
from core.models import STAGE_YEARS, Class, Grade, IdType, School, Stage, Student, StudentStatus
from core.scope import can
from core.services import _require, _save, class_create

from . import placement
from .models import ChangeKind, ChangeStatus, RosterChange, StudentProfile

OPEN_TRANSFER = (ChangeStatus.REQUESTED, ChangeStatus.ACCEPTED, ChangeStatus.APPROVED)
COMPULSORY_STAGES = (Stage.PRIMARY, Stage.JUNIOR)
STAGE_NEXT_NOTE = {
    Stage.PRIMARY: "小学毕业，升入本校初中",
    Stage.JUNIOR: "初中毕业，升入本校高中",
}


# --- helpers --------------------------------------------------------------------------------------------


def _by(actor) -> str:
    return actor.username if actor is not None and getattr(actor, "is_authenticated", False) else "系统"


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _entry(actor, action: str, note: str = "", *, at: dt.datetime | None = None, **extra) -> dict:
    """One timeline entry. Notes are redacted (no ID or phone numbers in the timeline)."""
    entry = {"at": (at or timezone.now()).isoformat(), "by": _by(actor), "action": action, "note": redact(note or "")}
    entry.update({k: redact(v) if isinstance(v, str) else v for k, v in extra.items()})
    return entry


def _done_change(actor, *, at: dt.datetime | None = None, **fields) -> RosterChange:
    """An unsaved RosterChange that ``actor`` requested and decided at once (status done, effective today
    unless ``effective_on`` is given)."""
    fields.setdefault("effective_on", timezone.localdate())
    return RosterChange(
        status=ChangeStatus.DONE,
        requested_by=_user(actor),
        decided_by=_user(actor),
        decided_at=at or timezone.now(),
        **fields,
    )


def _reenrol(st: Student, to_class: Class | None, *, purpose: str) -> tuple[dict, int]:
    """Put a suspended or dropped-out student back to 在读, in their old class or ``to_class``; returns the
    snapshot before the change and the old class id. ``purpose`` (复学/返校) words the error message."""
    if to_class is not None:
        _check_rejoin_class(st, to_class)
    elif st.klass.archived_at is not None:
        raise ValidationError({"to_class": f"原班级{st.klass}已归档，请选择{purpose}班级"})
    before = snapshot(st)
    from_class_id = st.klass_id
    st.status = StudentStatus.ENROLLED
    if to_class is not None and to_class.pk != st.klass_id:
        st.klass = to_class
        st.class_no = None
    _save(st)
    return before, from_class_id


def _placed(student: Student, school: School, klass: Class | None) -> Student:
    """A probe of ``student`` at a new position, for ``can`` (not saved)."""
    return Student(
        pk=student.pk,
        person_id=student.person_id,
        district_id=school.district_id,
        school=school,
        klass=klass,
    )


def _require_roster_write(actor, student: Student) -> None:
    """学籍异动 of ``student``: add a RosterChange in the student's scope and change the student."""
    _require(actor, "add", RosterChange(student=student))
    _require(actor, "change", student)


def _lock_student(student: Student) -> Student:
    return (
        Student.objects.select_for_update(of=("self",))
        .select_related("person", "school", "klass__grade")
        .get(pk=student.pk)
    )


def _lock_change(change: RosterChange) -> RosterChange:
    return (
        RosterChange.objects.select_for_update(of=("self",))
        .select_related("student__person", "student__school", "student__klass", "to_school", "to_class")
        .get(pk=change.pk)
    )


def _reason(reason: str, field: str = "reason", what: str = "原因") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: f"请填写{what}"})
    if len(reason) > 200:
        raise ValidationError({field: f"{what}不能超过 200 字"})
    return reason


def _status_label(value: str) -> str:
    return str(StudentStatus(value).label) if value in StudentStatus.values else value


def _open_transfer(student: Student):
    return RosterChange.objects.filter(student=student, kind=ChangeKind.TRANSFER, status__in=OPEN_TRANSFER)


def _sync(target, fresh) -> None:
    """Refresh the caller's instance after the locked copy ``fresh`` was written."""
    if target is not fresh and target.pk is not None:
        target.refresh_from_db()


def _class_usable(klass: Class, school: School, field: str = "to_class") -> None:
    if klass.school_id != school.pk:
        raise ValidationError({field: f"{klass} 不属于{school.name}"})
    if klass.archived_at is not None or klass.grade.archived_at is not None:
        raise ValidationError({field: f"{klass} 已归档"})


# --- 转学 (within the district) --------------------------------------------------------------------------


def _stage_served(st: Student, to_school: School) -> None:
    """The receiving school must run the student's 学段 (a 初中 student cannot move to a 小学)."""
    stage = st.klass.grade.stage
    if stage not in to_school.stages:
        raise ValidationError(
            {
                "to_school": f"{to_school.name}（{to_school.stage_labels}）不设{Stage(stage).label}，"
                f"不能接收{st.person.name}"
            }
        )


def _same_cohort(st: Student, to_class: Class, field: str = "to_class") -> None:
    """A transfer keeps the student's 年级: the class must be of the same 学段 and 入学年份 (留级/跳级 are
    separate steps after the transfer)."""
    mine, theirs = st.klass.grade, to_class.grade
    if (mine.stage, mine.entry_year) != (theirs.stage, theirs.entry_year):
        raise ValidationError({field: f"{st.person.name}就读{mine.label()}，转入班级应为{mine.label()}的班级"})


@transaction.atomic
def transfer_request(
    *, actor, student: Student, to_school: School, reason: str, effective_on: dt.date | None = None
) -> RosterChange:
    """转学申请, by the sending school (its school admin) or the district admin."""
    _require_roster_write(actor, student)
    st = _lock_student(student)
    reason = _reason(reason, what="转学原因")
    if st.status != StudentStatus.ENROLLED:
        raise ValidationError(
            {"student": f"{st.person.name}当前学籍状态为「{_status_label(st.status)}」，只有在读学生可以申请转学"}
        )
    if to_school.pk == st.school_id:
        raise ValidationError({"to_school": "转入学校不能是学生当前所在学校"})
    if to_school.archived_at is not None:
        raise ValidationError({"to_school": f"{to_school.name}已归档，不能转入"})
    if to_school.district_id != st.district_id:
        raise ValidationError({"to_school": "转入学校不在本区县；跨区县转学请办理转出"})
    _stage_served(st, to_school)
    if _open_transfer(st).exists():
        raise ValidationError({"student": f"{st.person.name}已有未办结的转学申请"})
    change = RosterChange(
        student=st,
        kind=ChangeKind.TRANSFER,
        status=ChangeStatus.REQUESTED,
        from_school_id=st.school_id,
        to_school=to_school,
        from_class_id=st.klass_id,
        reason=reason,
        effective_on=effective_on,
        requested_by=_user(actor),
        timeline=[_entry(actor, "request", reason, status=ChangeStatus.REQUESTED, to_school=to_school.name)],
    )
    _save(change)
    audit_record(
        actor=actor,
        action="rosterchange.transfer_request",
        obj=change,
        changes={
            "status": [None, ChangeStatus.REQUESTED],
            "to_school": [None, to_school.name],
            "reason": [None, reason],
        },
    )
    return change


def _receiving_admin(actor, change: RosterChange, klass: Class | None = None) -> bool:
    """Whether ``actor`` may admit students to the receiving school (school admin of it, or district)."""
    probe = _placed(change.student, change.to_school, klass)
    return can(actor, "add", probe) and can(actor, "add", RosterChange(student=probe))


def _require_transfer(change: RosterChange) -> None:
    if change.kind != ChangeKind.TRANSFER:
        raise ValidationError({"kind": "该学籍异动不是转学申请"})


@transaction.atomic
def transfer_accept(*, actor, change: RosterChange, to_class: Class) -> RosterChange:
    """转入学校同意接收, into ``to_class`` of the receiving school."""
    locked = _lock_change(change)
    _require_transfer(locked)
    if not _receiving_admin(actor, locked, to_class):
        raise PermissionDenied("只有转入学校的管理员可以接收转学")
    if locked.status != ChangeStatus.REQUESTED:
        raise ValidationError({"status": f"该申请当前状态为「{locked.get_status_display()}」，不能再次接收"})
    _class_usable(to_class, locked.to_school)
    _same_cohort(locked.student, to_class)
    locked.status = ChangeStatus.ACCEPTED
    locked.to_class = to_class
    locked.timeline = [
        *locked.timeline,
        _entry(actor, "accept", f"同意接收，编入{to_class}", status=ChangeStatus.ACCEPTED, to_class=str(to_class)),
    ]
    _save(locked)
    audit_record(
        actor=actor,
        action="rosterchange.transfer_accept",
        obj=locked,
        changes={"status": [ChangeStatus.REQUESTED, ChangeStatus.ACCEPTED], "to_class": [None, str(to_class)]},
    )
    _sync(change, locked)
    return change


@transaction.atomic
def transfer_approve(*, actor, change: RosterChange) -> RosterChange:
    """区县审批 and immediate application: the student moves to the receiving school and class.

    The student stays 在读, 班内学号 is cleared (the new class numbers them), guardianships are unchanged.
    The change ends as ``done``; the approval step stays in the timeline."""
    locked = _lock_change(change)
    _require_transfer(locked)
    _require(actor, "approve", locked)
    if not can(actor, "approve", RosterChange(student=_placed(locked.student, locked.to_school, locked.to_class))):
        raise PermissionDenied("无权批准转入该学校")
    if locked.status == ChangeStatus.REQUESTED:
        raise ValidationError({"status": "转入学校尚未同意接收，不能批准"})
    if locked.status != ChangeStatus.ACCEPTED:
        raise ValidationError({"status": f"该申请当前状态为「{locked.get_status_display()}」，不能批准"})
    st = _lock_student(locked.student)
    if st.status != StudentStatus.ENROLLED or st.school_id != locked.from_school_id:
        raise ValidationError({"student": f"{st.person.name}已不是原学校的在读学生，请驳回该申请"})
    if locked.to_school.archived_at is not None:
        raise ValidationError({"to_school": f"{locked.to_school.name}已归档，不能转入"})
    _class_usable(locked.to_class, locked.to_school)
    now = timezone.now()
    before = snapshot(st)
    st.school = locked.to_school
    st.district_id = locked.to_school.district_id
    st.klass = locked.to_class
    st.class_no = None
    _save(st)
    locked.status = ChangeStatus.DONE
    locked.decided_by = _user(actor)
    locked.decided_at = now
    locked.effective_on = locked.effective_on or timezone.localdate()
    locked.timeline = [
        *locked.timeline,
        _entry(actor, "approve", "区县审批通过", at=now, status=ChangeStatus.APPROVED),
        _entry(actor, "apply", f"已转入{locked.to_school.name}{locked.to_class}", at=now, status=ChangeStatus.DONE),
    ]
    _save(locked)
    audit_record(
        actor=actor,
        action="rosterchange.transfer_approve",
        obj=locked,
        changes={"status": [ChangeStatus.ACCEPTED, ChangeStatus.DONE], "student": diff(before, snapshot(st))},
    )
    _sync(change, locked)
    return change


@transaction.atomic
def transfer_reject(*, actor, change: RosterChange, reason: str) -> RosterChange:
    """驳回: the receiving school while the request is open, the district also after acceptance."""
    locked = _lock_change(change)
    _require_transfer(locked)
    district = can(actor, "approve", locked)
    receiving = _receiving_admin(actor, locked)
    if not (district or receiving):
        raise PermissionDenied("只有转入学校或区县教育局可以驳回转学申请")
    if locked.status not in (ChangeStatus.REQUESTED, ChangeStatus.ACCEPTED):
        raise ValidationError({"status": f"该申请当前状态为「{locked.get_status_display()}」，不能驳回"})
    if locked.status == ChangeStatus.ACCEPTED and not district:
        raise ValidationError({"status": "转入学校已同意接收，只能由区县教育局驳回"})
    reason = _reason(reason, what="驳回原因")
    before = locked.status
    locked.status = ChangeStatus.REJECTED
    locked.decided_by = _user(actor)
    locked.decided_at = timezone.now()
    locked.timeline = [*locked.timeline, _entry(actor, "reject", reason, status=ChangeStatus.REJECTED)]
    _save(locked)
    audit_record(
        actor=actor,
        action="rosterchange.transfer_reject",
        obj=locked,
        changes={"status": [before, ChangeStatus.REJECTED], "reason": [None, reason]},
    )
    _sync(change, locked)
    return change


@transaction.atomic
def transfer_cancel(*, actor, change: RosterChange) -> RosterChange:
    """撤销, by the sending school (or the district) while the receiving school has not answered."""
    locked = _lock_change(change)
    _require_transfer(locked)
    _require(actor, "change", locked)
    if locked.status != ChangeStatus.REQUESTED:
        raise ValidationError({"status": f"该申请当前状态为「{locked.get_status_display()}」，不能撤销"})
    locked.status = ChangeStatus.CANCELLED
    locked.decided_by = _user(actor)
    locked.decided_at = timezone.now()
    locked.timeline = [*locked.timeline, _entry(actor, "cancel", "原学校撤销申请", status=ChangeStatus.CANCELLED)]
    _save(locked)
    audit_record(
        actor=actor,
        action="rosterchange.transfer_cancel",
        obj=locked,
        changes={"status": [ChangeStatus.REQUESTED, ChangeStatus.CANCELLED]},
    )
    _sync(change, locked)
    return change


@transaction.atomic
def transfer_out(*, actor, student: Student, to_district_name: str, to_school_name: str, reason: str) -> dict:
    """转出本区 (cross-district): the student leaves (转出, archived); returns the data of a 转学联系函.

    The letter data holds the full 学籍号 (the receiving school needs it to look the student up in the
    national system) as well as a masked one for display; render it only for the actor."""
    _require_roster_write(actor, student)
    st = _lock_student(student)
    to_district_name = _reason(to_district_name, "to_district_name", "转入区县")
    to_school_name = _reason(to_school_name, "to_school_name", "转入学校")
    reason = _reason(reason, what="转学原因")
    if st.status not in (StudentStatus.ENROLLED, StudentStatus.SUSPENDED):
        raise ValidationError(
            {"student": f"{st.person.name}当前学籍状态为「{_status_label(st.status)}」，不能办理转出"}
        )
    if _open_transfer(st).exists():
        raise ValidationError({"student": f"{st.person.name}有未办结的区内转学申请，请先撤销或驳回"})
    now = timezone.now()
    before = snapshot(st)
    st.status = StudentStatus.TRANSFERRED
    st.archived_at = now
    _save(st)
    target = f"{to_district_name}{to_school_name}"
    change = _done_change(
        actor,
        at=now,
        student=st,
        kind=ChangeKind.TRANSFER_OUT,
        from_school_id=st.school_id,
        from_class_id=st.klass_id,
        reason=reason,
        timeline=[
            _entry(
                actor,
                "transfer_out",
                reason,
                at=now,
                status=ChangeStatus.DONE,
                to=target,
                to_district=to_district_name,
                to_school=to_school_name,
            ),
        ],
    )
    _save(change)
    audit_record(
        actor=actor,
        action="rosterchange.transfer_out",
        obj=change,
        changes={
            "to": [None, target],
            "to_district": [None, to_district_name],
            "to_school": [None, to_school_name],
            "reason": [None, reason],
            "student": diff(before, snapshot(st)),
        },
    )
    _sync(student, st)
    person = st.person
    return {
        "change_id": change.pk,
        "date": timezone.localdate().isoformat(),
        "student_name": person.name,
        "gender": person.get_gender_display(),
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "ethnicity": person.ethnicity,
        "student_no": st.student_no,
        "student_no_masked": st.student_no_masked,
        "from_district": st.school.district.name,
        "from_school": st.school.name,
        "from_school_code": st.school.code,
        "from_school_phone": st.school.phone,
        "from_school_address": st.school.address,
        "grade": st.klass.grade.label(),
        "klass": str(st.klass),
        "to_district_name": to_district_name,
        "to_school_name": to_school_name,
        "reason": reason,
        "handled_by": _by(actor),
    }


# --- 休学 / 复学 -------------------------------------------------------------------------------------------


@transaction.atomic
def student_suspend(*, actor, student: Student, reason: str, until: dt.date | None = None) -> RosterChange:
    """休学: status suspended (the student keeps their class until 复学)."""
    _require_roster_write(actor, student)
    st = _lock_student(student)
    reason = _reason(reason, what="休学原因")
    if st.status != StudentStatus.ENROLLED:
        raise ValidationError(
            {"student": f"{st.person.name}当前学籍状态为「{_status_label(st.status)}」，只有在读学生可以休学"}
        )
    if until is not None and until <= timezone.localdate():
        raise ValidationError({"until": "休学截止日期必须晚于今天"})
    if _open_transfer(st).exists():
        raise ValidationError({"student": f"{st.person.name}有未办结的转学申请，请先撤销"})
    before = snapshot(st)
    st.status = StudentStatus.SUSPENDED
    _save(st)
    change = _done_change(
        actor,
        student=st,
        kind=ChangeKind.SUSPEND,
        from_school_id=st.school_id,
        from_class_id=st.klass_id,
        reason=reason,
        timeline=[_entry(actor, "suspend", reason, until=until.isoformat() if until else None)],
    )
    _save(change)
    audit_record(
        actor=actor, action="rosterchange.suspend", obj=change, changes={"student": diff(before, snapshot(st))}
    )
    _sync(student, st)
    return change


def _check_rejoin_class(st: Student, to_class: Class) -> None:
    """复学 class: same school, same stage, the student's cohort or a later one (usually one grade lower)."""
    _class_usable(to_class, st.school)
    current = st.klass.grade
    if to_class.grade.stage != current.stage or to_class.grade.entry_year < current.entry_year:
        raise ValidationError({"to_class": f"复学只能编入本学段{current.cohort_name}或更晚入学年级的班级"})


@transaction.atomic
def student_resume(*, actor, student: Student, to_class: Class | None = None) -> RosterChange:
    """复学: back to 在读, in the old class or in ``to_class`` (a later cohort of the same school)."""
    _require_roster_write(actor, student)
    if to_class is not None:
        _require(actor, "change", _placed(student, student.school, to_class))
    st = _lock_student(student)
    if st.status != StudentStatus.SUSPENDED:
        raise ValidationError(
            {"student": f"{st.person.name}当前学籍状态为「{_status_label(st.status)}」，只有休学学生可以复学"}
        )
    before, from_class_id = _reenrol(st, to_class, purpose="复学")
    note = f"复学，编入{st.klass}" if st.klass_id != from_class_id else "复学，回原班级"
    change = _done_change(
        actor,
        student=st,
        kind=ChangeKind.RESUME,
        from_school_id=st.school_id,
        to_school_id=st.school_id,
        from_class_id=from_class_id,
        to_class_id=st.klass_id,
        reason=note,
        timeline=[_entry(actor, "resume", note)],
    )
    _save(change)
    audit_record(actor=actor, action="rosterchange.resume", obj=change, changes={"student": diff(before, snapshot(st))})
    _sync(student, st)
    return change


# --- 退学 / 辍学 and 控辍保学 --------------------------------------------------------------------------------


@transaction.atomic
def student_withdraw(*, actor, student: Student, kind: str, reason: str) -> RosterChange:
    """退学 (withdraw) or 辍学 (dropout): status dropped.

    义务教育阶段 (小学、初中) students cannot 退学 (义务教育法); a compulsory-stage student who stops coming is
    recorded as 辍学 and followed up (控辍保学, ``dropout_follow_up``)."""
    _require_roster_write(actor, student)
    st = _lock_student(student)
    if kind not in (ChangeKind.WITHDRAW, ChangeKind.DROPOUT):
        raise ValidationError({"kind": "异动类型只能是退学或辍学"})
    reason = _reason(reason, what="退学原因" if kind == ChangeKind.WITHDRAW else "辍学原因")
    if st.status not in (StudentStatus.ENROLLED, StudentStatus.SUSPENDED):
        raise ValidationError(
            {"student": f"{st.person.name}当前学籍状态为「{_status_label(st.status)}」，不能办理退学或辍学"}
        )
    if kind == ChangeKind.WITHDRAW and st.klass.grade.stage in COMPULSORY_STAGES:
        raise ValidationError({"kind": "义务教育阶段学生不能办理退学；请登记为辍学并开展控辍保学"})
    if _open_transfer(st).exists():
        raise ValidationError({"student": f"{st.person.name}有未办结的转学申请，请先撤销"})
    before = snapshot(st)
    st.status = StudentStatus.DROPPED
    _save(st)
    change = _done_change(
        actor,
        student=st,
        kind=kind,
        from_school_id=st.school_id,
        from_class_id=st.klass_id,
        reason=reason,
        timeline=[_entry(actor, kind, reason)],
    )
    _save(change)
    audit_record(
        actor=actor, action=f"rosterchange.{kind}", obj=change, changes={"student": diff(before, snapshot(st))}
    )
    _sync(student, st)
    return change


@transaction.atomic
def dropout_follow_up(
    *, actor, change: RosterChange, note: str, returned: bool = False, to_class: Class | None = None
) -> RosterChange:
    """控辍保学 follow-up on a 辍学 record: append a note; ``returned=True`` re-enrols the student (in the old
    class or ``to_class``) with a 复学 change, and closes the follow-up. Returns the dropout change."""
    locked = _lock_change(change)
    _require(actor, "change", locked)
    if returned:
        _require_roster_write(actor, locked.student)
        if to_class is not None:
            _require(actor, "change", _placed(locked.student, locked.student.school, to_class))
    if locked.kind != ChangeKind.DROPOUT:
        raise ValidationError({"kind": "只有辍学记录需要控辍保学跟进"})
    note = _reason(note, "note", "跟进情况")
    st = _lock_student(locked.student)
    if any(e.get("action") == "returned" for e in locked.timeline) or st.status != StudentStatus.DROPPED:
        raise ValidationError({"change": f"{st.person.name}已返校，无需继续跟进"})
    now = timezone.now()
    entries = [_entry(actor, "follow_up", note, at=now)]
    stamp = f"[{timezone.localtime(now):%Y-%m-%d %H:%M} {_by(actor)}] {redact(note)}"
    locked.follow_up = f"{locked.follow_up}\n{stamp}" if locked.follow_up else stamp
    audit_changes: dict = {"follow_up": [None, note]}
    if returned:
        before, from_class_id = _reenrol(st, to_class, purpose="返校")
        resume = _done_change(
            actor,
            at=now,
            student=st,
            kind=ChangeKind.RESUME,
            from_school_id=st.school_id,
            to_school_id=st.school_id,
            from_class_id=from_class_id,
            to_class_id=st.klass_id,
            reason="控辍保学：辍学学生返校",
            timeline=[_entry(actor, "resume", f"辍学返校，编入{st.klass}", at=now, dropout_change=locked.pk)],
        )
        _save(resume)
        entries.append(_entry(actor, "returned", f"已返校（复学记录 #{resume.pk}）", at=now, resume_change=resume.pk))
        audit_changes["student"] = diff(before, snapshot(st))
        audit_changes["resume_change"] = [None, resume.pk]
    locked.timeline = [*locked.timeline, *entries]
    _save(locked)
    audit_record(actor=actor, action="rosterchange.dropout_follow_up", obj=locked, changes=audit_changes)
    _sync(change, locked)
    return change


# --- 分班 ----------------------------------------------------------------------------------------------------


def _grade_probe(grade: Grade) -> RosterChange:
    school = grade.school
    return RosterChange(
        student=Student(district_id=school.district_id, school=school, klass=Class(school=school, grade=grade))
    )


def _is_special(profile: StudentProfile | None) -> bool:
    return profile is not None and (profile.with_class_study != "0" or profile.disability != "0")


def _scores(scores: dict | None) -> dict[int, float]:
    out = {}
    for key, value in (scores or {}).items():
        if value is None or value == "":
            continue
        try:
            out[int(key)] = float(value)
        except (TypeError, ValueError):
            raise ValidationError({"scores": f"学生 {key} 的成绩「{value}」不是数字"}) from None
    return out


def cohort_place_plan(
    *,
    actor,
    grade: Grade,
    student_ids: list[int] | None = None,
    class_count: int | None = None,
    classes: list[Class] | None = None,
    scores: dict | None = None,
    weights: dict | None = None,
) -> dict:
    """分班方案 (nothing written). Students: ``student_ids`` or else every 在读 student of the cohort
    (``Student.klass`` is required, so a new cohort is imported into a provisional class of the grade and
    then placed). Classes: ``classes`` of the grade, else numbers 1..``class_count`` (missing ones are
    created on apply), else the grade's current classes. The algorithm is ``roster.placement.place``:
    sizes, 男/女 and 特需 (随班就读 or 残疾) differ by at most 1 between classes and score means are close.

    Returns ``{"grade_id", "class_numbers", "assignments": {student_id: class number}, "summary", "moves"}``."""
    _require(actor, "add", _grade_probe(grade))
    school = grade.school
    base = Student.objects.visible_to(actor, "change").filter(
        school=school, status=StudentStatus.ENROLLED, archived_at__isnull=True
    )
    if student_ids is not None:
        ids = {int(i) for i in student_ids}
        students = list(base.filter(pk__in=ids).select_related("person", "profile"))
        missing = ids - {s.pk for s in students}
        if missing:
            raise ValidationError(
                {"student_ids": f"以下学生不存在、不是{school.name}的在读学生或无权操作：{sorted(missing)}"}
            )
    else:
        students = list(base.filter(klass__grade=grade).select_related("person", "profile"))
    if not students:
        raise ValidationError({"student_ids": "没有需要分班的学生"})

    if classes:
        for k in classes:
            if k.grade_id != grade.pk:
                raise ValidationError({"classes": f"{k} 不属于{grade.cohort_name}"})
            if k.archived_at is not None:
                raise ValidationError({"classes": f"{k} 已归档"})
        numbers = sorted({k.number for k in classes})
    elif class_count is not None:
        if not isinstance(class_count, int) or class_count < 1 or class_count > 99:
            raise ValidationError({"class_count": "班级数必须是 1–99 的整数"})
        numbers = list(range(1, class_count + 1))
        archived = Class.objects.filter(grade=grade, number__in=numbers, archived_at__isnull=False)
        if archived.exists():
            raise ValidationError({"class_count": f"{grade.cohort_name}的 {archived.first().number} 班已归档"})
    else:
        numbers = list(
            Class.objects.filter(grade=grade, archived_at__isnull=True)
            .order_by("number")
            .values_list("number", flat=True)
        )
        if not numbers:
            raise ValidationError({"class_count": "该年级还没有班级，请指定班级数"})
    if len(numbers) > len(students):
        raise ValidationError({"class_count": f"班级数（{len(numbers)}）多于学生数（{len(students)}）"})

    score_of = _scores(scores)
    pupils = []
    for s in students:
        try:
            profile = s.profile
        except StudentProfile.DoesNotExist:
            profile = None
        pupils.append(placement.Pupil(s.pk, s.person.gender, score_of.get(s.pk), _is_special(profile)))
    assignment = placement.place(pupils, len(numbers), weights=weights)
    existing = {k.number: k.pk for k in Class.objects.filter(grade=grade, number__in=numbers, archived_at__isnull=True)}
    summary = placement.summarize(pupils, assignment, len(numbers))
    for number, row in zip(numbers, summary, strict=True):
        row["number"] = number
        row["exists"] = number in existing
    current = {s.pk: s.klass_id for s in students}
    plan = {
        "grade_id": grade.pk,
        "class_numbers": numbers,
        "assignments": {sid: numbers[idx] for sid, idx in sorted(assignment.items())},
        "summary": summary,
    }
    plan["moves"] = sum(1 for sid, n in plan["assignments"].items() if existing.get(n) != current[sid])
    return plan


@transaction.atomic
def cohort_place_apply(*, actor, grade: Grade, plan: dict) -> dict:
    """Write a 分班方案: create missing classes (``core.services.class_create``), move the students (class_no
    cleared), one RosterChange(kind=place) per moved student in bulk and one audit summary row."""
    _require(actor, "add", _grade_probe(grade))
    if int(plan.get("grade_id", 0)) != grade.pk:
        raise ValidationError({"plan": "分班方案不属于该年级"})
    numbers = [int(n) for n in plan.get("class_numbers", [])]
    assignments = {int(k): int(v) for k, v in plan.get("assignments", {}).items()}
    if not assignments or set(assignments.values()) - set(numbers):
        raise ValidationError({"plan": "分班方案无效"})
    if len(set(numbers)) != len(numbers) or any(not 1 <= n <= 99 for n in numbers):
        raise ValidationError({"plan": "分班方案的班级编号无效（应为 1–99 且不重复）"})
    school = grade.school
    classes = {k.number: k for k in Class.objects.filter(grade=grade, number__in=numbers).select_related("grade")}
    for n in numbers:
        if n in classes and classes[n].archived_at is not None:
            raise ValidationError({"plan": f"{classes[n]} 已归档"})
    students = list(
        Student.objects.visible_to(actor, "change")
        .select_for_update(of=("self",))
        .filter(pk__in=assignments, school=school, status=StudentStatus.ENROLLED, archived_at__isnull=True)
    )
    if len(students) != len(assignments):
        raise ValidationError({"plan": "方案中的学生已发生变化（转出、休学或无权操作），请重新生成分班方案"})
    created = []
    for n in sorted(set(assignments.values())):  # a class the plan leaves empty is not created
        if n not in classes:
            classes[n] = class_create(actor=actor, grade=grade, number=n)
            created.append(n)
    now = timezone.now()
    moved, changes = [], []
    for st in students:
        target = classes[assignments[st.pk]]
        if st.klass_id == target.pk:
            continue
        if not can(actor, "change", _placed(st, school, target)):
            raise PermissionDenied("无权将学生编入该班级")
        changes.append(
            _done_change(
                actor,
                at=now,
                student=st,
                kind=ChangeKind.PLACE,
                from_school_id=school.pk,
                to_school_id=school.pk,
                from_class_id=st.klass_id,
                to_class=target,
                reason="分班",
                created_at=now,
                timeline=[_entry(actor, "place", f"分班：编入{target}", at=now)],
            )
        )
        st.klass = target
        st.class_no = None
        st.updated_at = now
        moved.append(st)
    Student.objects.bulk_update(moved, ["klass", "class_no", "updated_at"], batch_size=500)
    RosterChange.objects.bulk_create(changes, batch_size=1000)
    sizes = Counter(assignments.values())
    result = {
        "students": len(assignments),
        "moved": len(moved),
        "created_classes": created,
        "class_sizes": {str(n): sizes[n] for n in numbers},
    }
    audit_record(actor=actor, action="roster.cohort_place", obj=grade, object_repr=grade.cohort_name, changes=result)
    return result


@transaction.atomic
def cohort_place(
    *,
    actor,
    grade: Grade,
    student_ids: list[int] | None = None,
    class_count: int | None = None,
    classes: list[Class] | None = None,
    scores: dict | None = None,
    weights: dict | None = None,
) -> dict:
    """分班 in one step: ``cohort_place_plan`` then ``cohort_place_apply``; returns the plan with ``result``."""
    plan = cohort_place_plan(
        actor=actor,
        grade=grade,
        student_ids=student_ids,
        class_count=class_count,
        classes=classes,
        scores=scores,
        weights=weights,
    )
    plan["result"] = cohort_place_apply(actor=actor, grade=grade, plan=plan)
    return plan


@transaction.atomic
def student_move_class(*, actor, student: Student, to_class: Class, reason: str) -> RosterChange:
    """调班: move an 在读 student to another class of the same school."""
    _require_roster_write(actor, student)
    _require(actor, "change", _placed(student, student.school, to_class))
    st = _lock_student(student)
    reason = _reason(reason, what="调班原因")
    if st.status != StudentStatus.ENROLLED:
        raise ValidationError(
            {"student": f"{st.person.name}当前学籍状态为「{_status_label(st.status)}」，只有在读学生可以调班"}
        )
    _class_usable(to_class, st.school)
    if to_class.pk == st.klass_id:
        raise ValidationError({"to_class": f"{st.person.name}已在{to_class}"})
    if to_class.grade_id != st.klass.grade_id:
        raise ValidationError(
            {"to_class": f"调班只能在同一年级内进行：{st.person.name}在{st.klass}，{to_class}不是同一年级的班级"}
        )
    before = snapshot(st)
    from_class_id = st.klass_id
    st.klass = to_class
    st.class_no = None
    _save(st)
    change = _done_change(
        actor,
        student=st,
        kind=ChangeKind.PLACE,
        from_school_id=st.school_id,
        to_school_id=st.school_id,
        from_class_id=from_class_id,
        to_class=to_class,
        reason=reason,
        timeline=[_entry(actor, "move_class", f"调入{to_class}：{reason}")],
    )
    _save(change)
    audit_record(
        actor=actor, action="rosterchange.move_class", obj=change, changes={"student": diff(before, snapshot(st))}
    )
    _sync(student, st)
    return change


# --- 升级 / 毕业 -------------------------------------------------------------------------------------------


def promote_day(to_start_year: int) -> dt.date:
    """effective_on of the 升级 changes for the academic year starting in ``to_start_year``."""
    return dt.date(to_start_year, 9, 1)


def graduate_day(to_start_year: int) -> dt.date:
    """effective_on of the 毕业 changes at the end of the previous academic year."""
    return dt.date(to_start_year, 7, 31)


def _school_probe(school: School) -> RosterChange:
    return RosterChange(student=Student(district_id=school.district_id, school=school))


def _promotion_rows(school: School, to_start_year: int) -> tuple[list[dict], dict[int, list[int]]]:
    """Per grade: what year-end promotion does. Also the ids of the students to act on, per grade."""
    stages = school.stages
    already = set(
        RosterChange.objects.filter(
            student__school=school,
            kind__in=(ChangeKind.PROMOTE, ChangeKind.GRADUATE),
            effective_on__in=(promote_day(to_start_year), graduate_day(to_start_year)),
        ).values_list("student_id", flat=True)
    )
    ids: dict[int, list[int]] = {}
    for sid, gid in Student.objects.filter(
        school=school, status=StudentStatus.ENROLLED, archived_at__isnull=True
    ).values_list("pk", "klass__grade_id"):
        ids.setdefault(gid, []).append(sid)
    rows = []
    grades = sorted(Grade.objects.filter(pk__in=ids), key=lambda g: g.sort_key)
    todo: dict[int, list[int]] = {}
    for grade in grades:
        n = grade.year_in_stage(to_start_year)
        if n <= 1:
            continue  # a cohort that starts this year (or later): nothing to promote
        if n <= STAGE_YEARS[grade.stage]:
            action = "promote"
        elif grade.stage in stages and stages.index(grade.stage) + 1 < len(stages):
            action = "continue"
        else:
            action = "graduate"
        pending = sorted(s for s in ids[grade.pk] if s not in already)
        todo[grade.pk] = pending
        rows.append(
            {
                "grade_id": grade.pk,
                "cohort": grade.cohort_name,
                "stage": grade.stage,
                "from_label": grade.label(to_start_year - 1),
                "to_label": grade.label(to_start_year),
                "action": action,
                "count": len(pending),
                "already_done": len(ids[grade.pk]) - len(pending),
            }
        )
    return rows, todo


def _promotion_summary(school: School, to_start_year: int, rows: list[dict]) -> dict:
    total = Counter()
    for r in rows:
        total[r["action"]] += r["count"]
    return {
        "school_id": school.pk,
        "to_start_year": to_start_year,
        "promoted": total["promote"],
        "graduated": total["graduate"],
        "continued": total["continue"],
        "already_done": sum(r["already_done"] for r in rows),
        "grades": rows,
    }


def _check_promote(actor, school: School, to_start_year: int) -> None:
    _require(actor, "add", _school_probe(school))
    _require(actor, "change", Student(district_id=school.district_id, school=school))
    if not isinstance(to_start_year, int) or not 2000 <= to_start_year <= 2100:
        raise ValidationError({"to_start_year": "学年起始年份无效"})


def school_promote_preview(*, actor, school: School, to_start_year: int) -> dict:
    """The numbers ``school_promote`` would produce; nothing written."""
    _check_promote(actor, school, to_start_year)
    rows, _todo = _promotion_rows(school, to_start_year)
    return _promotion_summary(school, to_start_year, rows)


@transaction.atomic
def school_promote(*, actor, school: School, to_start_year: int) -> dict:
    """升级 (year-end) of a whole school for the academic year starting in ``to_start_year``.

    Grades are cohorts, so promotion changes no class rows: each 在读 student gets one RosterChange
    (kind=promote). A cohort that has finished its stage graduates (status graduated, archived, kind=graduate)
    — unless the school also has the next stage (九年一贯制 / 完全中学 / 特教), then the student stays 在读 with a
    kind=graduate change noting e.g. "小学毕业，升入本校初中" and is placed into the next stage later.
    Idempotent: students who already have the change for ``to_start_year`` are skipped."""
    _check_promote(actor, school, to_start_year)
    School.objects.select_for_update().filter(pk=school.pk).first()  # one promotion run per school at a time
    rows, todo = _promotion_rows(school, to_start_year)
    now = timezone.now()
    students = Student.objects.in_bulk([s for ids in todo.values() for s in ids])
    changes, graduates = [], []
    for row in rows:
        for sid in todo[row["grade_id"]]:
            st = students[sid]
            if row["action"] == "promote":
                note = f"升级：{row['from_label']} → {row['to_label']}"
                kind, day = ChangeKind.PROMOTE, promote_day(to_start_year)
            elif row["action"] == "continue":
                note = STAGE_NEXT_NOTE.get(row["stage"], "本学段毕业，升入本校下一学段")
                kind, day = ChangeKind.GRADUATE, graduate_day(to_start_year)
            else:
                note = f"{row['cohort']}毕业"
                kind, day = ChangeKind.GRADUATE, graduate_day(to_start_year)
                graduates.append(sid)
            changes.append(
                _done_change(
                    actor,
                    at=now,
                    student_id=sid,
                    kind=kind,
                    from_school_id=school.pk,
                    from_class_id=st.klass_id,
                    to_class_id=st.klass_id,
                    reason=note,
                    effective_on=day,
                    created_at=now,
                    timeline=[_entry(actor, kind, note, at=now, to_start_year=to_start_year)],
                )
            )
    if graduates:
        Student.objects.filter(pk__in=graduates).update(status=StudentStatus.GRADUATED, archived_at=now, updated_at=now)
    RosterChange.objects.bulk_create(changes, batch_size=1000)
    summary = _promotion_summary(school, to_start_year, rows)
    audit_record(
        actor=actor,
        action="roster.school_promote",
        obj=school,
        changes={k: summary[k] for k in ("to_start_year", "promoted", "graduated", "continued", "already_done")},
    )
    return summary


# --- 学籍号 -------------------------------------------------------------------------------------------------

J_RULE_NOTE = (
    "J 字头学籍号 = J + 6 位区县行政区划代码 + 8 位出生日期 + 3 位顺序号 + 1 位校验码；校验码按 GB 11643 "
    "对前 17 位数字计算。该构成来自第三方说明（roster-standards.md §3 标注 [U]），未见教育部原文，校验规则不确定。"
)


def _taken(numbers: list[str]) -> set[str]:
    lookups = {Student.student_no_lookup(n): n for n in numbers}
    found = Student.objects.filter(student_no_index__in=list(lookups)).values_list("student_no_index", flat=True)
    return {lookups[i] for i in found}


def j_number(area6: str, born: dt.date, seq: int) -> str:
    """J + 区划代码 + 出生日期 + 顺序号 + GB 11643 check character (see ``J_RULE_NOTE``: uncertain)."""
    body = f"{area6}{born:%Y%m%d}{seq:03d}"
    return "J" + body + idcard.check_digit(body)


def j_number_valid(number: str) -> bool:
    n = (number or "").strip().upper()
    return len(n) == 19 and n[0] == "J" and n[1:18].isdigit() and idcard.check_digit(n[1:18]) == n[18]


def _next_j(area6: str, born: dt.date) -> str:
    for start in range(1, 1000, 100):
        batch = [j_number(area6, born, seq) for seq in range(start, min(start + 100, 1000))]
        free = [n for n in batch if n not in _taken(batch)]
        if free:
            return free[0]
    raise ValidationError({"student_no": "该出生日期的 J 字头学籍号顺序号已用完"})


def _next_l(area6: str, born: dt.date) -> str:
    for _ in range(10):
        batch = list({f"L{area6}{born:%Y%m%d}{secrets.randbelow(10_000):04d}" for _ in range(20)})
        free = [n for n in batch if n not in _taken(batch)]
        if free:
            return free[0]
    raise ValidationError({"student_no": "无法生成临时学籍号，请重试"})  # pragma: no cover


@transaction.atomic
def student_number_assign(*, actor, student: Student, temporary: bool = False) -> str:
    """学籍号 per roster-standards §3: ``G`` + 身份证号 for 居民身份证 holders; ``J`` for students without a
    usable ID number (see ``J_RULE_NOTE``); ``L`` (temporary: 6-digit area + birth date + 4 random digits)
    when ``temporary``. Unique via the blind index; records a RosterChange(kind=number). Returns the number
    (unchanged when the student already holds the number the rules give)."""
    _require_roster_write(actor, student)
    st = _lock_student(student)
    person = st.person
    area = st.school.district.region.code
    usable = person.id_type == IdType.RESIDENT and person.id_number and idcard.validate(person.id_number) is None
    if (temporary or not usable) and person.birth_date is None:
        raise ValidationError({"birth_date": f"{person.name}没有出生日期，无法生成学籍号"})
    if st.status not in (StudentStatus.ENROLLED, StudentStatus.SUSPENDED):
        raise ValidationError({"student": f"{person.name}当前学籍状态为「{_status_label(st.status)}」，不能分配学籍号"})
    current = (st.student_no or "").upper()
    if temporary:
        if current.startswith("L"):
            return current
        if current[:1] in ("G", "J"):
            raise ValidationError({"student_no": f"{person.name}已有正式学籍号，不能改为临时学籍号"})
        number = _next_l(area, person.birth_date)
        rule = "L"
    elif usable:
        number = "G" + person.id_number.strip().upper()
        rule = "G"
        if number == current:
            return current
        if _taken([number]):
            raise ValidationError({"student_no": "该学生的 G 字头学籍号已被其他学生使用，请核对身份证号"})
    else:
        if j_number_valid(current) and current[7:15] == f"{person.birth_date:%Y%m%d}":
            return current
        number = _next_j(area, person.birth_date)
        rule = "J"
    before = snapshot(st)
    old_masked = st.student_no_masked
    st.student_no = number
    _save(st)
    note = f"{old_masked or '（无）'} → {st.student_no_masked}"
    change = _done_change(
        actor,
        student=st,
        kind=ChangeKind.NUMBER,
        from_school_id=st.school_id,
        reason=f"{rule} 字头学籍号",
        timeline=[_entry(actor, "number", note, rule=rule)],
    )
    _save(change)
    audit_record(
        actor=actor,
        action="rosterchange.number",
        obj=change,
        changes={"rule": [None, rule], "student": diff(before, snapshot(st))},
    )
    _sync(student, st)
    return number


__all__ = [
    "J_RULE_NOTE",
    "cohort_place",
    "cohort_place_apply",
    "cohort_place_plan",
    "dropout_follow_up",
    "j_number",
    "j_number_valid",
    "school_promote",
    "school_promote_preview",
    "student_move_class",
    "student_number_assign",
    "student_resume",
    "student_suspend",
    "student_withdraw",
    "transfer_accept",
    "transfer_approve",
    "transfer_cancel",
    "transfer_out",
    "transfer_reject",
    "transfer_request",
]
