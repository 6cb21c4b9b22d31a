"""Notice pages driven as named users: send with the form, read on the inbox, sign, follow up, export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from core.models import Guardianship, Notification
from core.testing import login
from notices.models import Notice, NoticeRecipient

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    login(c, user)
    return c


def test_head_teacher_sends_with_the_form_and_parent_signs(
    world, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    teacher = client_for(world.head_teacher_a1)
    page = teacher.get("/notices/new/").content.decode()
    targets = page.split('data-testid="choices-targets"', 1)[1].split("</fieldset>", 1)[0]
    assert "班级通知" in page  # a class teacher sends to parents/students only
    assert "家长" in targets and "学生" in targets and "教职工" not in targets
    with django_capture_on_commit_callbacks(execute=True):
        response = teacher.post(
            "/notices/new/",
            {
                "sender": f"class:{world.class_a1.pk}",
                "title": "秋季研学活动家长同意书",
                "body": "<p>11 月 28 日赴<strong>宁波博物馆</strong>研学。</p><script>alert(1)</script>",
                "targets": ["parents"],
                "receipt_kind": "choice",
                "receipt_prompt": "是否同意孩子参加？",
                "receipt_options": "同意参加\n不参加",
                "attachments": [SimpleUploadedFile("研学安排.pdf", b"%PDF-1.4 plan")],
            },
        )
    notice = Notice.objects.get(title="秋季研学活动家长同意书")
    assert response.status_code == 302 and response["Location"] == f"/notices/sent/{notice.pk}/"
    assert notice.recipients_total == 1

    parent = client_for(world.parent1)
    inbox = parent.get("/notices/inbox/").content.decode()
    assert "秋季研学活动家长同意书" in inbox and "1 条未读" in inbox and "待回执" in inbox
    page = parent.get(f"/notices/inbox/{notice.pk}/").content.decode()
    assert "<strong>宁波博物馆</strong>" in page and "alert(1)" not in page
    assert "是否同意孩子参加？" in page and "研学安排.pdf" in page
    assert NoticeRecipient.objects.get(notice=notice).read_at is not None
    download = parent.get(f"/notices/inbox/{notice.pk}/attachments/{notice.attachments.get().pk}/")
    assert download["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E7%A0%94%E5%AD%A6%E5%AE%89%E6%8E%92.pdf" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 plan"

    bad = parent.post(f"/notices/inbox/{notice.pk}/receipt/", {})
    assert bad.status_code == 400 and "请选择一项" in bad.content.decode()
    ok = parent.post(f"/notices/inbox/{notice.pk}/receipt/", {"choice": "同意参加"})
    assert ok.status_code == 302
    assert NoticeRecipient.objects.get(notice=notice).receipt_choice == "同意参加"
    assert "已回执" in parent.get("/notices/inbox/").content.decode()

    stats = teacher.get(f"/notices/sent/{notice.pk}/stats/").content.decode()
    assert "1/1" in stats and "全部已回执" in stats


def test_form_errors_are_shown_in_chinese_and_nothing_is_sent(world):
    teacher = client_for(world.head_teacher_a1)
    response = teacher.post(
        "/notices/new/",
        {"sender": f"class:{world.class_a1.pk}", "title": "", "targets": [], "receipt_kind": "choice"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项" in page or "此项为必填项" in page or "请填写标题" in page
    assert Notice.objects.count() == 0
    response = teacher.post(
        "/notices/new/",
        {"sender": f"class:{world.class_a1.pk}", "title": "家长会", "targets": [], "receipt_kind": ""},
    )
    assert "请至少选择一类接收人" in response.content.decode()
    assert Notice.objects.count() == 0


def test_sender_sees_unread_per_class_and_reminds(world, send):
    Guardianship.objects.create(guardian=world.parent2_person, student=world.student_a1b, relation="2")
    notice = send(world.school_admin_a, level="school", node=world.school_a, audience={"targets": ["parents"]})
    client_for(world.parent1).get(f"/notices/inbox/{notice.pk}/")
    admin = client_for(world.school_admin_a)
    page = admin.get(f"/notices/sent/{notice.pk}/").content.decode()
    # class a1: parent1 read; parent2 (child 吴小红 in a1 with the lower id? no: 郑小刚 in a2 first) unread
    assert "按班级统计" in page and 'hx-trigger="every 5s"' in page
    row2 = NoticeRecipient.objects.get(notice=notice, user=world.parent2)
    unread_block = admin.get(f"/notices/sent/{notice.pk}/stats/?group=k{row2.klass_id}").content.decode()
    assert "郑芳" in unread_block and "周建国" not in unread_block
    response = admin.post(f"/notices/sent/{notice.pk}/remind/", {"group": f"k{row2.klass_id}"})
    assert response.status_code == 302
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["parent2"]
    assert "已提醒 1 人" in admin.get(response["Location"]).content.decode()
    # 赵班主任 (head of a2) cannot follow up a school notice
    assert client_for(world.head_teacher_a2).get(f"/notices/sent/{notice.pk}/").status_code == 404


def test_export_lists_every_recipient_with_receipt(world, send):
    notice = send(receipt_kind="text", receipt_prompt="请填写孩子的过敏情况")
    row = NoticeRecipient.objects.get(notice=notice)
    from notices.services import notice_receipt_submit

    notice_receipt_submit(actor=world.parent1, recipient=row, text="对花生过敏")
    response = client_for(world.head_teacher_a1).get(f"/notices/sent/{notice.pk}/receipts.xlsx")
    assert response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == ("学校", "班级", "学生", "接收人", "身份", "阅读时间", "回执时间", "回执内容")
    assert rows[1][:5] == (world.school_a.name, world.class_a1.name, "周小明", "周建国", "家长")
    assert rows[1][7] == "对花生过敏"
    assert client_for(world.head_teacher_a2).get(f"/notices/sent/{notice.pk}/receipts.xlsx").status_code == 404


def test_parent_never_sees_a_notice_addressed_elsewhere(world, send):
    notice = send(world.head_teacher_a2, node=world.class_a2)  # to class a2: parent2 only
    parent1 = client_for(world.parent1)
    assert notice.title not in parent1.get("/notices/inbox/").content.decode()
    assert parent1.get(f"/notices/inbox/{notice.pk}/").status_code == 404
    assert parent1.get(f"/notices/inbox/{notice.pk}/attachments/1/").status_code == 404
    assert NoticeRecipient.objects.filter(notice=notice, user=world.parent1).count() == 0
    assert notice.title in client_for(world.parent2).get("/notices/inbox/").content.decode()


def test_head_teacher_follows_a_school_notice_for_their_class_only(world, send):
    notice = send(
        world.school_admin_a,
        level="school",
        node=world.school_a,
        audience={"targets": ["parents"], "classes": [world.class_a1.pk, world.class_a2.pk]},
        receipt_kind="confirm",
    )
    head = client_for(world.head_teacher_a1)
    assert notice.title in head.get("/notices/sent/").content.decode()
    page = head.get(f"/notices/sent/{notice.pk}/").content.decode()
    assert "周建国" in page  # parent1, class a1, unsigned
    stats = page.split('id="notice-stats"', 1)[1]
    assert "郑芳" not in stats, stats[stats.index("郑芳") - 300 : stats.index("郑芳") + 50]
    assert world.class_a2.name not in stats  # class a2 is not theirs
    assert head.post(f"/notices/sent/{notice.pk}/withdraw/").status_code == 403
    response = head.post(f"/notices/sent/{notice.pk}/remind/")
    assert response.status_code == 302
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["parent1"]
    # a 班主任 of a class the notice did not reach sees nothing
    only_a1 = send(
        world.school_admin_a,
        level="school",
        node=world.school_a,
        title="仅一班",
        audience={"targets": ["parents"], "classes": [world.class_a1.pk]},
    )
    assert client_for(world.head_teacher_a2).get(f"/notices/sent/{only_a1.pk}/").status_code == 404


def test_file_receipts_are_listed_for_the_sender_and_downloadable(world, send, settings, tmp_path):
    from django.core.files.base import ContentFile

    from notices.services import notice_receipt_submit

    settings.MEDIA_ROOT = str(tmp_path)
    notice = send(receipt_kind="file", title="安全责任书")
    row = NoticeRecipient.objects.get(notice=notice)
    notice_receipt_submit(
        actor=world.parent1, recipient=row, file=ContentFile(b"%PDF signed", name="责任书-周小明.pdf")
    )
    teacher = client_for(world.head_teacher_a1)
    page = teacher.get(f"/notices/sent/{notice.pk}/").content.decode()
    assert "责任书-周小明.pdf" in page
    response = teacher.get(f"/notices/sent/{notice.pk}/receipts/{row.pk}/file/")
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF signed"
    assert (
        client_for(world.head_teacher_a2).get(f"/notices/sent/{notice.pk}/receipts/{row.pk}/file/").status_code == 404
    )


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_and_sent_list_queries_do_not_grow_with_rows(world, send):
    send(title="第一条")
    parent, teacher = client_for(world.parent1), client_for(world.head_teacher_a1)
    inbox_one, sent_one = _queries(parent, "/notices/inbox/"), _queries(teacher, "/notices/sent/")
    for i in range(5):
        send(title=f"第{i + 2}条", receipt_kind="confirm", pinned=bool(i % 2))
    assert _queries(parent, "/notices/inbox/") == inbox_one
    assert _queries(teacher, "/notices/sent/") == sent_one
