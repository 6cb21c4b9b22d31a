import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from .audit import current_ip
from .models import MFA_ROLES
from .scope import roles_of


def client_ip(request) -> str | None:
    # Behind nginx the real address arrives in X-Real-IP (set by our nginx config, not by the client).
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class IdleTimeoutMiddleware:
    """Log out sessions idle for longer than ZX_IDLE_TIMEOUT_SECONDS (等保: 会话超时)."""

    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and "zx_last_seen" in request.session:
            now = int(time.time())
            last = request.session["zx_last_seen"]
            if now - last > settings.ZX_IDLE_TIMEOUT_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect(f"{reverse('core:login')}?next={request.path}&timeout=1")
            if now - last > self.TOUCH_EVERY:
                request.session["zx_last_seen"] = now
        return self.get_response(request)


def needs_mfa(user) -> bool:
    return bool(roles_of(user) & set(MFA_ROLES))


class AdminMFAMiddleware:
    """District/school/audit admins must pass TOTP before any page other than login/OTP/static."""

    EXEMPT_PREFIXES = ("/account/", "/static/", "/api/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and not user.is_verified()
            and needs_mfa(user)
        ):
            return redirect(f"{reverse('core:otp')}?next={request.path}")
        return self.get_response(request)
