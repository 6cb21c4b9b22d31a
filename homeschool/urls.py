from django.urls import path

from . import views

app_name = "homeschool"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("my/", views.parent_home, name="parent_home"),
    path("students/<int:student>/leave/new/", views.leave_create, name="leave_create"),
    path("students/<int:student>/leaves/", views.student_leaves, name="student_leaves"),
    path("leave/", views.leave_queue, name="leave_queue"),
    path("leave/<int:pk>/", views.leave_detail, name="leave_detail"),
    path("leave/<int:pk>/cancel/", views.leave_cancel, name="leave_cancel"),
    path("leave/<int:pk>/approve/", views.leave_approve, name="leave_approve"),
    path("leave/<int:pk>/reject/", views.leave_reject, name="leave_reject"),
    path("leave/<int:pk>/return/", views.leave_return, name="leave_return"),
    path("leave/<int:pk>/attachment/", views.leave_attachment, name="leave_attachment"),
    path("bindings/", views.binding_queue, name="binding_queue"),
    path("bindings/<int:pk>/approve/", views.binding_approve, name="binding_approve"),
    path("bindings/<int:pk>/reject/", views.binding_reject, name="binding_reject"),
    path("classes/<int:klass>/codes/", views.codes, name="codes"),
    path("codes/<int:pk>/revoke/", views.code_revoke, name="code_revoke"),
    path("codes/<int:pk>/print/", views.code_print, name="code_print"),
    path("codes/<int:pk>/qr.png", views.code_qr, name="code_qr"),
    path("attendance/", views.attendance_home, name="attendance_home"),
    path("attendance/overview/", views.attendance_overview, name="attendance_overview"),
    path("attendance/overview/export/", views.attendance_overview_export, name="attendance_overview_export"),
    path("attendance/<int:klass>/month/", views.attendance_month, name="attendance_month"),
    path("attendance/<int:klass>/month/export/", views.attendance_month_export, name="attendance_month_export"),
    path("attendance/<int:klass>/<str:day>/", views.attendance_take, name="attendance_take"),
]
