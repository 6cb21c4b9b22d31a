"""Pre-processing shared by the solver, evaluate() and precheck().

Turns a :class:`Problem` into occurrences with their allowed start slots, the
resources that must not clash, and the candidate rooms of every lesson. Slots are
handled as integers ``t = day * periods + period`` internally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Lesson, Problem, Slot


@dataclass
class Occ:
    lesson: Lesson
    index: int
    key: tuple[str, int]  # (lesson_id, index)
    vk: tuple  # identity of the start variable (shared by the lessons of one 走班 block)
    starts: list[int] = field(default_factory=list)  # allowed start slots (t)
    fixed: int | None = None
    rooms: list[str] | None = None  # candidate rooms; None = no room needed


@dataclass
class Resource:
    kind: str  # "teacher" | "group" | "extra"
    id: str
    name: str
    occs: list[Occ]
    dedupe: bool = False  # True for student groups: parallel lessons of one block count once


class Compiled:
    def __init__(self, problem: Problem, *, geometry_only: bool = False):
        self.problem = problem
        self.geometry_only = geometry_only
        week = problem.week
        self.D = week.days
        self.P = week.periods
        self.T = self.D * self.P
        self.teachers = {t.id: t for t in problem.teachers}
        self.groups = {g.id: g for g in problem.groups}
        self.rooms = {r.id: r for r in problem.rooms}
        self.lessons = {lesson.id: lesson for lesson in problem.lessons}
        self.blocked = {self.t(s) for s in week.blocked if self._in_week(s)}
        self.issues: list[tuple[str, str, list[str]]] = []  # (code, message, subjects) found while compiling
        self.occs: list[Occ] = []
        self.by_key: dict[tuple[str, int], Occ] = {}
        self._build_occs()
        self.resources = self._build_resources()

    # -- slots ---------------------------------------------------------------
    def t(self, slot: Slot) -> int:
        return slot[0] * self.P + slot[1]

    def slot(self, t: int) -> Slot:
        return divmod(t, self.P)

    def _in_week(self, slot: Slot) -> bool:
        return 0 <= slot[0] < self.D and 0 <= slot[1] < self.P

    def cover(self, lesson: Lesson, start: int) -> range:
        return range(start, start + max(1, lesson.duration))

    def lesson_name(self, lesson: Lesson) -> str:
        if lesson.name:
            return lesson.name
        groups = "、".join(self.groups[g].name if g in self.groups else g for g in lesson.groups)
        return f"{lesson.subject}（{groups}）" if groups else lesson.subject

    def teacher_name(self, tid: str) -> str:
        return self.teachers[tid].name if tid in self.teachers else tid

    def group_name(self, gid: str) -> str:
        return self.groups[gid].name if gid in self.groups else gid

    def slot_name(self, t: int) -> str:
        return self.problem.week.slot_name(self.slot(t))

    # -- geometry --------------------------------------------------------------
    def geometry_ok(self, lesson: Lesson, start: int) -> bool:
        """Inside the day, not on a blocked slot, 连堂 not across lunch or a break."""
        _day, p = self.slot(start)
        d = max(1, lesson.duration)
        if p + d > self.P:
            return False
        if d > 1:
            morning = self.problem.week.morning
            if 0 < morning < self.P and p < morning < p + d:
                return False
            for b in self.problem.week.breaks_after:
                if p <= b < p + d - 1:
                    return False
        return all(c not in self.blocked for c in range(start, start + d))

    def unavailable_for(self, lesson: Lesson, start: int) -> str | None:
        """Why ``lesson`` cannot start at ``start`` (teacher/group/room unavailability), or None."""
        covered = [self.slot(c) for c in self.cover(lesson, start)]
        for tid in lesson.teachers:
            teacher = self.teachers.get(tid)
            if teacher and any(s in teacher.unavailable for s in covered):
                return f"{teacher.name} 不可用"
        for gid in lesson.groups:
            group = self.groups.get(gid)
            if group and any(s in group.unavailable for s in covered):
                return f"{group.name} 不可用"
        return None

    def room_candidates(self, lesson: Lesson) -> list[str] | None:
        if not self.problem.assign_rooms or not lesson.needs_room:
            return None
        if lesson.rooms is not None:
            return [r for r in lesson.rooms if r in self.rooms and self.rooms[r].capacity >= lesson.size]
        if lesson.room_type:
            return [r.id for r in self.problem.rooms if r.type == lesson.room_type and r.capacity >= lesson.size]
        for gid in lesson.groups:
            group = self.groups.get(gid)
            if group and group.home_room and group.home_room in self.rooms:
                return [group.home_room]
        return None

    def room_free(self, room_id: str, lesson: Lesson, start: int) -> bool:
        room = self.rooms[room_id]
        return not any(self.slot(c) in room.unavailable for c in self.cover(lesson, start))

    def base_starts(self, lesson: Lesson, rooms: list[str] | None) -> list[int]:
        out = []
        allowed = None
        if lesson.allowed_starts is not None and not self.geometry_only:
            allowed = {self.t(s) for s in lesson.allowed_starts if self._in_week(s)}
        for start in range(self.T):
            if not self.geometry_ok(lesson, start):
                continue
            if self.geometry_only:
                out.append(start)
                continue
            if allowed is not None and start not in allowed:
                continue
            if self.unavailable_for(lesson, start):
                continue
            if rooms and not any(self.room_free(r, lesson, start) for r in rooms):
                continue
            out.append(start)
        return out

    def _build_occs(self) -> None:
        block_members: dict[str, list[Lesson]] = {}
        for lesson in self.problem.lessons:
            if lesson.block:
                block_members.setdefault(lesson.block, []).append(lesson)
        per_lesson: dict[str, list[Occ]] = {}
        for lesson in self.problem.lessons:
            rooms = self.room_candidates(lesson)
            base = self.base_starts(lesson, rooms)
            occs = []
            for i in range(lesson.count):
                vk = ("b", lesson.block, i) if lesson.block else ("l", lesson.id, i)
                occ = Occ(lesson=lesson, index=i, key=(lesson.id, i), vk=vk, rooms=rooms)
                starts = base
                if i < len(lesson.fixed):
                    fixed_slot = lesson.fixed[i]
                    ft = self.t(fixed_slot) if self._in_week(fixed_slot) else None
                    occ.fixed = ft
                    if ft is None or not self.geometry_ok(lesson, ft):
                        starts = []
                        self.issues.append(
                            (
                                "fixed_invalid",
                                f"{self.lesson_name(lesson)} 的固定时段 {self.problem.week.slot_name(fixed_slot)} 不可排课（超出一天、跨午休/课间或是停课时段）",
                                [lesson.id],
                            )
                        )
                    elif ft not in base and not self.geometry_only:
                        why = self.unavailable_for(lesson, ft) or "该时段不在允许范围内"
                        starts = []
                        self.issues.append(
                            (
                                "fixed_unavailable",
                                f"{self.lesson_name(lesson)} 固定在 {self.slot_name(ft)}，但{why}",
                                [lesson.id],
                            )
                        )
                    else:
                        starts = [ft]
                occ.starts = list(starts)
                occs.append(occ)
                self.occs.append(occ)
                self.by_key[occ.key] = occ
            per_lesson[lesson.id] = occs
        # 走班 blocks: occurrence i of every lesson in the block starts together.
        for block, members in block_members.items():
            counts = {m.count for m in members}
            if len(counts) > 1:
                self.issues.append(
                    (
                        "block_counts",
                        f"走班组 {block} 中各课程每周节数不同（{'、'.join(f'{self.lesson_name(m)} {m.count} 节' for m in members)}），无法同时上课",
                        [m.id for m in members],
                    )
                )
            for i in range(max(counts)):
                group_occs = [per_lesson[m.id][i] for m in members if i < m.count]
                common = set(group_occs[0].starts)
                for occ in group_occs[1:]:
                    common &= set(occ.starts)
                fixed = {o.fixed for o in group_occs if o.fixed is not None}
                if len(fixed) > 1:
                    common = set()
                    self.issues.append(
                        ("block_fixed", f"走班组 {block} 第 {i + 1} 次课的固定时段不一致", [m.id for m in members])
                    )
                elif not common and all(o.starts for o in group_occs):
                    self.issues.append(
                        (
                            "block_no_slot",
                            f"走班组 {block} 第 {i + 1} 次课找不到所有课程都可用的共同时段",
                            [m.id for m in members],
                        )
                    )
                ordered = sorted(common)
                for occ in group_occs:
                    occ.starts = ordered
                    if fixed:
                        occ.fixed = next(iter(fixed))

    def _build_resources(self) -> list[Resource]:
        teacher_occs: dict[str, list[Occ]] = {}
        group_occs: dict[str, list[Occ]] = {}
        for occ in self.occs:
            for tid in occ.lesson.teachers:
                teacher_occs.setdefault(tid, []).append(occ)
            for gid in occ.lesson.groups:
                group_occs.setdefault(gid, []).append(occ)
        # a group's students are part of the groups in its ``overlaps`` (a 走班 teaching group and
        # the classes its students come from): a class is busy whenever one of its parts is.
        neighbours: dict[str, set[str]] = {}
        for g in self.problem.groups:
            for h in g.overlaps:
                neighbours.setdefault(h, set()).add(g.id)
        resources = []
        for tid, occs in teacher_occs.items():
            resources.append(Resource("teacher", tid, self.teacher_name(tid), occs))
        seen: set = set()
        gids = sorted(set(group_occs) | set(neighbours))
        for gid in gids:
            occs = list(group_occs.get(gid, []))
            for h in sorted(neighbours.get(gid, ())):
                occs.extend(group_occs.get(h, []))
            uniq = {id(o): o for o in occs}
            signature = frozenset(o.key for o in uniq.values())
            if not signature:
                continue
            g = self.groups.get(gid)
            limits = (g.max_per_day, g.max_gaps_per_week, g.early_start, g.min_per_day, g.min_every_day) if g else None
            signature = (signature, limits)
            if signature in seen:
                continue  # same lessons and limits as a group already listed (e.g. FET subgroups)
            resources.append(Resource("group", gid, self.group_name(gid), list(uniq.values()), dedupe=True))
            seen.add(signature)
        for i, extra in enumerate(self.problem.extras):
            if extra.kind == "not_overlapping" and extra.hard:
                occs = [self.by_key[k] for k in extra.occurrences if k in self.by_key]
                resources.append(Resource("extra", str(i), extra.label or "不重叠约束", occs))
        return resources
