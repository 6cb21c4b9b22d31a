"""While a report is being recomputed the pages say so, show the progress, keep the previous results, and the
banner they poll asks for a reload once the job is done."""

from __future__ import annotations

from django.test import Client

from core.testing import login
from exams.models import ExamReport, ReportStatus
from exams.report.refresh import ensure_report
from exams.tests.test_report_card import published_exam


def _client(user) -> Client:
    c = Client()
    login(c, user)
    return c


def test_pages_show_the_running_report_and_reload_when_done(world):
    w = world
    exam = published_exam(w)
    ensure_report(exam)
    ExamReport.objects.filter(exam=exam).update(status=ReportStatus.RUNNING, progress=40)
    c = _client(w.district_admin)
    html = c.get(f"/exams/{exam.pk}/report/").content.decode()
    assert 'data-testid="report-running"' in html and "40%" in html and "上一次计算的结果" in html
    banner = c.get(f"/exams/{exam.pk}/report/status/")
    assert banner.status_code == 200 and "40%" in banner.content.decode()
    assert _client(w.parent1).get(f"/exams/{exam.pk}/report/status/").status_code == 404  # families: report cards only

    ExamReport.objects.filter(exam=exam).update(status=ReportStatus.DONE, progress=100)
    done = c.get(f"/exams/{exam.pk}/report/status/")
    assert done.status_code == 200 and done["HX-Refresh"] == "true" and not done.content
    assert 'data-testid="report-running"' not in c.get(f"/exams/{exam.pk}/report/").content.decode()


def test_a_failed_report_is_shown_as_failed(world):
    w = world
    exam = published_exam(w)
    ensure_report(exam)
    ExamReport.objects.filter(exam=exam).update(status=ReportStatus.FAILED, error="boom")
    html = _client(w.district_admin).get(f"/exams/{exam.pk}/report/").content.decode()
    assert 'data-testid="report-failed"' in html and "boom" not in html
