"""Writes of the notices module: send (with attachments and schedule), fan-out to recipients, read, 回执,
remind the unread, withdraw. Each write checks the scope, validates with Chinese messages naming the field,
and is audited; fan-out and pushes run in Celery tasks after commit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.models import Class, Grade, Guardianship, School, StaffPost, Student
from core.notify import notify
from core.scope import can

from .models import FanoutStatus, Notice, NoticeAttachment, NoticeRecipient, ReceiptKind, RecipientRole, SenderLevel
from .sanitize import plain_text, sanitize_html

TARGETS = {
    SenderLevel.DISTRICT: {"staff", "parents"},
    SenderLevel.SCHOOL: {"staff", "parents", "students"},
    SenderLevel.CLASS: {"parents", "students"},
}
TARGET_LABELS = {"staff": "教职工", "parents": "家长", "students": "学生"}
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_EXTENSIONS = {
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".txt", ".jpg", ".jpeg", ".png", ".zip", ".rar",
    ".wps", ".et", ".dps", ".ofd",
}  # fmt: skip
RECEIPT_FILE_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".heic"}
MAX_RECEIPT_BYTES = 10 * 1024 * 1024
REMIND_INTERVAL = dt.timedelta(minutes=10)
ANALYZE_AFTER = 20000


# --- send -------------------------------------------------------------------------------------------------


def _ids(values: Iterable | None) -> list[int]:
    return sorted({int(getattr(v, "pk", v)) for v in values or []})


def _audience(*, level: str, district_id: int, school: School | None, klass: Class | None, audience: dict) -> dict:
    """Validate the audience spec against the sender's node; returns the normalised spec."""
    targets = sorted(set(audience.get("targets") or []))
    if not targets:
        raise ValidationError({"targets": "请至少选择一类接收人（教职工、家长或学生）"})
    bad = set(targets) - TARGETS[level]
    if bad:
        raise ValidationError(
            {
                "targets": f"{SenderLevel(level).label}通知不能发送给：{'、'.join(TARGET_LABELS.get(b, b) for b in sorted(bad))}"
            }
        )
    spec: dict = {"targets": targets}
    if level == SenderLevel.DISTRICT:
        schools = _ids(audience.get("schools"))
        if schools:
            found = set(School.objects.filter(pk__in=schools, district_id=district_id).values_list("pk", flat=True))
            if found != set(schools):
                raise ValidationError({"schools": "所选学校不属于本区县"})
        spec["schools"] = schools
    elif level == SenderLevel.SCHOOL:
        grades = _ids(audience.get("grades"))
        classes = _ids(audience.get("classes"))
        if grades and Grade.objects.filter(pk__in=grades, school=school).count() != len(grades):
            raise ValidationError({"grades": "所选年级不属于本校"})
        if classes and Class.objects.filter(pk__in=classes, school=school).count() != len(classes):
            raise ValidationError({"classes": "所选班级不属于本校"})
        spec["grades"], spec["classes"] = grades, classes
    else:
        spec["classes"] = [klass.pk]
    return spec


def audience_label(notice: Notice) -> str:
    spec = notice.audience or {}
    who = "、".join(TARGET_LABELS[t] for t in ("staff", "parents", "students") if t in spec.get("targets", []))
    if notice.level == SenderLevel.DISTRICT:
        schools = spec.get("schools") or []
        where = f"{len(schools)} 所学校" if schools else "全区所有学校"
    elif notice.level == SenderLevel.SCHOOL:
        parts = []
        if spec.get("grades"):
            parts.append("、".join(str(g) for g in Grade.objects.filter(pk__in=spec["grades"])))
        if spec.get("classes"):
            parts.append(
                "、".join(k.name for k in Class.objects.filter(pk__in=spec["classes"]).select_related("grade"))
            )
        where = f"{notice.school.short_name or notice.school.name}" + (f"（{'；'.join(parts)}）" if parts else "全校")
    else:
        where = notice.klass.name
    return f"{where} · {who}"[:300]


