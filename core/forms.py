from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Campus, Class, Grade, Person, Post, Relation, School, StaffPost, Subject


class SchoolForm(forms.ModelForm):
    class Meta:
        model = School
        fields = ["name", "short_name", "code", "school_type", "address", "phone"]


class GradeForm(forms.ModelForm):
    class Meta:
        model = Grade
        fields = ["stage", "entry_year"]

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s, lbl) for s, lbl in self.fields["stage"].choices if s in school.stages]


class ClassForm(forms.ModelForm):
    class Meta:
        model = Class
        fields = ["number", "alias", "campus", "head_teacher"]

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = Campus.objects.filter(school=school, archived_at__isnull=True)
        self.fields["head_teacher"].queryset = (
            Person.objects.filter(staff_posts__school=school, staff_posts__archived_at__isnull=True)
            .distinct()
            .order_by("name")
        )


class TeachingAssignmentForm(forms.Form):
    subject = forms.ModelChoiceField(label=_("学科"), queryset=Subject.objects.none())
    teacher = forms.ModelChoiceField(label=_("任课教师"), queryset=Person.objects.none())
    periods_per_week = forms.IntegerField(label=_("周课时"), min_value=0, max_value=40, initial=4)

    def __init__(self, *args, klass: Class, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].empty_label = _("选择学科")
        self.fields["teacher"].empty_label = _("选择教师")
        stage = klass.grade.stage
        self.fields["subject"].queryset = Subject.objects.filter(
            district_id=klass.school.district_id, is_active=True, stages__contains=stage
        )
        self.fields["teacher"].queryset = (
            Person.objects.filter(staff_posts__school_id=klass.school_id, staff_posts__archived_at__isnull=True)
            .distinct()
            .order_by("name")
        )


class PersonFields(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=11, required=False)

    def person_data(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"], "id_number": d.get("id_number", ""), "phone": d.get("phone", "")}


class GuardianBindForm(PersonFields):
    relation = forms.ChoiceField(label=_("与学生关系"), choices=Relation.choices)
    is_primary_contact = forms.BooleanField(label=_("主要联系人"), required=False)
    field_order = ["relation", "name", "phone", "id_number", "is_primary_contact"]

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("id_number"):
            raise forms.ValidationError(_("请至少填写手机号或身份证号，用于识别已有家长（一人一号）。"))
        return data


class StaffCreateForm(PersonFields):
    post = forms.ChoiceField(label=_("岗位"), choices=Post.choices, initial=Post.TEACHER)
    main_subject = forms.ModelChoiceField(label=_("任教学科"), queryset=Subject.objects.none(), required=False)
    staff_no = forms.CharField(label=_("工号"), max_length=20, required=False)
    field_order = ["name", "id_number", "phone", "post", "main_subject", "staff_no"]

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["main_subject"].queryset = Subject.objects.filter(district_id=school.district_id, is_active=True)
        self.fields["id_number"].required = True


class RoleGrantForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    role = forms.ChoiceField(label=_("角色"))
    school = forms.ModelChoiceField(label=_("学校"), queryset=School.objects.none(), required=False)
    grade = forms.ModelChoiceField(label=_("年级（仅年级组长）"), queryset=Grade.objects.none(), required=False)

    def __init__(self, *args, roles, schools, grades, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles
        self.fields["school"].queryset = schools
        self.fields["grade"].queryset = grades
        self.fields["grade"].label_from_instance = lambda g: f"{g.school.name} {g.label()}"


StaffPostModel = StaffPost
