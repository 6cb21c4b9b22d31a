"""URLs of the 分班 pages (roster/views/placement.py)."""

from django.urls import path

from .views import placement

urlpatterns = [
    path("schools/<int:pk>/placement/", placement.school_placement_view, name="school_placement"),
    path("grades/<int:grade_pk>/placement/", placement.grade_placement_view, name="grade_placement"),
    path(
        "grades/<int:grade_pk>/placement/preview/",
        placement.grade_placement_preview_view,
        name="grade_placement_preview",
    ),
    path("grades/<int:grade_pk>/placement/apply/", placement.grade_placement_apply_view, name="grade_placement_apply"),
]
