from django.urls import path

from . import urls_changes, urls_placement, urls_stats
from .views import exports, imports

app_name = "roster"
urlpatterns = [
    path("imports/", imports.import_list_view, name="imports"),
    path("imports/template.xlsx", imports.import_template_view, name="import_template"),
    path("imports/<int:pk>/", imports.import_detail_view, name="import_detail"),
    path("imports/<int:pk>/report.xlsx", imports.import_report_view, name="import_report"),
    path("export/moe/", exports.moe_export_view, name="export_moe"),
    path("export/oneroster/", exports.oneroster_export_view, name="export_oneroster"),
    path("classes/<int:pk>/roster.pdf", exports.class_roster_pdf_view, name="class_roster_pdf"),
    *urls_changes.urlpatterns,
    *urls_placement.urlpatterns,
    *urls_stats.urlpatterns,
]