def _check_attachments(files: list) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": f"附件最多 {MAX_ATTACHMENTS} 个"})
    for f in files:
        ext = os.path.splitext(f.name)[1].lower()
        if ext not in ATTACHMENT_EXTENSIONS:
            raise ValidationError(
                {"attachments": f"附件「{f.name}」的类型不允许（可上传 PDF、Office、WPS、图片、压缩包）"}
            )
        if f.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError({"attachments": f"附件「{f.name}」超过 20 MB"})


def notice_send(
    *,
    actor,
    level: str,
    node,
    title: str,
    body: str = "",
    audience: dict,
    publish_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    pinned: bool = False,
    sender_name: str = "",
    receipt_kind: str = "",
    receipt_prompt: str = "",
    receipt_options: list[str] | None = None,
    receipt_deadline: dt.datetime | None = None,
    attachments: list | None = None,
) -> Notice:
    """Send a notice from ``node`` (a District, School or Class, per ``level``) to the ``audience``
    (``{"targets": ["staff"|"parents"|"students"], "schools": [...], "grades": [...], "classes": [...]}``).
    The body is sanitized; recipients are written by the fan-out task after commit; a ``publish_at`` in the
    future schedules it (recipients see it, and external pushes go out, from that time)."""
    if level not in SenderLevel.values:
        raise ValidationError({"level": "发布层级无效"})
    district_id = (
        node.pk
        if level == SenderLevel.DISTRICT
        else node.school.district_id
        if level == SenderLevel.CLASS
        else node.district_id
    )
    school = node if level == SenderLevel.SCHOOL else (node.school if level == SenderLevel.CLASS else None)
    klass = node if level == SenderLevel.CLASS else None
    now = timezone.now()
    notice = Notice(
        district_id=district_id,
        school=school,
        klass=klass,
        level=level,
        sender=actor,
        title=(title or "").strip(),
        body_html=sanitize_html(body),
        publish_at=publish_at or now,
        expires_at=expires_at,
        pinned=bool(pinned),
        receipt_kind=receipt_kind or "",
        receipt_prompt=(receipt_prompt or "").strip(),
        receipt_options=[o.strip() for o in receipt_options or [] if o and o.strip()],
        receipt_deadline=receipt_deadline,
    )
    if not can(actor, "add", notice):
        raise PermissionDenied("无权以该身份发送通知")
    notice.sender_name = (sender_name or "").strip()[:80] or _default_signature(actor, notice)
    notice.audience = _audience(level=level, district_id=district_id, school=school, klass=klass, audience=audience)
    errors = {}
    if not notice.title:
        errors["title"] = "请填写标题"
    if notice.expires_at and notice.expires_at <= notice.publish_at:
        errors["expires_at"] = "截止展示时间须晚于发布时间"
    if notice.publish_at < now - dt.timedelta(minutes=5):
        errors["publish_at"] = "定时发布的时间不能早于现在"
    if notice.receipt_kind == ReceiptKind.CHOICE and len(notice.receipt_options) < 2:
        errors["receipt_options"] = "“选择一项”回执至少需要两个选项（每行一个）"
    if len(set(notice.receipt_options)) != len(notice.receipt_options):
        errors["receipt_options"] = "回执选项不能重复"
    if notice.receipt_deadline and notice.receipt_deadline <= notice.publish_at:
        errors["receipt_deadline"] = "回执截止时间须晚于发布时间"
    if errors:
        raise ValidationError(errors)
    files = list(attachments or [])
    _check_attachments(files)
    notice.audience_label = audience_label(notice)
    notice.full_clean()
    with transaction.atomic():
        notice.save()
        for f in files:
            NoticeAttachment.objects.create(notice=notice, file=f, name=os.path.basename(f.name)[:200], size=f.size)
        audit_record(
            actor=actor,
            action="notices.send",
            obj=notice,
            changes={"audience": notice.audience_label, "publish_at": notice.publish_at.isoformat()},
        )
        from .tasks import fanout_task

        notice_id = notice.pk
        transaction.on_commit(lambda: fanout_task.delay(notice_id))
    return notice


