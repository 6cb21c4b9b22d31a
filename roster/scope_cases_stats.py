"""Scope-matrix cases for the 学籍统计 pages (see core/scope_matrix.py); imported by RosterConfig.ready()."""

from core.scope_matrix import Case, register_case

# School admin B may open the page (its own school) but never sees school A's name; a parent is refused (403,
# tested in roster/tests/test_stats_pages.py).
register_case(
    Case(
        "roster:stats",
        kind="list",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        marker=lambda w: w.school_a.name,
    )
)
# Filtering on another school's id is 404 (get_scoped); the in-scope admin receives the workbook.
register_case(
    Case(
        "roster:stats_export",
        kind="download",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        query=lambda w: {"school": w.school_a.pk},
    )
)
