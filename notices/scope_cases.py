"""Scope-matrix cases of the notices pages and of 我的消息 / 消息投递 (see core/scope_matrix.py).

The sample is a class notice of 王班主任 (head_teacher_a1) to class a1's parents with a choice 回执 and an
attachment: parent1 (child in a1) receives it, parent2 (child in a2) does not; 赵班主任 (a2) cannot follow it
up. A second notice asks for a file 回执, which parent1 has uploaded. Made on first use."""

from core.scope_matrix import Case, register_case, register_self_service

TITLE = "矩阵测试：秋季研学活动通知"
FILE_TITLE = "矩阵测试：安全责任书"
MESSAGE = "矩阵测试：请查看新通知"

# Pages that act only on the user's own messages (no one else's data is reachable through them).
register_self_service("notices:messages_read_all")


def _notice(w):
    from django.core.files.base import ContentFile

    from notices import services
    from notices.models import Notice

    notice = Notice.objects.filter(title=TITLE, klass=w.class_a1).first()
    if notice is None:
        f = ContentFile(b"%PDF-1.4 test", name="研学安排.pdf")
        notice = services.notice_send(
            actor=w.head_teacher_a1,
            level="class",
            node=w.class_a1,
            title=TITLE,
            body="<p>本周五组织<b>研学</b>活动。</p>",
            audience={"targets": ["parents"]},
            receipt_kind="choice",
            receipt_options=["同意参加", "不参加"],
            attachments=[f],
        )
        services.notice_fanout(notice_id=notice.pk)
    return notice


SCHOOL_TITLE = "矩阵测试：一班家长会（学校通知）"


def _school_notice(w):
    """A school notice of school A to class a1's parents: its 班主任 follows it up, class a2's does not."""
    from notices import services
    from notices.models import Notice

    notice = Notice.objects.filter(title=SCHOOL_TITLE, school=w.school_a).first()
    if notice is None:
        notice = services.notice_send(
            actor=w.school_admin_a,
            level="school",
            node=w.school_a,
            title=SCHOOL_TITLE,
            audience={"targets": ["parents"], "classes": [w.class_a1.pk]},
        )
        services.notice_fanout(notice_id=notice.pk)
    return notice


def _file_receipt(w):
    from django.core.files.base import ContentFile

    from notices import services
    from notices.models import Notice, NoticeRecipient

    notice = Notice.objects.filter(title=FILE_TITLE, klass=w.class_a1).first()
    if notice is None:
        notice = services.notice_send(
            actor=w.head_teacher_a1,
            level="class",
            node=w.class_a1,
            title=FILE_TITLE,
            body="请下载、签字后拍照上传。",
            audience={"targets": ["parents"]},
            receipt_kind="file",
        )
        services.notice_fanout(notice_id=notice.pk)
        row = NoticeRecipient.objects.get(notice=notice, user=w.parent1)
        services.notice_receipt_submit(
            actor=w.parent1, recipient=row, file=ContentFile(b"%PDF-1.4 signed", name="责任书.pdf")
        )
    row = NoticeRecipient.objects.get(notice=notice, user=w.parent1)
    return [notice.pk, row.pk]


def _message(w):
    from core.models import Notification
    from core.notify import notify

    item = Notification.objects.filter(user=w.parent1, title=MESSAGE).first()
    if item is None:
        notify(users=[w.parent1], title=MESSAGE, body="班主任提醒您阅读通知。", kind="notices.remind")
        item = Notification.objects.get(user=w.parent1, title=MESSAGE)
    return item


def _delivery(w):
    from core.models import Delivery

    d = Delivery.objects.filter(district=w.district, title=MESSAGE).first()
    if d is None:
        d = Delivery.objects.create(
            user=w.parent1,
            district=w.district,
            channel="sms",
            address="13800138001",
            title=MESSAGE,
            status="failed",
            attempts=5,
            last_error="HTTP 502",
        )
    return d


title = lambda w: TITLE  # noqa: E731
pk = lambda w: [_notice(w).pk]  # noqa: E731


def _made(*makers):
    """URL args for a list page (none) that first make the sample data the page must list."""

    def args(w):
        for make in makers:
            make(w)
        return []

    return args


with_notice = _made(_notice)

# recipients
register_case(Case("notices:inbox", with_notice, kind="list", in_scope="parent1", out_of_scope="parent2", marker=title))
register_case(Case("notices:read", pk, "parent1", "parent2", marker=title))
register_case(Case("notices:read", pk, "head_teacher_a1", "head_teacher_a2", marker=title))
register_case(Case("notices:receipt", pk, "parent1", "parent2", method="post", data=lambda w: {"choice": "同意参加"}))
register_case(
    Case(
        "notices:attachment",
        lambda w: [_notice(w).pk, _notice(w).attachments.get().pk],
        "parent1",
        "parent2",
        kind="download",
    )
)
register_case(
    Case(
        "notices:unread_badge",
        with_notice,
        kind="list",
        in_scope="parent1",
        out_of_scope="parent2",
        marker=lambda w: "条未读通知",
    )
)
# senders
register_case(Case("notices:create", in_scope="head_teacher_a1", out_of_scope="parent1", marker=lambda w: "发布通知"))
register_case(
    Case(
        "notices:sent",
        with_notice,
        kind="list",
        in_scope="head_teacher_a1",
        out_of_scope="head_teacher_a2",
        marker=title,
    )
)
register_case(
    Case(
        "notices:sent", with_notice, kind="list", in_scope="school_admin_a", out_of_scope="school_admin_b", marker=title
    )
)
register_case(Case("notices:detail", pk, "head_teacher_a1", "head_teacher_a2", marker=title))
register_case(Case("notices:detail", pk, "school_admin_a", "school_admin_b", marker=title))
register_case(
    Case(
        "notices:detail",
        lambda w: [_school_notice(w).pk],
        "head_teacher_a1",
        "head_teacher_a2",
        marker=lambda w: SCHOOL_TITLE,
    )
)
register_case(Case("notices:stats", pk, "head_teacher_a1", "head_teacher_a2", marker=lambda w: "按班级统计"))
register_case(Case("notices:remind", pk, "head_teacher_a1", "head_teacher_a2", method="post"))
register_case(Case("notices:withdraw", pk, "school_admin_a", "school_admin_b", method="post"))
register_case(Case("notices:export", pk, "head_teacher_a1", "head_teacher_a2", kind="download"))
register_case(Case("notices:receipt_file", _file_receipt, "head_teacher_a1", "head_teacher_a2", kind="download"))
# 我的消息 and 消息投递
register_case(
    Case(
        "notices:messages",
        _made(_message),
        kind="list",
        in_scope="parent1",
        out_of_scope="parent2",
        marker=lambda w: MESSAGE,
    )
)
register_case(Case("notices:message_open", lambda w: [_message(w).pk], "parent1", "parent2", marker=lambda w: MESSAGE))
register_case(
    Case("notices:deliveries", in_scope="district_admin", out_of_scope="school_admin_a", marker=lambda w: "消息投递")
)
register_case(
    Case(
        "notices:delivery_retry",
        lambda w: [_delivery(w).pk],
        "district_admin",
        "school_admin_a",
        method="post",
    )
)
