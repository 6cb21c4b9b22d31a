"""Fast checks before solving: counting arguments that prove a problem infeasible,
worded in Chinese for the 教务."""

from __future__ import annotations

from collections import defaultdict

from .compile import Compiled, Resource
from .model import Conflict, Problem


def precheck(problem: Problem) -> list[Conflict]:
    return precheck_compiled(Compiled(problem))


def _capacity(c: Compiled, unavailable: set, max_per_day: int | None, max_days: int | None) -> int:
    per_day = []
    for d in range(c.D):
        free = sum(1 for p in range(c.P) if d * c.P + p not in c.blocked and (d, p) not in unavailable)
        per_day.append(min(free, max_per_day) if max_per_day is not None else free)
    per_day.sort(reverse=True)
    if max_days is not None:
        per_day = per_day[:max_days]
    return sum(per_day)


def _demand(res: Resource) -> int:
    seen = set()
    total = 0
    for occ in res.occs:
        if res.dedupe:
            if occ.vk in seen:
                continue
            seen.add(occ.vk)
        total += max(1, occ.lesson.duration)
    return total


def precheck_compiled(c: Compiled) -> list[Conflict]:
    out: list[Conflict] = [Conflict(code, msg, subjects) for code, msg, subjects in c.issues]
    reported = {s for _code, _msg, subjects in c.issues for s in subjects}
    # lessons that cannot go anywhere / have no room
    for occ in c.occs:
        lesson = occ.lesson
        if lesson.id in reported:
            continue
        if occ.rooms is not None and not occ.rooms:
            need = f"{lesson.room_type}" if lesson.room_type else "指定教室"
            size = f"（至少容纳 {lesson.size} 人）" if lesson.size else ""
            out.append(
                Conflict("no_room", f"{c.lesson_name(lesson)} 需要{need}{size}，但没有符合条件的教室", [lesson.id])
            )
            reported.add(lesson.id)
        elif not occ.starts:
            out.append(
                Conflict(
                    "no_slot",
                    f"{c.lesson_name(lesson)} 没有可排的时段（请检查教师/班级不可用时段、指定时段、连堂与午休）",
                    [lesson.id],
                )
            )
            reported.add(lesson.id)
        if lesson.count > c.D * max(1, lesson.max_per_day) and lesson.id not in reported:
            out.append(
                Conflict(
                    "lesson_days",
                    f"{c.lesson_name(lesson)} 每周 {lesson.count} 次、每天最多 {lesson.max_per_day} 次，但一周只有 {c.D} 天",
                    [lesson.id],
                )
            )
            reported.add(lesson.id)
    # block: a teacher or a class in two parallel lessons
    blocks: dict[str, list] = defaultdict(list)
    for lesson in c.problem.lessons:
        if lesson.block:
            blocks[lesson.block].append(lesson)
    for block, members in blocks.items():
        for attr, name_of, what in (("teachers", c.teacher_name, "老师"), ("groups", c.group_name, "班级")):
            count: dict[str, int] = defaultdict(int)
            for lesson in members:
                for x in getattr(lesson, attr):
                    count[x] += 1
            for x, n in count.items():
                if n > 1:
                    out.append(
                        Conflict(
                            "block_clash",
                            f"走班组 {block} 的课同时上，但{what} {name_of(x)} 在其中有 {n} 节课",
                            [x],
                        )
                    )
    # demand vs available slots
    for res in c.resources:
        demand = _demand(res)
        if res.kind == "teacher":
            t = c.teachers.get(res.id)
            cap = _capacity(c, t.unavailable if t else set(), t.max_per_day if t else None, t.max_days if t else None)
            if demand > cap:
                out.append(Conflict("teacher_hours", f"{res.name} 需要 {demand} 节，但只有 {cap} 个可用时段", [res.id]))
        elif res.kind == "group":
            g = c.groups.get(res.id)
            cap = _capacity(c, g.unavailable if g else set(), g.max_per_day if g else None, None)
            if demand > cap:
                out.append(Conflict("group_hours", f"{res.name} 有 {demand} 节课，但每周只有 {cap} 个时段", [res.id]))
    # rooms: lessons that can only use a set of rooms vs the free room-slots of that set
    sets: dict[frozenset, list] = defaultdict(list)
    for occ in c.occs:
        if occ.rooms:
            sets[frozenset(occ.rooms)].append(occ)
    for rset in sets:
        demand = sum(max(1, o.lesson.duration) for s, occs in sets.items() if s <= rset for o in occs)
        cap = sum(_capacity(c, c.rooms[r].unavailable, None, None) for r in rset)
        if demand > cap:
            types = sorted({c.rooms[r].type for r in rset})
            names = "、".join(sorted(c.rooms[r].name for r in rset))
            label = f"{'/'.join(types)}（{names}）" if len(rset) > 1 else names
            out.append(Conflict("room_hours", f"{label} 需要 {demand} 节，但只有 {cap} 个可用时段", sorted(rset)))
    # fixed lessons on top of each other
    for res in c.resources:
        taken: dict[int, list] = defaultdict(list)
        seen = set()
        for occ in res.occs:
            if occ.fixed is None or (res.dedupe and occ.vk in seen):
                continue
            seen.add(occ.vk)
            for t in c.cover(occ.lesson, occ.fixed):
                taken[t].append(occ)
        for t, occs in sorted(taken.items()):
            if len(occs) > 1:
                names = "、".join(c.lesson_name(o.lesson) for o in occs)
                out.append(Conflict("fixed_clash", f"{res.name} 在 {c.slot_name(t)} 有多节固定课：{names}", [res.id]))
    return out
