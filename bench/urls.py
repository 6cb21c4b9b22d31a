"""Benchmark-only URLs: the project's URLs plus a bare, unscoped student list for comparison."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import include, path

from core.models import Student
from core.views.people import StudentListView


def bare_students(request):
    """Same rows, same template, same paging as the real page, but no scoping, filters or permission checks."""
    qs = Student.objects.select_related(*StudentListView.select_related).order_by(*StudentListView.ordering)
    page = Paginator(qs, settings.ZX_PAGE_SIZE).get_page(request.GET.get("page"))
    view = StudentListView()
    view.request = request
    rows = [view.row(obj) for obj in page.object_list]
    ctx = {
        "title": "学生",
        "columns": StudentListView.columns,
        "rows": rows,
        "page": page,
        "paginator": page.paginator,
        "filterset": None,
        "q": "",
        "querystring": "",
        "can_export": False,
        "actions": [],
    }
    return render(request, "core/list.html", ctx)


urlpatterns = [
    path("bench/bare-students/", bare_students),
    path("", include("zhixiao.urls")),
]
