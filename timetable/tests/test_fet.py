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
    assert ctx.unsupported == {"ConstraintTeacherMaxHoursDaily (weight 50%)": 1}
    assert ctx.inactive == 2
    assert ctx.supported["ConstraintMinDaysBetweenActivities"] == 1
    assert "ConstraintTeacherMaxHoursDaily (weight 50%) × 1" in ctx.report()
    (last,) = [e for e in problem.extras if e.kind == "ends_day"]
    assert last.occurrences == [("9", 0)]
    # teacher limits: 3 in a row at most for 王老师, 李老师 at least 2 on a working day (empty days allowed);
    # class 1's subgroups at least 1 lesson every day
    assert (teacher.max_consecutive_hard, teacher.min_per_day) == (3, None)
    li = next(t for t in problem.teachers if t.id == "李老师")
    assert (li.min_per_day, li.min_every_day) == (2, False)
    by_id = {g.id: g for g in problem.groups}
    assert (by_id["初二1班男"].min_per_day, by_id["初二1班男"].min_every_day) == (1, True)
    assert by_id["初二2班"].min_per_day is None


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
    # 9 is the last lesson of class 1's day
    assert not [
        pl
        for pl in s.placements
        if pl.lesson_id in "1237" and pl.day == where["9"].day and pl.period > where["9"].period
    ]
    # 李老师 teaches at least 2 on a day she comes: with 5 fixed on Tuesday, 6 and 9 join it
    assert where["6"].day == where["9"].day == 1
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


HOME_ROOMS = """<?xml version="1.0" encoding="UTF-8"?>
<fet version="6.8.5">
<Institution_Name>home rooms</Institution_Name>
<Days_List><Number_of_Days>1</Number_of_Days><Day><Name>周一</Name></Day></Days_List>
<Hours_List><Number_of_Hours>3</Number_of_Hours><Hour><Name>1</Name></Hour><Hour><Name>2</Name></Hour>
<Hour><Name>3</Name></Hour></Hours_List>
<Subjects_List><Subject><Name>语文</Name></Subject></Subjects_List>
<Teachers_List><Teacher><Name>王老师</Name></Teacher><Teacher><Name>李老师</Name></Teacher></Teachers_List>
<Students_List>
<Year><Name>初二</Name><Number_of_Students>60</Number_of_Students>
<Group><Name>1班</Name><Number_of_Students>30</Number_of_Students></Group>
<Group><Name>2班</Name><Number_of_Students>30</Number_of_Students></Group>
</Year>
</Students_List>
<Activities_List>
<Activity><Teacher>王老师</Teacher><Subject>语文</Subject><Students>1班</Students><Duration>1</Duration>
<Total_Duration>1</Total_Duration><Id>1</Id><Activity_Group_Id>0</Activity_Group_Id><Active>true</Active></Activity>
<Activity><Teacher>王老师</Teacher><Teacher>李老师</Teacher><Subject>语文</Subject><Students>1班</Students>
<Students>2班</Students><Duration>1</Duration><Total_Duration>1</Total_Duration><Id>2</Id>
<Activity_Group_Id>0</Activity_Group_Id><Active>true</Active></Activity>
<Activity><Teacher>李老师</Teacher><Subject>语文</Subject><Students>2班</Students><Duration>1</Duration>
<Total_Duration>1</Total_Duration><Id>3</Id><Activity_Group_Id>0</Activity_Group_Id><Active>true</Active></Activity>
</Activities_List>
<Rooms_List>
<Room><Name>101</Name><Capacity>40</Capacity><Virtual>false</Virtual></Room>
<Room><Name>102</Name><Capacity>40</Capacity><Virtual>false</Virtual></Room>
<Room><Name>礼堂</Name><Capacity>100</Capacity><Virtual>false</Virtual></Room>
</Rooms_List>
<Time_Constraints_List>
<ConstraintBasicCompulsoryTime><Weight_Percentage>100</Weight_Percentage><Active>true</Active>
</ConstraintBasicCompulsoryTime>
</Time_Constraints_List>
<Space_Constraints_List>
<ConstraintBasicCompulsorySpace><Weight_Percentage>100</Weight_Percentage><Active>true</Active>
</ConstraintBasicCompulsorySpace>
<ConstraintTeacherHomeRoom><Weight_Percentage>100</Weight_Percentage><Teacher>王老师</Teacher><Room>101</Room>
<Active>true</Active></ConstraintTeacherHomeRoom>
<ConstraintStudentsSetHomeRoom><Weight_Percentage>100</Weight_Percentage><Students>2班</Students><Room>102</Room>
<Active>true</Active></ConstraintStudentsSetHomeRoom>
</Space_Constraints_List>
</fet>
"""


def test_home_rooms_apply_as_in_fet_to_lessons_of_that_teacher_or_class_alone():
    """A teacher's home room is for the activities only that teacher teaches, a class's for the activities of that
    class alone: the 合班 taught by two teachers to both classes may use any room (before, the two home rooms were
    intersected and left it none, so the file was reported impossible)."""
    problem, ctx = read_fet(HOME_ROOMS.encode())
    assert ctx.supported["ConstraintTeacherHomeRoom"] == ctx.supported["ConstraintStudentsSetHomeRoom"] == 1
    rooms = {lesson.id: lesson.rooms for lesson in problem.lessons}
    assert rooms == {"1": ["101"], "2": None, "3": ["102"]}
    s = solve(problem, time_limit=5, workers=1)
    assert s.solved
    by_id = {pl.lesson_id: pl.room_id for pl in s.placements}
    assert (by_id["1"], by_id["3"]) == ("101", "102")


def test_occupy_max_time_slots_from_selection_is_read_and_kept():
    occupy = """<ConstraintActivitiesOccupyMaxTimeSlotsFromSelection><Weight_Percentage>100</Weight_Percentage>
<Number_of_Activities>2</Number_of_Activities><Activity_Id>1</Activity_Id><Activity_Id>3</Activity_Id>
<Number_of_Selected_Time_Slots>2</Number_of_Selected_Time_Slots>
<Selected_Time_Slot><Selected_Day>周一</Selected_Day><Selected_Hour>1</Selected_Hour></Selected_Time_Slot>
<Selected_Time_Slot><Selected_Day>周一</Selected_Day><Selected_Hour>2</Selected_Hour></Selected_Time_Slot>
<Max_Number_of_Occupied_Time_Slots>1</Max_Number_of_Occupied_Time_Slots><Active>true</Active>
</ConstraintActivitiesOccupyMaxTimeSlotsFromSelection>
</Time_Constraints_List>"""
    problem, ctx = read_fet(HOME_ROOMS.replace("</Time_Constraints_List>", occupy).encode())
    assert ctx.unsupported == {}
    (extra,) = problem.extras
    assert (extra.kind, extra.value, extra.slots) == ("occupy_max", 1, {(0, 0), (0, 1)})
    assert extra.occurrences == [("1", 0), ("3", 0)]
    s = solve(problem, time_limit=5, workers=1)
    assert s.solved
    where = {pl.lesson_id: (pl.day, pl.period) for pl in s.placements}
    # 1 and 3 (two classes, two teachers) share period 1 or 2, or one of them takes period 3
    assert len({where["1"], where["3"]} & {(0, 0), (0, 1)}) <= 1
