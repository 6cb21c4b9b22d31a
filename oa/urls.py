from django.urls import path

from .views import approvals as a
from .views import documents as d
from .views import payroll as p

app_name = "oa"

urlpatterns = [
    path("", a.inbox_view, name="home"),
    path("approvals/", a.inbox_view, name="inbox"),
    path("new/<str:request_type>/", a.request_new_view, name="request_new"),
    path("requests/<int:pk>/", a.request_detail_view, name="request_detail"),
    path("requests/<int:pk>/act/", a.request_act_view, name="request_act"),
    path("requests/<int:pk>/withdraw/", a.request_withdraw_view, name="request_withdraw"),
    path("requests/<int:pk>/edit/", a.request_edit_view, name="request_edit"),
    path("requests/<int:pk>/attachment/", a.request_attachment_view, name="request_attachment"),
    path("chains/", a.chain_list_view, name="chain_list"),
    path("chains/<int:pk>/steps/", a.chain_step_add_view, name="chain_step_add"),
    path("chain-steps/<int:pk>/remove/", a.chain_step_remove_view, name="chain_step_remove"),
    path("chain-steps/<int:pk>/move/", a.chain_step_move_view, name="chain_step_move"),
    path("delegation/", a.delegation_view, name="delegation"),
    path("delegation/<int:pk>/cancel/", a.delegation_cancel_view, name="delegation_cancel"),
    path("payroll/", p.payroll_list_view, name="payroll_list"),
    path("payroll/upload/", p.payroll_upload_view, name="payroll_upload"),
    path("payroll/<int:pk>/", p.payroll_detail_view, name="payroll_detail"),
    path("payroll/template/", p.payroll_template_view, name="payroll_template"),
    path("payroll/<int:pk>/export/", p.payroll_export_view, name="payroll_export"),
    path("payroll/<int:pk>/remind/", p.payroll_remind_view, name="payroll_remind"),
    path("payslips/", p.payslip_list_view, name="payslip_list"),
    path("payslips/<int:pk>/", p.payslip_detail_view, name="payslip_detail"),
    path("payslips/<int:pk>/confirm/", p.payslip_confirm_view, name="payslip_confirm"),
    path("payslips/<int:pk>/question/", p.payslip_question_view, name="payslip_question"),
    path("payslips/<int:pk>/reply/", p.payslip_reply_view, name="payslip_reply"),
    path("docs/", d.doc_list_view, name="doc_list"),
    path("docs/issue/", d.doc_issue_view, name="doc_issue"),
    path("docs/register/", d.doc_register_view, name="doc_register"),
    path("docs/<int:pk>/", d.doc_detail_view, name="doc_detail"),
    path("docs/<int:pk>/route/", d.doc_route_view, name="doc_route"),
    path("docs/<int:pk>/attachment/", d.doc_attachment_view, name="doc_attachment"),
    path("routings/<int:pk>/mark/", d.routing_mark_view, name="routing_mark"),
]
