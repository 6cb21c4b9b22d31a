"""Timetabling engine: small problems with known answers."""

from __future__ import annotations

from timetable.engine import (
    Extra,
    Lesson,
    Placement,
    Problem,
    Room,
    StudentGroup,
    Teacher,
    Week,
    Weights,
    evaluate,
    explain,
    precheck,
    solve,
)


def week(days=5, periods=8, morning=4, **kw):
    return Week(days=days, periods=periods, morning=morning, **kw)


def at(solution, lesson_id, index=0):
    pl = next(p for p in solution.placements if p.lesson_id == lesson_id and p.index == index)
    return (pl.day, pl.period)


def starts(solution, lesson_id):
    return sorted((p.day, p.period) for p in solution.placements if p.lesson_id == lesson_id)


def test_teacher_and_class_clashes_are_avoided():
    p = Problem(
        week(days=1, periods=3, morning=3),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [
            Lesson("a", "语文", ["g1"], ["t1"]),
            Lesson("b", "语文", ["g2"], ["t1"]),  # same teacher as a
            Lesson("c", "数学", ["g1"], ["t2"]),  # same class as a
        ],
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.status == "optimal" and s.hard_violations == 0
    assert len(s.placements) == 3
    assert at(s, "a") != at(s, "b")
    assert at(s, "a") != at(s, "c")


def test_double_lesson_never_spans_lunch_or_a_break():
    # 1 day, 6 periods: lunch after period 3 (morning=3), a break after period index 0
    p = Problem(
        week(days=1, periods=6, morning=3, breaks_after={0}),
        [Teacher("t1", "王老师")],
        [StudentGroup("g1", "初二(3)班")],
        [],
        [Lesson("lab", "物理", ["g1"], ["t1"], duration=2, count=1)],
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.status == "optimal"
    day, period = at(s, "lab")
    assert (day, period) in {(0, 1), (0, 3), (0, 4)}  # 0-1 crosses the break, 2-3 crosses lunch, 5 ends the day
    # every other start is rejected by evaluate() as a hard violation
    for bad in (0, 2, 5):
        hard, _soft, msgs = evaluate(p, [Placement("lab", 0, 0, bad)])
        assert hard >= 1 and msgs[0].code == "geometry"


def test_fixed_lesson_is_respected_and_others_move_around_it():
    p = Problem(
        week(days=1, periods=2, morning=2),
        [Teacher("t1", "王老师")],
        [StudentGroup("g1", "初一(1)班")],
        [],
        [Lesson("a", "语文", ["g1"], ["t1"], fixed=[(0, 0)]), Lesson("b", "数学", ["g1"], ["t1"])],
    )
    s = solve(p, time_limit=5, workers=1)
    assert at(s, "a") == (0, 0)
    assert at(s, "b") == (0, 1)


def test_elective_block_runs_in_parallel_and_blocks_the_classes():
    classes = [StudentGroup("c1", "高三(1)班"), StudentGroup("c2", "高三(2)班")]
    teaching = [
        StudentGroup("phy", "物理选考班", overlaps=["c1", "c2"]),
        StudentGroup("his", "历史选考班", overlaps=["c1", "c2"]),
    ]
    p = Problem(
        week(days=2, periods=3, morning=3),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师"), Teacher("t3", "张老师"), Teacher("t4", "赵老师")],
        classes + teaching,
        [],
        [
            Lesson("p", "物理", ["phy"], ["t1"], count=2, block="选考A"),
            Lesson("h", "历史", ["his"], ["t2"], count=2, block="选考A"),
            Lesson("y1", "语文", ["c1"], ["t3"], count=2),
            Lesson("y2", "语文", ["c2"], ["t4"], count=2),
        ],
        weights=Weights(spread=0, daily_balance=0),
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    assert starts(s, "p") == starts(s, "h")
    # while the block runs no class has another lesson
    assert not set(starts(s, "p")) & set(starts(s, "y1") + starts(s, "y2"))


def test_combined_classes_lesson_blocks_both_classes():
    p = Problem(
        week(days=1, periods=3, morning=3),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师"), Teacher("t3", "张老师")],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [
            Lesson("pe", "体育", ["g1", "g2"], ["t1"]),  # 合班
            Lesson("a", "语文", ["g1"], ["t2"], fixed=[(0, 0)]),
            Lesson("b", "语文", ["g2"], ["t3"], fixed=[(0, 1)]),
        ],
    )
    s = solve(p, time_limit=5, workers=1)
    assert at(s, "pe") == (0, 2)


def test_teacher_unavailable_and_shared_between_schools():
    # the same teacher id teaches here; the other school's days are unavailable
    p = Problem(
        week(days=5, periods=2, morning=2),
        [Teacher("t1", "音乐刘老师", unavailable={(d, q) for d in (0, 1, 2) for q in range(2)})],
        [StudentGroup("g1", "初一(1)班")],
        [],
        [Lesson("m", "音乐", ["g1"], ["t1"], count=2)],
    )
    s = solve(p, time_limit=5, workers=1)
    assert {d for d, _ in starts(s, "m")} == {3, 4}


def test_room_type_and_capacity():
    rooms = [Room("lab1", "物理实验室1", type="物理实验室", capacity=50), Room("r1", "初一(1)班教室", capacity=50)]
    p = Problem(
        week(days=1, periods=2, morning=2),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        rooms,
        [
            Lesson("a", "物理", ["g1"], ["t1"], room_type="物理实验室", size=45),
            Lesson("b", "物理", ["g2"], ["t2"], room_type="物理实验室", size=45),
        ],
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    assert {pl.room_id for pl in s.placements} == {"lab1"}
    assert at(s, "a") != at(s, "b")  # only one lab: cannot run in parallel
    too_big = Problem(
        p.week, p.teachers, p.groups, rooms, [Lesson("c", "物理", ["g1"], ["t1"], room_type="物理实验室", size=60)]
    )
    (conflict,) = precheck(too_big)
    assert conflict.code == "no_room"
    assert "物理实验室" in conflict.message and "60" in conflict.message


def test_main_subject_goes_to_the_morning():
    p = Problem(
        week(days=1, periods=4, morning=2),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班")],
        [],
        [Lesson("math", "数学", ["g1"], ["t1"], main=True), Lesson("art", "美术", ["g1"], ["t2"])],
        weights=Weights(teacher_gaps=0, daily_balance=0),
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.status == "optimal"
    assert at(s, "math")[1] < 2
    assert s.soft_penalty == 0


def test_spread_over_the_week():
    p = Problem(
        week(days=5, periods=2, morning=1),
        [Teacher("t1", "王老师")],
        [StudentGroup("g1", "初一(1)班")],
        [],
        [Lesson("bio", "生物", ["g1"], ["t1"], count=2)],
        weights=Weights(daily_balance=0, teacher_gaps=0),
    )
    s = solve(p, time_limit=5, workers=1)
    days = sorted(d for d, _ in starts(s, "bio"))
    assert days[1] - days[0] >= 2  # not on consecutive days
    # the same lessons on Monday and Tuesday cost the spread weight once
    _hard, soft, _ = evaluate(p, [Placement("bio", 0, 0, 0), Placement("bio", 1, 1, 0)])
    assert soft == p.weights.spread


def test_precheck_messages_in_chinese():
    w = week(days=5, periods=4, morning=2)  # 20 slots
    teacher = Teacher("t1", "王老师")
    groups = [StudentGroup(f"g{i}", f"初二({i})班") for i in range(1, 7)]
    lessons = [Lesson(f"l{i}", "语文", [g.id], ["t1"], count=4, max_per_day=1) for i, g in enumerate(groups)]
    msgs = [c.message for c in precheck(Problem(w, [teacher], groups, [], lessons))]
    assert "王老师 需要 24 节，但只有 20 个可用时段" in msgs

    w7 = week(days=5, periods=7, morning=4)  # 35 slots
    g = StudentGroup("g3", "初二(3)班")
    subjects = ["语文", "数学", "英语", "物理", "化学", "历史", "地理", "生物"]
    heavy = [Lesson(f"s{i}", s, ["g3"], [f"t{i}"], count=5, max_per_day=2) for i, s in enumerate(subjects[:7])]
    heavy.append(Lesson("s7", "生物", ["g3"], ["t7"], count=3))
    teachers = [Teacher(f"t{i}", f"老师{i}") for i in range(8)]
    s = solve(Problem(w7, teachers, [g], [], heavy), time_limit=5)
    assert s.status == "infeasible"
    assert "初二(3)班 有 38 节课，但每周只有 35 个时段" in [c.message for c in s.conflicts]


def test_infeasible_core_names_the_conflicting_constraints():
    # no counting argument catches this: two lessons of 王老师 may only start in the same slot
    p = Problem(
        week(days=1, periods=3, morning=3),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [
            Lesson("a", "语文", ["g1"], ["t1"], allowed_starts={(0, 0)}),
            Lesson("b", "语文", ["g2"], ["t1"], allowed_starts={(0, 0)}),
            Lesson("c", "数学", ["g1"], ["t2"]),
        ],
    )
    assert precheck(p) == []
    s = solve(p, time_limit=5, workers=1)
    assert s.status == "infeasible"
    (conflict,) = s.conflicts
    assert conflict.code == "core"
    assert "王老师 同一时间只能上一节课" in conflict.message
    assert "只能排在指定时段" in conflict.message
    assert "李老师" not in conflict.message  # not part of the conflict
    assert explain(p, time_limit=5)[0].message == conflict.message


def test_evaluate_counts_violations_of_a_hand_broken_timetable():
    p = Problem(
        week(days=2, periods=2, morning=2),
        [Teacher("t1", "王老师", unavailable={(1, 1)})],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [Lesson("a", "语文", ["g1"], ["t1"], count=2), Lesson("b", "语文", ["g2"], ["t1"])],
    )
    good = [Placement("a", 0, 0, 0), Placement("a", 1, 1, 0), Placement("b", 0, 0, 1)]
    assert evaluate(p, good)[0] == 0
    broken = [Placement("a", 0, 0, 0), Placement("a", 1, 0, 1), Placement("b", 0, 0, 0)]
    hard, _soft, msgs = evaluate(p, broken)
    codes = sorted(m.code for m in msgs)
    # 王老师 has a and b at Monday 1st period; a twice on Monday
    assert codes == ["clash", "lesson_day"]
    assert hard == 2
    assert "王老师 在 周一第1节 同时有 2 节课" in msgs[0].message or any("同时有 2 节课" in m.message for m in msgs)
    missing = evaluate(p, good[:2])
    assert missing[0] == 1 and missing[2][0].code == "unplaced"
    unavailable = evaluate(p, [Placement("a", 0, 0, 0), Placement("a", 1, 1, 1), Placement("b", 0, 0, 1)])
    assert unavailable[0] == 1 and "王老师 不可用" in unavailable[2][0].message


def test_extras_min_days_and_consecutive():
    p = Problem(
        week(days=3, periods=2, morning=2),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班")],
        [],
        [Lesson("a", "语文", ["g1"], ["t1"]), Lesson("b", "语文", ["g1"], ["t1"]), Lesson("c", "数学", ["g1"], ["t2"])],
        extras=[Extra("min_days", [("a", 0), ("b", 0)], value=2), Extra("consecutive", [("b", 0), ("c", 0)])],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    assert abs(at(s, "a")[0] - at(s, "b")[0]) >= 2
    bd, bp = at(s, "b")
    assert at(s, "c") == (bd, bp + 1)


def test_same_seed_gives_the_same_timetable_and_progress_is_reported():
    teachers = [Teacher(f"t{i}", f"老师{i}") for i in range(4)]
    groups = [StudentGroup(f"g{i}", f"初一({i})班") for i in range(3)]
    lessons = [Lesson(f"l{g}{t}", f"科目{t}", [f"g{g}"], [f"t{t}"], count=2) for g in range(3) for t in range(4)]
    p = Problem(week(days=5, periods=4, morning=2), teachers, groups, [], lessons)
    seen = []
    a = solve(p, time_limit=5, seed=7, workers=1, progress=seen.append)
    b = solve(p, time_limit=5, seed=7, workers=1)
    assert a.hard_violations == 0
    assert [(x.lesson_id, x.index, x.day, x.period) for x in a.placements] == [
        (x.lesson_id, x.index, x.day, x.period) for x in b.placements
    ]
    assert seen and seen[-1]["placed"] == seen[-1]["total"] == 24
    assert seen[-1]["objective"] == a.soft_penalty  # the solver's objective matches evaluate()


def test_hint_is_accepted():
    p = Problem(
        week(days=1, periods=2, morning=2),
        [Teacher("t1", "王老师")],
        [StudentGroup("g1", "初一(1)班")],
        [],
        [Lesson("a", "语文", ["g1"], ["t1"]), Lesson("b", "美术", ["g1"], ["t1"])],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1, hint=[Placement("a", 0, 0, 1), Placement("b", 0, 0, 0)])
    assert s.hard_violations == 0 and at(s, "a") == (0, 1)


def test_students_start_at_the_first_period_without_gaps():
    # FET's "max 0 gaps" + "no beginning at the second hour": each day is one block from the first period
    p = Problem(
        week(days=1, periods=5, morning=5, blocked={(0, 1)}),  # period 2 is a break (no lesson, no gap)
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "5a", early_start=True, max_gaps_per_week=0)],
        [],
        [
            Lesson("a", "数学", ["g1"], ["t1"], allowed_starts={(0, 2), (0, 3), (0, 4)}),
            Lesson("b", "语文", ["g1"], ["t2"]),
        ],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    assert sorted([at(s, "a"), at(s, "b")]) == [(0, 0), (0, 2)]
    hard, _soft, msgs = evaluate(p, [Placement("a", 0, 0, 3), Placement("b", 0, 0, 0)])
    assert hard == 1 and "空堂" in msgs[0].message
    hard, _soft, msgs = evaluate(p, [Placement("a", 0, 0, 3), Placement("b", 0, 0, 2)])
    assert hard == 1 and "没有从第1节开始上课" in msgs[0].message


def test_teacher_gap_and_day_limits():
    p = Problem(
        week(days=2, periods=4, morning=4),
        [Teacher("t1", "王老师", max_gaps_per_week=0, max_days=1)],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [
            Lesson("a", "语文", ["g1"], ["t1"], allowed_starts={(0, 0), (1, 0)}),
            Lesson("b", "语文", ["g2"], ["t1"], allowed_starts={(0, 2), (0, 3), (1, 1), (1, 3)}),
        ],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    # one day only, no idle period between the two lessons
    assert at(s, "a")[0] == at(s, "b")[0]
    assert at(s, "b")[1] - at(s, "a")[1] == 1


def test_rooms_of_one_type_are_shared_out():
    rooms = [Room(f"lab{i}", f"化学实验室{i}", type="化学实验室") for i in (1, 2)]
    groups = [StudentGroup(f"g{i}", f"初三({i})班") for i in (1, 2, 3)]
    p = Problem(
        week(days=1, periods=2, morning=2),
        [Teacher(f"t{i}", f"老师{i}") for i in (1, 2, 3)],
        groups,
        rooms,
        [Lesson(f"c{i}", "化学", [f"g{i}"], [f"t{i}"], room_type="化学实验室") for i in (1, 2, 3)],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    by_slot: dict = {}
    for pl in s.placements:
        by_slot.setdefault((pl.day, pl.period), []).append(pl.room_id)
    # three lessons, two labs: never more than two at once, never the same lab twice
    assert all(len(r) == len(set(r)) <= 2 and None not in r for r in by_slot.values())
    hard, _soft, msgs = evaluate(
        p, [Placement("c1", 0, 0, 0, "lab1"), Placement("c2", 0, 0, 0, "lab1"), Placement("c3", 0, 0, 1, "lab2")]
    )
    assert hard == 1 and msgs[0].code == "room_clash"


def test_large_problem_with_gap_limits_uses_the_repair_phase():
    # 300 occurrences: solved in two phases; the gap/early-start limits are first penalties driven to 0
    groups = [StudentGroup(f"g{i}", f"5{chr(97 + i)}", early_start=True, max_gaps_per_week=0) for i in range(10)]
    teachers = [Teacher(f"t{i}{j}", f"老师{i}{j}") for i in range(10) for j in range(6)]
    lessons = [Lesson(f"l{i}{j}", f"科目{j}", [f"g{i}"], [f"t{i}{j}"], count=5) for i in range(10) for j in range(6)]
    p = Problem(week(days=5, periods=8, morning=4), teachers, groups, [], lessons, native_soft=False)
    s = solve(p, time_limit=30, workers=2)
    assert s.hard_violations == 0 and s.status in ("optimal", "feasible")
    assert "phase1_seconds" in s.stats
    for g in groups:
        for d in range(5):
            periods = sorted(
                pl.period for pl in s.placements if pl.lesson_id.startswith(f"l{g.id[1:]}") and pl.day == d
            )
            assert periods == list(range(len(periods)))  # from the first period, no gap


def test_soft_same_start_costs_per_pair_apart():
    p = Problem(
        week(days=1, periods=3, morning=3),
        [Teacher(f"t{i}", f"老师{i}") for i in range(3)],
        [],
        [],
        [Lesson(f"m{i}", "教研", [], [f"t{i}"], allowed_starts={(0, i), (0, 2)} if i < 2 else None) for i in range(3)],
        extras=[Extra("same_start", [("m0", 0), ("m1", 0), ("m2", 0)], weight=99)],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert {at(s, f"m{i}") for i in range(3)} == {(0, 2)} and s.soft_penalty == 0
    _h, soft, _m = evaluate(p, [Placement("m0", 0, 0, 0), Placement("m1", 0, 0, 1), Placement("m2", 0, 0, 1)])
    assert soft == 1.98  # m0-m1 and m0-m2 apart, 0.99 each


def test_min_days_consecutive_if_same_day():
    # three lessons of a subject on two days: two must share a day, and then they are back to back
    lessons = [Lesson(f"m{i}", "数学", ["g1"], ["t1"]) for i in range(3)]
    fillers = [Lesson("f", "自习", ["g1"], ["t2"], count=3, max_per_day=3)]
    p = Problem(
        week(days=2, periods=3, morning=3),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班")],
        [],
        lessons + fillers,
        extras=[Extra("min_days", [(f"m{i}", 0) for i in range(3)], weight=95, consecutive_if_same_day=True)],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.hard_violations == 0
    days: dict = {}
    for i in range(3):
        d, period = at(s, f"m{i}")
        days.setdefault(d, []).append(period)
    pair = next(sorted(v) for v in days.values() if len(v) == 2)
    assert pair[1] - pair[0] == 1
    assert s.soft_penalty == 0.95  # one pair on the same day
    # by hand: the two on one day with a lesson between them is a hard violation
    bad = [Placement("m0", 0, 0, 0), Placement("m1", 0, 0, 2), Placement("m2", 0, 1, 0)]
    bad += [Placement("f", 0, 0, 1), Placement("f", 1, 1, 1), Placement("f", 2, 1, 2)]
    hard, _soft, msgs = evaluate(p, bad)
    assert hard == 1 and "连排" in msgs[0].message


def _full_school():
    """4 classes × 6 subjects, 5 days × 6 periods, every period taught; each teacher has one
    subject in two classes. Returns the problem and a known timetable; every teacher's gap
    limit is what that known timetable needs, so the problem is feasible but tight."""
    D, P = 5, 6
    known = []
    lessons = {}
    for i in range(4):
        for d in range(D):
            for p in range(P):
                k = (p + d + i) % 6
                lid = f"c{i}-s{k}"
                lessons.setdefault(lid, Lesson(lid, f"科目{k}", [f"g{i}"], [f"t{k}-{i // 2}"], count=5))
                known.append((lid, d, p))
    index: dict = {}
    placements = []
    for lid, d, p in sorted(known):
        placements.append(Placement(lid, index.setdefault(lid, 0), d, p))
        index[lid] += 1
    gaps: dict = {}
    for tid in {t for lesson in lessons.values() for t in lesson.teachers}:
        total = 0
        for d in range(D):
            ps = sorted(p for lid, dd, p in known if dd == d and tid in lessons[lid].teachers)
            total += ps[-1] - ps[0] + 1 - len(ps) if ps else 0
        gaps[tid] = total
    teachers = [Teacher(t, f"老师{t}", max_gaps_per_week=g) for t, g in sorted(gaps.items())]
    groups = [StudentGroup(f"g{i}", f"{i + 1}班", early_start=True, max_gaps_per_week=0) for i in range(4)]
    problem = Problem(
        week(days=D, periods=P, morning=4), teachers, groups, [], list(lessons.values()), native_soft=False
    )
    return problem, placements


def test_full_school_with_tight_teacher_gaps_is_solved():
    problem, known = _full_school()
    assert evaluate(problem, known)[0] == 0
    s = solve(problem, time_limit=30, workers=2, seed=1)
    assert s.solved, s.conflicts
    assert evaluate(problem, s.placements)[0] == 0


def test_repair_fixes_broken_gap_limits_of_a_given_timetable():
    from timetable.engine.compile import Compiled
    from timetable.engine.solver import _Builder, _repair

    problem, known = _full_school()
    # class 3 days rotated by three: still clash-free, but their teachers now wait between lessons
    shifted = [
        Placement(pl.lesson_id, pl.index, (pl.day + 3) % 5 if pl.lesson_id[1] == "3" else pl.day, pl.period)
        for pl in known
    ]
    # occurrences of one lesson are interchangeable; the solver numbers them in time order
    by_lesson: dict = {}
    for pl in sorted(shifted, key=lambda pl: (pl.lesson_id, pl.day, pl.period)):
        pl.index = len(by_lesson.setdefault(pl.lesson_id, []))
        by_lesson[pl.lesson_id].append(pl)
    hard_before, _s, msgs = evaluate(problem, shifted)
    assert hard_before > 0 and all(m.code == "gaps" for m in msgs)
    compiled = Compiled(problem)
    builder = _Builder(compiled, with_soft=False, relax=True)
    builder.build()
    builder.m.minimize(sum(builder.relax_vars))
    start_of = {(pl.lesson_id, pl.index): compiled.t((pl.day, pl.period)) for pl in shifted}
    start = {occ.vk: start_of[occ.key] for occ in compiled.occs}
    # violation counts of the start as the relaxed model sees them
    from ortools.sat.python import cp_model

    fixed = builder.m.clone()
    for vk, s in start.items():
        fixed.add(fixed.get_bool_var_from_proto_index(builder.x[vk][s].index) == 1)
    solver = cp_model.CpSolver()
    solver.Solve(fixed)
    values = [solver.Value(fixed.get_int_var_from_proto_index(v.index)) for v in builder.relax_vars]
    assert sum(values) > 0
    import time as _time

    assign, left = _repair(compiled, builder, start, values, _time.monotonic() + 30, 0, 2)
    assert left == 0
    placements = [Placement(occ.key[0], occ.key[1], *compiled.slot(assign[occ.vk])) for occ in compiled.occs]
    assert evaluate(problem, placements)[0] == 0


def test_teacher_min_hours_on_a_working_day_and_max_in_a_row():
    # 王老师 teaches 4 classes once; on a day she comes she has at least 2 lessons, never more than 2 in a row
    groups = [StudentGroup(f"g{i}", f"初一({i})班") for i in range(4)]
    days_of = [{0}, {0, 1}, {1, 2}, {0, 1, 2}]
    lessons = [
        Lesson(f"l{i}", "语文", [f"g{i}"], ["t1"], allowed_starts={(d, q) for d in days for q in range(4)})
        for i, days in enumerate(days_of)
    ]
    p = Problem(
        week(days=3, periods=4, morning=4),
        [Teacher("t1", "王老师", min_per_day=2, max_consecutive_hard=2)],
        groups,
        [],
        lessons,
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.solved
    per_day: dict = {}
    for i in range(4):
        d, q = at(s, f"l{i}")
        per_day.setdefault(d, []).append(q)
    assert sorted(len(v) for v in per_day.values()) == [2, 2], per_day
    # by hand: one lesson on day 2 is too few; three in a row on day 0 are too many
    hard, _soft, msgs = evaluate(
        p, [Placement("l0", 0, 0, 0), Placement("l1", 0, 0, 1), Placement("l3", 0, 0, 2), Placement("l2", 0, 2, 0)]
    )
    codes = [m.code for m in msgs]
    assert hard == 2 and codes.count("day_minimum") == 1 and codes.count("consecutive") == 1
    assert any("只有 1 节，少于每天至少 2 节" in m.message for m in msgs)
    assert any("连续上课超过 2 节" in m.message for m in msgs)


def test_students_min_hours_every_day():
    # 6 lessons on 3 days, at least 2 a day with no empty day: 语文 (days 1–2 only, 2 a day at most) fills two
    # days, so both 数学 go to the third
    p = Problem(
        week(days=3, periods=4, morning=4),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班", min_per_day=2, min_every_day=True)],
        [],
        [
            Lesson(
                "a",
                "语文",
                ["g1"],
                ["t1"],
                count=4,
                max_per_day=2,
                allowed_starts={(d, q) for d in (0, 1) for q in range(4)},
            ),
            Lesson("b", "数学", ["g1"], ["t2"], count=2, max_per_day=2),
        ],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.solved
    days = [pl.day for pl in s.placements]
    assert [days.count(d) for d in range(3)] == [2, 2, 2]
    assert [at(s, "b", i)[0] for i in range(2)] == [2, 2]
    hard, _soft, msgs = evaluate(
        p, [pl for pl in s.placements if pl.lesson_id == "a"] + [Placement("b", 0, 0, 2), Placement("b", 1, 0, 3)]
    )
    assert hard == 2 and msgs[0].code == "day_minimum" and "周三 只有 0 节" in msgs[0].message
    # three a day cannot be met: 语文 leaves the third day to 数学 alone
    p.groups[0].min_per_day = 3
    assert not solve(p, time_limit=5, workers=1).solved


def test_two_activities_grouped_in_either_order():
    p = Problem(
        week(days=2, periods=4, morning=4),
        [Teacher("t1", "王老师"), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [
            Lesson("lab", "物理实验", ["g1"], ["t1"], allowed_starts={(1, 2)}),
            Lesson("talk", "物理", ["g1"], ["t2"]),
            # 李老师 is busy in the period after the lab: the grouped lesson must come before it
            Lesson("other", "物理", ["g2"], ["t2"], allowed_starts={(1, 3)}),
        ],
        extras=[Extra("grouped", [("lab", 0), ("talk", 0)], label="实验课与讲授课须连排")],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.solved and at(s, "talk") == (1, 1)
    hard, _soft, msgs = evaluate(
        p, [Placement("lab", 0, 1, 2), Placement("talk", 0, 0, 0), Placement("other", 0, 1, 3)]
    )
    assert hard == 1 and "实验课与讲授课须连排" in msgs[0].message


def test_same_day_and_ends_the_students_day():
    p = Problem(
        week(days=3, periods=4, morning=4),
        [Teacher("t1", "王老师", unavailable={(0, q) for q in range(4)}), Teacher("t2", "李老师")],
        [StudentGroup("g1", "初一(1)班"), StudentGroup("g2", "初一(2)班")],
        [],
        [
            Lesson("a", "语文", ["g1"], ["t1"]),
            # 李老师's lesson goes with 王老师's to the same day, so not Monday
            Lesson("b", "数学", ["g2"], ["t2"]),
            # the class meeting ends class 1's day, whatever else it has that day
            Lesson("meet", "班会", ["g1"], ["t2"]),
            Lesson("c", "英语", ["g1"], ["t2"], count=3, max_per_day=3),
        ],
        extras=[
            Extra("same_day", [("a", 0), ("b", 0)], label="语文与数学同一天"),
            Extra("ends_day", [("meet", 0)], label="班会须是当天最后一节"),
        ],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.solved
    assert at(s, "a")[0] == at(s, "b")[0] != 0
    day, period = at(s, "meet")
    later = [pl for pl in s.placements if pl.lesson_id in ("a", "c") and pl.day == day and pl.period > period]
    assert later == []
    bad = [
        Placement("a", 0, 1, 0),
        Placement("b", 0, 2, 0),
        Placement("meet", 0, 1, 1),
        Placement("c", 0, 1, 2),
        Placement("c", 1, 2, 1),
        Placement("c", 2, 2, 2),
    ]
    hard, _soft, msgs = evaluate(p, bad)
    assert hard == 2 and {m.message for m in msgs} == {"语文与数学同一天 未满足", "班会须是当天最后一节 未满足"}


def test_activities_occupy_at_most_n_of_the_selected_slots():
    # four independent lessons on Monday; of Monday's four periods they may occupy only two (FET "occupy max time
    # slots from selection", e.g. to keep the other periods free for a school-wide activity)
    monday = {(0, q) for q in range(4)}
    lessons = [Lesson(f"l{i}", "选修", [f"g{i}"], [f"t{i}"], allowed_starts=set(monday) | {(1, 0)}) for i in range(4)]
    p = Problem(
        week(days=2, periods=4, morning=4),
        [Teacher(f"t{i}", f"老师{i}") for i in range(4)],
        [StudentGroup(f"g{i}", f"{i}班") for i in range(4)],
        [],
        lessons,
        extras=[Extra("occupy_max", [(f"l{i}", 0) for i in range(4)], value=2, slots=monday, label="周一最多占两节")],
        native_soft=False,
    )
    s = solve(p, time_limit=5, workers=1)
    assert s.solved
    occupied = {(pl.day, pl.period) for pl in s.placements} & monday
    assert len(occupied) <= 2
    hard, _soft, msgs = evaluate(p, [Placement(f"l{i}", 0, 0, i) for i in range(4)])
    assert hard == 2 and msgs[0].message == "周一最多占两节 未满足"
