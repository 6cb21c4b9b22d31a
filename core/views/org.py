"""Org tree pages: 区县 → 学校（校区、学段）→ 年级 → 班级 → people."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import services
from ..extensions import page_actions
from ..filters import ClassFilter, SchoolFilter
from ..forms import ClassForm, GradeForm, SchoolForm, TeachingAssignmentForm
from ..lists import Column, ScopedListView
from ..models import Campus, Class, District, Grade, School, StaffPost, Student, TeachingAssignment
from ..scope import can, can_any
from ..selectors.org import class_detail_load, school_detail_load
from .common import get_scoped, run_service


class SchoolListView(ScopedListView):
    model = School
    title = gettext_lazy("学校")
    filterset_class = SchoolFilter
    search_fields = ["name__icontains", "code__startswith", "short_name__icontains"]
    search_placeholder = gettext_lazy("学校名称或学校标识码")
    select_related = ["district"]
    ordering = ["code"]
    export_name = "学校名单"
    columns = [
        Column(gettext_lazy("学校标识码"), lambda s: s.code),
        Column(gettext_lazy("学校名称"), lambda s: s.name, link=lambda s: reverse("core:school_detail", args=[s.pk])),
        Column(gettext_lazy("办学类型"), lambda s: s.get_school_type_display()),
        Column(gettext_lazy("学段"), lambda s: s.stage_labels),
        Column(gettext_lazy("班级数"), lambda s: s.n_classes, css="text-end"),
        Column(gettext_lazy("在读学生"), lambda s: s.n_students, css="text-end"),
        Column(
            gettext_lazy("状态"),
            lambda s: _("已归档") if s.archived_at else _("正常"),
            badge=lambda s: "secondary" if s.archived_at else "success",
        ),
    ]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(
                n_classes=Count("classes", filter=Q(classes__archived_at__isnull=True), distinct=True),
                n_students=Count("students", filter=Q(students__status="enrolled"), distinct=True),
            )
        )

    def page_actions(self):
        district = District.objects.visible_to(self.request.user, "add").first()
        if district and can_any(self.request.user, "add", School):
            return [{"label": _("新建学校"), "url": reverse("core:school_create")}]
        return []


@login_required
def school_detail_view(request, pk: int):
    school = get_scoped(School, request.user, pk)
    ctx = school_detail_load(user=request.user, school=school)
    ctx.update(
        title=school.name,
        can_change=can(request.user, "change", school),
        can_archive=can(request.user, "archive", school),
        can_add_grade=can(request.user, "add", Grade(school=school)),
        can_add_staff=can(request.user, "add", StaffPost(school=school)),
        can_add_campus=can(request.user, "add", Campus(school=school)),
        module_actions=page_actions("school_detail", request, school),
    )
    return render(request, "core/school_detail.html", ctx)


@login_required
def school_create_view(request):
    district = District.objects.visible_to(request.user, "add").first()
    if district is None or not can(request.user, "add", School(district=district)):
        raise PermissionDenied
    form = SchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        school = run_service(
            request,
            form,
            lambda: services.school_create(actor=request.user, district=district, **d),
            _("学校已创建。"),
        )
        if school:
            return redirect("core:school_detail", pk=school.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("新建学校"),
            "intro": _("学校标识码为 10 位：办学类型 2 位 + 省份 2 位 + 序号 6 位。"),
        },
    )


@login_required
def school_edit_view(request, pk: int):
    school = get_scoped(School, request.user, pk, "change")
    form = SchoolForm(request.POST or None, instance=School.objects.get(pk=school.pk))
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        fresh = School.objects.get(pk=school.pk)
        if run_service(
            request, form, lambda: services.school_update(actor=request.user, school=fresh, **changes), _("已保存。")
        ):
            return redirect("core:school_detail", pk=school.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("编辑学校：%s") % school.name,
            "cancel_url": reverse("core:school_detail", args=[pk]),
        },
    )


@login_required
@require_POST
def school_archive_view(request, pk: int):
    school = get_scoped(School, request.user, pk, "archive")
    try:
        if request.POST.get("restore"):
            services._restore(request.user, school)
            messages.success(request, _("学校已恢复。"))
        else:
            services.school_archive(actor=request.user, school=school)
            messages.success(request, _("学校已归档。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("core:school_detail", pk=pk)


@login_required
def grade_create_view(request, school_pk: int):
    school = get_scoped(School, request.user, school_pk)
    if not can(request.user, "add", Grade(school=school)):
        raise PermissionDenied
    form = GradeForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if run_service(
            request, form, lambda: services.grade_create(actor=request.user, school=school, **d), _("年级已创建。")
        ):
            return redirect("core:school_detail", pk=school.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("新建年级：%s") % school.name,
            "intro": _("年级按入学年份（届）管理，升级时名称自动变化，无需改动数据。"),
            "cancel_url": reverse("core:school_detail", args=[school.pk]),
        },
    )


@login_required
def grade_detail_view(request, pk: int):
    grade = get_scoped(Grade, request.user, pk, queryset=Grade.objects.select_related("school"))
    classes = (
        Class.objects.visible_to(request.user)
        .filter(grade=grade)
        .select_related("head_teacher", "campus", "grade")
        .annotate(n=Count("students", filter=Q(students__status="enrolled")))
        .order_by("number")
    )
    return render(
        request,
        "core/grade_detail.html",
        {
            "title": f"{grade.school.name} · {grade.label()}",
            "grade": grade,
            "classes": classes,
            "can_add_class": can(request.user, "add", Class(school=grade.school, grade=grade)),
            "can_archive": can(request.user, "archive", grade),
        },
    )


@login_required
@require_POST
def grade_archive_view(request, pk: int):
    grade = get_scoped(Grade, request.user, pk, "archive")
    try:
        services.grade_archive(actor=request.user, grade=grade)
        messages.success(request, _("年级已归档。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("core:grade_detail", pk=pk)


class ClassListView(ScopedListView):
    model = Class
    title = gettext_lazy("班级")
    filterset_class = ClassFilter
    search_fields = ["alias__icontains", "head_teacher__name__icontains", "school__name__icontains"]
    search_placeholder = gettext_lazy("学校、班主任或别名")
    select_related = ["school", "grade", "head_teacher", "campus"]
    ordering = ["school__code", "grade__stage", "-grade__entry_year", "number"]
    export_name = "班级名单"
    columns = [
        Column(gettext_lazy("学校"), lambda c: c.school.name),
        Column(gettext_lazy("班级"), lambda c: c.name, link=lambda c: reverse("core:class_detail", args=[c.pk])),
        Column(gettext_lazy("届别"), lambda c: c.grade.cohort_name),
        Column(gettext_lazy("校区"), lambda c: c.campus.name if c.campus else ""),
        Column(gettext_lazy("班主任"), lambda c: c.head_teacher.name if c.head_teacher else ""),
        Column(gettext_lazy("学生数"), lambda c: c.n_students, css="text-end"),
    ]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(archived_at__isnull=True)
            .annotate(n_students=Count("students", filter=Q(students__status="enrolled")))
        )


@login_required
def class_detail_view(request, pk: int):
    klass = get_scoped(
        Class, request.user, pk, queryset=Class.objects.select_related("school", "grade", "head_teacher", "campus")
    )
    ctx = class_detail_load(user=request.user, klass=klass)
    ctx.update(
        title=f"{klass.school.name} · {klass.name}",
        can_change=can(request.user, "change", klass),
        can_archive=can(request.user, "archive", klass),
        can_assign=can(request.user, "add", TeachingAssignment(klass=klass)),
        module_actions=page_actions("class_detail", request, klass),
    )
    if ctx["can_assign"]:
        ctx["assign_form"] = TeachingAssignmentForm(klass=klass)
    return render(request, "core/class_detail.html", ctx)


@login_required
def class_create_view(request, grade_pk: int):
    grade = get_scoped(Grade, request.user, grade_pk, queryset=Grade.objects.select_related("school"))
    if not can(request.user, "add", Class(school=grade.school, grade=grade)):
        raise PermissionDenied
    next_no = (grade.classes.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    form = ClassForm(request.POST or None, school=grade.school, initial={"number": next_no})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        klass = run_service(
            request, form, lambda: services.class_create(actor=request.user, grade=grade, **d), _("班级已创建。")
        )
        if klass:
            return redirect("core:class_detail", pk=klass.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("新建班级：%(school)s %(grade)s") % {"school": grade.school.name, "grade": grade.label()},
            "cancel_url": reverse("core:grade_detail", args=[grade.pk]),
        },
    )


@login_required
def class_edit_view(request, pk: int):
    klass = get_scoped(Class, request.user, pk, "change", queryset=Class.objects.select_related("school", "grade"))
    form = ClassForm(request.POST or None, instance=Class.objects.get(pk=klass.pk), school=klass.school)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        if run_service(
            request, form, lambda: services.class_update(actor=request.user, klass=klass, **changes), _("已保存。")
        ):
            return redirect("core:class_detail", pk=pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("编辑班级：%s") % klass.name, "cancel_url": reverse("core:class_detail", args=[pk])},
    )


@login_required
@require_POST
def class_archive_view(request, pk: int):
    klass = get_scoped(Class, request.user, pk, "archive")
    try:
        services.class_archive(actor=request.user, klass=klass)
        messages.success(request, _("班级已归档。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("core:class_detail", pk=pk)


@login_required
@require_POST
def assignment_set_view(request, pk: int):
    klass = get_scoped(Class, request.user, pk, queryset=Class.objects.select_related("school", "grade"))
    if not can(request.user, "add", TeachingAssignment(klass=klass)):
        raise PermissionDenied
    form = TeachingAssignmentForm(request.POST, klass=klass)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.teaching_assignment_set(
                actor=request.user,
                klass=klass,
                subject=d["subject"],
                teacher=d["teacher"],
                periods_per_week=d["periods_per_week"],
            )
            messages.success(
                request, _("任课安排已保存：%(s)s — %(t)s") % {"s": d["subject"].name, "t": d["teacher"].name}
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(
            request,
            " ".join(f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items() if k in form.fields)
            or _("输入有误"),
        )
    return redirect("core:class_detail", pk=pk)


@login_required
@require_POST
def assignment_remove_view(request, pk: int):
    ta = get_scoped(TeachingAssignment, request.user, pk, "archive")
    klass_id = ta.klass_id
    services.teaching_assignment_remove(actor=request.user, assignment=ta)
    messages.success(request, _("任课安排已删除。"))
    return redirect("core:class_detail", pk=klass_id)


def _students_in(user, **filters):
    return Student.objects.visible_to(user).filter(status="enrolled", **filters)
