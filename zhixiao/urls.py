from django.urls import include, path

from core.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("roster/", include("roster.urls")),
    path("exams/", include("exams.urls")),
    path("timetable/", include("timetable.urls")),
    path("notices/", include("notices.urls")),
    path("homeschool/", include("homeschool.urls")),
    path("oa/", include("oa.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("resources/", include("resources.urls")),
    path("", include("core.urls")),
]
