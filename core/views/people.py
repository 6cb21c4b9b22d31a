"""People pages: students, staff, parents; parent binding; audited reveal of sensitive fields."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import services
from ..extensions import page_actions
from ..filters import ParentFilter, StaffFilter, StudentFilter
from ..forms import GuardianBindForm, StaffCreateForm
from ..lists import Column, ScopedListView
from ..models import Guardianship, Person, School, StaffPost, Student, TeachingAssignment, User
from ..scope import can
from .common import get_scoped, run_service


class StudentListView(ScopedListView):
    def search_q(self, q):
        # Names by prefix; the encrypted 学籍号 only by exact match (its blind index).
        return super().search_q(q) | Q(student_no_index=Student.student_no_lookup(q))

    model = Student
    title = gettext_lazy("学生")
    filterset_class = StudentFilter
    search_fields = ["person__name__startswith"]
    search_placeholder = gettext_lazy("姓名或学籍号")
    select_related = ["person", "school", "klass__grade"]
    ordering = ["school_id", "klass_id", "class_no", "id"]
    export_name = "学生名单"
    columns = [
        Column(
            gettext_lazy("姓名"), lambda s: s.person.name, link=lambda s: reverse("core:student_detail", args=[s.pk])
        ),
        Column(gettext_lazy("性别"), lambda s: s.person.get_gender_display()),
        Column(
            gettext_lazy("学籍号"),
            lambda s: s.student_no_masked,
        ),
        Column(gettext_lazy("身份证号"), lambda s: s.person.id_number_masked),
        Column(gettext_lazy("学校"), lambda s: s.school.name),
        Column(gettext_lazy("班级"), lambda s: s.klass.name),
        Column(gettext_lazy("班内学号"), lambda s: s.class_no, css="text-end"),
        Column(
            gettext_lazy("状态"),
            lambda s: s.get_status_display(),
            badge=lambda s: "success" if s.status == "enrolled" else "secondary",
        ),
    ]


@login_required
def student_detail_view(request, pk: int):
    student = get_scoped(
        Student,
        request.user,
        pk,
        queryset=Student.objects.select_related("person", "school", "klass__grade", "klass__head_teacher"),
    )
    guardianships = Guardianship.objects.visible_to(request.user).filter(student=student).select_related("guardian")
    teachers = (
        TeachingAssignment.objects.visible_to(request.user)
        .filter(klass=student.klass, term__is_current=True)
        .select_related("teacher", "subject")
        .order_by("subject__sort_order")
    )
    can_bind = can(request.user, "add", Guardianship(student=student))
    return render(
        request,
        "core/student_detail.html",
        {
            "title": student.person.name,
            "student": student,
            "person": student.person,
            "guardianships": guardianships,
            "teachers": teachers,
            "can_bind": can_bind,
            "bind_form": GuardianBindForm() if can_bind else None,
            "can_reveal": can(request.user, "reveal", student),
            "can_manage_account": can(request.user, "change", student) and request.user.person_id != student.person_id,
            "module_actions": page_actions("student_detail", request, student),
        },
    )


@login_required
def guardian_bind_view(request, pk: int):
    student = get_scoped(
        Student, request.user, pk, queryset=Student.objects.select_related("person", "klass__grade", "school")
    )
    if not can(request.user, "add", Guardianship(student=student)):
        raise PermissionDenied
    form = GuardianBindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ok = run_service(
            request,
            form,
            lambda: services.guardianship_bind(
                actor=request.user,
                student=student,
                relation=d["relation"],
                guardian_data=form.person_data(),
                is_primary_contact=d["is_primary_contact"],
            ),
            _("家长已绑定。"),
        )
        if ok:
            return redirect("core:student_detail", pk=pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("绑定家长：%s") % student.person.name,
            "intro": _("按身份证号或手机号识别已登记的家长：同一位家长绑定多个子女时不会重复建档。"),
            "cancel_url": reverse("core:student_detail", args=[pk]),
        },
    )


@login_required
@require_POST
def guardian_unbind_view(request, pk: int):
    g = get_scoped(Guardianship, request.user, pk, "archive")
    student_id = g.student_id
    services.guardianship_unbind(actor=request.user, guardianship=g)
    messages.success(request, _("已解除绑定。"))
    return redirect("core:student_detail", pk=student_id)


class StaffListView(ScopedListView):
    model = StaffPost
    title = gettext_lazy("教职工")
    filterset_class = StaffFilter
    search_fields = ["person__name__startswith", "staff_no__startswith"]
    search_placeholder = gettext_lazy("姓名或工号")
    select_related = ["person", "school", "main_subject"]
    ordering = ["school_id", "post", "person__name"]
    export_name = "教职工名单"
    columns = [
        Column(
            gettext_lazy("姓名"),
            lambda sp: sp.person.name,
            link=lambda sp: reverse("core:person_detail", args=[sp.person_id]),
        ),
        Column(gettext_lazy("工号"), lambda sp: sp.staff_no),
        Column(gettext_lazy("学校"), lambda sp: sp.school.name),
        Column(gettext_lazy("岗位"), lambda sp: sp.get_post_display()),
        Column(gettext_lazy("任教学科"), lambda sp: sp.main_subject.name if sp.main_subject else ""),
        Column(gettext_lazy("手机号"), lambda sp: sp.person.phone_masked),
    ]

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True)


class ParentListView(ScopedListView):
    """Parents are listed through the guardianships of children in the user's scope."""

    model = Guardianship
    title = gettext_lazy("家长")
    filterset_class = ParentFilter
    search_fields = ["guardian__name__startswith", "student__person__name__startswith"]
    search_placeholder = gettext_lazy("家长或学生姓名")
    select_related = ["guardian", "student__person", "student__school", "student__klass__grade"]
    ordering = ["student__school_id", "student__klass_id", "student__class_no"]
    export_name = "家长名单"
    columns = [
        Column(
            gettext_lazy("家长"),
            lambda g: g.guardian.name,
            link=lambda g: reverse("core:person_detail", args=[g.guardian_id]),
        ),
        Column(gettext_lazy("关系"), lambda g: g.get_relation_display()),
        Column(gettext_lazy("手机号"), lambda g: g.guardian.phone_masked),
        Column(
            gettext_lazy("学生"),
            lambda g: g.student.person.name,
            link=lambda g: reverse("core:student_detail", args=[g.student_id]),
        ),
        Column(gettext_lazy("学校"), lambda g: g.student.school.name),
        Column(gettext_lazy("班级"), lambda g: g.student.klass.name),
        Column(gettext_lazy("主要联系人"), lambda g: _("是") if g.is_primary_contact else ""),
    ]


