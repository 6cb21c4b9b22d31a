"""Recipient pages (phone first): 通知公告 inbox, reading a notice (records the read once), the 回执 form and
attachment downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views.common import apply_service_errors

from .. import services
from ..forms import ReceiptForm
from ..models import NoticeAttachment
from ..selectors import inbox_rows, notice_unread_count, sender_options
from .common import attachment_response, readable

PAGE_SIZE = 20


@login_required
def inbox_view(request):
    rows = inbox_rows(user=request.user)
    show = request.GET.get("show", "")
    if show == "unread":
        rows = rows.filter(read_at__isnull=True)
    elif show == "receipt":
        rows = rows.exclude(notice__receipt_kind="").filter(receipt_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/inbox.html",
        {
            "title": _("通知公告"),
            "page": page,
            "show": show,
            "unread": notice_unread_count(user=request.user),
            "can_send": bool(sender_options(user=request.user)),
        },
    )


@login_required
def read_view(request, pk: int):
    row, notice = readable(request.user, pk)
    if row is not None and row.read_at is None:
        services.notice_read(user=request.user, notice_id=pk)
    form = ReceiptForm(notice=notice) if row is not None and notice.needs_receipt else None
    if form is not None and row.receipt_at:
        form.initial = {"choice": row.receipt_choice, "text": row.receipt_text}
    return _render_read(request, row, notice, form)


def _render_read(request, row, notice, form, status=200):
    return render(
        request,
        "notices/read.html",
        {
            "title": notice.title,
            "notice": notice,
            "row": row,
            "form": form,
            "attachments": list(notice.attachments.all()),
            "preview": row is None,
        },
        status=status,
    )


@login_required
@require_POST
def receipt_view(request, pk: int):
    row, notice = readable(request.user, pk)
    if row is None:
        raise Http404("未找到")
    form = ReceiptForm(request.POST, request.FILES, notice=notice)
    if form.is_valid():
        try:
            services.notice_receipt_submit(
                actor=request.user,
                recipient=row,
                choice=form.cleaned_data.get("choice", ""),
                text=form.cleaned_data.get("text", ""),
                file=form.cleaned_data.get("file"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("回执已提交，谢谢！"))
            return redirect("notices:read", pk=pk)
    return _render_read(request, row, notice, form, status=400)


@login_required
def attachment_view(request, pk: int, att: int):
    _row, notice = readable(request.user, pk)
    attachment = NoticeAttachment.objects.filter(notice=notice, pk=att).first()
    if attachment is None:
        raise Http404("未找到附件")
    return attachment_response(attachment.file, attachment.name)
