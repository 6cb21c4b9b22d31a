"""API authentication: a personal access token (``Authorization: Bearer zx_…``) or the browser session.

* Token: looked up by its SHA-256 (the token itself is never stored); revoked or expired tokens and
  inactive users are refused with 401. ``last_used_at`` is written at most once a minute.
* Session: Django's login session, with the CSRF check for unsafe methods (as ninja's ``django_auth``).
  Admin roles that require MFA must have passed TOTP in this session, else 403. Tokens are created from
  an MFA-verified session, so token requests are not asked for a second factor again.

Both set ``request.auth_user`` (the acting user every endpoint scopes by) and ``request.auth_method``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ..middleware import needs_mfa
from ..models import PersonalAccessToken

TOUCH_EVERY = dt.timedelta(seconds=60)
MFA_REQUIRED_MESSAGE = "管理员账号须先完成两步验证（动态口令），才能通过登录会话使用 API；也可使用个人访问令牌。"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer zx_…``. A bearer header that does not authenticate is a 401 right away
    (no fallback to the session: a client that sends a token means to use that token)."""

    def authenticate(self, request: HttpRequest, token: str):
        token = (token or "").strip()
        if not token.startswith(PersonalAccessToken.PREFIX):
            raise AuthenticationError(401, "访问令牌无效")
        tok = (
            PersonalAccessToken.objects.select_related("user", "user__person")
            .filter(token_hash=PersonalAccessToken.hash(token))
            .first()
        )
        if tok is None:
            raise AuthenticationError(401, "访问令牌无效")
        if not tok.is_usable:
            raise AuthenticationError(401, "访问令牌已撤销或已过期")
        user = tok.user
        if not user.is_active:
            raise AuthenticationError(401, "该账号已停用")
        now = timezone.now()
        if tok.last_used_at is None or now - tok.last_used_at >= TOUCH_EVERY:
            PersonalAccessToken.objects.filter(pk=tok.pk).update(last_used_at=now)
            tok.last_used_at = now
        request.auth_user = user
        request.auth_method = "token"
        request.auth_token = tok
        return user


class SessionAuth(APIKeyCookie):
    """Django session login (like ninja's ``django_auth``), CSRF-checked for unsafe methods.

    Anonymous requests fall through (→ 401), they are not answered with a CSRF error."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF 校验失败：请刷新页面后重试")
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None):
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if needs_mfa(user) and not (hasattr(user, "is_verified") and user.is_verified()):
            raise AuthorizationError(403, MFA_REQUIRED_MESSAGE)
        request.auth_user = user
        request.auth_method = "session"
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
API_AUTH = [token_auth, session_auth]


def authenticate_request(request: HttpRequest):
    """Run the API's authenticators outside an operation (docs pages). Returns the user or None."""
    for auth in API_AUTH:
        try:
            user = auth(request)
        except HttpError:
            return None
        if user:
            return user
    return None