def _default_signature(actor, notice: Notice) -> str:
    if notice.level == SenderLevel.DISTRICT:
        return notice.district.name
    if notice.level == SenderLevel.SCHOOL:
        return notice.school.name
    return f"{notice.klass.name} {actor.display_name}"


# --- fan-out ----------------------------------------------------------------------------------------------


def resolve_audience(notice: Notice) -> list[dict]:
    """Recipient rows (user, role, student/class/school) from the org tree as it is now: one row per user,
    staff first, then parents (the child with the lowest id when several are reached), then students."""
    spec = notice.audience or {}
    targets = set(spec.get("targets") or [])
    students = Student.objects.filter(status="enrolled", archived_at__isnull=True, district_id=notice.district_id)
    staff = StaffPost.objects.filter(archived_at__isnull=True, school__district_id=notice.district_id)
    if notice.level == SenderLevel.DISTRICT:
        if spec.get("schools"):
            students = students.filter(school_id__in=spec["schools"])
            staff = staff.filter(school_id__in=spec["schools"])
    elif notice.level == SenderLevel.SCHOOL:
        students = students.filter(school_id=notice.school_id)
        staff = staff.filter(school_id=notice.school_id)
        narrow = None
        from django.db.models import Q

        if spec.get("grades"):
            narrow = Q(klass__grade_id__in=spec["grades"])
        if spec.get("classes"):
            narrow = (
                (narrow | Q(klass_id__in=spec["classes"])) if narrow is not None else Q(klass_id__in=spec["classes"])
            )
        if narrow is not None:
            students = students.filter(narrow)
    else:
        students = students.filter(klass_id=notice.klass_id)
    rows: dict[int, dict] = {}
    if "staff" in targets:
        for uid, school_id in staff.filter(person__user__is_active=True).values_list("person__user__id", "school_id"):
            rows.setdefault(uid, {"user_id": uid, "role": RecipientRole.STAFF, "school_id": school_id})
    if "parents" in targets:
        # one query: every guardian of every student in scope, with the child's class and school; run on the
        # raw cursor because Django's per-row value conversion is most of the time for 10⁵ rows
        guardians = Guardianship.objects.filter(
            student__in=students.values("pk"), guardian__user__is_active=True
        ).values_list("guardian__user__id", "student_id", "student__klass_id", "student__school_id")
        sql, params = guardians.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        for uid, student_id, klass_id, school_id in fetched:
            row = rows.get(uid)
            if row is None:
                rows[uid] = {
                    "user_id": uid,
                    "role": RecipientRole.PARENT,
                    "student_id": student_id,
                    "klass_id": klass_id,
                    "school_id": school_id,
                }
            elif row["role"] == RecipientRole.PARENT and student_id < row["student_id"]:
                row.update(student_id=student_id, klass_id=klass_id, school_id=school_id)
    if "students" in targets:
        for uid, student_id, klass_id, school_id in students.filter(person__user__is_active=True).values_list(
            "person__user__id", "pk", "klass_id", "school_id"
        ):
            rows.setdefault(
                uid,
                {
                    "user_id": uid,
                    "role": RecipientRole.STUDENT,
                    "student_id": student_id,
                    "klass_id": klass_id,
                    "school_id": school_id,
                },
            )
    return list(rows.values())


