"""我的消息 (the in-app inbox of ``core.notify``) and 消息投递 (external deliveries, failures and retries, for
district admins). The URLs are included from ``notices/urls.py``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import Delivery, DeliveryStatus, Notification

from . import notification_mark_read, notifications_mark_all_read
from .channels import channel_label
from .delivery import delivery_retry

PAGE_SIZE = 30


@login_required
def inbox_view(request):
    qs = Notification.objects.visible_to(request.user).select_related("actor__person")
    show = request.GET.get("show", "")
    if show == "unread":
        qs = qs.unread()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = Notification.objects.visible_to(request.user).unread().count()
    return render(
        request,
        "core/notify/inbox.html",
        {"title": _("我的消息"), "page": page, "unread": unread, "show": show},
    )


@login_required
def open_view(request, pk: int):
    """Open a notification: mark it read and show it, with a button to what it is about."""
    item = Notification.objects.visible_to(request.user).select_related("actor__person").filter(pk=pk).first()
    if item is None:
        raise Http404("未找到")
    notification_mark_read(actor=request.user, notification_id=item.pk)
    return render(request, "core/notify/message.html", {"title": item.title, "item": item})


@login_required
@require_POST
def mark_all_read_view(request):
    n = notifications_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": n})
    return redirect("notices:messages")


@login_required
def unread_badge_view(request):
    """htmx fragment: the unread count of messages and notices (polled by pages that show it)."""
    from notices.selectors import notice_unread_count

    return render(
        request,
        "core/notify/partials/badge.html",
        {
            "messages_unread": Notification.objects.visible_to(request.user).unread().count(),
            "notices_unread": notice_unread_count(user=request.user),
        },
    )


def _is_district_admin(user) -> bool:
    from core.scope import roles_of

    return "district_admin" in roles_of(user)


@login_required
def deliveries_view(request):
    """消息投递: failures and waiting retries first, with a retry button; counts by channel and status."""
    user = request.user
    if not (user.is_superuser or _is_district_admin(user)):
        raise PermissionDenied("无权访问")
    qs = Delivery.objects.visible_to(user).select_related("user__person")
    status = request.GET.get("status", "problem")
    if status == "problem":
        qs = qs.filter(Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gt=0))
    elif status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for d in page.object_list:
        d.channel_label = channel_label(d.channel)
    summary = Delivery.objects.visible_to(user).values("channel", "status").annotate(n=Count("pk")).order_by("channel")
    table: dict[str, dict[str, int]] = {}
    for row in summary:
        table.setdefault(channel_label(row["channel"]), {})[row["status"]] = row["n"]
    return render(
        request,
        "core/notify/deliveries.html",
        {
            "title": _("消息投递"),
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
            "summary": sorted(table.items()),
        },
    )


@login_required
@require_POST
def delivery_retry_view(request, pk: int):
    delivery = Delivery.objects.visible_to(request.user).filter(pk=pk).first()
    if delivery is None:
        raise Http404("未找到")
    status = delivery_retry(actor=request.user, delivery=delivery)
    if status == DeliveryStatus.SENT:
        messages.success(request, _("已重新发送。"))
    else:
        messages.warning(request, _("重发仍未成功，已安排稍后重试。"))
    return redirect(reverse("notices:deliveries") + "?status=" + request.POST.get("status", "problem"))
