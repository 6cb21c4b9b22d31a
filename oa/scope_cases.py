"""Scope-matrix cases of every 行政办公 page (sample objects from ``oa.testing.oa_world``). Out of scope means: a
colleague not involved (same school), the other school's staff or admin, or a parent."""

from core.scope_matrix import Case, register_case

from .testing import oa_world


def o(w):
    return oa_world(w)


def _init(w) -> list:
    """No URL arguments, but the sample objects must exist before the request."""
    oa_world(w)
    return []


def _title(attr):
    return lambda w: getattr(o(w), attr).title


reg = register_case
# lists: the out-of-scope user gets the page without the sample row
reg(Case("oa:inbox", _init, "school_admin_a", "school_admin_b", kind="list", marker=_title("leave")))
reg(
    Case(
        "oa:home", _init, "teacher_a", "teacher_b", kind="list", marker=_title("leave"), query=lambda w: {"tab": "mine"}
    )
)
reg(
    Case(
        "oa:inbox",
        _init,
        kind="list",
        in_scope="teacher_a",
        out_of_scope="head_teacher_a2",
        marker=_title("leave"),
        query=lambda w: {"tab": "mine"},
    )
)
reg(
    Case(
        "oa:payroll_list",
        _init,
        kind="list",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        marker=lambda w: o(w).batch.title,
    )
)
reg(
    Case(
        "oa:payslip_list",
        _init,
        kind="list",
        in_scope="teacher_a",
        out_of_scope="head_teacher_a2",
        marker=lambda w: o(w).batch.title,
    )
)
reg(Case("oa:doc_list", _init, kind="list", in_scope="teacher_a", out_of_scope="teacher_b", marker=_title("doc")))
reg(
    Case(
        "oa:doc_list",
        _init,
        kind="list",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        marker=_title("doc"),
        query=lambda w: {"tab": "in"},
    )
)

# pages of one object: 404 outside
leave = lambda w: [o(w).leave.pk]  # noqa: E731
reg(Case("oa:request_detail", leave, "teacher_a", "head_teacher_a2", marker=_title("leave")))
reg(Case("oa:request_detail", leave, "school_admin_a", "school_admin_b", marker=_title("leave")))
reg(Case("oa:request_detail", leave, "teacher_a", "parent1", marker=_title("leave")))
reg(
    Case(
        "oa:request_edit", lambda w: [o(w).returned.pk], "teacher_a", "head_teacher_a2", marker=lambda w: "几何画板教具"
    )
)
reg(Case("oa:request_attachment", leave, "teacher_a", "head_teacher_a2", kind="download"))
reg(
    Case(
        "oa:payroll_detail",
        lambda w: [o(w).batch.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: w.math_a.name,
    )
)
slip = lambda w: [o(w).slip_teacher.pk]  # noqa: E731
reg(Case("oa:payslip_detail", slip, "teacher_a", "head_teacher_a2", marker=lambda w: "7,189.50"))
reg(Case("oa:payslip_detail", slip, "school_admin_a", "school_admin_b", marker=lambda w: "7,189.50"))
doc = lambda w: [o(w).doc.pk]  # noqa: E731
reg(Case("oa:doc_detail", doc, "teacher_a", "head_teacher_a2", marker=_title("doc")))
reg(Case("oa:doc_detail", doc, "school_admin_a", "school_admin_b", marker=_title("doc")))
reg(Case("oa:doc_attachment", doc, "teacher_a", "head_teacher_a2", kind="download"))

# forms reserved to staff / school admins: parents and the other roles are refused
reg(Case("oa:request_new", lambda w: ["leave"], "teacher_a", "parent1", marker=lambda w: "请假类型"))
reg(Case("oa:request_new", lambda w: ["purchase"], "teacher_a", "student_user_a1", marker=lambda w: "采购明细"))
reg(Case("oa:delegation", _init, "head_teacher_a1", "parent1", marker=lambda w: "外出培训"))
reg(Case("oa:chain_list", _init, "school_admin_a", "teacher_a", marker=lambda w: w.school_a.name))
reg(Case("oa:payroll_upload", _init, "school_admin_a", "teacher_a", marker=lambda w: "上传工资表"))
reg(Case("oa:doc_issue", _init, "school_admin_a", "teacher_a", marker=lambda w: w.school_a.name))
reg(Case("oa:doc_register", _init, "school_admin_a", "head_teacher_a1", marker=lambda w: w.school_a.name))

# writes: refused out of scope, done in scope
reg(
    Case(
        "oa:request_act",
        leave,
        "school_admin_a",
        "head_teacher_a2",
        method="post",
        data=lambda w: {"decision": "approve", "comment": "同意"},
    )
)
reg(Case("oa:request_withdraw", leave, "teacher_a", "school_admin_b", method="post"))
reg(
    Case(
        "oa:chain_step_add",
        lambda w: [o(w).leave_chain.pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {f"c{o(w).leave_chain.pk}-approver_kind": "school_admin"},
    )
)
reg(
    Case(
        "oa:chain_step_remove", lambda w: [o(w).leave_chain_step.pk], "school_admin_a", "school_admin_b", method="post"
    )
)
reg(
    Case(
        "oa:chain_step_move",
        lambda w: [o(w).leave_chain_step.pk],
        "school_admin_a",
        "teacher_a",
        method="post",
        data=lambda w: {"direction": "down"},
    )
)
reg(Case("oa:delegation_cancel", lambda w: [o(w).delegation.pk], "head_teacher_a1", "teacher_a", method="post"))
reg(Case("oa:payslip_confirm", slip, "teacher_a", "head_teacher_a2", method="post"))
reg(
    Case(
        "oa:payslip_question",
        slip,
        "teacher_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"question": "绩效工资比上月少"},
    )
)
reg(
    Case(
        "oa:payslip_reply",
        slip,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"reply": "本月扣除了培训费"},
    )
)
reg(
    Case(
        "oa:doc_route",
        doc,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"users": [w.head_teacher_a1.pk], "instruction": "请阅"},
    )
)
reg(
    Case(
        "oa:routing_mark",
        lambda w: [o(w).routing.pk],
        "teacher_a",
        "head_teacher_a2",
        method="post",
        data=lambda w: {"status": "read"},
    )
)
reg(Case("oa:payroll_remind", lambda w: [o(w).batch.pk], "school_admin_a", "school_admin_b", method="post"))
reg(
    Case(
        "oa:inbox",
        _init,
        "school_admin_a",
        "school_admin_b",
        kind="list",
        marker=_title("returned"),
        query=lambda w: {"tab": "school", "status": "returned"},
    )
)
reg(Case("oa:payroll_template", _init, "school_admin_a", "teacher_a", kind="download"))
reg(Case("oa:payroll_export", lambda w: [o(w).batch.pk], "school_admin_a", "school_admin_b", kind="download"))
