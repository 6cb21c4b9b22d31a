"""排课设置 of 合班 and 走班: list, create, edit and delete 合班 (classes taught one subject together) and 走班
blocks with their teaching groups; each page shows the week of every class with 合班 and 走班 counted in."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.excel import xlsx_response
from core.services import current_term
from core.views.common import apply_service_errors, get_scoped

from .. import rosterfile, services
from .. import selectors as sel
from ..forms import CombinedLessonForm, ElectiveBlockForm, TeachingGroupForm, form_errors_named
from ..models import CombinedLesson, ElectiveBlock, TeachingGroup
from ..problem import class_week_hours
from .access import school_for_setup


def _nav(school, active: str) -> dict:
    return {"school": school, "active": active}


def _of_school(model, user, pk, school, path: str = "school_id"):
    obj = get_scoped(model, user, pk)
    owner = obj.block.school_id if path == "block" else obj.school_id
    if owner != school.pk:
        raise Http404("未找到")
    return obj


def _hours(school, class_ids=None) -> list[dict]:
    """Weekly hours of the classes (all, or those in ``class_ids``) with 合班 and 走班 counted in."""
    rows = class_week_hours(school=school, term=current_term(district_id=school.district_id)).values()
    rows = [r for r in rows if class_ids is None or r["klass"].pk in class_ids]
    for r in rows:
        r["over"] = r["hours"] > r["capacity"]
    return rows


def _deleted(request, url: str, text: str):
    """htmx: the row disappears; otherwise back to the list with a message."""
    if request.headers.get("HX-Request"):
        return HttpResponse("")
    messages.success(request, text)
    return redirect(url)


@login_required
def combined(request, school: int):
    """合班 of the school: the list, and a form to add one or change one (``?edit=<id>``)."""
    school = school_for_setup(request.user, school)
    can_change = school in sel.managed_schools(request.user)
    editing = None
    raw = request.POST.get("combined", "") if request.method == "POST" else request.GET.get("edit", "")
    if raw.isdigit():
        editing = _of_school(CombinedLesson, request.user, int(raw), school)
    if request.method == "POST":
        school = school_for_setup(request.user, school.pk, "change")
        form = CombinedLessonForm(request.POST, school=school)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.combined_lesson_save(
                    actor=request.user,
                    school=school,
                    combined=editing,
                    subject=d["subject"],
                    classes=d["classes"],
                    teacher=d["teacher"],
                    periods_per_week=d["periods_per_week"],
                    doubles=d["doubles"] or 0,
                    room_type=d["room_type"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("合班已保存"))
                return redirect("timetable:combined", school.pk)
    elif editing is not None:
        form = CombinedLessonForm(
            school=school,
            initial={
                "subject": editing.subject_id,
                "classes": list(editing.classes.values_list("pk", flat=True)),
                "teacher": editing.teacher_id,
                "periods_per_week": editing.periods_per_week,
                "doubles": editing.doubles,
                "room_type": editing.room_type,
            },
        )
    else:
        form = CombinedLessonForm(school=school, initial={"doubles": 0})
    items = (
        CombinedLesson.objects.visible_to(request.user)
        .filter(school=school)
        .select_related("subject", "teacher")
        .prefetch_related("classes__grade")
    )
    return render(
        request,
        "timetable/manage/combined.html",
        {
            "title": _("合班"),
            "nav": _nav(school, "combined"),
            "items": items,
            "form": form,
            "errors": form_errors_named(form) if form.is_bound else [],
            "editing": editing,
            "can_change": can_change,
            "hours": _hours(school),
        },
    )


@login_required
@require_POST
def combined_delete(request, school: int, pk: int):
    school = school_for_setup(request.user, school, "change")
    obj = _of_school(CombinedLesson, request.user, pk, school)
    services.combined_lesson_delete(actor=request.user, combined=obj)
    return _deleted(request, reverse("timetable:combined", args=[school.pk]), _("合班已删除"))


@login_required
def electives(request, school: int):
    """走班 blocks of the school with their teaching groups; a form to add a block."""
    school = school_for_setup(request.user, school)
    can_change = school in sel.managed_schools(request.user)
    if request.method == "POST":
        school = school_for_setup(request.user, school.pk, "change")
        form = ElectiveBlockForm(request.POST, school=school)
        if form.is_valid():
            d = form.cleaned_data
            try:
                block = services.elective_block_save(
                    actor=request.user,
                    school=school,
                    grade=d["grade"],
                    name=d["name"],
                    periods_per_week=d["periods_per_week"],
                    doubles=d["doubles"] or 0,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("走班“%(name)s”已添加，请添加教学班") % {"name": block.name})
                return redirect("timetable:elective_block", school.pk, block.pk)
    else:
        form = ElectiveBlockForm(school=school, initial={"doubles": 0})
    blocks = (
        ElectiveBlock.objects.visible_to(request.user)
        .filter(school=school)
        .select_related("grade")
        .prefetch_related("groups__subject", "groups__teacher", "groups__room", "groups__classes__grade")
    )
    return render(
        request,
        "timetable/manage/electives.html",
        {
            "title": _("走班"),
            "nav": _nav(school, "electives"),
            "blocks": blocks,
            "form": form,
            "errors": form_errors_named(form) if form.is_bound else [],
            "can_change": can_change,
            "hours": [r for r in _hours(school) if r["blocks"]],
        },
    )


@login_required
def elective_block(request, school: int, pk: int):
    """One 走班 block: change it (``action=block``), add or change a teaching group (``action=group``,
    ``?edit=<group id>``)."""
    school = school_for_setup(request.user, school)
    block = _of_school(ElectiveBlock, request.user, pk, school)
    can_change = school in sel.managed_schools(request.user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    raw = request.POST.get("group", "") if action == "group" else request.GET.get("edit", "")
    editing = None
    if raw.isdigit():
        editing = _of_school(TeachingGroup, request.user, int(raw), school, path="block")
        if editing.block_id != block.pk:
            raise Http404("未找到")
    # both forms are on one page: the block form's ids get their own prefix (its field names stay plain)
    block_form = ElectiveBlockForm(
        school=school,
        auto_id="block_%s",
        initial={
            "grade": block.grade_id,
            "name": block.name,
            "periods_per_week": block.periods_per_week,
            "doubles": block.doubles,
        },
    )
    group_form = None
    roster_errors: list[str] = []
    if action:
        school = school_for_setup(request.user, school.pk, "change")
    if action == "window":
        roster_errors = _window_save(request, block)
        if not roster_errors:
            messages.success(request, _("选课时间已保存"))
            return redirect("timetable:elective_block", school.pk, block.pk)
        block.refresh_from_db()
    if action == "roster":
        roster_errors = _roster_upload(request, block)
        if not roster_errors:
            return redirect("timetable:elective_block", school.pk, block.pk)
    if action == "block":
        block_form = ElectiveBlockForm(request.POST, school=school, auto_id="block_%s")
        if block_form.is_valid():
            d = block_form.cleaned_data
            try:
                services.elective_block_save(
                    actor=request.user,
                    school=school,
                    block=block,
                    grade=d["grade"],
                    name=d["name"],
                    periods_per_week=d["periods_per_week"],
                    doubles=d["doubles"] or 0,
                )
            except ValidationError as exc:
                apply_service_errors(block_form, exc)
            else:
                messages.success(request, _("走班“%(name)s”已保存") % {"name": d["name"]})
                return redirect("timetable:elective_block", school.pk, block.pk)
        block.refresh_from_db()
    elif action == "group":
        group_form = TeachingGroupForm(request.POST, block=block)
        if group_form.is_valid():
            d = group_form.cleaned_data
            try:
                group = services.teaching_group_save(
                    actor=request.user,
                    block=block,
                    group=editing,
                    name=d["name"],
                    subject=d["subject"],
                    teacher=d["teacher"],
                    classes=d["classes"],
                    room=d["room"],
                    room_type=d["room_type"],
                    size=d["size"],
                )
            except ValidationError as exc:
                apply_service_errors(group_form, exc)
            else:
                messages.success(request, _("教学班“%(name)s”已保存") % {"name": group.name})
                return redirect("timetable:elective_block", school.pk, block.pk)
    if group_form is None:
        initial = {}
        if editing is not None:
            initial = {
                "name": editing.name,
                "subject": editing.subject_id,
                "teacher": editing.teacher_id,
                "classes": list(editing.classes.values_list("pk", flat=True)),
                "room": editing.room_id,
                "room_type": editing.room_type,
                "size": editing.size,
            }
        group_form = TeachingGroupForm(block=block, initial=initial)
    groups = block.groups.select_related("subject", "teacher", "room").prefetch_related("classes__grade")
    class_ids = {c.pk for g in groups for c in g.classes.all()}
    roster = sel.block_roster_counts(block)
    for g in groups:
        g.n_students = roster["groups"].get(g.pk, 0)
    errors = list(roster_errors)
    for f in (block_form, group_form):
        if f.is_bound:
            errors += form_errors_named(f)
    return render(
        request,
        "timetable/manage/elective_block.html",
        {
            "title": block.name,
            "nav": _nav(school, "electives"),
            "eblock": block,
            "teaching_groups": groups,
            "block_form": block_form,
            "group_form": group_form,
            "editing": editing,
            "errors": errors,
            "can_change": can_change,
            "hours": _hours(school, class_ids),
            "roster": roster,
            "window_state": block.choosing_state(timezone.now()),
        },
    )


def _window_save(request, block: ElectiveBlock) -> list[str]:
    """网上选课 window from the block page's two datetime fields (both blank: no online 选课)."""
    values = {}
    for name, label in (("choose_from", _("选课开始")), ("choose_until", _("选课截止"))):
        raw = request.POST.get(name, "").strip()
        if not raw:
            values[name] = None
            continue
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            return [_("%(label)s：请填写正确的日期和时间") % {"label": label}]
        values[name] = timezone.make_aware(value) if timezone.is_naive(value) else value
    try:
        services.elective_window_set(actor=request.user, block=block, **values)
    except ValidationError as exc:
        return [str(m) for msgs in exc.message_dict.values() for m in msgs]
    return []


