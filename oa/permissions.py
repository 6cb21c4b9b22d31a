"""Who may do what in 行政办公. Staff (anyone with a post at the school) may file requests; the school's
admins configure chains, upload payslips and manage 公文; the district admin manages the district's 公文.
``view`` on requests, payslips and documents only opens the school: ``oa.selectors`` narrows it further to
one's own requests, the steps one is (or was) assigned, one's own payslip and the documents routed to one.
Parents and students hold none of these roles and see nothing of OA."""

from core.scope import register_permissions

REQUEST_MODELS = ["oa.approvalrequest", "oa.approvalstep"]
for label in REQUEST_MODELS:
    register_permissions("staff", label, {"view", "add"})
    register_permissions("school_admin", label, {"view", "add", "manage"})
for label in ["oa.approvalchain", "oa.chainstep"]:
    register_permissions("school_admin", label, {"view", "change"})
for label in ["oa.payrollbatch", "oa.payslip"]:
    register_permissions("staff", label, {"view"})
    register_permissions("school_admin", label, {"view", "add", "manage"})
for label in ["oa.document", "oa.documentrouting"]:
    register_permissions("staff", label, {"view"})
    for role in ("school_admin", "district_admin"):
        register_permissions(role, label, {"view", "add", "manage"})
