from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..models import PersonalAccessToken, role_label
from ..scope import grants_for


@login_required
def account_view(request):
    grants = grants_for(request.user)
    new_secret = request.session.pop("zx_new_token", None)
    return render(
        request,
        "core/account.html",
        {
            "title": _("账号与安全"),
            "roles": sorted({role_label(g.role) for g in grants}),
            "tokens": PersonalAccessToken.objects.filter(user=request.user),
            "new_secret": new_secret,
        },
    )


@login_required
@require_POST
def token_create_view(request):
    _tok, secret = services.api_token_create(
        actor=request.user, name=request.POST.get("name", "").strip()[:60] or "API"
    )
    request.session["zx_new_token"] = secret
    messages.success(request, _("访问令牌已创建，请立即复制保存，它只显示这一次。"))
    return redirect("core:account")


@login_required
@require_POST
def token_revoke_view(request, pk: int):
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("访问令牌已吊销。"))
    return redirect("core:account")


@login_required
@require_POST
def logout_everywhere_view(request):
    services.user_sessions_revoke(actor=request.user, user=request.user)
    logout(request)
    messages.success(request, _("已在所有设备上退出登录。"))
    return redirect("core:login")
