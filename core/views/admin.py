"""Administration: role grants (授权) and the audit log page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import services
from ..filters import AuditFilter
from ..forms import RoleGrantForm
from ..lists import Column, ScopedListView
from ..models import AuditLog, District, Grade, Role, RoleGrant, School, User, role_label
from ..scope import can_any, roles_of
from .common import apply_service_errors, get_scoped, htmx_redirect


class RoleGrantListView(ScopedListView):
    model = RoleGrant
    title = gettext_lazy("角色授权")
    search_fields = ["user__username__startswith", "user__person__name__startswith"]
    search_placeholder = gettext_lazy("用户名或姓名")
    select_related = ["user__person", "district", "school", "grade__school"]
    ordering = ["role", "school_id", "id"]
    template_name = "core/roles.html"
    columns = [
        Column(gettext_lazy("用户"), lambda g: f"{g.user.display_name}（{g.user.username}）"),
        Column(gettext_lazy("角色"), lambda g: role_label(g.role)),
        Column(
            gettext_lazy("范围"),
            lambda g: (
                f"{g.school.name} {g.grade.label()}" if g.grade else (g.school.name if g.school else g.district.name)
            ),
        ),
        Column(gettext_lazy("授权时间"), lambda g: g.created_at.strftime("%Y-%m-%d %H:%M")),
        Column("", lambda g: _revoke_button(g), export=False, css="text-end"),
    ]

    def extra_context(self):
        user = self.request.user
        roles = [(Role.GRADE_LEADER, Role.GRADE_LEADER.label), (Role.SCHOOL_ADMIN, Role.SCHOOL_ADMIN.label)]
        if "district_admin" in roles_of(user):
            roles += [(Role.DISTRICT_ADMIN, Role.DISTRICT_ADMIN.label), (Role.AUDITOR, Role.AUDITOR.label)]
        form = RoleGrantForm(
            roles=roles,
            schools=School.objects.visible_to(user, "view").filter(archived_at__isnull=True),
            grades=Grade.objects.visible_to(user, "view").filter(archived_at__isnull=True).select_related("school"),
        )
        return {"grant_form": form, "can_manage": can_any(user, "manage", RoleGrant)}


def _revoke_button(grant) -> str:
    return format_html(
        '<button class="btn btn-link btn-sm text-danger p-0" hx-post="{}" hx-confirm="{}">{}</button>',
        reverse("core:role_grant_revoke", args=[grant.pk]),
        _("撤销该授权？"),
        _("撤销"),
    )


@login_required
@require_POST
def role_grant_create_view(request):
    user = request.user
    if not can_any(user, "manage", RoleGrant):
        raise PermissionDenied
    form = RoleGrantForm(
        request.POST,
        roles=[(r.value, r.label) for r in Role],
        schools=School.objects.visible_to(user).filter(archived_at__isnull=True),
        grades=Grade.objects.visible_to(user).filter(archived_at__isnull=True).select_related("school"),
    )
    if form.is_valid():
        d = form.cleaned_data
        target = User.objects.filter(username=d["username"], is_active=True).first()
        if target is None:
            messages.error(request, _("用户名不存在或已停用：%s") % d["username"])
            return redirect("core:roles")
        district = District.objects.visible_to(user).first()
        try:
            services.role_grant_create(
                actor=user, user=target, role=d["role"], district=district, school=d["school"], grade=d["grade"]
            )
            messages.success(
                request, _("已授予 %(u)s「%(r)s」角色。") % {"u": target.display_name, "r": role_label(d["role"])}
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied:
            messages.error(request, _("无权在该范围授予此角色。"))
    else:
        messages.error(request, _("输入有误：%s") % "；".join(" ".join(v) for v in form.errors.values()))
    return redirect("core:roles")


@login_required
@require_POST
def role_grant_revoke_view(request, pk: int):
    grant = get_scoped(RoleGrant, request.user, pk, "manage")
    if grant.user_id == request.user.pk:
        messages.error(request, _("不能撤销自己的角色。"))
        return redirect("core:roles")
    services.role_grant_revoke(actor=request.user, grant=grant)
    messages.success(request, _("已撤销授权。"))
    return htmx_redirect(request, reverse("core:roles"))


class AuditListView(ScopedListView):
    model = AuditLog
    title = gettext_lazy("审计日志")
    filterset_class = AuditFilter
    search_fields = ["object_repr__icontains"]
    search_placeholder = gettext_lazy("对象名称")
    ordering = ["-id"]
    export_name = "审计日志"
    columns = [
        Column("#", lambda a: a.id, css="text-end"),
        Column(gettext_lazy("时间"), lambda a: a.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
        Column(gettext_lazy("操作人"), lambda a: a.actor_name or "—"),
        Column(gettext_lazy("IP"), lambda a: a.ip or ""),
        Column(gettext_lazy("操作"), lambda a: action_label(a.action)),
        Column(gettext_lazy("对象"), lambda a: a.object_repr),
        Column(gettext_lazy("变更"), lambda a: _changes_text(a.changes), css="text-wrap small"),
        Column(
            gettext_lazy("结果"),
            lambda a: _("成功") if a.result == "ok" else _("拒绝"),
            badge=lambda a: "success" if a.result == "ok" else "danger",
        ),
    ]


ACTION_LABELS = {
    "login": gettext_lazy("登录"),
    "logout": gettext_lazy("退出登录"),
    "login_failed": gettext_lazy("登录失败"),
    "login_locked": gettext_lazy("登录锁定"),
    "otp.enrol": gettext_lazy("绑定动态口令"),
    "otp.verify": gettext_lazy("动态口令验证"),
    "export": gettext_lazy("导出"),
    "person.reveal": gettext_lazy("查看完整敏感信息"),
    "user.activation_link": gettext_lazy("签发激活/重置链接"),
    "user.password_set": gettext_lazy("设置密码"),
    "user.password_change": gettext_lazy("修改密码"),
    "user.sessions_revoke": gettext_lazy("退出所有设备"),
    "user.activate": gettext_lazy("启用账号"),
    "user.deactivate": gettext_lazy("停用账号"),
    "token.create": gettext_lazy("创建访问令牌"),
    "token.revoke": gettext_lazy("吊销访问令牌"),
    "term.make_current": gettext_lazy("设置当前学期"),
    "seed_demo": gettext_lazy("生成演示数据"),
}
VERBS = {
    "create": gettext_lazy("新建"),
    "update": gettext_lazy("修改"),
    "archive": gettext_lazy("归档"),
    "restore": gettext_lazy("恢复"),
    "delete": gettext_lazy("删除"),
}


def action_label(action: str) -> str:
    """Chinese name of an audit action, e.g. "student.update" → "修改学生"; unknown actions as they are."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    model_name, _sep, verb = action.partition(".")
    if verb in VERBS:
        from django.apps import apps

        for config in apps.get_app_configs():
            try:
                model = config.get_model(model_name)
            except LookupError:
                continue
            return f"{VERBS[verb]}{model._meta.verbose_name}"
    return action


def _changes_text(changes: dict) -> str:
    parts = []
    for k, v in (changes or {}).items():
        if isinstance(v, list) and len(v) == 2:
            parts.append(f"{k}: {v[0]} → {v[1]}")
        else:
            parts.append(f"{k}: {v}")
    text = "；".join(parts)
    return text if len(text) <= 160 else text[:157] + "…"
