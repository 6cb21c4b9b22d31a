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
