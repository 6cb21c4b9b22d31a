from django.urls import include, path

from core.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("roster/", include("roster.urls")),
    path("exams/", include("exams.urls")),
    path("", include("core.urls")),
]