MAX_ROSTER_BYTES = 5 * 1024 * 1024


def _roster_upload(request, block: ElectiveBlock) -> list[str]:
    """The 名单 of the block's groups from the uploaded sheet; the error lines (each naming its row), or []."""
    upload = request.FILES.get("file")
    if upload is None:
        return [_("请选择要导入的名单文件")]
    if upload.size > MAX_ROSTER_BYTES:
        return [_("文件超过 5 MB，请只保留学籍号和教学班两列后再导入")]
    try:
        rows = rosterfile.read_rows(upload.read(), upload.name)
        counts = services.elective_roster_import(actor=request.user, block=block, rows=rows)
    except rosterfile.ImportFileError as exc:
        return [str(exc)]
    except ValidationError as exc:
        return [str(m) for msgs in exc.message_dict.values() for m in msgs]
    summary = "、".join(_("%(group)s %(n)s 人") % {"group": name, "n": n} for name, n in counts.items())
    messages.success(request, _("名单已导入：%(summary)s") % {"summary": summary})
    return []


@login_required
def elective_roster_template(request, school: int, pk: int):
    """The block's 名单 as a sheet to fill in: every 在读 student of its classes and the group each is in now."""
    school = school_for_setup(request.user, school)
    block = _of_school(ElectiveBlock, request.user, pk, school)
    return xlsx_response(
        filename=_("%(name)s-教学班名单") % {"name": block.name},
        headers=rosterfile.HEADERS,
        rows=rosterfile.template_rows(block),
        sheet=_("名单"),
    )


