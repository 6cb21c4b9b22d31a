"""通知公告 API under /api/v1/notices/ (mounted in NoticesConfig.ready).

* ``GET /notices/inbox`` — my published notices (newest first, pinned first), with read and 回执 state;
* ``GET /notices/{id}`` — one notice for a recipient (or the sender's preview); reading is a separate POST;
* ``POST /notices/{id}/read`` — record the read (idempotent: twice or from two devices counts once);
* ``POST /notices/{id}/receipt`` — submit the 回执 (confirm / choice / text; file 回执 through the page);
* ``GET /notices/sent`` — the notices the user sent or may follow up, with read counts;
* ``GET /notices/{id}/stats`` — the sender's read and 回执 statistics per class.

Out of scope → 404.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from core.api.common import actor
from core.api.errors import not_found
from core.api.org import READ_ERRORS, WRITE_ERRORS
from core.api.pagination import Pagination

from . import services
from .models import Notice
from .selectors import inbox_rows, notice_stats, notices_sent_visible, recipient_row

router = Router(tags=["通知公告"])


class InboxItemOut(Schema):
    id: int
    title: str
    sender_name: str
    publish_at: dt.datetime
    pinned: bool
    read_at: dt.datetime | None
    receipt_kind: str
    receipt_at: dt.datetime | None
    student_id: int | None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    url: str


class NoticeOut(Schema):
    id: int
    title: str
    sender_name: str
    body_html: str
    publish_at: dt.datetime
    expires_at: dt.datetime | None
    pinned: bool
    receipt_kind: str
    receipt_prompt: str
    receipt_options: list[str]
    receipt_deadline: dt.datetime | None
    attachments: list[AttachmentOut]
    read_at: dt.datetime | None = None
    receipt_at: dt.datetime | None = None
    receipt_choice: str = ""
    receipt_text: str = ""
    is_recipient: bool


class ReadOut(Schema):
    id: int
    recorded: bool
    read_at: dt.datetime


class ReceiptIn(Schema):
    choice: str = ""
    text: str = ""


class SentOut(Schema):
    id: int
    title: str
    level: str
    audience_label: str
    publish_at: dt.datetime
    fanout_status: str
    recipients_total: int
    receipt_kind: str
    withdrawn: bool


class GroupOut(Schema):
    key: str
    label: str
    total: int
    read: int
    signed: int
    unread: int


class StatsOut(Schema):
    id: int
    title: str
    fanout_status: str
    total: int
    read: int
    signed: int
    unread: int
    groups: list[GroupOut]


def _group(g) -> dict:
    return {"key": g.key, "label": g.label, "total": g.total, "read": g.read, "signed": g.signed, "unread": g.unread}


@router.get("/notices/inbox", response={200: list[InboxItemOut], **READ_ERRORS}, summary="我的通知")
@paginate(Pagination)
def inbox(request):
    return [
        {
            "id": r.notice_id,
            "title": r.notice.title,
            "sender_name": r.notice.sender_name,
            "publish_at": r.notice.publish_at,
            "pinned": r.notice.pinned,
            "read_at": r.read_at,
            "receipt_kind": r.notice.receipt_kind,
            "receipt_at": r.receipt_at,
            "student_id": r.student_id,
        }
        for r in inbox_rows(user=actor(request))
    ]


@router.get("/notices/sent", response={200: list[SentOut], **READ_ERRORS}, summary="已发通知")
@paginate(Pagination)
def sent(request):
    qs = notices_sent_visible(user=actor(request)).order_by("-publish_at", "-id")
    return [
        {
            "id": n.pk,
            "title": n.title,
            "level": n.level,
            "audience_label": n.audience_label,
            "publish_at": n.publish_at,
            "fanout_status": n.fanout_status,
            "recipients_total": n.recipients_total,
            "receipt_kind": n.receipt_kind,
            "withdrawn": n.withdrawn_at is not None,
        }
        for n in qs
    ]


def _readable(request, notice_id: int):
    user = actor(request)
    row = recipient_row(user=user, notice_id=notice_id)
    if row is not None:
        return row, row.notice
    notice = notices_sent_visible(user=user).filter(pk=notice_id).first()
    if notice is None:
        raise not_found("通知")
    return None, notice


@router.get("/notices/{notice_id}", response={200: NoticeOut, **READ_ERRORS}, summary="通知详情")
def notice_detail(request, notice_id: int):
    from django.urls import reverse

    row, notice = _readable(request, notice_id)
    out = {
        "id": notice.pk,
        "title": notice.title,
        "sender_name": notice.sender_name,
        "body_html": notice.body_html,
        "publish_at": notice.publish_at,
        "expires_at": notice.expires_at,
        "pinned": notice.pinned,
        "receipt_kind": notice.receipt_kind,
        "receipt_prompt": notice.receipt_prompt,
        "receipt_options": notice.receipt_options,
        "receipt_deadline": notice.receipt_deadline,
        "attachments": [
            {"id": a.pk, "name": a.name, "size": a.size, "url": reverse("notices:attachment", args=[notice.pk, a.pk])}
            for a in notice.attachments.all()
        ],
        "is_recipient": row is not None,
    }
    if row is not None:
        out.update(
            read_at=row.read_at,
            receipt_at=row.receipt_at,
            receipt_choice=row.receipt_choice,
            receipt_text=row.receipt_text,
        )
    return out


@router.post("/notices/{notice_id}/read", response={200: ReadOut, **WRITE_ERRORS}, summary="标记已读")
def notice_mark_read(request, notice_id: int):
    user = actor(request)
    row = recipient_row(user=user, notice_id=notice_id)
    if row is None:
        raise not_found("通知")
    recorded = services.notice_read(user=user, notice_id=notice_id)
    row.refresh_from_db(fields=["read_at"])
    return {"id": notice_id, "recorded": recorded, "read_at": row.read_at}


@router.post("/notices/{notice_id}/receipt", response={200: NoticeOut, **WRITE_ERRORS}, summary="提交回执")
def notice_receipt(request, notice_id: int, payload: ReceiptIn):
    user = actor(request)
    row = recipient_row(user=user, notice_id=notice_id)
    if row is None:
        raise not_found("通知")
    services.notice_receipt_submit(actor=user, recipient=row, choice=payload.choice, text=payload.text)
    return notice_detail(request, notice_id)


@router.get("/notices/{notice_id}/stats", response={200: StatsOut, **READ_ERRORS}, summary="阅读与回执统计")
def notice_statistics(request, notice_id: int):
    notice = notices_sent_visible(user=actor(request)).filter(pk=notice_id).first()
    if notice is None:
        raise not_found("通知")
    overall, groups = notice_stats(notice=notice)
    return {
        "id": notice.pk,
        "title": notice.title,
        "fanout_status": notice.fanout_status,
        "total": overall.total,
        "read": overall.read,
        "signed": overall.signed,
        "unread": overall.unread,
        "groups": [_group(g) for g in groups],
    }


def notices_api_scope_cases(w):
    """Scoped GET endpoints with the scope-matrix sample notice (notices/scope_cases.py)."""
    from core.api import ScopeCase

    from .scope_cases import _notice

    class NoticeScopeCase(ScopeCase):
        __slots__ = ()

        @property
        def kind(self) -> str:
            path = self.url.split("?", 1)[0].rstrip("/")
            return "list" if path.endswith(("/inbox", "/sent")) else "detail"

        @property
        def id_expected(self) -> int:
            return int(self.url.split("/notices/", 1)[1].split("/", 1)[0])

    n = _notice(w).pk
    p = "/api/v1/notices"
    cases = [
        (f"{p}/inbox", "parent1", "parent2"),
        (f"{p}/sent", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/{n}", "parent1", "parent2"),
        (f"{p}/{n}/stats", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/{n}/stats", "school_admin_a", "school_admin_b"),
    ]
    return [NoticeScopeCase(*c) for c in cases]


__all__ = ["Notice", "notices_api_scope_cases", "router"]
