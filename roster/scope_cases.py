"""Scope-matrix cases for the 学籍 pages (see core/scope_matrix.py); imported by RosterConfig.ready()."""

from core.scope_matrix import Case, register_case

register_case(
    Case(
        "roster:export_moe",
        kind="download",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        query=lambda w: {"school": w.school_a.pk},
    )
)
register_case(
    Case(
        "roster:export_oneroster",
        kind="download",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        query=lambda w: {"school": w.school_a.pk},
    )
)
register_case(
    Case("roster:class_roster_pdf", lambda w: [w.class_a1.pk], "head_teacher_a1", "head_teacher_a2", kind="download")
)
