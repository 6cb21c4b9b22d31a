"""URLs of the 学籍 statistics pages."""

from django.urls import path

from .views import stats

urlpatterns = [
    path("stats/", stats.stats_view, name="stats"),
    path("stats/export.xlsx", stats.stats_export_view, name="stats_export"),
]