@login_required
def staff_create_view(request, school_pk: int):
    school = get_scoped(School, request.user, school_pk)
    if not can(request.user, "add", StaffPost(school=school)):
        raise PermissionDenied
    form = StaffCreateForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        existing = services.person_find(id_number=d["id_number"])
        sp = run_service(
            request,
            form,
            lambda: services.staff_post_create(
                actor=request.user,
                school=school,
                person=existing,
                post=d["post"],
                staff_no=d["staff_no"],
                main_subject=d["main_subject"],
                person_data=None if existing else form.person_data(),
            ),
            _("已添加教职工。") if existing is None else _("该人员已在系统中，已为其添加新岗位（交流教师）。"),
        )
        if sp:
            return redirect("core:person_detail", pk=sp.person_id)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("添加教职工：%s") % school.name,
            "intro": _("已在其他学校任职的教师（交流教师）按身份证号识别，不会重复建档。"),
            "cancel_url": reverse("core:school_detail", args=[school.pk]),
        },
    )


@login_required
def person_detail_view(request, pk: int):
    if not Person.objects.visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    person = Person.objects.select_related("user").get(pk=pk)
    posts = StaffPost.objects.visible_to(request.user).filter(person=person).select_related("school", "main_subject")
    wards = (
        Guardianship.objects.visible_to(request.user)
        .filter(guardian=person)
        .select_related("student__person", "student__school", "student__klass__grade")
    )
    teaching = (
        TeachingAssignment.objects.visible_to(request.user)
        .filter(teacher=person, term__is_current=True)
        .select_related("klass__grade", "klass__school", "subject")
    )
    student = Student.objects.visible_to(request.user).filter(person=person).first()
    account = getattr(person, "user", None)
    can_manage = (
        account is not None
        and request.user.pk != account.pk
        and Person.objects.visible_to(request.user, "change").filter(pk=pk).exists()
    )
    return render(
        request,
        "core/person_detail.html",
        {
            "title": person.name,
            "person": person,
            "posts": posts,
            "wards": wards,
            "teaching": teaching,
            "student": student,
            "account": account,
            "can_manage_account": can_manage,
            "can_reveal": Person.objects.visible_to(request.user, "reveal").filter(pk=pk).exists(),
            "can_edit": Person.objects.visible_to(request.user, "change").filter(pk=pk).exists(),
            "endable_posts": {p.pk for p in posts if can(request.user, "archive", p)},
        },
    )


@login_required
@require_POST
def person_reveal_view(request, pk: int, field: str):
    if not Person.objects.visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    person = Person.objects.get(pk=pk)
    try:
        value = services.person_reveal(actor=request.user, person=person, field=field)
    except ValidationError as exc:
        raise Http404 from exc
    return HttpResponse(
        format_html(
            '<span class="font-monospace" data-testid="revealed">{}</span> <span class="badge text-bg-warning">{}</span>',
            value,
            _("已记录查看"),
        )
    )


def _managed_user(request, pk: int) -> User:
    if not Person.objects.visible_to(request.user, "change").filter(pk=pk).exists():
        raise Http404
    user = User.objects.filter(person_id=pk).first()
    if user is None:
        raise Http404
    return user


@login_required
@require_POST
def account_activation_view(request, pk: int):
    user = _managed_user(request, pk)
    path = services.user_activation_link_issue(actor=request.user, user=user)
    link = request.build_absolute_uri(path)
    messages.success(
        request,
        format_html(
            '{} <code id="activation-link" data-testid="activation-link">{}</code>',
            _("激活/重置链接（请转交本人，使用一次即失效）："),
            link,
        ),
    )
    return redirect("core:person_detail", pk=pk)


@login_required
@require_POST
def account_active_view(request, pk: int):
    user = _managed_user(request, pk)
    active = request.POST.get("active") == "1"
    services.user_set_active(actor=request.user, user=user, active=active)
    messages.success(request, _("账号已启用。") if active else _("账号已停用，所有会话已失效。"))
    return redirect("core:person_detail", pk=pk)
