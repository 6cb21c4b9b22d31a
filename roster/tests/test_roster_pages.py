"""学籍 buttons and downloads as users meet them on the class and school pages."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.models import AuditLog
from core.testing import login


def client_for(user):
    c = Client()
    login(c, user)
    return c


@pytest.mark.django_db
def test_head_teacher_prints_class_roster_and_exports_masked_moe(world):
    c = client_for(world.head_teacher_a1)
    page = c.get(f"/org/classes/{world.class_a1.pk}/").content.decode()
    assert "打印花名册" in page and f"/roster/classes/{world.class_a1.pk}/roster.pdf" in page
    pdf = c.get(f"/roster/classes/{world.class_a1.pk}/roster.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = c.get("/roster/export/moe/", {"klass": world.class_a1.pk})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    names = {r[1] for r in rows[1:]}
    assert names == {"周小明", "吴小红"}
    assert world.student_a1.person.id_number not in str(rows)
    assert AuditLog.objects.filter(action="roster.export_moe", actor=world.head_teacher_a1).exists()


@pytest.mark.django_db
def test_school_admin_exports_full_moe_roster_of_their_school_only(world):
    c = client_for(world.school_admin_a)
    page = c.get(f"/org/schools/{world.school_a.pk}/").content.decode()
    assert "导出学籍（教育部模板）" in page
    xlsx = c.get("/roster/export/moe/", {"school": world.school_a.pk})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and world.student_a1.person.id_number in str(rows)
    assert c.get("/roster/export/moe/", {"school": world.school_b.pk}).status_code == 404


@pytest.mark.django_db
def test_subject_teacher_sees_no_export_buttons(world):
    page = client_for(world.teacher_a).get(f"/org/classes/{world.class_a1.pk}/").content.decode()
    assert "打印花名册" not in page
    assert client_for(world.teacher_a).get(f"/roster/classes/{world.class_a1.pk}/roster.pdf").status_code == 403


def _sample_xlsx(school, n, seed=1):
    import random

    from roster.importer.sample import build_workbook

    return build_workbook(school, n, rng=random.Random(seed))


@pytest.mark.django_db
def test_school_admin_previews_then_imports_through_the_ui(world, settings, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Student
    from roster.models import ImportJob

    settings.MEDIA_ROOT = str(settings.BASE_DIR / "var" / "test-media")
    c = client_for(world.school_admin_a)
    data = _sample_xlsx(world.school_a, 12)
    before = Student.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            "/roster/imports/",
            {"school": world.school_a.pk, "file": SimpleUploadedFile("七年级.xlsx", data), "dry_run": "on"},
        )
    job = ImportJob.objects.latest("id")
    assert r.status_code == 302 and r["Location"] == f"/roster/imports/{job.pk}/"
    assert job.status == "previewed" and job.summary["to_create"] == 12 and Student.objects.count() == before
    assert not job.upload  # the upload is not kept
    page = c.get(f"/roster/imports/{job.pk}/").content.decode()
    assert "预览：将新增 12 人" in page
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/roster/imports/", {"school": world.school_a.pk, "file": SimpleUploadedFile("七年级.xlsx", data)})
    job = ImportJob.objects.latest("id")
    assert job.status == "done" and Student.objects.count() == before + 12
    assert "导入完成：新增 12 人" in c.get(f"/roster/imports/{job.pk}/").content.decode()


@pytest.mark.django_db
def test_bad_file_shows_errors_and_an_encrypted_report(world, settings, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import load_workbook

    from core.models import Student
    from roster.models import ImportJob

    settings.MEDIA_ROOT = str(settings.BASE_DIR / "var" / "test-media")
    wb = load_workbook(io.BytesIO(_sample_xlsx(world.school_a, 5)))
    ws = wb.active
    header = [c.value.rstrip("★") if isinstance(c.value, str) else c.value for c in next(ws.iter_rows(max_row=1))]
    header_row = 1
    for row in ws.iter_rows(min_row=1, max_row=10):
        if any(isinstance(c.value, str) and c.value.startswith("姓名") for c in row):
            header_row = row[0].row
            header = [c.value.rstrip("★") if isinstance(c.value, str) else c.value for c in row]
            break
    id_col = header.index("身份证件号") + 1
    bad = ws.cell(row=header_row + 2, column=id_col)
    bad.value = str(bad.value)[:-1] + ("0" if str(bad.value)[-1] != "0" else "1")
    buf = io.BytesIO()
    wb.save(buf)
    c = client_for(world.school_admin_a)
    before = Student.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            "/roster/imports/", {"school": world.school_a.pk, "file": SimpleUploadedFile("bad.xlsx", buf.getvalue())}
        )
    job = ImportJob.objects.latest("id")
    assert job.status == "invalid" and Student.objects.count() == before
    page = c.get(f"/roster/imports/{job.pk}/").content.decode()
    assert "校验位错误" in page and f"行 {header_row + 2}" not in page  # row shown in its own column
    with job.report.open("rb") as fh:
        assert fh.read().startswith(b"ZXE1")  # encrypted at rest
    report = c.get(f"/roster/imports/{job.pk}/report.xlsx")
    wb2 = load_workbook(io.BytesIO(report.content))
    assert any("校验位错误" in str(cell.comment.text) for row in wb2.active.iter_rows() for cell in row if cell.comment)
    assert client_for(world.school_admin_b).get(f"/roster/imports/{job.pk}/report.xlsx").status_code == 404


@pytest.mark.django_db
def test_demo_seed_gives_every_student_a_profile_with_encrypted_addresses():
    from django.core.management import call_command
    from django.db import connection

    from core.models import Student
    from roster.models import RosterChange, StudentProfile

    call_command("seed_demo", schools=2, students_per_school=60, seed=4, stdout=io.StringIO())
    n = Student.objects.count()
    assert StudentProfile.objects.count() == n
    assert RosterChange.objects.filter(kind="enrol", status="done").count() == n
    assert StudentProfile.objects.filter(migrant_child=True).exists()
    with connection.cursor() as cur:
        cur.execute("SELECT current_address, contact_phone FROM roster_studentprofile LIMIT 5")
        for address, phone in cur.fetchall():
            assert address.startswith("v1:") and phone.startswith("v1:")