def notice_fanout(*, notice_id: int, timings: dict | None = None) -> int:
    """Write the notice's recipient rows (COPY on PostgreSQL). Runs once: a notice already fanned out keeps its
    rows. Returns the number of recipients; ``timings`` (if given) receives the seconds spent resolving the
    audience, writing the rows and committing."""
    import time

    from core.bulk import bulk_insert_rows

    claimed = Notice.objects.filter(pk=notice_id, fanout_status=FanoutStatus.PENDING).update(
        fanout_status=FanoutStatus.RUNNING
    )
    if not claimed:
        return 0
    notice = Notice.objects.select_related("school", "klass").get(pk=notice_id)
    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            rows = resolve_audience(notice)
            for row in rows:
                row["notice_id"] = notice_id
            t1 = time.perf_counter()
            bulk_insert_rows(NoticeRecipient, rows)
            t2 = time.perf_counter()
            Notice.objects.filter(pk=notice_id).update(
                fanout_status=FanoutStatus.DONE, recipients_total=len(rows), fanout_error=""
            )
    except Exception as exc:
        Notice.objects.filter(pk=notice_id).update(fanout_status=FanoutStatus.FAILED, fanout_error=str(exc)[:1000])
        raise
    if timings is not None:
        timings.update(audience_s=t1 - t0, write_s=t2 - t1, commit_s=time.perf_counter() - t2)
    return len(rows)


def recipients_analyze(*, count: int) -> bool:
    """After a fan-out of ``count`` rows: a district-wide notice adds ~10⁵ rows at once, so refresh PostgreSQL's
    planner statistics now rather than at the next autovacuum (the sender's statistics and unread list then use
    the (notice, class) index right away). True when it ran."""
    if count < ANALYZE_AFTER or connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {NoticeRecipient._meta.db_table}")
    return True


def notice_push(*, notice_id: int, now: dt.datetime | None = None) -> int:
    """Tell the recipients of a published notice through the external channels (SMS, WeCom, DingTalk, email);
    the notice itself is their in-app record. Once per notice. Returns the number of users told."""
    now = now or timezone.now()
    claimed = Notice.objects.filter(
        pk=notice_id, pushed_at__isnull=True, publish_at__lte=now, withdrawn_at__isnull=True, fanout_status="done"
    ).update(pushed_at=now)
    if not claimed:
        return 0
    notice = Notice.objects.get(pk=notice_id)
    users = NoticeRecipient.objects.filter(notice_id=notice_id).values_list("user_id", flat=True)
    return notify(
        users=users.iterator(chunk_size=20000),
        title=f"{notice.sender_name}：{notice.title}",
        body=plain_text(notice.body_html, 120),
        url=reverse("notices:read", args=[notice_id]),
        kind="notices.published",
        actor=notice.sender,
        in_app=False,
    )


def notices_publish_due(*, now: dt.datetime | None = None) -> int:
    """Push the scheduled notices whose time has come (cron / beat: ``python manage.py notices_publish_due``)."""
    now = now or timezone.now()
    due = Notice.objects.filter(
        pushed_at__isnull=True, publish_at__lte=now, withdrawn_at__isnull=True, fanout_status="done"
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if notice_push(notice_id=pk, now=now))


# --- recipients: read and 回执 ----------------------------------------------------------------------------


