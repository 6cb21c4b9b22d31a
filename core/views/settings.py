"""District base data: academic years and the current term, the subject table, campuses, person edits."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import services
from ..models import AcademicYear, Campus, District, Person, School, StaffPost, Stage, Subject, Term
from ..scope import can, can_any
from .common import get_scoped, run_service


class SubjectForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("学科代码"), max_length=10)
    name = forms.CharField(label=gettext_lazy("学科名称"), max_length=30)
    stages = forms.MultipleChoiceField(
        label=gettext_lazy("适用学段"), choices=Stage.choices, widget=forms.CheckboxSelectMultiple
    )


class YearForm(forms.Form):
    start_year = forms.IntegerField(label=gettext_lazy("学年起始年份"), min_value=2000, max_value=2100)


@login_required
def base_data_view(request):
    district = District.objects.visible_to(request.user).first()
    if district is None or not can_any(request.user, "view", Term):
        raise PermissionDenied
    can_manage = can(request.user, "change", Term(district=district))
    subject_form = SubjectForm(prefix="subject")
    year_form = YearForm(
        prefix="year",
        initial={
            "start_year": (
                AcademicYear.objects.filter(district=district)
                .order_by("-start_year")
                .values_list("start_year", flat=True)
                .first()
                or 2025
            )
            + 1
        },
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if "subject-code" in request.POST:
            subject_form = SubjectForm(request.POST, prefix="subject")
            if subject_form.is_valid():
                d = subject_form.cleaned_data
                if run_service(
                    request,
                    subject_form,
                    lambda: services.subject_create(actor=request.user, district=district, **d),
                    _("学科已添加。"),
                ):
                    return redirect("core:base_data")
        elif "year-start_year" in request.POST:
            year_form = YearForm(request.POST, prefix="year")
            if year_form.is_valid():
                y = year_form.cleaned_data["start_year"]
                if run_service(
                    request,
                    year_form,
                    lambda: services.academic_year_create(actor=request.user, district=district, start_year=y),
                    _("学年已创建。"),
                ):
                    return redirect("core:base_data")
    terms = Term.objects.visible_to(request.user).select_related("academic_year")
    subjects = Subject.objects.visible_to(request.user)
    return render(
        request,
        "core/base_data.html",
        {
            "title": _("基础数据"),
            "district": district,
            "terms": terms,
            "subjects": subjects,
            "can_manage": can_manage,
            "subject_form": subject_form,
            "year_form": year_form,
        },
    )


@login_required
@require_POST
def term_current_view(request, pk: int):
    term = get_scoped(Term, request.user, pk, "change")
    services.term_make_current(actor=request.user, term=term)
    messages.success(request, _("当前学期已设为 %s。") % term)
    return redirect("core:base_data")


@login_required
@require_POST
def subject_active_view(request, pk: int):
    subject = get_scoped(Subject, request.user, pk, "change")
    services.subject_set_active(actor=request.user, subject=subject, active=request.POST.get("active") == "1")
    return redirect("core:base_data")


class CampusForm(forms.ModelForm):
    class Meta:
        model = Campus
        fields = ["name", "address"]


@login_required
def campus_create_view(request, school_pk: int):
    school = get_scoped(School, request.user, school_pk)
    if not can(request.user, "add", Campus(school=school)):
        raise PermissionDenied
    form = CampusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if run_service(
            request, form, lambda: services.campus_create(actor=request.user, school=school, **d), _("校区已添加。")
        ):
            return redirect("core:school_detail", pk=school.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("添加校区：%s") % school.name,
            "cancel_url": reverse("core:school_detail", args=[school.pk]),
        },
    )


class PersonEditForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["name", "gender", "ethnicity", "id_type", "id_number", "phone"]
        widgets = {"id_number": forms.TextInput(), "phone": forms.TextInput()}


@login_required
def person_edit_view(request, pk: int):
    if not Person.objects.visible_to(request.user, "change").filter(pk=pk).exists():
        if Person.objects.visible_to(request.user).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    person = Person.objects.get(pk=pk)
    form = PersonEditForm(request.POST or None, instance=Person.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        fresh = Person.objects.get(pk=pk)
        if run_service(
            request, form, lambda: services.person_update(actor=request.user, person=fresh, **changes), _("已保存。")
        ):
            return redirect("core:person_detail", pk=pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("编辑人员：%s") % person.name,
            "intro": _("修改身份证号等敏感信息会记入审计日志（旧值与新值均脱敏）。"),
            "cancel_url": reverse("core:person_detail", args=[pk]),
        },
    )


@login_required
@require_POST
def staff_post_end_view(request, pk: int):
    sp = get_scoped(StaffPost, request.user, pk, "archive")
    try:
        services.staff_post_archive(actor=request.user, staff_post=sp)
        messages.success(request, _("已办理离岗：%s") % sp)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("core:person_detail", pk=sp.person_id)
