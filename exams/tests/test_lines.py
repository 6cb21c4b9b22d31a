"""上线设置: the organiser sets the lines (by rank or by score) and the 临界生 band; the report is recomputed with
them; bad values are refused in Chinese; only the organiser may change them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from exams import services
from exams.models import ExamReport
from exams.report.refresh import ensure_report
from exams.tests.test_manage_pages import client_for
from exams.tests.test_report_card import published_exam


def report_lines(exam) -> list[dict]:
    ensure_report(exam)
    return ExamReport.objects.get(exam=exam).data["lines"]


def test_lines_by_score_and_rank_change_the_report(world):
    w = world
    exam = published_exam(w)  # counted totals: 184 and 160 (the third candidate missed 数学)
    assert [line["label"] for line in report_lines(exam)] == ["A线（前10%）", "B线（前30%）", "C线（前60%）"]
    services.exam_lines_set(
        actor=w.district_admin,
        exam=exam,
        lines=[{"label": "一本线", "kind": "score", "value": "170"}, {"label": "", "kind": "rank", "value": "50"}],
        borderline_band="30",
    )
    lines = report_lines(exam)
    assert [(line["label"], line["kind"]) for line in lines] == [("一本线", "score"), ("前50%", "rank")]
    report = ExamReport.objects.get(exam=exam).data
    assert lines[0]["score"] == 170 and lines[1]["score"] == 184  # the top 50 % of two totals: 184
    on_line = [row["total_on"] for row in report["district"]["lines"]]
    assert on_line == [1, 1]
    exam.refresh_from_db()
    # 临界生 within 30 points below 170: the 160 total
    assert float(exam.borderline_band) == 30 and report["district"]["lines"][0]["borderline_below"] == 1
    assert AuditLog.objects.filter(action="exam.lines", actor=w.district_admin).exists()
    # back to the defaults
    services.exam_lines_set(actor=w.district_admin, exam=exam, lines=[])
    assert [line["label"] for line in report_lines(exam)] == ["A线（前10%）", "B线（前30%）", "C线（前60%）"]


def test_bad_lines_are_refused(world):
    w = world
    exam = published_exam(w)
    cases = [
        ([{"kind": "rank", "value": "120"}], "名次比例应在 0–100%"),
        ([{"kind": "score", "value": "300"}], "分数应在 0–220 分之间"),
        ([{"kind": "score", "value": "abc"}], "不是数字"),
        (
            [{"label": "线", "kind": "rank", "value": "10"}, {"label": "线", "kind": "rank", "value": "20"}],
            "名称「线」重复",
        ),
        ([{"kind": "rank", "value": str(v)} for v in range(10, 70, 10)], "最多设置 5 条分数线"),
    ]
    for lines, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.exam_lines_set(actor=w.district_admin, exam=exam, lines=lines)
    with pytest.raises(PermissionDenied):
        services.exam_lines_set(actor=w.school_admin_a, exam=exam, lines=[])


def test_lines_page(world):
    w = world
    exam = published_exam(w)
    c = client_for(w.district_admin)
    assert 'data-testid="lines-link"' in c.get(f"/exams/{exam.pk}/report/").content.decode()
    url = f"/exams/{exam.pk}/report/lines/"
    html = c.get(url).content.decode()
    assert "当前使用默认的三条线" in html and 'value="10"' in html
    html = c.post(
        url, {"label": ["特控线", ""], "kind": ["score", "rank"], "value": ["500", ""], "borderline_band": "5"}
    ).content.decode()
    assert "分数应在 0–220 分之间" in html and 'value="500"' in html
    r = c.post(url, {"label": ["特控线", ""], "kind": ["score", "rank"], "value": ["170", ""], "borderline_band": "5"})
    assert r.status_code == 302
    exam.refresh_from_db()
    assert exam.lines == [{"key": "A", "label": "特控线", "kind": "score", "value": 170.0}]
    assert "特控线" in c.get(f"/exams/{exam.pk}/report/").content.decode()
    # a school admin reads the report but does not set the lines
    sc = client_for(w.school_admin_a)
    assert (
        'data-testid="lines-link"' not in sc.get(f"/exams/{exam.pk}/report/schools/{w.school_a.pk}/").content.decode()
    )
    assert sc.get(url).status_code == 403
