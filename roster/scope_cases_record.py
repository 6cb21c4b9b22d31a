"""Scope-matrix cases for the actions on a student's 学籍 record page (调班, 转出本区, 学籍号) and for the
转学联系函 (page and PDF); see core/scope_matrix.py."""

from core.scope_matrix import Case, register_case


def _transfer_out(w):
    """The 转出本区 of student_a2 by school A's admin, made on first use."""
    from roster import services
    from roster.models import ChangeKind, RosterChange

    change = RosterChange.objects.filter(student=w.student_a2, kind=ChangeKind.TRANSFER_OUT).order_by("-id").first()
    if change is None:
        letter = services.transfer_out(
            actor=w.school_admin_a,
            student=w.student_a2,
            to_district_name="宁波市北仑区",
            to_school_name="北仑区顾国和中学",
            reason="随父母工作调动",
        )
        change = RosterChange.objects.get(pk=letter["change_id"])
    return change


student_a2 = lambda w: [w.student_a2.pk]  # noqa: E731
letter = lambda w: [_transfer_out(w).pk]  # noqa: E731
# the full 学籍号 is on the letter: whoever may not see the letter must not see it either
full_student_no = lambda w: (_transfer_out(w), w.student_a2.student_no)[1]  # noqa: E731

register_case(
    Case(
        "roster:student_move_class",
        student_a2,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"to_class": w.class_a1.pk, "reason": "家长申请"},
    )
)
register_case(
    Case(
        "roster:student_transfer_out",
        student_a2,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"to_district_name": "宁波市北仑区", "to_school_name": "北仑区顾国和中学", "reason": "搬家"},
    )
)
register_case(Case("roster:student_number_assign", student_a2, "school_admin_a", "school_admin_b", method="post"))
for outsider in ("school_admin_b", "head_teacher_a2", "parent2"):
    register_case(Case("roster:transfer_out_letter", letter, "school_admin_a", outsider, marker=full_student_no))
    register_case(Case("roster:transfer_out_letter_pdf", letter, "school_admin_a", outsider, kind="download"))
register_case(Case("roster:transfer_out_letter", letter, "district_admin", "teacher_a", marker=full_student_no))
