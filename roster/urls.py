from django.urls import path

from .views import exports

app_name = "roster"
urlpatterns = [
    path("export/moe/", exports.moe_export_view, name="export_moe"),
    path("export/oneroster/", exports.oneroster_export_view, name="export_oneroster"),
    path("classes/<int:pk>/roster.pdf", exports.class_roster_pdf_view, name="class_roster_pdf"),
]
