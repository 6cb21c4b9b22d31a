"""Scope-matrix cases for the 学籍异动 pages (roster/urls_changes.py); see core/scope_matrix.py."""

from core.scope_matrix import Case, register_case


def _junior_class_b(w):
    from core.testing import junior_class_b

    return junior_class_b(w)


def _transfer(w, status: str = "requested"):
    """A transfer of student_a2 (school A → school B) in ``status`` (requested or accepted), made on first use."""
    from roster import services
    from roster.models import ChangeKind, ChangeStatus, RosterChange

    change = (
        RosterChange.objects.filter(
            student=w.student_a2, kind=ChangeKind.TRANSFER, status__in=("requested", "accepted")
        )
        .order_by("-id")
        .first()
    )
    if change is None:
        change = services.transfer_request(
            actor=w.school_admin_a, student=w.student_a2, to_school=w.school_b, reason="随父母工作调动"
        )
    if status == ChangeStatus.ACCEPTED and change.status == ChangeStatus.REQUESTED:
        services.transfer_accept(actor=w.school_admin_b, change=change, to_class=_junior_class_b(w))
    return change


def _dropout(w):
    """A 辍学 record of student_a2 (junior: compulsory), made on first use."""
    from roster import services
    from roster.models import ChangeKind, RosterChange

    change = RosterChange.objects.filter(student=w.student_a2, kind=ChangeKind.DROPOUT).order_by("-id").first()
    if change is None:
        change = services.student_withdraw(
            actor=w.school_admin_a, student=w.student_a2, kind=ChangeKind.DROPOUT, reason="外出务工"
        )
    return change


def _made(fn):
    def args(w):
        fn(w)
        return []

    return args


person_name = lambda attr: lambda w: getattr(w, attr).person.name  # noqa: E731
student_a2 = lambda w: [w.student_a2.pk]  # noqa: E731

register_case(
    Case("roster:student_record", student_a2, "school_admin_a", "school_admin_b", marker=person_name("student_a2"))
)
register_case(
    Case(
        "roster:student_transfer_request",
        student_a2,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"to_school": w.school_b.pk, "reason": "随父母工作调动"},
    )
)
register_case(
    Case(
        "roster:student_suspend",
        student_a2,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"reason": "病休"},
    )
)
register_case(Case("roster:student_resume", student_a2, "school_admin_a", "school_admin_b", method="post"))
register_case(
    Case(
        "roster:student_withdraw",
        student_a2,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"kind": "dropout", "reason": "外出务工"},
    )
)
register_case(
    Case(
        "roster:transfers",
        _made(_transfer),
        "school_admin_b",
        "teacher_b",
        kind="list",
        marker=person_name("student_a2"),
    )
)
register_case(
    Case(
        "roster:transfer_accept",
        lambda w: [_transfer(w).pk],
        "school_admin_b",
        "school_admin_a",
        method="post",
        data=lambda w: {"to_class": _junior_class_b(w).pk},
    )
)
register_case(
    Case(
        "roster:transfer_approve",
        lambda w: [_transfer(w, "accepted").pk],
        "district_admin",
        "school_admin_b",
        method="post",
    )
)
register_case(
    Case(
        "roster:transfer_reject",
        lambda w: [_transfer(w).pk],
        "school_admin_b",
        "school_admin_a",
        method="post",
        data=lambda w: {"reason": "学位已满"},
    )
)
register_case(
    Case("roster:transfer_cancel", lambda w: [_transfer(w).pk], "school_admin_a", "school_admin_b", method="post")
)
register_case(
    Case(
        "roster:school_promote",
        lambda w: [w.school_a.pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: w.school_a.name,
    )
)
register_case(
    Case("roster:school_promote", lambda w: [w.school_a.pk], "school_admin_a", "school_admin_b", method="post")
)
register_case(
    Case(
        "roster:dropouts",
        _made(_dropout),
        "school_admin_a",
        "school_admin_b",
        kind="list",
        marker=person_name("student_a2"),
    )
)
register_case(
    Case(
        "roster:dropout_follow_up",
        lambda w: [_dropout(w).pk],
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"note": "已家访，家长同意下周返校"},
    )
)
