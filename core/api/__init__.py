"""django-ninja API under /api/v1/ (built in core/api/).

* auth.py — personal access token (Bearer) or session (CSRF-checked, MFA for admins)
* errors.py — JSON error responses with Chinese messages
* org.py — me, districts, schools, grades, classes, subjects, terms
* people.py — students, staff, guardianships, teaching assignments
* docs.py — Swagger UI from ninja's bundled assets

Every read goes through ``Model.objects.visible_to(request.auth_user, "view")``; every write goes through
``core.services`` (which checks scope again and writes the audit log).
"""

from __future__ import annotations

from typing import NamedTuple

from django.urls import path
from ninja import NinjaAPI

from .auth import API_AUTH
from .docs import BundledSwagger, docs_asset, docs_login_required
from .errors import JSONParser, install_exception_handlers


class ZhixiaoAPI(NinjaAPI):
    def _get_urls(self):
        urls = super()._get_urls()
        urls.insert(0, path("docs/assets/<str:name>", docs_asset, name="docs-asset"))
        return urls


api = ZhixiaoAPI(
    title="智校 Zhixiao API",
    version="1",
    description=(
        "智校区域教育平台 API。认证：登录会话（写操作需 CSRF 令牌，管理员须已完成两步验证）"
        "或个人访问令牌 `Authorization: Bearer zx_…`。所有数据按当前用户的数据范围过滤；"
        "范围外的对象返回 404。列表分页参数 `limit`（最多 200）与 `offset`。"
    ),
    urls_namespace="api",
    auth=API_AUTH,
    parser=JSONParser(),
    docs=BundledSwagger(settings={"persistAuthorization": False}),
    docs_decorator=docs_login_required,
)
install_exception_handlers(api)

from . import org, people  # noqa: E402  (routers import schemas/services; api must exist first)

api.add_router("", org.router)
api.add_router("", people.router)


# --- scope matrix ----------------------------------------------------------------------------------------


class ScopeCase(NamedTuple):
    """One GET endpoint with a sample object: ``url``, a user attribute of the world that may see it and one
    that may not. Detail URLs: out-of-scope → 404. List URLs are filtered down to the sample object's
    container, so in scope → 200 with ``count >= 1`` and out of scope → 200 with ``count == 0``."""

    url: str
    in_scope: str
    out_of_scope: str

    @property
    def kind(self) -> str:
        last = self.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return "detail" if last.isdigit() else "list"


def api_scope_cases(w) -> list[ScopeCase]:
    """Every scoped GET endpoint of the API with sample objects from ``core.testing.build_world()``.

    (``/me`` is not scoped — anyone logged in sees themselves — and ``/openapi.json`` / ``/docs`` only
    require login; they are not listed here.)"""
    p = "/api/v1"
    cases = [
        (f"{p}/districts", "teacher_a", "parent1"),
        (f"{p}/districts/{w.district.pk}", "school_admin_a", "parent2"),
        (f"{p}/schools?q={w.school_a.code}", "school_admin_a", "school_admin_b"),
        (f"{p}/schools/{w.school_a.pk}", "school_admin_a", "school_admin_b"),
        (f"{p}/schools/{w.school_b.pk}", "teacher_b", "teacher_a"),
        (f"{p}/grades?school={w.school_a.pk}", "school_admin_a", "school_admin_b"),
        (f"{p}/grades/{w.grade_a.pk}", "head_teacher_a1", "teacher_b"),
        (f"{p}/classes?school={w.school_a.pk}", "teacher_a", "teacher_b"),
        (f"{p}/classes/{w.class_a1.pk}", "head_teacher_a1", "teacher_b"),
        (f"{p}/classes/{w.class_a2.pk}", "parent2", "parent1"),
        (f"{p}/students?klass={w.class_a1.pk}", "teacher_a", "teacher_b"),
        (f"{p}/students?school={w.school_a.pk}", "school_admin_a", "school_admin_b"),
        (f"{p}/students/{w.student_a1.pk}", "school_admin_a", "school_admin_b"),
        (f"{p}/students/{w.student_a1.pk}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/students/{w.student_b1.pk}", "parent1", "parent2"),
        (f"{p}/students/{w.student_a2.pk}", "student_user_a2", "student_user_a1"),
        (f"{p}/staff?school={w.school_a.pk}", "teacher_a", "teacher_b"),
        (f"{p}/guardianships?student={w.student_a1.pk}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/guardianships?student={w.student_a2.pk}", "parent2", "parent1"),
        (f"{p}/teaching-assignments?klass={w.class_a1.pk}", "teacher_a", "teacher_b"),
        (f"{p}/subjects", "teacher_a", "parent1"),
        (f"{p}/terms", "school_admin_b", "parent2"),
    ]
    return [ScopeCase(*c) for c in cases]


# Other apps mount their routers on ``api`` in AppConfig.ready() and register a function that returns their
# scope cases (like ``api_scope_cases``), so the coverage test keeps covering every GET endpoint.
API_CASE_PROVIDERS: list = []


def register_api_cases(provider) -> None:
    if provider not in API_CASE_PROVIDERS:
        API_CASE_PROVIDERS.append(provider)


def all_api_scope_cases(w) -> list:
    cases = list(api_scope_cases(w))
    for provider in API_CASE_PROVIDERS:
        cases.extend(provider(w))
    return cases


__all__ = ["API_CASE_PROVIDERS", "ScopeCase", "all_api_scope_cases", "api", "api_scope_cases", "register_api_cases"]
