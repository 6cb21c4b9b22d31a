"""Helpers shared by the routers: every read goes through ``Model.objects.visible_to(actor, action)``."""

from __future__ import annotations

from .errors import not_found


def actor(request):
    """The authenticated user (set by ``core.api.auth``; token requests have their own user)."""
    return request.auth_user


def visible(model, request, action: str = "view"):
    return model.objects.visible_to(actor(request), action)


def get_visible(queryset, pk, what: str):
    """The object with ``pk`` if the queryset (already scoped) holds it, else 404 — never 403, so that
    out-of-scope objects are indistinguishable from missing ones."""
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise not_found(what)
    return obj


def text_query(value: str | None) -> str:
    return (value or "").strip()[:50]
