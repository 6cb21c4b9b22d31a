"""Access helpers of the notice pages: everything comes through ``visible_to`` (404 outside the user's scope)."""

from __future__ import annotations

import os
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404

from core.scope import can

from ..models import Notice
from ..selectors import notices_sent_visible, recipient_row


def sent_notice(user, pk: int, action: str = "view") -> Notice:
    """A notice in the user's sending scope (404 outside it, 403 in scope without ``action``)."""
    notice = (
        notices_sent_visible(user=user).select_related("school", "klass__grade", "sender__person").filter(pk=pk).first()
    )
    if notice is None:
        raise Http404("未找到该通知")
    if action != "view" and not can(user, action, notice):
        raise PermissionDenied("无权执行此操作")
    return notice


def readable(user, pk: int):
    """(recipient row or None, notice) for the reading page: a recipient of the published notice, or a sender
    previewing it. Anyone else: 404."""
    row = recipient_row(user=user, notice_id=pk)
    if row is not None:
        return row, row.notice
    return None, sent_notice(user, pk)


def attachment_response(fieldfile, name: str) -> FileResponse:
    """Download with a safe Content-Disposition (RFC 6266 filename*, ASCII fallback), never rendered inline."""
    try:
        handle = fieldfile.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(handle, as_attachment=True, content_type="application/octet-stream")
    ext = os.path.splitext(name)[1].lower()
    ascii_name = "".join(ch for ch in name if ch.isascii() and (ch.isalnum() or ch in "._-")) or f"file{ext}"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
