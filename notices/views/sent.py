"""Sender pages (desktop first): 发布通知, the notices one has sent (or may follow up), a notice's live read
statistics per class with the unread list and one-click reminder, the 回执 Excel and receipt files, 撤回."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.excel import xlsx_response
from core.scope import can
from core.views.common import apply_service_errors, htmx_redirect

from .. import services
from ..forms import NoticeForm
from ..models import Notice, NoticeRecipient, ReceiptKind
from ..selectors import (
    LIVE_LIMIT,
    follow_classes,
    head_class_ids,
    is_live,
    notice_stats,
    notices_sent_visible,
    sender_options,
    unread_rows,
)
from .common import attachment_response, sent_notice

PAGE_SIZE = 20


@login_required
def sent_list_view(request):
    options = sender_options(user=request.user)
    qs = notices_sent_visible(user=request.user)
    if not options and not qs.exists():
        raise PermissionDenied("无权发布或查看已发通知")
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(title__icontains=q)
    qs = qs.select_related("school", "klass__grade", "sender__person").order_by("-publish_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    objs = list(page.object_list)
    direct = set(
        Notice.objects.visible_to(request.user).filter(pk__in=[n.pk for n in objs]).values_list("pk", flat=True)
    )
    heads = head_class_ids(request.user)
    small = [n.pk for n in objs if n.recipients_total <= LIVE_LIMIT]
    counted = NoticeRecipient.objects.filter(
        Q(notice_id__in=direct & set(small)) | Q(notice_id__in=set(small) - direct, klass_id__in=heads)
    )
    counts = {
        r["notice_id"]: (r["total"], r["read"], r["signed"])
        for r in counted.values("notice_id").annotate(
            total=Count("pk"),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            signed=Count("pk", filter=Q(receipt_at__isnull=False)),
        )
    }
    for n in objs:
        n.classes_only = n.pk not in direct
        if n.recipients_total > LIVE_LIMIT:  # large notices: the cached statistics of the notice page
            overall, _groups = notice_stats(notice=n, classes=None if n.pk in direct else heads)
            counts[n.pk] = (overall.total, overall.read, overall.signed)
        n.n_total, n.n_read, n.n_signed = counts.get(n.pk, (0, 0, 0))
    return render(
        request,
        "notices/sent_list.html",
        {"title": _("已发通知"), "page": page, "q": q, "can_send": bool(options), "now": timezone.now()},
    )


@login_required
def create_view(request):
    options = sender_options(user=request.user)
    if not options:
        raise PermissionDenied("无权发布通知")
    if request.method == "POST":
        form = NoticeForm(request.POST, request.FILES, options=options)
        if form.is_valid():
            try:
                notice = services.notice_send(actor=request.user, **form.service_kwargs())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if notice.is_scheduled:
                    msg = _("通知「%(t)s」已定时，将于 %(at)s 发布。") % {
                        "t": notice.title,
                        "at": timezone.localtime(notice.publish_at).strftime("%Y-%m-%d %H:%M"),
                    }
                else:
                    msg = _("通知「%(t)s」已发布。") % {"t": notice.title}
                messages.success(request, msg)
                return redirect("notices:detail", pk=notice.pk)
    else:
        form = NoticeForm(options=options)
    return render(request, "notices/create.html", {"title": _("发布通知"), "form": form})


def _detail_context(request, notice, group: str = ""):
    classes = follow_classes(user=request.user, notice=notice)
    overall, groups = notice_stats(notice=notice, classes=classes)
    full = classes is None
    return {
        "notice": notice,
        "overall": overall,
        "groups": groups,
        "group": group,
        "classes_only": not full,
        "unread_rows": unread_rows(notice=notice, group=group, limit=300, classes=classes),
        "live": is_live(notice),
        "can_remind": can(request.user, "change", notice) or bool(classes),
        "can_change": full and can(request.user, "change", notice),
        "can_export": can(request.user, "export", notice) or bool(classes),
    }


@login_required
def detail_view(request, pk: int):
    notice = sent_notice(request.user, pk)
    group = request.GET.get("group", "")
    ctx = _detail_context(request, notice, group)
    ctx.update(title=notice.title, attachments=list(notice.attachments.all()))
    if notice.receipt_kind == ReceiptKind.FILE:
        files = NoticeRecipient.objects.filter(notice=notice).exclude(receipt_file="")
        if ctx["classes_only"]:
            files = files.filter(klass_id__in=follow_classes(user=request.user, notice=notice))
        ctx["receipt_files"] = files.select_related("user__person", "student__person").order_by("klass_id", "pk")[:300]
    return render(request, "notices/detail.html", ctx)


@login_required
def stats_view(request, pk: int):
    """htmx: the statistics block, polled every few seconds while the page is open."""
    notice = sent_notice(request.user, pk)
    return render(
        request, "notices/partials/stats.html", _detail_context(request, notice, request.GET.get("group", ""))
    )


@login_required
@require_POST
def remind_view(request, pk: int):
    notice = sent_notice(request.user, pk)
    group = request.POST.get("group", "")
    try:
        n = services.notice_remind(actor=request.user, notice=notice, group=group)
    except ValidationError as exc:
        messages.warning(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已提醒 %(n)s 人。") % {"n": n} if n else _("没有需要提醒的人。"))
    url = reverse("notices:detail", args=[pk]) + (f"?group={group}" if group else "")
    return htmx_redirect(request, url)


@login_required
@require_POST
def withdraw_view(request, pk: int):
    notice = sent_notice(request.user, pk, "change")
    services.notice_withdraw(actor=request.user, notice=notice)
    messages.success(request, _("通知已撤回，接收人不再看到它。"))
    return redirect("notices:detail", pk=pk)


@login_required
def export_view(request, pk: int):
    """回执 and read status of every recipient as Excel (names of parents and children, class; no phone
    numbers or ID numbers)."""
    notice = sent_notice(request.user, pk)
    classes = None if can(request.user, "export", notice) else follow_classes(user=request.user, notice=notice)
    if classes is not None and not classes:
        raise PermissionDenied("无权导出")
    rows = NoticeRecipient.objects.filter(notice=notice)
    if classes is not None:
        rows = rows.filter(klass_id__in=classes)
    rows = rows.select_related("user__person", "student__person", "klass__grade", "school").order_by(
        "school__code", "klass_id", "student__class_no", "pk"
    )
    audit_record(actor=request.user, action="notices.export", obj=notice)
    fmt = lambda v: timezone.localtime(v).strftime("%Y-%m-%d %H:%M") if v else ""  # noqa: E731
    headers = ["学校", "班级", "学生", "接收人", "身份", "阅读时间", "回执时间"]
    if notice.receipt_kind == ReceiptKind.CHOICE:
        headers.append("回执选项")
    elif notice.receipt_kind == ReceiptKind.TEXT:
        headers.append("回执内容")
    elif notice.receipt_kind == ReceiptKind.FILE:
        headers.append("回执文件")

    def gen():
        for r in rows.iterator(chunk_size=2000):
            line = [
                r.school.name if r.school else "",
                r.klass.name if r.klass else "",
                r.student.person.name if r.student else "",
                r.user.display_name,
                r.get_role_display(),
                fmt(r.read_at),
                fmt(r.receipt_at),
            ]
            if notice.receipt_kind == ReceiptKind.CHOICE:
                line.append(r.receipt_choice)
            elif notice.receipt_kind == ReceiptKind.TEXT:
                line.append(r.receipt_text)
            elif notice.receipt_kind == ReceiptKind.FILE:
                line.append(r.receipt_file_name)
            yield line

    return xlsx_response(filename=f"回执-{notice.title[:30]}", headers=headers, rows=gen(), sheet="回执")


@login_required
def receipt_file_view(request, pk: int, rid: int):
    notice = sent_notice(request.user, pk)
    rows = NoticeRecipient.objects.filter(notice=notice, pk=rid).exclude(receipt_file="")
    classes = follow_classes(user=request.user, notice=notice)
    if classes is not None:
        rows = rows.filter(klass_id__in=classes)
    row = rows.first()
    if row is None:
        raise Http404("未找到回执文件")
    return attachment_response(row.receipt_file, row.receipt_file_name or "回执")
