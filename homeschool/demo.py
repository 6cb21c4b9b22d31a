"""Demo data of 家校互动: a seed_demo hook (registered in HomeschoolConfig.ready).

In the demo school (the 九年一贯制 school whose class has the demo 班主任, parent and student logins):

* an invitation code for every class of the demo grade (plus an earlier, revoked one for the demo class) and two
  binding requests waiting for the demo 班主任;
* leave requests of the demo class in every state: waiting for the 班主任, a 4-day leave waiting for the grade
  leader (the school admin when the grade has none), approved (one of them 销假), rejected and cancelled;
* a month of daily attendance (school days up to yesterday) for every class of the school: about 1 % 迟到,
  0.3 % 早退, 0.4 % 缺勤 and about 1 % 请假 (each an approved leave request, marked 请假 on its day) —
  出勤率 around 98.5 %.

Today's attendance is left open so the 班主任 can take it in the demo.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

DEMO_GRANDPARENT_PHONES = ("13957400101", "13957400102")
KIND_RATES = [("late", 0.010), ("early", 0.003), ("absent", 0.004)]
REASONS = {
    "sick": ["发烧 38.5℃，在家休息", "感冒咳嗽，去医院就诊", "肠胃炎，医生建议休息两天", "牙疼去口腔医院"],
    "personal": ["回老家参加亲属婚礼", "陪同办理证件", "家中有事"],
    "other": ["参加区青少年篮球比赛", "参加钢琴考级"],
}


def _school_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days, d = [], first
    while d <= last:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def homeschool_demo_seed(*, district, seed: int, out, batch_size: int = 2000) -> None:
    from django.db.models import Q
    from django.utils import timezone

    from core.demo.generate import demo_school_and_class
    from core.models import Class, Guardianship, Student, User

    from . import services
    from .models import (
        AttendanceMark,
        AttendanceSheet,
        InvitationCode,
        LeaveRequest,
        LeaveStatus,
    )

    started = time.monotonic()
    rng = random.Random(seed * 7919 + 3)
    school, demo_class = demo_school_and_class(district)
    if school is None:
        out("家校演示数据：没有演示学校，跳过")
        return
    if demo_class is None:
        out("家校演示数据：演示学校没有班级，跳过")
        return
    classes = list(Class.objects.filter(school=school).select_related("grade").order_by("pk"))
    head = User.objects.filter(person_id=demo_class.head_teacher_id).first()
    if head is None:
        out("家校演示数据：演示班没有班主任账号，跳过")
        return
    today = timezone.localdate()

    # invitation codes: the demo grade's classes; an older revoked code of the demo class
    old = services.invitation_code_create(actor=head, klass=demo_class, days=30, max_uses=100)
    services.invitation_code_revoke(actor=head, code=old)
    code = services.invitation_code_create(actor=head, klass=demo_class, days=30, max_uses=100)
    for k in classes:
        if k.grade_id == demo_class.grade_id and k.pk != demo_class.pk and k.head_teacher_id:
            teacher = User.objects.filter(person_id=k.head_teacher_id).first()
            if teacher is not None:
                services.invitation_code_create(actor=teacher, klass=k, days=30, max_uses=100)

    students = list(
        Student.objects.filter(klass=demo_class, status="enrolled").select_related("person").order_by("class_no")
    )
    # two binding requests (grandparents) waiting for the 班主任
    for st, name, phone in zip(students[-1:-3:-1], ("高秀兰", "钱国强"), DEMO_GRANDPARENT_PHONES, strict=True):
        services.parent_register(
            code=code.code,
            phone=phone,
            parent_name=name,
            child_name=st.person.name,
            child_id_number=st.person.id_number,
            relation="3",
            password="Demo#Parent2026",
        )
    from core.crypto import blind_index

    # demo accounts have no password anyone knows, except the printed demo logins
    for user in User.objects.filter(person__phone_index__in=[blind_index(p, "phone") for p in DEMO_GRANDPARENT_PHONES]):
        user.set_unusable_password()
        user.save(update_fields=["password"])

    # leave requests of the demo class in every state
    parents = {}
    users = dict(User.objects.filter(person__wards__student__school=school).values_list("person_id", "pk"))
    user_objs = {u.pk: u for u in User.objects.filter(pk__in=users.values())}
    for sid, pid in (
        Guardianship.objects.filter(student__school=school).order_by("pk").values_list("student_id", "guardian_id")
    ):
        if pid in users:
            parents.setdefault(sid, user_objs[users[pid]])

    def weekday(offset: int) -> dt.date:
        d = today + dt.timedelta(days=offset)
        while d.weekday() >= 5:
            d += dt.timedelta(days=1 if offset >= 0 else -1)
        return d

    def submit(st, kind, start, end, reason, **kw):
        return services.leave_submit(
            actor=parents[st.pk], student=st, kind=kind, start_date=start, end_date=end, reason=reason, **kw
        )

    pool = [s for s in students[1:] if s.pk in parents]
    picks = pool[:8]
    if len(picks) >= 6:
        submit(picks[0], "sick", weekday(1), weekday(1), "发烧 38.5℃，在家休息一天")
        long = submit(picks[1], "personal", weekday(3), weekday(3) + dt.timedelta(days=5), "随父母回老家参加祖父寿宴")
        services.leave_approve(actor=head, leave=long, note="注意在家完成作业")
        ok = submit(picks[2], "sick", weekday(-1), weekday(-1), "肠胃炎，去医院就诊", start_half="am", end_half="am")
        services.leave_approve(actor=head, leave=ok)
        back = submit(picks[3], "sick", weekday(-3), weekday(-2), "感冒咳嗽，医生建议休息两天")
        services.leave_approve(actor=head, leave=back)
        services.leave_return(actor=parents[picks[3].pk], leave=back, note="已康复返校")
        no = submit(picks[4], "personal", weekday(2), weekday(2), "想带孩子去看演出")
        services.leave_reject(actor=head, leave=no, reason="非必要事由，请安排在周末")
        gone = submit(picks[5], "other", weekday(4), weekday(4), "参加区青少年篮球比赛")
        services.leave_cancel(actor=parents[picks[5].pk], leave=gone)

    # a month of attendance for every class of the school (school days up to yesterday)
    days = _school_days(today - dt.timedelta(days=31), today - dt.timedelta(days=1))
    roster: dict[int, list[int]] = {}
    for sid, kid in Student.objects.filter(klass__in=classes, status="enrolled").values_list("pk", "klass_id"):
        roster.setdefault(kid, []).append(sid)
    # older approved leaves (before the window the services accept), written directly like the rest of the demo
    older = []
    for k in classes:
        sids = roster.get(k.pk, [])
        for d in days:
            for sid in sids:
                if rng.random() < 0.014 and sid in parents and d < today - dt.timedelta(days=8):
                    kind = rng.choice(["sick", "sick", "personal", "other"])
                    older.append(
                        LeaveRequest(
                            student_id=sid,
                            klass=k,
                            submitted_by=parents[sid],
                            kind=kind,
                            start_date=d,
                            end_date=d,
                            days=Decimal("1"),
                            reason=rng.choice(REASONS[kind]),
                            status=LeaveStatus.APPROVED,
                            timeline=[
                                {
                                    "at": f"{d - dt.timedelta(days=1)}T20:10:00+08:00",
                                    "by": "家长",
                                    "action": "submit",
                                    "note": "",
                                },
                                {
                                    "at": f"{d - dt.timedelta(days=1)}T21:02:00+08:00",
                                    "by": head.display_name,
                                    "action": "approve",
                                    "note": "",
                                },
                            ],
                        )
                    )
    LeaveRequest.objects.bulk_create(older, batch_size=batch_size)
    approved = {}
    for leave in LeaveRequest.objects.filter(klass__in=classes, status=LeaveStatus.APPROVED).only(
        "pk", "student_id", "klass_id", "start_date", "end_date"
    ):
        d = leave.start_date
        while d <= leave.end_date:
            approved[(leave.student_id, d)] = leave.pk
            d += dt.timedelta(days=1)
    teachers = {
        k.pk: u for k in classes for u in [User.objects.filter(person_id=k.head_teacher_id).first()] if u is not None
    }
    sheets = [
        AttendanceSheet(klass=k, date=d, taken_by=teachers.get(k.pk), expected=len(roster.get(k.pk, [])))
        for k in classes
        for d in days
        if roster.get(k.pk)
    ]
    AttendanceSheet.objects.bulk_create(sheets, batch_size=batch_size)
    sheet_ids = {
        (kid, d): pk
        for pk, kid, d in AttendanceSheet.objects.filter(klass__in=classes, date__in=days).values_list(
            "pk", "klass_id", "date"
        )
    }
    marks = []
    counts: dict[int, dict[str, int]] = {}
    for (kid, d), sheet_id in sheet_ids.items():
        c = counts.setdefault(sheet_id, {"late": 0, "early": 0, "absent": 0, "leave": 0})
        for sid in roster.get(kid, []):
            leave_id = approved.get((sid, d))
            kind = "leave" if leave_id else None
            if kind is None:
                r, acc = rng.random(), 0.0
                for name, p in KIND_RATES:
                    acc += p
                    if r < acc:
                        kind = name
                        break
            if kind:
                marks.append(AttendanceMark(sheet_id=sheet_id, student_id=sid, kind=kind, leave_id=leave_id))
                c[kind] += 1
    AttendanceMark.objects.bulk_create(marks, batch_size=batch_size)
    by_kind: dict[tuple, list[int]] = {}
    for sheet_id, c in counts.items():
        by_kind.setdefault(tuple(sorted(c.items())), []).append(sheet_id)
    for key, ids in by_kind.items():
        AttendanceSheet.objects.filter(pk__in=ids).update(**dict(key))
    n_codes = InvitationCode.objects.filter(klass__school=school).count()
    pending = (
        LeaveRequest.objects.filter(klass=demo_class)
        .filter(Q(status=LeaveStatus.PENDING_HEAD) | Q(status=LeaveStatus.PENDING_GRADE))
        .count()
    )
    out(
        f"家校演示数据：{school.name} 邀请码 {n_codes} 个，{demo_class.name} 待审批请假 {pending} 条，"
        f"考勤 {len(sheets)} 个班日、异常 {len(marks)} 人次，用时 {time.monotonic() - started:.1f} 秒"
    )
