"""The score import runs as a background job: the result page shows its progress while it runs, refreshes when it
ends, reports a failure in Chinese, and (without a Celery broker) the job really runs in a thread after the
request has answered."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from core.jobs import wait_for_jobs
from exams.models import Score
from exams.tests.test_manage_pages import client_for, make_exam, upload, xlsx
from exams.views.imports import job_create, job_run, result_load


def _template_rows(c, exam, school):
    tpl = c.get(f"/exams/{exam.pk}/import/template.xlsx", {"school": school.pk})
    sheet = load_workbook(io.BytesIO(b"".join(tpl.streaming_content))).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_result_page_shows_progress_until_the_job_ends(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    exam = make_exam(w)
    c = client_for(w.school_admin_a)
    rows = _template_rows(c, exam, w.school_a)
    good = [rows[0]] + [[*r[:3], 88, 92] for r in rows[1:]]
    token = job_create(
        user=w.school_admin_a,
        exam=exam,
        data=xlsx(good),
        params={"filename": "一班.xlsx", "school_id": w.school_a.pk, "school": w.school_a.name, "dry_run": False},
    )
    url = f"/exams/{exam.pk}/import/{token}/"
    html = c.get(url).content.decode()
    assert 'data-status="queued"' in html and "导入进度" in html and 'hx-trigger="every 1s"' in html
    partial = c.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert client_for(w.school_admin_b).get(url).status_code == 404  # someone else's job

    assert job_run(token) == "done"
    assert Score.objects.filter(candidate__exam=exam).count() == 6
    done = c.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    html = c.get(url).content.decode()
    assert "导入完成：新增 6 个成绩" in html and "导入进度" not in html
    # the upload itself is not kept once the job has run
    assert not list((tmp_path / "exam-imports").glob(f"{token}.upload*"))


def test_a_failed_job_says_why_and_writes_nothing(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    exam = make_exam(w)
    c = client_for(w.school_admin_a)
    r = upload(c, exam, b"PK\x03\x04 not really a workbook", name="成绩.xlsx", school=w.school_a.pk)
    html = r.content.decode()
    assert 'data-testid="import-failed"' in html and Score.objects.count() == 0
    token = re.search(r"/import/([^/]+)/$", r.redirect_chain[-1][0]).group(1)
    assert result_load(user=w.school_admin_a, exam=exam, token=token)["status"] == "failed"


def test_an_empty_file_is_refused_on_the_form(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    exam = make_exam(w)
    html = upload(client_for(w.school_admin_a), exam, b"", school=w.school_a.pk).content.decode()
    assert "空文件" in html and not list(tmp_path.glob("exam-imports/*"))


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_job_runs_in_a_thread(settings, tmp_path):
    from core.testing import build_world

    settings.MEDIA_ROOT = str(tmp_path)
    settings.ZX_JOBS_IN_THREAD = True
    w = build_world()
    exam = make_exam(w)
    c = client_for(w.school_admin_a)
    rows = _template_rows(c, exam, w.school_a)
    good = [rows[0]] + [[*r[:3], 75, 80] for r in rows[1:]]
    f = io.BytesIO(xlsx(good))
    f.name = "成绩.xlsx"
    r = c.post(f"/exams/{exam.pk}/import/", {"layout": "subjects", "file": f, "school": w.school_a.pk})
    assert r.status_code == 302
    wait_for_jobs()
    html = c.get(r["Location"]).content.decode()
    assert "导入完成：新增 6 个成绩" in html
    assert Score.objects.filter(candidate__exam=exam, value=75).count() == 3
