"""网上选课: a student, or a parent for their child, picks a teaching group of a 走班 block while its 选课 is open
(seats are counted under a row lock, so a full group takes nobody more), and can change or give back the seat
until it closes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import selectors as sel
from .. import services


@login_required
def choose(request):
    offers = sel.elective_offers(request.user)
    if request.method == "POST":
        student_id, block_id = request.POST.get("student", ""), request.POST.get("block", "")
        offer = next((o for o in offers if str(o["student"].pk) == student_id and str(o["block"].pk) == block_id), None)
        if offer is None:
            raise Http404("未找到")
        raw = request.POST.get("group", "")
        group = next((r["group"] for r in offer["groups"] if str(r["group"].pk) == raw), None)
        if raw and group is None:
            raise Http404("未找到")
        try:
            services.elective_choose(actor=request.user, block=offer["block"], student=offer["student"], group=group)
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                for m in msgs:
                    messages.error(request, m)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            name = offer["student"].person.name
            if group is None:
                messages.success(request, _("已为%(name)s退选") % {"name": name})
            else:
                messages.success(request, _("%(name)s已选%(group)s") % {"name": name, "group": group.name})
        return redirect("timetable:choose")
    return render(
        request,
        "timetable/choose.html",
        {
            "title": _("网上选课"),
            "offers": offers,
            "now": timezone.now(),
            "several": len({o["student"].pk for o in offers}) > 1,
        },
    )
