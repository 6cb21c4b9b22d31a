"""Check any list of placements: hard violations, soft penalty and Chinese messages.

Used after solving, for a hand-edited timetable and by the product for instant
conflict highlighting. Mirrors the costs of the CP-SAT model (solver.py).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from .compile import Compiled, Occ
from .model import Conflict, Placement, Problem

MAX_MESSAGES = 200


def evaluate(problem: Problem, placements: list[Placement]) -> tuple[int, float, list[Conflict]]:
    return evaluate_compiled(Compiled(problem), placements)


def _gaps(busy: list[bool], blocked: list[bool]) -> int:
    idx = [i for i, b in enumerate(busy) if b]
    if not idx:
        return 0
    return sum(1 for i in range(idx[0] + 1, idx[-1]) if not busy[i] and not blocked[i])


def evaluate_compiled(c: Compiled, placements: list[Placement]) -> tuple[int, float, list[Conflict]]:
    p = c.problem
    w = p.weights
    P, D = c.P, c.D
    hard = 0
    soft = 0.0
    msgs: list[Conflict] = []

    def bad(code: str, message: str, subjects: list[str] | None = None, n: int = 1) -> None:
        nonlocal hard
        hard += n
        if len(msgs) < MAX_MESSAGES:
            msgs.append(Conflict(code, message, subjects or []))

    start_of: dict[tuple[str, int], int] = {}
    room_of: dict[tuple[str, int], str | None] = {}
    for pl in placements:
        key = (pl.lesson_id, pl.index)
        occ = c.by_key.get(key)
        if occ is None:
            bad("unknown", f"未知的课程安排 {pl.lesson_id}#{pl.index + 1}", [pl.lesson_id])
            continue
        if key in start_of:
            bad("duplicate", f"{c.lesson_name(occ.lesson)} 第 {pl.index + 1} 次被安排了两次", [pl.lesson_id])
            continue
        if not (0 <= pl.day < D and 0 <= pl.period < P):
            bad("outside", f"{c.lesson_name(occ.lesson)} 排在了一周之外", [pl.lesson_id])
            continue
        start_of[key] = c.t((pl.day, pl.period))
        room_of[key] = pl.room_id
    placed: list[tuple[Occ, int]] = []
    for occ in c.occs:
        s = start_of.get(occ.key)
        if s is None:
            bad("unplaced", f"{c.lesson_name(occ.lesson)} 第 {occ.index + 1} 次未排", [occ.lesson.id])
            continue
        placed.append((occ, s))
        lesson = occ.lesson
        name = c.lesson_name(lesson)
        if not c.geometry_ok(lesson, s):
            bad("geometry", f"{name} 在 {c.slot_name(s)} 超出一天、跨午休/课间或落在停课时段", [lesson.id])
        why = c.unavailable_for(lesson, s)
        if why:
            bad("unavailable", f"{name} 排在 {c.slot_name(s)}，但{why}", [lesson.id])
        if lesson.allowed_starts is not None and c.slot(s) not in lesson.allowed_starts:
            bad("not_allowed", f"{name} 只能排在指定时段，{c.slot_name(s)} 不在其中", [lesson.id])
        if occ.fixed is not None and s != occ.fixed:
            bad("fixed_moved", f"{name} 固定在 {c.slot_name(occ.fixed)}，却排在了 {c.slot_name(s)}", [lesson.id])
        if occ.rooms is not None:
            room = room_of.get(occ.key)
            if not room:
                bad("no_room", f"{name} 在 {c.slot_name(s)} 没有教室", [lesson.id])
            elif room not in occ.rooms:
                bad("wrong_room", f"{name} 不能安排在 {c.rooms[room].name if room in c.rooms else room}", [lesson.id])
            elif not c.room_free(room, lesson, s):
                bad("room_unavailable", f"{c.rooms[room].name} 在 {c.slot_name(s)} 不可用", [room])

    # clashes and per-resource limits
    occupancy: dict[tuple[str, str], list[bool]] = {}
    for res in c.resources:
        cover: dict[int, list[Occ]] = defaultdict(list)
        seen = set()
        for occ in res.occs:
            s = start_of.get(occ.key)
            if s is None:
                continue
            if res.dedupe:
                if (occ.vk, s) in seen:
                    continue
                seen.add((occ.vk, s))
            for t in c.cover(occ.lesson, s):
                if t < c.T:
                    cover[t].append(occ)
        for t, occs in sorted(cover.items()):
            if len(occs) > 1:
                names = "、".join(c.lesson_name(o.lesson) for o in occs)
                bad(
                    "clash", f"{res.name} 在 {c.slot_name(t)} 同时有 {len(occs)} 节课：{names}", [res.id], len(occs) - 1
                )
        busy = [bool(cover.get(t)) for t in range(c.T)]
        occupancy[(res.kind, res.id)] = busy
        limits = holder = None
        if res.kind == "teacher" and res.id in c.teachers:
            holder = t = c.teachers[res.id]
            limits = (t.max_per_day, t.max_days, t.max_gaps_per_week, t.max_gaps_per_day, False)
        elif res.kind == "group" and res.id in c.groups:
            holder = g = c.groups[res.id]
            limits = (g.max_per_day, None, g.max_gaps_per_week, None, g.early_start)
        if limits is None:
            continue
        max_per_day, max_days, gaps_week, gaps_day, early = limits
        loads = [sum(busy[d * P : d * P + P]) for d in range(D)]
        blocked = [t in c.blocked for t in range(c.T)]
        if max_per_day is not None:
            for d, load in enumerate(loads):
                if load > max_per_day:
                    bad(
                        "day_limit",
                        f"{res.name} {p.week.day_name(d)} 有 {load} 节，超过每天 {max_per_day} 节",
                        [res.id],
                        load - max_per_day,
                    )
        if max_days is not None:
            days = sum(1 for load in loads if load)
            if days > max_days:
                bad("days_limit", f"{res.name} 上课 {days} 天，超过每周 {max_days} 天", [res.id], days - max_days)
        if holder.min_per_day:
            for d, load in enumerate(loads):
                if (load or holder.min_every_day) and load < holder.min_per_day:
                    bad(
                        "day_minimum",
                        f"{res.name} {p.week.day_name(d)} 只有 {load} 节，少于每天至少 {holder.min_per_day} 节",
                        [res.id],
                        holder.min_per_day - load,
                    )
        k = getattr(holder, "max_consecutive_hard", None)
        if k:
            for d in range(D):
                run = 0
                for q in range(P):
                    run = run + 1 if busy[d * P + q] else 0
                    if run == k + 1:
                        bad("consecutive", f"{res.name} {p.week.day_name(d)} 连续上课超过 {k} 节", [res.id])
        day_gaps = [_gaps(busy[d * P : d * P + P], blocked[d * P : d * P + P]) for d in range(D)]
        if gaps_day is not None:
            for d, gaps in enumerate(day_gaps):
                if gaps > gaps_day:
                    bad("gaps", f"{res.name} {p.week.day_name(d)} 有 {gaps} 个空堂，超过 {gaps_day} 个", [res.id])
        if gaps_week is not None and sum(day_gaps) > gaps_week:
            bad("gaps", f"{res.name} 每周有 {sum(day_gaps)} 个空堂，超过 {gaps_week} 个", [res.id])
        if early:
            for d in range(D):
                first = next((d * P + q for q in range(P) if d * P + q not in c.blocked), None)
                if loads[d] and first is not None and not busy[first]:
                    bad("early", f"{res.name} {p.week.day_name(d)} 没有从第1节开始上课", [res.id])
        if p.native_soft and res.kind == "teacher":
            t = c.teachers[res.id]
            soft += w.teacher_gaps * sum(day_gaps)
            if t.max_consecutive:
                k = t.max_consecutive
                for d in range(D):
                    for st in range(P - k):
                        if all(busy[d * P + st : d * P + st + k + 1]):
                            soft += w.teacher_consecutive
            for slot in t.preferred_off:
                if 0 <= slot[0] < D and 0 <= slot[1] < P:
                    for occ in res.occs:
                        s = start_of.get(occ.key)
                        if s is not None and c.t(slot) in c.cover(occ.lesson, s):
                            soft += w.preferences
        if p.native_soft and res.kind == "group":
            free_days = [d for d in range(D) if any(d * P + q not in c.blocked for q in range(P))]
            if len(free_days) > 1:
                day_loads = [loads[d] for d in free_days]
                soft += w.daily_balance * (max(day_loads) - min(day_loads))

    # rooms
    room_cover: dict[tuple[str, int], list[Occ]] = defaultdict(list)
    for occ, s in placed:
        room = room_of.get(occ.key)
        if occ.rooms is not None and room:
            for t in c.cover(occ.lesson, s):
                room_cover[(room, t)].append(occ)
    for (room, t), occs in sorted(room_cover.items()):
        if len(occs) > 1:
            rname = c.rooms[room].name if room in c.rooms else room
            bad("room_clash", f"{rname} 在 {c.slot_name(t)} 同时有 {len(occs)} 节课", [room], len(occs) - 1)

    # per lesson: days, blocks, soft spread
    by_lesson: dict[str, list[tuple[Occ, int]]] = defaultdict(list)
    for occ, s in placed:
        by_lesson[occ.lesson.id].append((occ, s))
    for lid, items in by_lesson.items():
        lesson = c.lessons[lid]
        per_day = [0] * D
        for _occ, s in items:
            per_day[s // P] += 1
        for d, n in enumerate(per_day):
            if n > lesson.max_per_day:
                bad(
                    "lesson_day",
                    f"{c.lesson_name(lesson)} {p.week.day_name(d)} 排了 {n} 次，超过每天 {lesson.max_per_day} 次",
                    [lid],
                    n - lesson.max_per_day,
                )
        if not p.native_soft:
            continue
        if lesson.max_per_day > 1:
            soft += w.twice_a_day * sum(max(0, n - 1) for n in per_day)
        if lesson.count >= 2 and lesson.count <= (D + 1) // 2:
            soft += w.spread * sum(1 for d in range(D - 1) if per_day[d] and per_day[d + 1])
        for _occ, s in items:
            if lesson.main and 0 < p.week.morning < P and s % P >= p.week.morning:
                soft += w.main_morning
            if lesson.preferred_starts is not None and c.slot(s) not in lesson.preferred_starts:
                soft += w.preferences
    vk_starts: dict[tuple, set[int]] = defaultdict(set)
    for occ, s in placed:
        if occ.vk[0] == "b":
            vk_starts[occ.vk].add(s)
    for vk, starts in vk_starts.items():
        if len(starts) > 1:
            bad("block", f"走班组 {vk[1]} 第 {vk[2] + 1} 次课没有同时上", [str(vk[1])], len(starts) - 1)

    # extras
    for extra in p.extras:
        items = [(c.by_key[k], start_of[k]) for k in extra.occurrences if k in start_of and k in c.by_key]
        if len(items) < extra.min_occurrences:
            continue
        label = extra.label or extra.kind
        violations = 0
        if extra.kind == "min_days":
            if extra.consecutive_if_same_day:
                apart = sum(
                    1
                    for (a, sa), (b, sb) in itertools.combinations(items, 2)
                    if sa // P == sb // P
                    and sa + max(1, a.lesson.duration) != sb
                    and sb + max(1, b.lesson.duration) != sa
                )
                if apart:
                    bad("extra", f"{label}：排在同一天时须连排", [], apart)
            if extra.value <= 1:
                per_day = defaultdict(int)
                for _o, s in items:
                    per_day[s // P] += 1
                violations = sum(max(0, n - 1) for n in per_day.values())
            else:
                for i in range(len(items)):
                    for j in range(i + 1, len(items)):
                        if abs(items[i][1] // P - items[j][1] // P) < extra.value:
                            violations += 1
        elif extra.kind == "same_start":
            violations = sum(
                1 for i in range(len(items)) for j in range(i + 1, len(items)) if items[i][1] != items[j][1]
            )
        elif extra.kind == "consecutive":
            (a, sa), (_b, sb) = items[0], items[1]
            if not (sa // P == sb // P and sa + max(1, a.lesson.duration) == sb):
                violations = 1
        elif extra.kind == "occupy_max":
            selected = {c.t(sl) for sl in extra.slots if 0 <= sl[0] < D and 0 <= sl[1] < P}
            occupied = {t for o, s in items for t in c.cover(o.lesson, s) if t in selected}
            violations = max(0, len(occupied) - extra.value)
        elif extra.kind == "same_day":
            violations = sum(1 for _o, s in items[1:] if s // P != items[0][1] // P)
        elif extra.kind == "ends_day":
            for occ, s in items:
                mine = set(occ.lesson.groups)
                end = s + max(1, occ.lesson.duration)
                violations += sum(
                    1
                    for o, t in placed
                    if o.vk != occ.vk and mine & set(o.lesson.groups) and t // P == s // P and t >= end
                )
        elif extra.kind == "grouped":
            (a, sa), (b, sb) = items[0], items[1]
            if not (
                sa // P == sb // P and (sa + max(1, a.lesson.duration) == sb or sb + max(1, b.lesson.duration) == sa)
            ):
                violations = 1
        elif extra.kind == "order":
            violations = sum(1 for x, y in itertools.pairwise(items) if not x[1] < y[1])
            continue  # symmetry only: any order is an equally good timetable
        if not violations:
            continue
        if extra.hard:
            bad("extra", f"{label} 未满足", [], violations)
        else:
            soft += violations * extra.weight / 100
    return hard, round(soft, 4), msgs