@login_required
def teaching_group_roster(request, pk: int):
    """A teaching group's 名单: its teacher and the school's admins read it; the admins tick who comes (students
    of its source classes; those in another group of the block are shown with that group, and cannot be ticked)."""
    group = sel.group_for_roster(request.user, pk)
    if group is None:
        raise Http404("未找到")
    can_change = group.block.school in sel.managed_schools(request.user)
    errors: list[str] = []
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(_("无权执行此操作"))
        ids = [int(v) for v in request.POST.getlist("students") if v.isdigit()]
        try:
            services.teaching_group_students_set(actor=request.user, group=group, students=ids)
        except ValidationError as exc:
            errors = [str(m) for msgs in exc.message_dict.values() for m in msgs]
        else:
            messages.success(request, _("%(name)s 的名单已保存") % {"name": group.name})
            return redirect("timetable:teaching_group_roster", group.pk)
    members = sel.group_students(group)
    candidates = sel.group_candidates(group) if can_change else []
    if request.method == "POST":
        chosen = {int(v) for v in request.POST.getlist("students") if v.isdigit()}
        for c in candidates:
            c["checked"] = c["student"].pk in chosen
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=_("%(name)s-名单") % {"name": group.name},
            headers=[_("班级"), _("班内学号"), _("姓名")],
            rows=[[st.klass.name, st.class_no, st.person.name] for st in members],
            sheet=_("名单"),
        )
    return render(
        request,
        "timetable/manage/group_roster.html",
        {
            "title": _("%(name)s 名单") % {"name": group.name},
            "group": group,
            "members": members,
            "candidates": candidates,
            "can_change": can_change,
            "errors": errors,
        },
    )


@login_required
@require_POST
def elective_block_delete(request, school: int, pk: int):
    school = school_for_setup(request.user, school, "change")
    block = _of_school(ElectiveBlock, request.user, pk, school)
    services.elective_block_delete(actor=request.user, block=block)
    messages.success(request, _("走班“%(name)s”已删除") % {"name": block.name})
    return redirect("timetable:electives", school.pk)


@login_required
@require_POST
def teaching_group_delete(request, school: int, pk: int):
    school = school_for_setup(request.user, school, "change")
    group = _of_school(TeachingGroup, request.user, pk, school, path="block")
    block_id = group.block_id
    services.teaching_group_delete(actor=request.user, group=group)
    return _deleted(
        request,
        reverse("timetable:elective_block", args=[school.pk, block_id]),
        _("教学班“%(name)s”已删除") % {"name": group.name},
    )
