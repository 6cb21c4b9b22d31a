"""manage.py timetable_solve FILE.fet --time-limit S --out OUT.fet"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from timetable.fet import read_fet

SMALL = Path(__file__).parent / "data" / "small.fet"


def test_solve_command_prints_counts_and_writes_the_export(tmp_path):
    out = tmp_path / "solved.fet"
    buf = StringIO()
    call_command("timetable_solve", str(SMALL), "--time-limit", "10", "--out", str(out), "--workers", "1", stdout=buf)
    text = buf.getvalue()
    assert "已排: 8/8 个活动" in text
    assert "硬约束冲突: 0" in text
    assert "软约束代价: 0" in text
    assert "ConstraintTeacherMaxHoursContinuously × 1" in text  # unsupported constraints are listed
    problem, _ = read_fet(out)
    assert all(len(lesson.fixed) == 1 for lesson in problem.lessons)


def test_solve_command_explains_an_impossible_file(tmp_path):
    raw = SMALL.read_text(encoding="utf-8")
    # 王老师 becomes unavailable on every day but Monday: 5 periods of 语文 in 2 usable slots
    extra = "".join(
        f"<Not_Available_Time><Day>{d}</Day><Hour>{h}</Hour></Not_Available_Time>"
        for d in ("周二", "周三")
        for h in ("1", "2", "课间操", "3", "4")
    )
    raw = raw.replace(
        "<Number_of_Not_Available_Times>2</Number_of_Not_Available_Times>",
        "<Number_of_Not_Available_Times>12</Number_of_Not_Available_Times>" + extra,
    )
    bad = tmp_path / "bad.fet"
    bad.write_text(raw, encoding="utf-8")
    buf = StringIO()
    with pytest.raises(CommandError, match="未能排出满足全部硬约束的课表"):
        call_command("timetable_solve", str(bad), "--time-limit", "5", "--workers", "1", stdout=buf)
    text = buf.getvalue()
    assert "状态: infeasible" in text
    assert "王老师 需要 5 节，但只有 2 个可用时段" in text


def test_solve_command_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="无法读取"):
        call_command("timetable_solve", str(tmp_path / "nope.fet"), stdout=StringIO())