def notice_read(*, user, notice_id: int) -> bool:
    """Record that ``user`` opened the notice. Idempotent and safe under concurrency: the first read wins
    (a conditional UPDATE), later reads from any device change nothing. True when this call recorded it."""
    return (
        NoticeRecipient.objects.filter(notice_id=notice_id, user_id=user.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        > 0
    )


def notice_receipt_submit(*, actor, recipient: NoticeRecipient, choice: str = "", text: str = "", file=None):
    """The recipient's 回执 (confirm / choose / text / file), changeable until the deadline. Also counts as read."""
    if recipient.user_id != actor.pk:
        raise PermissionDenied("只能提交本人的回执")
    notice = recipient.notice
    if not notice.needs_receipt:
        raise ValidationError({"receipt": "该通知不需要回执"})
    if not notice.receipt_open:
        raise ValidationError({"receipt": "回执已截止"})
    kind = notice.receipt_kind
    choice, text = (choice or "").strip(), (text or "").strip()
    if kind == ReceiptKind.CHOICE and choice not in notice.receipt_options:
        raise ValidationError({"choice": "请选择一项"})
    if kind == ReceiptKind.TEXT and not text:
        raise ValidationError({"text": "请填写回执内容"})
    if len(text) > 500:
        raise ValidationError({"text": "回执内容最多 500 字"})
    if kind == ReceiptKind.FILE:
        if file is None and not recipient.receipt_file:
            raise ValidationError({"file": "请上传文件（如签字后的拍照或扫描件）"})
        if file is not None:
            ext = os.path.splitext(file.name)[1].lower()
            if ext not in RECEIPT_FILE_EXTENSIONS:
                raise ValidationError({"file": f"文件「{file.name}」的类型不允许（可上传 PDF、图片、Word）"})
            if file.size > MAX_RECEIPT_BYTES:
                raise ValidationError({"file": f"文件「{file.name}」超过 10 MB"})
    now = timezone.now()
    with transaction.atomic():
        r = NoticeRecipient.objects.select_for_update().get(pk=recipient.pk)
        first = r.receipt_at is None
        r.receipt_at = now
        r.read_at = r.read_at or now
        r.receipt_choice = choice if kind == ReceiptKind.CHOICE else ""
        r.receipt_text = text if kind == ReceiptKind.TEXT else ""
        if kind == ReceiptKind.FILE and file is not None:
            r.receipt_file = file
            r.receipt_file_name = os.path.basename(file.name)[:200]
        r.save()
        audit_record(
            actor=actor,
            action="notices.receipt" if first else "notices.receipt_change",
            object_type="notices.noticerecipient",
            object_id=str(r.pk),
            object_repr=notice.title,
            changes={"choice": r.receipt_choice, "text": r.receipt_text[:100], "file": r.receipt_file_name},
            district_id=notice.district_id,
            school_id=notice.school_id,
        )
    return r


# --- sender: remind, withdraw -----------------------------------------------------------------------------


def notice_remind(*, actor, notice: Notice, group: str = "") -> int:
    """Remind the recipients who have not read it (or not signed, for a notice with 回执), optionally one class
    (``group`` "k<class id>") — through core.notify (站内消息 and the configured channels). At most once every
    10 minutes per recipient. Returns how many were reminded."""
    from .selectors import follow_classes, unread_rows

    classes = None
    if not can(actor, "change", notice):
        # a 班主任 reminds the families of their own class for a school or district notice
        classes = follow_classes(user=actor, notice=notice)
        if not classes:
            raise PermissionDenied("无权提醒")
    if notice.is_scheduled or notice.withdrawn_at:
        raise ValidationError({"notice": "通知尚未发布或已撤回，不能提醒"})

    now = timezone.now()
    pending = list(unread_rows(notice=notice, group=group, limit=100000, classes=classes))
    due = [r for r in pending if r.reminded_at is None or r.reminded_at <= now - REMIND_INTERVAL]
    if pending and not due:
        raise ValidationError({"notice": "10 分钟内已提醒过，请稍后再试"})
    if not due:
        return 0
    action = "回执" if notice.needs_receipt else "阅读"
    with transaction.atomic():
        NoticeRecipient.objects.filter(pk__in=[r.pk for r in due]).update(reminded_at=now)
        n = notify(
            users=[r.user_id for r in due],
            title=f"提醒：请{action}《{notice.title}》",
            body=f"{actor.display_name}提醒您及时{action}该通知。",
            url=reverse("notices:read", args=[notice.pk]),
            kind="notices.remind",
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="notices.remind",
            obj=notice,
            changes={"reminded": n, "group": group, "classes": classes},
        )
    return n


def notice_withdraw(*, actor, notice: Notice) -> Notice:
    """Withdraw (撤回) a notice: recipients no longer see it; statistics stay for the sender."""
    if not can(actor, "change", notice):
        raise PermissionDenied("无权撤回")
    if notice.withdrawn_at:
        return notice
    with transaction.atomic():
        notice.withdrawn_at = timezone.now()
        notice.save(update_fields=["withdrawn_at"])
        audit_record(actor=actor, action="notices.withdraw", obj=notice)
    return notice
