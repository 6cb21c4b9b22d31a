"""URLs of the exam management, score entry and score import pages (included by exams/urls.py)."""

from django.urls import path

from .views import combinations, entry, imports, manage

urlpatterns = [
    path("", manage.exam_list_view, name="exam_list"),
    path("new/", manage.exam_create_view, name="exam_create"),
    path("<int:pk>/", manage.exam_detail_view, name="exam_detail"),
    path("<int:pk>/publish/", manage.exam_publish_view, name="exam_publish"),
    path("<int:pk>/combinations/", combinations.combinations_view, name="combinations"),
    path("<int:pk>/subjects/<int:es_pk>/items/", manage.items_view, name="items"),
    path("<int:pk>/entry/<int:class_pk>/<int:es_pk>/", entry.entry_grid_view, name="entry_grid"),
    path("<int:pk>/entry/<int:class_pk>/<int:es_pk>/<int:cand_pk>/", entry.entry_cell_view, name="entry_cell"),
    path("<int:pk>/import/", imports.import_view, name="import"),
    path("<int:pk>/import/template.xlsx", imports.import_template_view, name="import_template"),
    path("<int:pk>/import/<str:token>/", imports.import_result_view, name="import_result"),
    path("<int:pk>/import/<str:token>/report.xlsx", imports.import_report_view, name="import_report"),
]
