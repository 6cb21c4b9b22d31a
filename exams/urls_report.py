from django.urls import path

from .views import report_card

urlpatterns = [
    path("my/", report_card.my_reports_view, name="my_reports"),
    path("policy/", report_card.ranking_policy_view, name="ranking_policy"),
    path("<int:exam_pk>/students/<int:pk>/", report_card.report_card_view, name="report_card"),
    path("<int:exam_pk>/students/<int:pk>/report.pdf", report_card.report_card_pdf_view, name="report_card_pdf"),
]

from .views import lines, report_pages  # noqa: E402

urlpatterns += [
    path("<int:exam_pk>/report/", report_pages.report_entry_view, name="report"),
    path("<int:exam_pk>/report/schools/<int:pk>/", report_pages.report_school_view, name="report_school"),
    path("<int:exam_pk>/report/classes/<int:pk>/", report_pages.report_class_view, name="report_class"),
    path("<int:pk>/report/lines/", lines.lines_view, name="report_lines"),
    path("<int:exam_pk>/report/status/", report_pages.report_status_view, name="report_status"),
    path("<int:exam_pk>/report/export.xlsx", report_pages.report_export_view, name="report_export"),
]
urlpatterns += [path("<int:exam_pk>/value-added/", report_pages.value_added_view, name="value_added")]
