"""学习任务: a teacher pushes a resource to a class (or to the students weak on a knowledge point) and follows
completion; students (and parents) see the tasks in 我的学习任务 and students mark them done."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import Class
from core.scope import roles_of

from .. import services
from ..forms import PushForm
from ..models import Push, PushTarget
from ..selectors import my_tasks, pushes_visible, teacher_classes
from .common import get_resource


@login_required
@require_POST
def push_create_view(request, pk: int):
    resource = get_resource(request.user, pk, openable=False)
    classes = teacher_classes(request.user)
    points = list(resource.knowledge_points.all())
    form = PushForm(request.POST, classes=classes, points=points)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{'、'.join(e)}" for f, e in form.errors.items()))
        return redirect("resources:detail", resource.pk)
    d = form.cleaned_data
    klass = Class.objects.filter(pk=d["klass"]).select_related("school").first()
    node = next((n for n in points if str(n.pk) == d.get("knowledge_point")), None)
    try:
        push = services.push_create(
            actor=request.user,
            resource=resource,
            klass=klass,
            due_date=d["due_date"],
            note=d["note"],
            knowledge_point=node,
            weak_only=d["target"] == "weak",
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("resources:detail", resource.pk)
    messages.success(request, _("已推送给 %(c)s 的 %(n)d 名学生") % {"c": klass.name, "n": push.targets.count()})
    return redirect("resources:push_detail", push.pk)


def _with_progress(qs):
    return qs.annotate(n_total=Count("targets"), n_done=Count("targets", filter=Q(targets__done_at__isnull=False)))


@login_required
def pushes_view(request):
    """推送的任务: the pushes the user can see (their own first), with completion."""
    if not (
        {"head_teacher", "subject_teacher", "school_admin", "district_admin", "researcher", "grade_leader"}
        & roles_of(request.user)
    ):
        raise PermissionDenied(_("无权访问"))
    qs = _with_progress(pushes_visible(request.user)).select_related("teacher__person")
    mine = request.GET.get("all") != "1"
    if mine:
        qs = qs.filter(teacher=request.user)
    return render(
        request,
        "resources/pushes.html",
        {"title": _("推送的任务"), "rows": qs.order_by("-created_at", "-id")[:200], "mine": mine},
    )


@login_required
def push_detail_view(request, pk: int):
    push = _with_progress(pushes_visible(request.user)).filter(pk=pk).first()
    if push is None:
        raise Http404(_("任务不存在或无权访问"))
    targets = (
        PushTarget.objects.visible_to(request.user, "view")
        .filter(push=push)
        .select_related("student__person")
        .order_by("student__class_no", "student_id")
    )
    return render(
        request,
        "resources/push_detail.html",
        {"title": _("学习任务完成情况"), "push": push, "targets": targets, "today": dt.date.today()},
    )


@login_required
def my_tasks_view(request):
    if not ({"student", "guardian"} & roles_of(request.user)):
        raise PermissionDenied(_("无权访问"))
    tasks = list(my_tasks(request.user))
    return render(
        request,
        "resources/my_tasks.html",
        {
            "title": _("我的学习任务"),
            "tasks": tasks,
            "is_student": "student" in roles_of(request.user),
            "pending": sum(1 for t in tasks if not t.done_at),
        },
    )


@login_required
@require_POST
def task_done_view(request, pk: int):
    target = PushTarget.objects.visible_to(request.user, "view").filter(pk=pk).first()
    if target is None:
        raise Http404(_("任务不存在或无权访问"))
    services.push_target_done(actor=request.user, target=target, done=request.POST.get("done", "1") == "1")
    messages.success(request, _("已标记为完成") if target.done_at else _("已改为未完成"))
    return redirect("resources:my_tasks")


__all__ = ["Push"]
