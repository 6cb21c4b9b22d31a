"""Notices services: audience resolution from the org tree, scope of senders, sanitizing, schedule/expiry,
reading once, 回执, reminders, withdraw."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import AuditLog, Guardianship, Notification
from notices import services
from notices.models import NoticeRecipient
from notices.sanitize import sanitize_html
from notices.selectors import inbox_rows, notice_stats, notice_unread_count

pytestmark = pytest.mark.django_db


def users_of(notice):
    return set(NoticeRecipient.objects.filter(notice=notice).values_list("user__username", flat=True))


def test_class_notice_reaches_the_class_parents_with_child_and_class(world, send):
    notice = send()
    assert users_of(notice) == {"parent1"}
    row = NoticeRecipient.objects.get(notice=notice)
    assert (row.student_id, row.klass_id, row.school_id, row.role) == (
        world.student_a1.pk,
        world.class_a1.pk,
        world.school_a.pk,
        "parent",
    )
    assert notice.recipients_total == 1 and notice.fanout_status == "done"
    assert AuditLog.objects.filter(action="notices.send", object_id=str(notice.pk)).exists()


def test_parent_of_two_children_in_the_class_gets_one_row(world, send):
    Guardianship.objects.create(guardian=world.parent1_person, student=world.student_a1b, relation="1")
    notice = send()
    rows = NoticeRecipient.objects.filter(notice=notice)
    assert rows.count() == 1
    assert rows.get().student_id == min(world.student_a1.pk, world.student_a1b.pk)


def test_class_notice_to_students(world, send):
    notice = send(audience={"targets": ["students", "parents"]})
    students = set(world.class_a1.students.values_list("person__user__username", flat=True))
    assert len(students) == 2
    assert users_of(notice) == {"parent1"} | students


def test_school_notice_to_staff_and_a_grade_class(world, send):
    notice = send(
        world.school_admin_a,
        level="school",
        node=world.school_a,
        audience={"targets": ["staff", "parents"], "classes": [world.class_a2.pk]},
    )
    staff = {"sadmin_a", "head_a1", "head_a2", "teacher_a"}
    assert users_of(notice) == staff | {"parent2"}
    assert "全校" not in notice.audience_label and "（2）班" in notice.audience_label


def test_district_notice_to_chosen_school_parents(world, send):
    notice = send(
        world.district_admin,
        level="district",
        node=world.district,
        audience={"targets": ["parents"], "schools": [world.school_b.pk]},
    )
    # parent1 has a child in school B; parent2 only in school A
    assert users_of(notice) == {"parent1"}
    all_schools = send(world.district_admin, level="district", node=world.district, audience={"targets": ["parents"]})
    assert users_of(all_schools) == {"parent1", "parent2"}


def test_senders_are_limited_to_their_scope(world):
    send = services.notice_send
    with pytest.raises(PermissionDenied):  # 赵班主任 is not 班主任 of class a1
        send(
            actor=world.head_teacher_a2,
            level="class",
            node=world.class_a1,
            title="x",
            audience={"targets": ["parents"]},
        )
    with pytest.raises(PermissionDenied):  # a parent sends nothing
        send(actor=world.parent1, level="class", node=world.class_a1, title="x", audience={"targets": ["parents"]})
    with pytest.raises(PermissionDenied):  # a school admin cannot send as the district
        send(
            actor=world.school_admin_a,
            level="district",
            node=world.district,
            title="x",
            audience={"targets": ["staff"]},
        )
    with pytest.raises(ValidationError) as exc:  # nor pick a class of another school
        send(
            actor=world.school_admin_a,
            level="school",
            node=world.school_a,
            title="x",
            audience={"targets": ["parents"], "classes": [world.class_b1.pk]},
        )
    assert exc.value.message_dict["classes"] == ["所选班级不属于本校"]
    with pytest.raises(ValidationError) as exc:  # a class notice does not go to staff
        send(actor=world.teacher_a, level="class", node=world.class_a1, title="x", audience={"targets": ["staff"]})
    assert "教职工" in exc.value.message_dict["targets"][0]


def test_subject_teacher_may_send_to_the_class_they_teach(world, send):
    notice = send(world.teacher_a)
    assert users_of(notice) == {"parent1"}


def test_validation_errors_name_the_field_and_write_nothing(world):
    before = NoticeRecipient.objects.count(), AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.notice_send(
            actor=world.head_teacher_a1,
            level="class",
            node=world.class_a1,
            title=" ",
            audience={"targets": ["parents"]},
            receipt_kind="choice",
            receipt_options=["同意"],
        )
    errors = exc.value.message_dict
    assert errors["title"] == ["请填写标题"]
    assert "至少需要两个选项" in errors["receipt_options"][0]
    with pytest.raises(ValidationError) as exc:
        services.notice_send(
            actor=world.head_teacher_a1,
            level="class",
            node=world.class_a1,
            title="附件",
            audience={"targets": ["parents"]},
            attachments=[ContentFile(b"MZ", name="病毒.exe")],
        )
    assert "病毒.exe" in exc.value.message_dict["attachments"][0]
    assert (NoticeRecipient.objects.count(), AuditLog.objects.count()) == before


def test_body_is_sanitized():
    dirty = '<p onclick="x()">家长会<script>alert(1)</script><a href="javascript:alert(1)">点我</a>'
    dirty += '<a href="https://www.zh.gov.cn/">教育局</a><img src=x onerror=alert(1)><iframe src="//evil"></iframe></p>'
    clean = sanitize_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean and "<img" not in clean
    assert "iframe" not in clean
    assert '<a href="https://www.zh.gov.cn/" rel="noopener noreferrer" target="_blank">教育局</a>' in clean
    assert clean.startswith("<p>家长会") and "点我" in clean
    assert sanitize_html("第一段\n\n<第二段> & 更多") == "<p>第一段</p><p>&lt;第二段&gt; &amp; 更多</p>"


def test_reading_twice_counts_once(world, send):
    notice = send()
    assert services.notice_read(user=world.parent1, notice_id=notice.pk) is True
    first = NoticeRecipient.objects.get(notice=notice).read_at
    assert services.notice_read(user=world.parent1, notice_id=notice.pk) is False
    assert NoticeRecipient.objects.get(notice=notice).read_at == first
    # someone who is not a recipient records nothing
    assert services.notice_read(user=world.parent2, notice_id=notice.pk) is False
    overall, groups = notice_stats(notice=notice)
    assert (overall.total, overall.read) == (1, 1)
    assert [(g.label, g.read, g.total) for g in groups] == [(world.class_a1.name, 1, 1)]


def test_scheduled_notice_is_visible_from_its_time_and_expired_one_disappears(world, send):
    later = timezone.now() + dt.timedelta(hours=2)
    notice = send(publish_at=later, expires_at=later + dt.timedelta(days=1))
    assert notice.is_scheduled
    assert list(inbox_rows(user=world.parent1)) == []
    assert notice_unread_count(user=world.parent1) == 0
    assert [r.notice_id for r in inbox_rows(user=world.parent1, now=later + dt.timedelta(minutes=1))] == [notice.pk]
    assert list(inbox_rows(user=world.parent1, now=later + dt.timedelta(days=2))) == []


def test_publish_due_pushes_a_scheduled_notice_once(world, send, settings):
    settings.ZX_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    later = timezone.now() + dt.timedelta(hours=1)
    notice = send(publish_at=later)
    from core.models import Delivery

    assert services.notices_publish_due() == 0
    assert services.notices_publish_due(now=later + dt.timedelta(seconds=1)) == 1
    assert services.notices_publish_due(now=later + dt.timedelta(seconds=2)) == 0
    assert list(Delivery.objects.values_list("user__username", "channel", "kind")) == [
        ("parent1", "sms", "notices.published")
    ]
    notice.refresh_from_db()
    assert notice.pushed_at is not None


def test_receipt_choice_and_validation(world, send):
    notice = send(receipt_kind="choice", receipt_options=["同意参加", "不参加"], receipt_prompt="是否参加研学？")
    row = NoticeRecipient.objects.get(notice=notice)
    with pytest.raises(ValidationError) as exc:
        services.notice_receipt_submit(actor=world.parent1, recipient=row, choice="也许")
    assert exc.value.message_dict == {"choice": ["请选择一项"]}
    with pytest.raises(PermissionDenied):
        services.notice_receipt_submit(actor=world.parent2, recipient=row, choice="同意参加")
    services.notice_receipt_submit(actor=world.parent1, recipient=row, choice="同意参加")
    row.refresh_from_db()
    assert row.receipt_choice == "同意参加" and row.receipt_at and row.read_at
    assert notice_stats(notice=notice)[0].signed == 1


def test_receipt_after_deadline_is_refused(world, send):
    notice = send(receipt_kind="confirm", receipt_deadline=timezone.now() + dt.timedelta(minutes=10))
    row = NoticeRecipient.objects.select_related("notice").get(notice=notice)
    row.notice.receipt_deadline = timezone.now() - dt.timedelta(minutes=1)
    with pytest.raises(ValidationError) as exc:
        services.notice_receipt_submit(actor=world.parent1, recipient=row)
    assert exc.value.message_dict == {"receipt": ["回执已截止"]}


def test_file_receipt_checks_type(world, send, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    notice = send(receipt_kind="file")
    row = NoticeRecipient.objects.get(notice=notice)
    with pytest.raises(ValidationError) as exc:
        services.notice_receipt_submit(actor=world.parent1, recipient=row)
    assert "请上传文件" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as exc:
        services.notice_receipt_submit(actor=world.parent1, recipient=row, file=ContentFile(b"x", name="a.html"))
    assert "a.html" in exc.value.message_dict["file"][0]
    services.notice_receipt_submit(actor=world.parent1, recipient=row, file=ContentFile(b"%PDF", name="安全责任书.pdf"))
    row.refresh_from_db()
    assert row.receipt_file_name == "安全责任书.pdf" and row.receipt_file.read() == b"%PDF"


def test_remind_notifies_only_the_unread_and_not_twice_in_ten_minutes(world, send):
    Guardianship.objects.create(guardian=world.parent2_person, student=world.student_a1b, relation="2")
    notice = send()
    assert users_of(notice) == {"parent1", "parent2"}
    services.notice_read(user=world.parent1, notice_id=notice.pk)
    with pytest.raises(PermissionDenied):
        services.notice_remind(actor=world.head_teacher_a2, notice=notice)
    assert services.notice_remind(actor=world.head_teacher_a1, notice=notice) == 1
    reminded = Notification.objects.filter(kind="notices.remind")
    assert [(n.user.username, n.url) for n in reminded] == [("parent2", f"/notices/inbox/{notice.pk}/")]
    assert "请阅读《期中家长会通知》" in reminded.get().title
    with pytest.raises(ValidationError) as exc:
        services.notice_remind(actor=world.head_teacher_a1, notice=notice)
    assert "10 分钟内已提醒过" in exc.value.messages[0]
    assert AuditLog.objects.filter(action="notices.remind").count() == 1


def test_withdrawn_notice_leaves_the_inbox(world, send):
    notice = send()
    assert notice_unread_count(user=world.parent1) == 1
    with pytest.raises(PermissionDenied):
        services.notice_withdraw(actor=world.school_admin_b, notice=notice)
    services.notice_withdraw(actor=world.school_admin_a, notice=notice)
    assert notice_unread_count(user=world.parent1) == 0


def test_fanout_runs_once(world, send):
    notice = send()
    assert services.notice_fanout(notice_id=notice.pk) == 0
    assert NoticeRecipient.objects.filter(notice=notice).count() == 1
