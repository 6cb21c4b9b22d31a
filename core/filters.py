"""Filters for list pages. Choice lists are themselves scoped: nobody sees another school's name in a dropdown."""

import django_filters as df
from django.utils.translation import gettext_lazy as _

from .models import AuditLog, Class, Grade, Post, School, SchoolType, StaffPost, Student, StudentStatus


class ScopedFilterSet(df.FilterSet):
    # A district has thousands of classes: list them all only for small scopes, otherwise after a school is chosen.
    CLASS_CHOICES_LIMIT = 120
    # Filters whose choices depend on another filter; htmx responses re-render them out of band.
    dependent_fields = ["klass"]

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        user = request.user
        if "school" in self.filters:
            self.filters["school"].queryset = School.objects.visible_to(user).filter(archived_at__isnull=True)
        if "klass" in self.filters:
            qs = Class.objects.visible_to(user).filter(archived_at__isnull=True).select_related("grade")
            school = self.data.get("school") if self.data else None
            klass = self.data.get("klass") if self.data else None
            if school and str(school).isdigit():
                qs = qs.filter(school_id=school)
            elif qs.count() > self.CLASS_CHOICES_LIMIT:
                qs = qs.filter(pk=klass) if klass and str(klass).isdigit() else qs.none()
                self.filters["klass"].extra["empty_label"] = _("先选学校再选班级")
            self.filters["klass"].queryset = qs


class SchoolFilter(ScopedFilterSet):
    school_type = df.ChoiceFilter(choices=SchoolType.choices, empty_label=_("全部类型"))
    status = df.ChoiceFilter(
        choices=[("active", _("正常")), ("archived", _("已归档"))], method="filter_status", empty_label=_("全部状态")
    )

    def filter_status(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=(value == "active"))

    class Meta:
        model = School
        fields = ["school_type"]


class ClassFilter(ScopedFilterSet):
    school = df.ModelChoiceFilter(queryset=School.objects.none(), empty_label=_("全部学校"))
    stage = df.ChoiceFilter(
        field_name="grade__stage", choices=Grade._meta.get_field("stage").choices, empty_label=_("全部学段")
    )

    class Meta:
        model = Class
        fields = ["school"]


class StudentFilter(ScopedFilterSet):
    school = df.ModelChoiceFilter(queryset=School.objects.none(), empty_label=_("全部学校"))
    klass = df.ModelChoiceFilter(queryset=Class.objects.none(), empty_label=_("全部班级"))
    status = df.ChoiceFilter(choices=StudentStatus.choices, empty_label=_("全部状态"))
    gender = df.ChoiceFilter(
        field_name="person__gender", choices=[("1", _("男")), ("2", _("女"))], empty_label=_("全部性别")
    )

    class Meta:
        model = Student
        fields = ["school", "klass", "status"]


class StaffFilter(ScopedFilterSet):
    school = df.ModelChoiceFilter(queryset=School.objects.none(), empty_label=_("全部学校"))
    post = df.ChoiceFilter(choices=Post.choices, empty_label=_("全部岗位"))

    class Meta:
        model = StaffPost
        fields = ["school", "post"]


class ParentFilter(df.FilterSet):
    """Filters a Guardianship queryset (parents are listed through the children in scope)."""

    school = df.ModelChoiceFilter(
        field_name="student__school", queryset=School.objects.none(), empty_label=_("全部学校")
    )
    relation = df.ChoiceFilter(
        choices=[("1", _("父亲")), ("2", _("母亲")), ("3", _("祖父母或外祖父母")), ("9", _("其他"))],
        empty_label=_("全部关系"),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["school"].queryset = School.objects.visible_to(request.user)


class AuditFilter(df.FilterSet):
    action = df.CharFilter(lookup_expr="startswith", label=_("操作"))
    actor_name = df.CharFilter(lookup_expr="exact", label=_("操作人"))
    object_type = df.ChoiceFilter(
        choices=[
            ("core.school", _("学校")),
            ("core.class", _("班级")),
            ("core.student", _("学生")),
            ("core.person", _("人员")),
            ("core.staffpost", _("教职工")),
            ("core.guardianship", _("家长绑定")),
            ("core.rolegrant", _("角色授权")),
            ("core.user", _("用户")),
            ("core.teachingassignment", _("任课安排")),
        ],
        empty_label=_("全部对象"),
    )
    result = df.ChoiceFilter(choices=[("ok", _("成功")), ("denied", _("拒绝"))], empty_label=_("全部结果"))
    since = df.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label=_("起始日期"),
        widget=df.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    until = df.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label=_("截止日期"),
        widget=df.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("action", "actor_name"):
            self.filters[name].field.widget.attrs["placeholder"] = self.filters[name].label

    class Meta:
        model = AuditLog
        fields = ["action", "actor_name", "object_type", "result"]
