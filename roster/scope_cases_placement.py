"""Scope-matrix cases for the 分班 pages (roster/urls_placement.py); see core/scope_matrix.py."""

from core.scope_matrix import Case, register_case

school_name = lambda w: w.school_a.name  # noqa: E731
grade_a = lambda w: [w.grade_a.pk]  # noqa: E731


def _signed_plan(w) -> dict:
    """A real plan for school A's grade, signed for its admin as the preview page would."""
    from roster import services
    from roster.views.placement import sign_plan

    plan = services.cohort_place_plan(actor=w.school_admin_a, grade=w.grade_a, class_count=2)
    token = sign_plan(
        grade=w.grade_a,
        user=w.school_admin_a,
        class_numbers=plan["class_numbers"],
        assignments=plan["assignments"],
        scores={},
        weights="mean",
    )
    return {"plan": token}


register_case(
    Case("roster:school_placement", lambda w: [w.school_a.pk], "school_admin_a", "school_admin_b", marker=school_name)
)
register_case(Case("roster:grade_placement", grade_a, "school_admin_a", "school_admin_b", marker=school_name))
register_case(
    Case(
        "roster:grade_placement_preview",
        grade_a,
        "school_admin_a",
        "school_admin_b",
        method="post",
        data=lambda w: {"class_count": 2, "weights": "mean"},
        marker=lambda w: w.student_a1.person.name,
    )
)
register_case(
    Case("roster:grade_placement_apply", grade_a, "school_admin_a", "school_admin_b", method="post", data=_signed_plan)
)
