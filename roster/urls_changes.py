"""URLs of the 学籍异动 pages (transfers, timeline and record actions, 转学联系函, promotion, placement, 控辍保学)."""

from django.urls import path

from .views import changes

urlpatterns = [
    path("students/<int:pk>/", changes.student_record_view, name="student_record"),
    path("students/<int:pk>/transfer/", changes.student_transfer_request_view, name="student_transfer_request"),
    path("students/<int:pk>/suspend/", changes.student_suspend_view, name="student_suspend"),
    path("students/<int:pk>/resume/", changes.student_resume_view, name="student_resume"),
    path("students/<int:pk>/withdraw/", changes.student_withdraw_view, name="student_withdraw"),
    path("students/<int:pk>/move-class/", changes.student_move_class_view, name="student_move_class"),
    path("students/<int:pk>/transfer-out/", changes.student_transfer_out_view, name="student_transfer_out"),
    path("students/<int:pk>/number/", changes.student_number_assign_view, name="student_number_assign"),
    path("changes/<int:pk>/letter/", changes.transfer_out_letter_view, name="transfer_out_letter"),
    path("changes/<int:pk>/letter.pdf", changes.transfer_out_letter_pdf_view, name="transfer_out_letter_pdf"),
    path("transfers/", changes.transfers_view, name="transfers"),
    path("transfers/<int:pk>/accept/", changes.transfer_accept_view, name="transfer_accept"),
    path("transfers/<int:pk>/approve/", changes.transfer_approve_view, name="transfer_approve"),
    path("transfers/<int:pk>/reject/", changes.transfer_reject_view, name="transfer_reject"),
    path("transfers/<int:pk>/cancel/", changes.transfer_cancel_view, name="transfer_cancel"),
    path("schools/<int:pk>/promote/", changes.school_promote_view, name="school_promote"),
    path("dropouts/", changes.dropouts_view, name="dropouts"),
    path("dropouts/<int:pk>/follow-up/", changes.dropout_follow_up_view, name="dropout_follow_up"),
]
