"""FET interop: read a hand-written .fet, solve, export with locks, read the export back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from timetable.engine import evaluate, solve
from timetable.fet import read_fet, read_fet_activities, write_fet

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small.fet"


def test_read_small_fet():
    problem, ctx = read_fet(SMALL)
    assert problem.name == "测试中学"
    assert (problem.week.days, problem.week.periods) == (3, 5)
    assert problem.week.day_names == ["周一", "周二", "周三"]
    # the morning exercise hour is a break on every day
    assert problem.week.blocked == {(0, 2), (1, 2), (2, 2)}
    # activity 8 is inactive
    assert [lesson.id for lesson in problem.lessons] == ["1", "2", "3", "4", "5", "6", "7", "9"]
    lessons = {lesson.id: lesson for lesson in problem.lessons}
    # students flattened to the smallest sets: class 1 has two subgroups, class 2 none
    assert sorted(g.id for g in problem.groups) == ["初二1班女", "初二1班男", "初二2班"]
    assert lessons["1"].groups == ["初二1班女", "初二1班男"]
    assert lessons["5"].groups == ["初二1班女", "初二1班男", "初二2班"]  # 合班
    assert lessons["7"].groups == ["初二1班男"]
    assert lessons["5"].fixed == [(1, 0)]
    assert lessons["4"].duration == 2
    teacher = next(t for t in problem.teachers if t.id == "王老师")
    assert teacher.unavailable == {(0, 0), (0, 1)}
    # physics may only use the lab that holds its 40 students
    assert lessons["6"].rooms == ["小实验室", "物理实验室"] and lessons["6"].size == 40
    assert lessons["1"].rooms is None
    (min_days,) = [e for e in problem.extras if e.kind == "min_days"]
    assert min_days.occurrences == [("1", 0), ("2", 0), ("3", 0)] and min_days.hard
    # unsupported constraints are reported, inactive ones skipped
    assert ctx.unsupported == {"ConstraintTeacherMaxHoursContinuously": 1}
    assert ctx.inactive == 2
    assert ctx.supported["ConstraintMinDaysBetweenActivities"] == 1
    assert "ConstraintTeacherMaxHoursContinuously × 1" in ctx.report()


def test_solve_small_fet_respects_its_constraints():
    problem, _ctx = read_fet(SMALL)
    s = solve(problem, time_limit=10, workers=1)
    assert s.status == "optimal" and s.hard_violations == 0
    where = {pl.lesson_id: pl for pl in s.placements}
    assert len(where) == 8
    assert {where[a].day for a in "123"} == {0, 1, 2}  # min 1 day apart
    assert (where["5"].day, where["5"].period) == (1, 0)
    for pl in s.placements:
        assert pl.period != 2  # break
        if pl.lesson_id in "1234":
            assert (pl.day, pl.period) not in {(0, 0), (0, 1)}  # 王老师 unavailable
    assert where["4"].period in (0, 3)  # the double lesson does not span the break
    assert where["6"].room_id == "物理实验室" and where["9"].room_id == "物理实验室"
    # 7 (subgroup) and 1-3 (its class) never overlap
    assert (where["7"].day, where["7"].period) not in {(where[a].day, where[a].period) for a in "123"}


def test_export_is_read_back_with_the_same_placements(tmp_path):
    problem, ctx = read_fet(SMALL)
    s = solve(problem, time_limit=10, workers=1)
    out = tmp_path / "out.fet"
    assert write_fet(ctx, s, out) == 8
    again, ctx2 = read_fet(out)
    assert ctx2.unsupported == ctx.unsupported
    placed = {pl.lesson_id: (pl.day, pl.period, pl.room_id) for pl in s.placements}
    for lesson in again.lessons:
        assert lesson.fixed == [placed[lesson.id][:2]]
        if placed[lesson.id][2]:
            assert lesson.rooms == [placed[lesson.id][2]]
    # the locked file solves instantly to the same timetable
    s2 = solve(again, time_limit=10, workers=1)
    assert {pl.lesson_id: (pl.day, pl.period, pl.room_id) for pl in s2.placements} == placed
    assert evaluate(again, s.placements)[0] == 0


def test_read_fet_accepts_bytes_and_gzip(tmp_path):
    import gzip

    raw = SMALL.read_bytes()
    p1, _ = read_fet(raw)
    gz = tmp_path / "small.fet.gz"
    gz.write_bytes(gzip.compress(raw))
    p2, _ = read_fet(gz)
    assert [lesson.id for lesson in p1.lessons] == [lesson.id for lesson in p2.lessons]


def test_fet_accepts_our_export(tmp_path):
    # FET itself must open what we export (.ci/run installs Debian's fet package)
    assert shutil.which("fet-cl"), "fet-cl is missing: apt-get install fet"
    problem, ctx = read_fet(SMALL)
    s = solve(problem, time_limit=10, workers=1)
    out = tmp_path / "export.fet"
    write_fet(ctx, s, out)
    outdir = tmp_path / "fet"
    proc = subprocess.run(
        ["fet-cl", f"--inputfile={out}", f"--outputdir={outdir}", "--timelimitseconds=20"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    result = (outdir / "logs" / "result.txt").read_text(encoding="utf-8")
    assert "Simulation successful" in result, proc.stdout + result
    # FET kept our times and rooms: its result has every activity exactly where we put it
    fet_places = read_fet_activities(ctx, outdir / "timetables" / "export" / "export_activities.xml")
    assert sorted((p.lesson_id, p.day, p.period, p.room_id) for p in fet_places) == sorted(
        (p.lesson_id, p.day, p.period, p.room_id) for p in s.placements
    )
    assert evaluate(problem, fet_places)[0] == 0
