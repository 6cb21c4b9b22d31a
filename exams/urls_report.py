from django.urls import path

from .views import report_card

urlpatterns = [
    path("my/", report_card.my_reports_view, name="my_reports"),
    path("policy/", report_card.ranking_policy_view, name="ranking_policy"),
    path("<int:exam_pk>/students/<int:pk>/", report_card.report_card_view, name="report_card"),
    path("<int:exam_pk>/students/<int:pk>/report.pdf", report_card.report_card_pdf_view, name="report_card_pdf"),
]
