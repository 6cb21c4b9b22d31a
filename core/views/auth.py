import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..audit import audit_record
from ..middleware import needs_mfa


def lockout_response(request, credentials, *args, **kwargs):
    audit_record(
        actor=None,
        action="login_locked",
        object_type="core.user",
        object_repr=str((credentials or {}).get("username") or request.POST.get("username", ""))[:150],
        result="denied",
    )
    return render(request, "core/locked.html", status=429)


class LoginForm(auth_views.AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy("用户名或密码错误。连续多次失败将锁定账号 30 分钟。"),
        "inactive": gettext_lazy("该账号已停用。"),
    }


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["timeout"] = self.request.GET.get("timeout") == "1"
        return ctx

    def get_success_url(self):
        url = super().get_success_url()
        if needs_mfa(self.request.user):
            return f"{reverse('core:otp')}?next={url}"
        return url


@require_POST
def logout_view(request):
    logout(request)
    return redirect("core:login")


class OTPForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6 位动态口令"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _qr_data_uri(text: str) -> str:
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buf = BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


@login_required
def otp_view(request):
    """Second factor: enrol a TOTP authenticator on first use, then verify a code each login."""
    user = request.user
    next_url = request.GET.get("next") or request.POST.get("next") or reverse("core:home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("core:home")
    if user.is_verified():
        return redirect(next_url)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_record(actor=user, action="otp.enrol", object_type="core.user", object_repr=user.username)
            otp_login(request, device)
            audit_record(actor=user, action="otp.verify", object_type="core.user", object_repr=user.username)
            return redirect(next_url)
        audit_record(
            actor=user, action="otp.verify", object_type="core.user", object_repr=user.username, result="denied"
        )
        form.add_error(
            "token", _("动态口令错误或已使用，请等待下一个口令。") if allowed else _("尝试过于频繁，请稍后再试。")
        )
    ctx = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        ctx["qr"] = _qr_data_uri(device.config_url)
        ctx["secret"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "core/otp.html", ctx)


class ActivateView(auth_views.PasswordResetConfirmView):
    """Admin-issued activation / reset link: the user sets their own password."""

    template_name = "core/activate.html"
    success_url = reverse_lazy("core:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        user.must_change_password = False
        user.session_epoch += 1
        user.save(update_fields=["must_change_password", "session_epoch"])
        audit_record(actor=user, action="user.password_set", object_type="core.user", object_repr=user.username)
        messages.success(self.request, _("密码已设置，请登录。"))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/form.html"
    success_url = reverse_lazy("core:account")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("修改密码")
        return ctx

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=self.request.user,
            action="user.password_change",
            object_type="core.user",
            object_repr=self.request.user.username,
        )
        messages.success(self.request, _("密码已修改。"))
        return response


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
