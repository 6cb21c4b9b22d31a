from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("children/", views.children_view, name="children"),
    path("nodes/new/", views.node_create_view, name="node_create"),
    path("nodes/<int:pk>/", views.node_detail_view, name="node_detail"),
    path("nodes/<int:pk>/edit/", views.node_edit_view, name="node_edit"),
    path("nodes/<int:pk>/step/", views.node_step_view, name="node_step"),
    path("nodes/<int:pk>/remove/", views.node_remove_view, name="node_remove"),
    path("nodes/<int:pk>/restore/", views.node_restore_view, name="node_restore"),
    path("nodes/<int:pk>/prerequisites/", views.prerequisite_add_view, name="prerequisite_add"),
    path(
        "nodes/<int:pk>/prerequisites/<int:pre_pk>/remove/",
        views.prerequisite_remove_view,
        name="prerequisite_remove",
    ),
    path("editions/", views.edition_list_view, name="edition_list"),
    path("editions/new/", views.edition_create_view, name="edition_create"),
    path("editions/<int:pk>/edit/", views.edition_edit_view, name="edition_edit"),
    path("editions/<int:pk>/archive/", views.edition_archive_view, name="edition_archive"),
    path("import/", views.import_view, name="import"),
    path("import/report/<str:token>/", views.import_report_view, name="import_report"),
    path("export/", views.export_view, name="export"),
    path("template/", views.template_view, name="template"),
]
