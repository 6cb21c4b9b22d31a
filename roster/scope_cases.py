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


def _job(w):
    """An import job of school A (created on first use in the test world)."""
    from django.core.files.base import ContentFile

    from roster.models import ImportJob

    job = ImportJob.objects.filter(school=w.school_a).first()
    if job is None:
        job = ImportJob(school=w.school_a, created_by=w.school_admin_a, filename="七年级.xlsx", status="invalid")
        job.report.save("r.xlsx", ContentFile(b"PK-report"), save=False)
        job.save()
    return job


def _job_exists(w) -> list:
    _job(w)
    return []


register_case(
    Case(
        "roster:imports",
        args=_job_exists,  # the job must exist before the page is fetched
        kind="list",
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        marker=lambda w: _job(w).filename,
    )
)
register_case(
    Case(
        "roster:import_detail",
        lambda w: [_job(w).pk],
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: "七年级.xlsx",
    )
)
register_case(Case("roster:import_report", lambda w: [_job(w).pk], "school_admin_a", "school_admin_b", kind="download"))
register_case(Case("roster:import_template", in_scope="school_admin_a", out_of_scope="teacher_a", kind="download"))
