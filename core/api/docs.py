"""Swagger UI from django-ninja's bundled assets, served by the API itself.

``ninja`` is not in INSTALLED_APPS, so ninja's default docs would load Swagger UI from a CDN — which the
site's CSP (``script-src 'self'``) blocks and which an intranet deployment may not reach. Instead the docs
page references ``/api/v1/docs/assets/<file>``, served from ninja's package directory (allow-listed).
The docs page and the OpenAPI schema require a logged-in user (session or access token).
"""

from __future__ import annotations

import json
from functools import wraps
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse
from ninja.openapi.docs import Swagger

from .auth import authenticate_request

NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }} · 接口文档</title>
<link rel="stylesheet" href="{{ css }}">
<link rel="icon" href="{{ favicon }}">
</head>
<body data-csrf-token="{{ csrf_token }}" data-api-csrf="true">
<script type="application/json" id="swagger-settings">{{ settings|safe }}</script>
<div id="swagger-ui"></div>
<script src="{{ bundle }}"></script>
<script src="{{ init }}"></script>
</body>
</html>
"""
)


class BundledSwagger(Swagger):
    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        ns = api.urls_namespace

        def asset(name: str) -> str:
            return reverse(f"{ns}:docs-asset", kwargs={"name": name})

        from django.middleware.csrf import get_token

        # JSON inside <script type="application/json">: escape "</" so it cannot close the tag.
        settings_json = json.dumps(self.settings, ensure_ascii=False).replace("</", "<\\/")
        html = _PAGE.render(
            Context(
                {
                    "title": api.title,
                    "settings": settings_json,
                    "css": asset("swagger-ui.css"),
                    "favicon": asset("favicon.png"),
                    "bundle": asset("swagger-ui-bundle.js"),
                    "init": asset("swagger-ui-init.js"),
                    "csrf_token": get_token(request),
                }
            )
        )
        return HttpResponse(html)


def docs_asset(request, name: str):
    if name not in ASSETS:
        raise Http404
    response = FileResponse((NINJA_STATIC / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


def docs_login_required(view):
    """Docs page and OpenAPI schema: logged-in users only (anonymous → login page / 401)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if authenticate_request(request) is None:
            if request.path.endswith("/docs") and request.method == "GET":
                try:
                    login_url = resolve_url("core:login")
                except NoReverseMatch:
                    login_url = None
                if login_url:
                    from django.contrib.auth.views import redirect_to_login

                    return redirect_to_login(request.get_full_path(), login_url)
            return JsonResponse({"detail": "未登录或登录已过期"}, status=401, json_dumps_params={"ensure_ascii": False})
        return view(request, *args, **kwargs)

    return wrapper
