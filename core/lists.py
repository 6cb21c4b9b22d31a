"""Scoped list pages: search, filters, paging and Excel export, all starting from ``visible_to``.

A list is declared once (model, columns, filterset, search fields) and every list page in every module
gets the same behaviour: deny-by-default scoping, htmx partial refresh, constant query count per page,
and an audited export that writes exactly the masked values shown on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.views import View

from .audit import audit_record
from .scope import can_any


@dataclass
class Column:
    label: str
    value: Callable[[Any], Any]
    link: Callable[[Any], str] | None = None
    export: bool = True
    css: str = ""
    badge: Callable[[Any], str] | None = field(default=None)


class ScopedListView(LoginRequiredMixin, View):
    model = None
    title = ""
    columns: list[Column] = []
    filterset_class = None
    search_fields: list[str] = []
    search_placeholder = "搜索"
    select_related: list[str] = []
    prefetch_related: list[str] = []
    ordering: list[str] | None = None
    export_name = ""
    template_name = "core/list.html"
    partial_template = "core/partials/list_table.html"
    action = "view"

    def base_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user, self.action)

    def get_queryset(self) -> QuerySet:
        qs = self.base_queryset()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        if self.ordering:
            qs = qs.order_by(*self.ordering)
        q = self.request.GET.get("q", "").strip()
        if q:
            cond = self.search_q(q)
            if cond is not None:
                qs = qs.filter(cond)
        return qs

    def search_q(self, q: str) -> Q | None:
        """The search condition for ``q``; lists with encrypted fields add exact blind-index matches."""
        if not self.search_fields:
            return None
        cond = Q()
        for f in self.search_fields:
            cond |= Q(**{f: q})
        return cond

    def get(self, request, *args, **kwargs):
        if not can_any(request.user, self.action, self.model):
            raise PermissionDenied("无权访问")
        qs = self.get_queryset()
        filterset = None
        if self.filterset_class is not None:
            filterset = self.filterset_class(request.GET or None, queryset=qs, request=request)
            qs = filterset.qs if filterset.is_bound and filterset.is_valid() else qs
        if request.GET.get("export") == "xlsx":
            return self.export(qs)
        paginator = Paginator(qs, settings.ZX_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [self.row(obj) for obj in page.object_list]
        params = request.GET.copy()
        params.pop("page", None)
        ctx = {
            "title": self.title,
            "columns": self.columns,
            "rows": rows,
            "page": page,
            "paginator": paginator,
            "filterset": filterset,
            "q": request.GET.get("q", ""),
            "search_placeholder": self.search_placeholder,
            "querystring": params.urlencode(),
            "can_export": bool(self.export_name) and can_any(request.user, "export", self.model),
            "actions": self.page_actions(),
        }
        ctx.update(self.extra_context())
        template = self.partial_template if request.htmx and request.htmx.target == "list-table" else self.template_name
        return render(request, template, ctx)

    def row(self, obj) -> dict:
        cells = []
        for col in self.columns:
            cells.append(
                {
                    "value": col.value(obj),
                    "link": col.link(obj) if col.link else None,
                    "css": col.css,
                    "badge": col.badge(obj) if col.badge else None,
                }
            )
        return {"obj": obj, "cells": cells}

    def page_actions(self) -> list[dict]:
        return []

    def extra_context(self) -> dict:
        return {}

    def export(self, qs: QuerySet):
        from .excel import xlsx_response

        if not can_any(self.request.user, "export", self.model):
            raise PermissionDenied("无权导出")
        export_qs = self.model.objects.visible_to(self.request.user, "export").filter(pk__in=qs.values("pk"))
        if self.select_related:
            export_qs = export_qs.select_related(*self.select_related)
        if self.prefetch_related:
            export_qs = export_qs.prefetch_related(*self.prefetch_related)
        if self.ordering:
            export_qs = export_qs.order_by(*self.ordering)
        export_qs = export_qs[: settings.ZX_EXPORT_MAX_ROWS]
        cols = [c for c in self.columns if c.export]
        count = export_qs.count()
        audit_record(
            actor=self.request.user,
            action="export",
            object_type=self.model._meta.label_lower,
            object_repr=f"{self.export_name}（{count} 行）",
            changes={"filters": {k: v for k, v in self.request.GET.items() if k != "export"}, "rows": count},
        )
        rows = ([_plain(c.value(obj)) for c in cols] for obj in export_qs.iterator(chunk_size=2000))
        return xlsx_response(
            filename=self.export_name, headers=[c.label for c in cols], rows=rows, sheet=self.export_name
        )


def _plain(value):
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)
