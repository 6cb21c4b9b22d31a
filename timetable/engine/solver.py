"""CP-SAT model of the timetable.

One Boolean per (occurrence, allowed start slot); ``ExactlyOne`` per occurrence;
``AtMostOne`` per (teacher / student group, slot) over the literals occupying that
slot; room capacity per (candidate room set, slot) with the exact room chosen by a
small matching model afterwards. Occurrences of one lesson are interchangeable, so
their starts are ordered (symmetry breaking). Soft constraints enter the objective
in hundredths (cost 0.95 = 95).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from .compile import Compiled, Occ
from .evaluate import evaluate_compiled
from .model import Conflict, Placement, Problem, Solution
from .precheck import precheck_compiled

SCALE = 100
_T0 = time.monotonic()


def _debug(msg: str) -> None:
    if os.environ.get("ZX_TIMETABLE_DEBUG"):
        print(f"[{time.monotonic() - _T0:7.2f}] {msg}", file=sys.stderr, flush=True)


class _Builder:
    """Builds the model. In explain mode every hard constraint family is switched by an
    assumption literal so that an infeasible core names the families in conflict."""

    def __init__(self, compiled: Compiled, *, explain: bool = False, with_soft: bool = True, relax: bool = False):
        self.relax = relax and not explain  # gap / early-start limits become penalties (first-solution phase)
        self.relax_vars: list = []
        self.relax_owner: dict[int, tuple] = {}  # relax var index -> (kind, id) of the constraint's owner
        self.owner: tuple = ()
        # relax vars left out of the first CP-SAT search (it finds clash-free timetables much
        # faster without them) and only driven to zero by ``_repair``
        self.late_relax: set[int] = set()
        # relax vars of wishes (soft constraints asked for in the first phase): they may stay > 0
        self.soft_relax: set[int] = set()
        self.c = compiled
        self.p = compiled.problem
        self.explain = explain
        self.with_soft = with_soft and not explain
        self.m = cp_model.CpModel()
        self.x: dict[tuple, dict[int, cp_model.IntVar]] = {}
        self.costs: list[tuple[int, object]] = []
        self.assumptions: dict[tuple, tuple[cp_model.IntVar, str]] = {}
        self._demand: dict[tuple[str, str], int] = {}

    # -- helpers -----------------------------------------------------------------
    def guard(self, key: tuple, message: str) -> list:
        if not self.explain:
            return []
        if key not in self.assumptions:
            self.assumptions[key] = (self.m.new_bool_var(str(key)), message)
        return [self.assumptions[key][0]]

    def limit(self, expr, bound: int, guard: list, slack: int) -> None:
        """``expr <= bound``; in relax mode a violation is allowed and counted."""
        if self.relax:
            v = self.m.new_int_var(0, max(1, slack), "relax")
            self.m.add(expr - v <= bound)
            self.relax_vars.append(v)
            self.relax_owner[v.index] = self.owner
        else:
            self.add_le(expr, bound, guard)

    def _add_ge(self, expr, bound: int, guard: list) -> None:
        ct = self.m.add(expr >= bound)
        if guard:
            ct.only_enforce_if(guard)

    def add_le(self, expr, bound: int, guard: list) -> None:
        ct = self.m.add(expr <= bound)
        if guard:
            ct.only_enforce_if(guard)

    def at_most_one(self, lits: list, guard: list) -> None:
        if len(lits) <= 1:
            return
        if guard:
            self.m.add(sum(lits) <= 1).only_enforce_if(guard)
        else:
            self.m.add_at_most_one(lits)

    def cost(self, weight: float, expr) -> None:
        w = round(weight * SCALE)
        if w > 0:
            self.costs.append((w, expr))

    def day_expr(self, occ: Occ, day: int) -> list:
        P = self.c.P
        return [v for s, v in self.x[occ.vk].items() if s // P == day]

    def covering(self, occs: list[Occ], dedupe: bool) -> dict[int, list]:
        """slot -> literals of ``occs`` occupying it."""
        out: dict[int, list] = defaultdict(list)
        seen: dict[int, set] = defaultdict(set)
        for occ in occs:
            d = max(1, occ.lesson.duration)
            for s, v in self.x[occ.vk].items():
                for t in range(s, s + d):
                    if dedupe:
                        key = (occ.vk, s)
                        if key in seen[t]:
                            continue
                        seen[t].add(key)
                    out[t].append(v)
        return out

    # -- model -------------------------------------------------------------------
    def build(self) -> None:
        c, m, p = self.c, self.m, self.p
        P, D = c.P, c.D
        week = p.week
        # variables
        for occ in c.occs:
            if occ.vk in self.x:
                continue
            self.x[occ.vk] = {s: m.new_bool_var(f"x{occ.key}@{s}") for s in occ.starts}
        for vk, var_map in self.x.items():
            if var_map:
                m.add_exactly_one(var_map.values())
            else:
                m.add_bool_or([])  # no allowed slot: infeasible
                _ = vk

        if self.explain:
            self._explain_start_restrictions()

        # resources: no clash
        occupancy: dict[tuple[str, str], dict[int, list]] = {}
        for res in c.resources:
            cov = self.covering(res.occs, res.dedupe)
            occupancy[(res.kind, res.id)] = cov
            if res.kind == "teacher":
                g = self.guard(("teacher", res.id), f"{res.name} 同一时间只能上一节课")
            elif res.kind == "group":
                g = self.guard(("group", res.id), f"{res.name} 同一时间只能上一节课")
            else:
                g = self.guard(("extra", res.id), res.name)
            for lits in cov.values():
                self.at_most_one(lits, g)
            self._demand[(res.kind, res.id)] = sum(
                max(1, o.lesson.duration) for o in {o.vk if res.dedupe else id(o): o for o in res.occs}.values()
            )
            if not self.explain and self._needs_busy(res):
                # one Boolean per occupied slot, reused by the daily/gap/balance constraints below
                cov = {t: self._busy(lits) for t, lits in cov.items()}
                occupancy[(res.kind, res.id)] = cov
        self.occupancy = occupancy

        # rooms: per candidate set and slot, no more lessons than free rooms of that set
        self._rooms()

        # lesson max per day (hard) + twice a day / spread (soft)
        by_lesson: dict[str, list[Occ]] = defaultdict(list)
        for occ in c.occs:
            by_lesson[occ.lesson.id].append(occ)
        w = p.weights
        for lid, occs in by_lesson.items():
            lesson = c.lessons[lid]
            if lesson.count <= 1:
                continue
            g = self.guard(("lesson_day", lid), f"{c.lesson_name(lesson)} 每天最多 {lesson.max_per_day} 次")
            day_lits = {d: [v for o in occs for v in self.day_expr(o, d)] for d in range(D)}
            for d in range(D):
                if len(day_lits[d]) > lesson.max_per_day:
                    self.add_le(sum(day_lits[d]), lesson.max_per_day, g)
            if not (self.with_soft and p.native_soft):
                continue
            if lesson.max_per_day > 1 and w.twice_a_day:
                for d in range(D):
                    if len(day_lits[d]) > 1:
                        v = m.new_int_var(0, lesson.max_per_day, "twice")
                        m.add(v >= sum(day_lits[d]) - 1)
                        self.cost(w.twice_a_day, v)
            if w.spread and lesson.count <= (D + 1) // 2:
                used = {}
                for d in range(D):
                    if not day_lits[d]:
                        continue
                    if lesson.max_per_day == 1:
                        used[d] = sum(day_lits[d])
                    else:
                        u = m.new_bool_var("used")
                        for v in day_lits[d]:
                            m.add_implication(v, u)
                        used[d] = u
                for d in range(D - 1):
                    if d in used and d + 1 in used:
                        v = m.new_bool_var("adjacent")
                        m.add(v >= used[d] + used[d + 1] - 1)
                        self.cost(w.spread, v)

        # teachers: max per day, max days, gaps, consecutive, preferred off
        for res in c.resources:
            cov = occupancy[(res.kind, res.id)]
            if res.kind == "teacher":
                teacher = c.teachers.get(res.id)
                if teacher is None:
                    continue
                self._daily_limits(
                    res.kind,
                    res.id,
                    res.name,
                    cov,
                    teacher.max_per_day,
                    teacher.max_days,
                    min_per_day=teacher.min_per_day,
                    every_day=teacher.min_every_day,
                )
                if teacher.max_consecutive_hard:
                    self._max_consecutive(res.id, res.name, cov, teacher.max_consecutive_hard)
                self._gaps(res.kind, res.id, res.name, cov, teacher.max_gaps_per_week, teacher.max_gaps_per_day)
                if self.with_soft and p.native_soft:
                    if teacher.max_consecutive and w.teacher_consecutive:
                        k = teacher.max_consecutive
                        for d in range(D):
                            for start in range(P - k):
                                window = [
                                    v for t in range(d * P + start, d * P + start + k + 1) for v in cov.get(t, [])
                                ]
                                if len(window) > k:
                                    v = m.new_bool_var("consec")
                                    m.add(sum(window) - k <= v)
                                    self.cost(w.teacher_consecutive, v)
                    if teacher.preferred_off and w.preferences:
                        for slot in teacher.preferred_off:
                            for v in cov.get(c.t(slot), []):
                                self.cost(w.preferences, v)
            elif res.kind == "group":
                group = c.groups.get(res.id)
                if group is None:
                    continue
                self._daily_limits(
                    res.kind,
                    res.id,
                    res.name,
                    cov,
                    group.max_per_day,
                    None,
                    min_per_day=group.min_per_day,
                    every_day=group.min_every_day,
                )
                self._gaps(res.kind, res.id, res.name, cov, group.max_gaps_per_week, None, early=group.early_start)
                if self.with_soft and p.native_soft and w.daily_balance:
                    loads = []
                    for d in range(D):
                        lits = [v for t in range(d * P, d * P + P) for v in cov.get(t, [])]
                        free = [t for t in range(d * P, d * P + P) if t not in c.blocked]
                        if free:
                            loads.append(sum(lits) if lits else 0)
                    if len(loads) > 1:
                        hi = m.new_int_var(0, P, "hi")
                        lo = m.new_int_var(0, P, "lo")
                        for load in loads:
                            m.add(hi >= load)
                            m.add(lo <= load)
                        self.cost(w.daily_balance, hi - lo)

        # main subjects in the morning, lesson preferences
        if self.with_soft and p.native_soft:
            for occ in c.occs:
                lesson = occ.lesson
                if lesson.main and w.main_morning and 0 < week.morning < P:
                    for s, v in self.x[occ.vk].items():
                        if s % P >= week.morning:
                            self.cost(w.main_morning, v)
                if lesson.preferred_starts is not None and w.preferences:
                    pref = {c.t(s) for s in lesson.preferred_starts}
                    for s, v in self.x[occ.vk].items():
                        if s not in pref:
                            self.cost(w.preferences, v)

        # blocks (explain mode: parallelism is a family of its own)
        # (in normal mode block lessons share one start variable, so nothing to add)

        self._extras()
        self._symmetry(by_lesson)

    def _busy(self, lits: list) -> list:
        if len(lits) <= 1:
            return lits
        b = self.m.new_bool_var("busy")
        self.m.add(b == sum(lits))
        return [b]

    def _needs_busy(self, res) -> bool:
        p, w = self.p, self.p.weights
        native = self.with_soft and p.native_soft
        if res.kind == "teacher" and res.id in self.c.teachers:
            t = self.c.teachers[res.id]
            return (
                t.max_per_day is not None
                or t.max_days is not None
                or t.max_gaps_per_week is not None
                or t.max_gaps_per_day is not None
                or (native and (w.teacher_gaps > 0 or (t.max_consecutive and w.teacher_consecutive > 0)))
            )
        if res.kind == "group" and res.id in self.c.groups:
            g = self.c.groups[res.id]
            return (
                g.max_per_day is not None
                or g.max_gaps_per_week is not None
                or g.early_start
                or (native and w.daily_balance > 0)
            )
        return False

    def _explain_start_restrictions(self) -> None:
        """Explain mode: starts are geometry only; unavailability, allowed slots and fixed
        slots become switchable families."""
        c = self.c
        for occ in c.occs:
            lesson = occ.lesson
            var_map = self.x[occ.vk]
            for s, v in var_map.items():
                for tid in lesson.teachers:
                    teacher = c.teachers.get(tid)
                    if teacher and any(c.slot(t) in teacher.unavailable for t in c.cover(lesson, s)):
                        g = self.guard(("teacher_unavail", tid), f"{teacher.name} 的不可用时段")
                        self.m.add(v == 0).only_enforce_if(g)
                for gid in lesson.groups:
                    group = c.groups.get(gid)
                    if group and any(c.slot(t) in group.unavailable for t in c.cover(lesson, s)):
                        g = self.guard(("group_unavail", gid), f"{group.name} 的不可用时段")
                        self.m.add(v == 0).only_enforce_if(g)
                if lesson.allowed_starts is not None and c.slot(s) not in lesson.allowed_starts:
                    g = self.guard(("allowed", lesson.id), f"{c.lesson_name(lesson)} 只能排在指定时段")
                    self.m.add(v == 0).only_enforce_if(g)
                if occ.rooms and not any(c.room_free(r, lesson, s) for r in occ.rooms):
                    g = self.guard(("room_unavail", lesson.id), f"{c.lesson_name(lesson)} 可用教室的不可用时段")
                    self.m.add(v == 0).only_enforce_if(g)
                if occ.fixed is not None and s != occ.fixed:
                    g = self.guard(("fixed", lesson.id), f"{c.lesson_name(lesson)} 的固定时段")
                    self.m.add(v == 0).only_enforce_if(g)

    def _max_consecutive(self, rid, name, cov, k: int) -> None:
        """Hard: no more than ``k`` lessons in a row (a blocked slot or the day's end breaks a run)."""
        c = self.c
        P, D = c.P, c.D
        g = self.guard(("teacher_consecutive", rid), f"{name} 最多连续上 {k} 节")
        for d in range(D):
            for start in range(P - k):
                window = range(d * P + start, d * P + start + k + 1)
                if any(t in c.blocked for t in window):
                    continue
                lits = [v for t in window for v in cov.get(t, [])]
                if len(lits) > k and all(cov.get(t) for t in window):
                    self.add_le(sum(lits), k, g)

    def _daily_limits(self, kind, rid, name, cov, max_per_day, max_days, *, min_per_day=None, every_day=False) -> None:
        c, m = self.c, self.m
        P, D = c.P, c.D
        day_lits = {d: [v for t in range(d * P, d * P + P) for v in cov.get(t, [])] for d in range(D)}
        if min_per_day:
            g = self.guard((kind + "_min_day", rid), f"{name} 有课的日子至少 {min_per_day} 节")
            for d in range(D):
                lits = day_lits[d]
                if every_day:
                    self._add_ge(sum(lits) if lits else 0, min_per_day, g)
                elif lits:
                    u = m.new_bool_var("day_used")
                    for v in lits:
                        m.add_implication(v, u)
                    self._add_ge(sum(lits) - min_per_day * u, 0, g)
        if max_per_day is not None:
            g = self.guard((kind + "_day", rid), f"{name} 每天最多 {max_per_day} 节")
            for d in range(D):
                if len(day_lits[d]) > max_per_day:
                    self.add_le(sum(day_lits[d]), max_per_day, g)
        if max_days is not None and max_days < D:
            g = self.guard((kind + "_days", rid), f"{name} 每周最多上课 {max_days} 天")
            used = []
            for d in range(D):
                if day_lits[d]:
                    u = m.new_bool_var("workday")
                    for v in day_lits[d]:
                        m.add_implication(v, u)
                    used.append(u)
            if len(used) > max_days:
                self.add_le(sum(used), max_days, g)

    def _gaps(self, kind, rid, name, cov, per_week, per_day, *, early: bool = False) -> None:
        """Hard caps on idle periods between lessons (and 'start at the first period')."""
        c, m = self.c, self.m
        P, D = c.P, c.D
        self.owner = (kind, rid)
        native_gaps = kind == "teacher" and self.with_soft and self.p.native_soft and self.p.weights.teacher_gaps > 0
        if per_week is None and per_day is None and not early and not native_gaps:
            return
        g = self.guard((kind + "_gaps", rid), f"{name} 的空堂/早到限制")

        def occ_expr(t):
            lits = cov.get(t, [])
            return sum(lits) if lits else 0

        lengths: list = []
        demand = None
        if not self.explain and all(len(v) == 1 for v in cov.values()):
            demand = self._demand.get((kind, rid))
        if early and per_week == 0:
            # contiguous from the first period: occupancy never increases within a day
            for d in range(D):
                open_periods = [d * P + p for p in range(P) if d * P + p not in c.blocked]  # breaks are no gaps
                for before, after in itertools.pairwise(open_periods):
                    a, b = cov.get(after, []), cov.get(before, [])
                    if a:
                        self.limit(sum(a) - (sum(b) if b else 0), 0, g, 1)
                if not self.explain:
                    # redundant: the day's length; the lengths of the week add up to the weekly hours
                    day_busy = [cov[t][0] for t in open_periods if cov.get(t)]
                    if day_busy:
                        length = m.new_int_var(0, len(day_busy), "len")
                        m.add(length == sum(day_busy))
                        lengths.append(length)
            if lengths and demand is not None:
                m.add(sum(lengths) == demand)
                # the first periods of a day are busy whenever the other days cannot hold the rest
                caps = {}
                for d in range(D):
                    open_periods = [d * P + p for p in range(P) if d * P + p not in c.blocked]
                    n = 0
                    while n < len(open_periods) and cov.get(open_periods[n]):
                        n += 1
                    caps[d] = open_periods[:n]
                total_cap = sum(len(v) for v in caps.values())
                for periods in caps.values():
                    for t in periods[: demand - (total_cap - len(periods))]:
                        m.add(cov[t][0] == 1)
            return
        if early:
            for d in range(D):
                open_periods = [p for p in range(P) if d * P + p not in c.blocked]
                if not open_periods:
                    continue
                first = cov.get(d * P + open_periods[0], [])
                for p in open_periods[1:]:
                    a = cov.get(d * P + p, [])
                    if a:
                        self.limit(sum(a) - (sum(first) if first else 0), 0, g, 1)
        if per_week is None and per_day is None and not native_gaps:
            return
        week_gaps = []
        for d in range(D):
            if not any(cov.get(d * P + p) for p in range(P)):
                continue
            # (the span form propagates hard limits better; the per-period form below gives
            # CP-SAT a much better bound when gaps are a cost)
            if GAP_SPANS and not native_gaps and not self.explain and not any(d * P + p in c.blocked for p in range(P)):
                # exact: idle periods of the day = (last - first + 1) - lessons
                busy = [(p, cov[d * P + p]) for p in range(P) if cov.get(d * P + p)]
                first = m.new_int_var(0, P, "first")
                last = m.new_int_var(-1, P - 1, "last")
                for p, lits in busy:
                    for v in lits:
                        m.add(first <= p).only_enforce_if(v)
                        m.add(last >= p).only_enforce_if(v)
                m.add(last + 1 >= first)
                dgap = m.new_int_var(0, P, "dgap")
                m.add(dgap == last - first + 1 - sum(v for _p, lits in busy for v in lits))
                if per_day is not None:
                    self.limit(dgap, per_day, g, P)
                week_gaps.append(dgap)
                continue
            pre = []
            for p in range(P):
                v = m.new_bool_var("pre")
                if cov.get(d * P + p):
                    m.add(v >= occ_expr(d * P + p))
                if p:
                    m.add(v >= pre[-1])
                pre.append(v)
            suf = [None] * P
            for p in range(P - 1, -1, -1):
                v = m.new_bool_var("suf")
                if cov.get(d * P + p):
                    m.add(v >= occ_expr(d * P + p))
                if p < P - 1:
                    m.add(v >= suf[p + 1])
                suf[p] = v
            day_gaps = []
            for p in range(1, P - 1):
                if d * P + p in c.blocked:
                    continue
                gap = m.new_bool_var("gap")
                m.add(gap >= pre[p - 1] + suf[p + 1] - 1 - occ_expr(d * P + p))
                day_gaps.append(gap)
            if per_day is not None and day_gaps:
                self.limit(sum(day_gaps), per_day, g, len(day_gaps))
            week_gaps.extend(day_gaps)
        if per_week is not None and week_gaps:
            self.limit(sum(week_gaps), per_week, g, P * len(week_gaps))
        if native_gaps and week_gaps:
            for gap in week_gaps:
                self.cost(self.p.weights.teacher_gaps, gap)

    def _rooms(self) -> None:
        c = self.c
        sets: dict[frozenset, list[Occ]] = defaultdict(list)
        for occ in c.occs:
            if occ.rooms is not None:
                sets[frozenset(occ.rooms)].append(occ)
        family = _union_closure(list(sets))
        for rset in family:
            members = [o for s, occs in sets.items() if s <= rset for o in occs]
            names = "、".join(sorted(c.rooms[r].name for r in rset)) or "（无）"
            g = self.guard(("rooms", tuple(sorted(rset))), f"教室 {names} 同一时间容纳的课数")
            cov = self.covering(members, dedupe=False)
            for t, lits in cov.items():
                free = sum(1 for r in rset if c.slot(t) not in c.rooms[r].unavailable)
                if len(lits) > free:
                    if free == 1 and not g:
                        self.m.add_at_most_one(lits)
                    else:
                        self.add_le(sum(lits), free, g)

    def _extras(self) -> None:
        c, m = self.c, self.m
        P, D = c.P, c.D
        for i, extra in enumerate(self.p.extras):
            occs = [c.by_key[k] for k in extra.occurrences if k in c.by_key]
            if len(occs) < extra.min_occurrences:
                continue
            label = extra.label or extra.kind
            self.owner = ("extra", str(i))
            if extra.kind == "min_days":
                if (
                    self.relax
                    and not extra.hard
                    and extra.consecutive_if_same_day
                    and extra.value <= 1
                    and len(occs) <= D
                ):
                    # first-solution phase: ask for different days (the wish itself); a pair that
                    # must share a day counts as a violation for the repair
                    for d in range(D):
                        lits = [v for o in occs for v in self.day_expr(o, d)]
                        if len(lits) > 1:
                            self.limit(sum(lits), 1, [], len(lits) - 1)
                            self.soft_relax.add(self.relax_vars[-1].index)
                            self.late_relax.add(self.relax_vars[-1].index)
                    self._same_day_adjacent(occs, [])
                    continue
                if extra.consecutive_if_same_day:
                    self._same_day_adjacent(occs, self.guard(("extra_csd", str(i)), label + "（同一天须连排）"))
                if not extra.hard and not self.with_soft:
                    continue
                g = self.guard(("extra", str(i)), label) if extra.hard else []
                if extra.value <= 1:
                    for d in range(D):
                        lits = [v for o in occs for v in self.day_expr(o, d)]
                        if len(lits) <= 1:
                            continue
                        if extra.hard:
                            self._hard_min_days(sum(lits), g, len(lits) - 1)
                        else:
                            v = m.new_int_var(0, len(occs) - 1, "mindays")
                            m.add(v >= sum(lits) - 1)
                            self.costs.append((round(extra.weight), v))
                else:
                    for a in range(len(occs)):
                        for b in range(a + 1, len(occs)):
                            for d in range(D):
                                la = self.day_expr(occs[a], d)
                                if not la:
                                    continue
                                near = [
                                    v
                                    for dd in range(max(0, d - extra.value + 1), min(D, d + extra.value))
                                    for v in self.day_expr(occs[b], dd)
                                ]
                                if not near:
                                    continue
                                if extra.hard:
                                    self._hard_min_days(sum(la) + sum(near), g, 1)
                                else:
                                    v = m.new_bool_var("mindays")
                                    m.add(v >= sum(la) + sum(near) - 1)
                                    self.costs.append((round(extra.weight), v))
            elif extra.kind == "same_start" and not extra.hard and self.with_soft:
                # soft: each pair not starting together costs the weight
                for a, b in itertools.combinations(occs, 2):
                    if a.vk == b.vk:
                        continue
                    xa, xb = self.x[a.vk], self.x[b.vk]
                    apart = m.new_bool_var("apart")
                    for s in set(xa) | set(xb):
                        m.add(apart >= xa.get(s, 0) - xb.get(s, 0))
                    self.costs.append((round(extra.weight), apart))
            elif extra.kind == "consecutive" and extra.hard:
                g = self.guard(("extra", str(i)), label)
                first, second = occs[0], occs[1]
                d1 = max(1, first.lesson.duration)
                for s, v in self.x[first.vk].items():
                    nxt = s + d1
                    w = self.x[second.vk].get(nxt) if nxt // P == s // P else None
                    ct = m.add(v == 0) if w is None else m.add_implication(v, w)
                    if g:
                        ct.only_enforce_if(g)
            elif extra.kind == "same_day" and extra.hard:
                g = self.guard(("extra", str(i)), label)
                first = occs[0]
                for other in occs[1:]:
                    for d in range(D):
                        la, lb = self.day_expr(first, d), self.day_expr(other, d)
                        ct = self.m.add((sum(la) if la else 0) == (sum(lb) if lb else 0))
                        if g:
                            ct.only_enforce_if(g)
            elif extra.kind == "occupy_max" and extra.hard:
                g = self.guard(("extra", str(i)), label)
                selected = {c.t(sl) for sl in extra.slots if 0 <= sl[0] < D and 0 <= sl[1] < P}
                used = []
                for t, lits in self.covering(occs, dedupe=True).items():
                    if t in selected:
                        b = m.new_bool_var("occupied")
                        for v in lits:
                            m.add_implication(v, b)
                        used.append(b)
                if len(used) > extra.value:
                    self.add_le(sum(used), extra.value, g)
            elif extra.kind == "ends_day" and extra.hard:
                g = self.guard(("extra", str(i)), label)
                for occ in occs:
                    self._ends_day(occ, g)
            elif extra.kind == "grouped" and extra.hard:
                g = self.guard(("extra", str(i)), label)
                a, b = occs[0], occs[1]
                for first, second in ((a, b), (b, a)):
                    xs, ys = self.x[first.vk], self.x[second.vk]
                    d1, d2 = max(1, first.lesson.duration), max(1, second.lesson.duration)
                    for s, v in xs.items():
                        near = [w for t in (s + d1, s - d2) if (w := ys.get(t)) is not None and t // P == s // P]
                        ct = m.add_bool_or(near) if near else m.add(v == 0)
                        if near:
                            ct.only_enforce_if(v)
                        if g:
                            ct.only_enforce_if(g)
            elif extra.kind == "order":
                for a, b in itertools.pairwise(occs):
                    m.add(self.start_expr(a) + 1 <= self.start_expr(b))

    def _ends_day(self, occ: Occ, guard: list) -> None:
        """Nothing of the occurrence's student groups starts after it on its day."""
        P = self.c.P
        mine = set(occ.lesson.groups)
        others = [o for o in self.c.occs if o.vk != occ.vk and mine & set(o.lesson.groups)]
        end = max(1, occ.lesson.duration)
        for s, v in self.x[occ.vk].items():
            later = [w for o in others for t, w in self.x[o.vk].items() if t // P == s // P and t >= s + end]
            if later:
                self.m.add(sum(later) == 0).only_enforce_if([v, *guard])

    def _hard_min_days(self, expr, guard: list, slack: int) -> None:
        """At most one of them per day (window): kept hard in the first phase unless
        RELAX_MIN_DAYS, because it helps propagation more than it costs the first search."""
        if RELAX_MIN_DAYS:
            self.limit(expr, 1, guard, slack)
        else:
            self.add_le(expr, 1, guard)

    def _same_day_adjacent(self, occs: list[Occ], guard: list) -> None:
        """Any two of ``occs`` on the same day follow each other directly."""
        P = self.c.P
        for a, b in itertools.combinations(occs, 2):
            if a.vk == b.vk:
                continue
            xa, xb = self.x[a.vk], self.x[b.vk]
            da, db = max(1, a.lesson.duration), max(1, b.lesson.duration)
            relaxed: dict[int, object] = {}
            for s, v in xa.items():
                day = s // P
                apart = [w for t, w in xb.items() if t // P == day and t != s + da and t + db != s]
                if not apart:
                    continue
                if self.relax:
                    # first-solution phase: a pair apart on one day is a counted violation
                    if day not in relaxed:
                        r = relaxed[day] = self.m.new_bool_var("relax_csd")
                        self.relax_vars.append(r)
                        self.late_relax.add(r.index)
                        self.relax_owner[r.index] = self.owner
                    self.m.add(sum(apart) <= relaxed[day]).only_enforce_if(v)
                else:
                    self.m.add(sum(apart) == 0).only_enforce_if([v, *guard])

    def start_expr(self, occ: Occ):
        return sum(s * v for s, v in self.x[occ.vk].items())

    def _symmetry(self, by_lesson: dict[str, list[Occ]]) -> None:
        if self.explain:
            return
        referenced = {k for e in self.p.extras for k in e.occurrences}
        P = self.c.P
        done_vk = set()
        for occs in by_lesson.values():
            free = [
                o for o in occs if o.fixed is None and o.key not in referenced and o.vk not in done_vk and self.x[o.vk]
            ]
            if o_block := [o for o in free if o.vk[0] == "b"]:
                # a block: order only if no member of the block is fixed or referenced
                members = [o for o in self.c.occs if o.vk[1:2] == o_block[0].vk[1:2] and o.vk[0] == "b"]
                if any(o.fixed is not None or o.key in referenced for o in members):
                    continue
            if len(free) < 2:
                continue
            for a, b in itertools.pairwise(free):
                if set(self.x[a.vk]) != set(self.x[b.vk]):
                    continue
                if a.lesson.max_per_day == 1:
                    da = sum((s // P) * v for s, v in self.x[a.vk].items())
                    db = sum((s // P) * v for s, v in self.x[b.vk].items())
                    self.m.add(da + 1 <= db)
                else:
                    self.m.add(self.start_expr(a) + 1 <= self.start_expr(b))
            done_vk.update(o.vk for o in free)

    def objective(self) -> None:
        if self.costs:
            self.m.minimize(sum(w * e for w, e in self.costs))


def _union_closure(sets: list[frozenset], limit: int = 400) -> list[frozenset]:
    """The candidate room sets plus every union of intersecting ones (Hall's condition
    for rooms shared between several lesson types), capped at ``limit`` sets."""
    family = set(sets)
    frontier = list(family)
    while frontier and len(family) < limit:
        new = []
        for a in frontier:
            for b in list(family):
                if a & b and not (a <= b or b <= a):
                    u = a | b
                    if u not in family:
                        family.add(u)
                        new.append(u)
                        if len(family) >= limit:
                            break
        frontier = new
    return sorted(family, key=lambda s: (len(s), sorted(s)))


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, callback, total: int, started: float):
        super().__init__()
        self.callback = callback
        self.total = total
        self.started = started
        self.count = 0

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.callback is None:
            return
        self.callback(
            {
                "elapsed": round(time.monotonic() - self.started, 3),
                "solutions": self.count,
                "objective": self.ObjectiveValue() / SCALE,
                "bound": self.BestObjectiveBound() / SCALE,
                "placed": self.total,
                "total": self.total,
            }
        )


def _params(solver: cp_model.CpSolver, time_limit: float, seed: int, workers: int) -> None:
    solver.parameters.max_time_in_seconds = max(0.05, float(time_limit))
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = max(1, int(workers))
    if workers <= 1:
        solver.parameters.interleave_search = False


def solve(
    problem: Problem,
    *,
    time_limit: float = 30,
    seed: int = 0,
    workers: int = 2,
    progress: Callable[[dict], None] | None = None,
    hint: list | None = None,
) -> Solution:
    started = time.monotonic()
    cpu0 = time.process_time()
    compiled = Compiled(problem)
    conflicts = precheck_compiled(compiled)
    total = len(compiled.occs)
    if conflicts:
        return Solution(
            status="infeasible",
            placements=[],
            hard_violations=total,
            soft_penalty=0.0,
            conflicts=conflicts,
            wall_seconds=time.monotonic() - started,
            cpu_seconds=time.process_time() - cpu0,
            stats={"stage": "precheck", "occurrences": total},
        )
    w = problem.weights
    has_soft = (problem.native_soft and any(vars(w).values())) or any(
        not e.hard and e.kind in ("min_days", "same_start") for e in problem.extras
    )
    hinted: dict[tuple, int] = {}
    if hint:
        hinted = {(p.lesson_id, p.index): compiled.t((p.day, p.period)) for p in hint}
    stats: dict = {}
    phase1 = None
    gap_limits = any(g.early_start or g.max_gaps_per_week is not None for g in problem.groups) or any(
        t.max_gaps_per_week is not None or t.max_gaps_per_day is not None for t in problem.teachers
    )
    gap_limits = gap_limits or any(e.consecutive_if_same_day for e in problem.extras)
    if RELAX_MIN_DAYS:
        gap_limits = gap_limits or any(e.kind == "min_days" and e.hard for e in problem.extras)
    if not hint and total >= TWO_PHASE_FROM and (has_soft or gap_limits):
        # Phase 1: hard constraints only, stop at the first timetable; it becomes the hint
        # of the full model (CP-SAT finds feasibility much faster without the objective).
        phase1, violations = _first_feasible(compiled, started + time_limit, seed, workers, relax=gap_limits)
        stats["phase1_seconds"] = round(time.monotonic() - started, 3)
        if phase1 == "infeasible":
            return _failed(problem, compiled, "infeasible", time_limit, started, cpu0, stats)
        if phase1 is None:  # out of time without any timetable
            return _failed(problem, compiled, "unknown", time_limit, started, cpu0, stats)
        if violations or not has_soft:
            # gap limits still broken when time ran out (best effort, status "unknown"), or nothing to optimise
            placements = _placements(compiled, {occ.vk: phase1[occ.key] for occ in compiled.occs})
            assign_rooms(compiled, placements, seed=seed)
            hard, soft, found = evaluate_compiled(compiled, placements)
            stats["occurrences"] = total
            if hard:
                failed = _failed(problem, compiled, "unknown", time_limit, started, cpu0, stats)
                failed.placements, failed.hard_violations, failed.soft_penalty = placements, hard, soft
                failed.conflicts += found[:20]
                return failed
            return Solution(
                "feasible", placements, 0, soft, [], time.monotonic() - started, time.process_time() - cpu0, stats
            )
        if phase1:
            hinted = phase1
            if progress:
                placements = _placements(compiled, {occ.vk: hinted[occ.key] for occ in compiled.occs})
                _h, soft, _m = evaluate_compiled(compiled, placements)
                progress(
                    {
                        "elapsed": round(time.monotonic() - started, 3),
                        "solutions": 0,
                        "objective": soft,
                        "bound": 0.0,
                        "placed": total,
                        "total": total,
                    }
                )
    builder = _Builder(compiled)
    builder.build()
    builder.objective()
    if hinted:
        done: set[tuple] = set()
        for occ in compiled.occs:
            s = hinted.get(occ.key)
            if s is None or occ.vk in done:
                continue
            done.add(occ.vk)  # lessons of one block share their variables: hint them once
            for start, v in builder.x[occ.vk].items():
                builder.m.add_hint(v, start == s)
    build_seconds = time.monotonic() - started
    solver = cp_model.CpSolver()
    # keep a little time for room assignment and evaluation after the search
    _params(solver, time_limit - build_seconds - POST_SECONDS_PER_OCC * total, seed, workers)
    cb = _Progress(progress, total, started)
    status = solver.Solve(builder.m, cb)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and phase1:
        # out of time before the full model reproduced the hint: keep the phase-1 timetable
        placements = _placements(compiled, {occ.vk: phase1[occ.key] for occ in compiled.occs})
        assign_rooms(compiled, placements, seed=seed)
        hard, soft, found = evaluate_compiled(compiled, placements)
        stats.update({"occurrences": total, "phase2": solver.StatusName(status)})
        return Solution(
            "feasible",
            placements,
            hard,
            soft,
            found if hard else [],
            time.monotonic() - started,
            time.process_time() - cpu0,
            stats,
        )
    stats |= {
        "occurrences": total,
        "variables": len(builder.m.Proto().variables),
        "constraints": len(builder.m.Proto().constraints),
        "build_seconds": round(build_seconds, 3),
        "solutions": cb.count,
        "branches": solver.NumBranches(),
        "conflicts": solver.NumConflicts(),
        "solver_wall": round(solver.WallTime(), 3),
    }
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = {
            vk: next(s for s, v in var_map.items() if solver.BooleanValue(v)) for vk, var_map in builder.x.items()
        }
        placements = _placements(compiled, chosen)
        assign_rooms(compiled, placements, seed=seed)
        hard, soft, found = evaluate_compiled(compiled, placements)
        stats["objective"] = solver.ObjectiveValue() / SCALE if builder.costs else 0.0
        stats["bound"] = solver.BestObjectiveBound() / SCALE if builder.costs else 0.0
        return Solution(
            status="optimal" if status == cp_model.OPTIMAL else "feasible",
            placements=placements,
            hard_violations=hard,
            soft_penalty=soft,
            conflicts=found if hard else [],
            wall_seconds=time.monotonic() - started,
            cpu_seconds=time.process_time() - cpu0,
            stats=stats,
        )
    return _failed(
        problem,
        compiled,
        "infeasible" if status == cp_model.INFEASIBLE else "unknown",
        time_limit,
        started,
        cpu0,
        stats,
    )


TWO_PHASE_FROM = 300  # occurrences
HARD_RELAX_WEIGHT = 10  # repair: a broken hard limit weighs this many broken wishes
EXTRA_POOL = 16  # repair: neighbours freed with each small broken constraint
GAP_SPANS = True
RELAX_MIN_DAYS = False  # tried: slower on Spain-2 (hard min-days help propagation)
POST_SECONDS_PER_OCC = 0.001


def _placements(compiled: Compiled, chosen: dict[tuple, int]) -> list[Placement]:
    out = []
    for occ in compiled.occs:
        day, period = compiled.slot(chosen[occ.vk])
        out.append(Placement(occ.lesson.id, occ.index, day, period, None))
    return out


def _first_feasible(compiled: Compiled, deadline: float, seed: int, workers: int, *, relax: bool = False):
    """Hard constraints only. With ``relax`` the gap/early-start limits (and other ``limit``
    constraints) are penalties driven to zero: CP-SAT finds a clash-free timetable fast and
    improves it until it stalls, then ``_repair`` works on the broken limits one by one.
    Returns ({occurrence key: start} | "infeasible" | None, violations left)."""
    import threading

    total_time = deadline - time.monotonic()
    builder = _Builder(compiled, with_soft=False, relax=relax)
    builder.build()
    solver = cp_model.CpSolver()
    _params(solver, deadline - time.monotonic(), seed, workers)
    # the symmetry detection of the presolve costs seconds on large schools and does not help here
    solver.parameters.symmetry_level = 0
    if not builder.relax_vars:
        solver.parameters.stop_after_first_solution = True
        status = solver.Solve(builder.m)
    else:
        builder.m.minimize(
            sum(
                (1 if v.index in builder.soft_relax else HARD_RELAX_WEIGHT) * v
                for v in builder.relax_vars
                if v.index not in builder.late_relax
            )
        )
        stall = max(2.0, 0.1 * (deadline - time.monotonic()))
        state = {"best": None, "at": None, "first": None}

        class _Watch(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                value = self.ObjectiveValue()
                if state["best"] is None or value < state["best"]:
                    state["best"], state["at"] = value, time.monotonic()
                    state["first"] = state["first"] or state["at"]
                    _debug(f"phase 1: {value:g} violations")
                if value <= 0:
                    self.StopSearch()

        done = threading.Event()

        def watchdog() -> None:
            while not done.wait(0.2):
                now = time.monotonic()
                # stalled, or long enough: the targeted repair is faster on the last violations
                if state["at"] is not None and (now - state["at"] > stall or now - state["first"] > 3 * stall):
                    solver.stop_search()
                    return

        thread = threading.Thread(target=watchdog, daemon=True)
        thread.start()
        try:
            status = solver.Solve(builder.m, _Watch())
        finally:
            done.set()
            thread.join()
    if status == cp_model.INFEASIBLE:
        return "infeasible", 0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, 0
    sol = solver.response_proto.solution
    chosen = {vk: next(s for s, v in var_map.items() if sol[v.index]) for vk, var_map in builder.x.items()}
    violations = sum(sol[v.index] for v in builder.relax_vars if v.index not in builder.soft_relax)
    if builder.soft_relax or (violations and status != cp_model.OPTIMAL):
        # the wishes in the relaxed model (different days for a min-days group) are polished by the
        # same search once no limit is broken, leaving a quarter of the time to the full model
        chosen, violations = _repair(
            compiled,
            builder,
            chosen,
            [sol[v.index] for v in builder.relax_vars],
            deadline,
            seed,
            workers,
            log=_debug,
            polish_until=deadline - 0.25 * total_time if builder.soft_relax else None,
        )
    return {occ.key: chosen[occ.vk] for occ in compiled.occs}, violations


def _failed(problem, compiled, status, time_limit, started, cpu0, stats) -> Solution:
    conflicts = []
    if status == "unknown":
        conflicts = [
            Conflict(
                "timeout",
                f"在 {time_limit:g} 秒内没有找到满足全部硬约束的课表（不一定无解）：可以延长求解时间，或放宽部分约束后再试",
            )
        ]
    if status == "infeasible":
        remaining = max(2.0, time_limit - (time.monotonic() - started))
        conflicts = explain(problem, time_limit=min(20.0, remaining), compiled=Compiled(problem, geometry_only=True))
        if not conflicts:
            conflicts = [Conflict("infeasible", "约束互相矛盾，无法排出课表")]
    return Solution(
        status=status,
        placements=[],
        hard_violations=len(compiled.occs),
        soft_penalty=0.0,
        conflicts=conflicts,
        wall_seconds=time.monotonic() - started,
        cpu_seconds=time.process_time() - cpu0,
        stats=stats,
    )


def assign_rooms(compiled: Compiled, placements: list[Placement], *, seed: int = 0) -> int:
    """Choose a room for every placed occurrence that needs one (times fixed).
    Returns the number of occurrences left without a room."""
    c = compiled
    todo = []
    for pl in placements:
        occ = c.by_key.get((pl.lesson_id, pl.index))
        if occ is None or occ.rooms is None:
            continue
        start = c.t((pl.day, pl.period))
        fixed_rooms = occ.lesson.fixed_rooms
        if occ.index < len(fixed_rooms) and fixed_rooms[occ.index]:
            pl.room_id = fixed_rooms[occ.index]
            continue
        cands = [r for r in occ.rooms if c.room_free(r, occ.lesson, start)]
        if len(cands) == 1:
            pl.room_id = cands[0]
            continue
        todo.append((pl, occ, start, cands))
    taken: dict[tuple[str, int], int] = defaultdict(int)
    for pl in placements:
        occ = c.by_key.get((pl.lesson_id, pl.index))
        if pl.room_id and occ:
            for t in c.cover(occ.lesson, c.t((pl.day, pl.period))):
                taken[(pl.room_id, t)] += 1
    if not todo:
        return 0
    m = cp_model.CpModel()
    y = {}
    per_room_slot: dict[tuple[str, int], list] = defaultdict(list)
    for i, (_pl, occ, start, cands) in enumerate(todo):
        for r in cands:
            cover = list(c.cover(occ.lesson, start))
            if any(taken.get((r, t)) for t in cover):
                continue
            v = m.new_bool_var(f"y{i}{r}")
            y[(i, r)] = v
            for t in cover:
                per_room_slot[(r, t)].append(v)
        m.add_at_most_one([v for (j, _r), v in y.items() if j == i])
    for lits in per_room_slot.values():
        if len(lits) > 1:
            m.add_at_most_one(lits)
    # first try to give every lesson a room (usually possible: the main model counted rooms);
    # otherwise place as many as possible and report the rest as hard violations
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 5
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    full = m.clone()
    per_occ: dict[int, list] = defaultdict(list)
    for (j, _r), v in y.items():
        per_occ[j].append(v)
    for i in range(len(todo)):
        full.add_bool_or(per_occ.get(i, []))
    status = solver.Solve(full)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        missing = 0
        for i, (pl, _occ, _start, _cands) in enumerate(todo):
            pl.room_id = next(r for (j, r), v in y.items() if j == i and solver.BooleanValue(v))
        return missing
    m.maximize(sum(y.values()))
    solver.Solve(m)
    missing = 0
    for i, (pl, _occ, _start, _cands) in enumerate(todo):
        pl.room_id = next((r for (j, r), v in y.items() if j == i and solver.BooleanValue(v)), None)
        if pl.room_id is None:
            missing += 1
    return missing


def explain(problem: Problem, time_limit: float = 10, compiled: Compiled | None = None) -> list[Conflict]:
    """Find constraint families that cannot hold together (assumption-based core)."""
    started = time.monotonic()
    compiled = compiled or Compiled(problem, geometry_only=True)
    pre = precheck_compiled(Compiled(problem))
    if pre:
        return pre

    probe = _Builder(compiled, explain=True)
    probe.build()
    lits = {key: probe.assumptions[key][0] for key in probe.assumptions}

    def run(active: list[tuple], limit: float):
        probe.m.clear_assumptions()
        probe.m.add_assumptions([lits[k] for k in active])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.2, limit)
        solver.parameters.num_workers = 1
        status = solver.Solve(probe.m)
        if status != cp_model.INFEASIBLE:
            return None
        core_idx = set(solver.SufficientAssumptionsForInfeasibility())
        return [k for k in active if lits[k].Index() in core_idx]

    core = run(list(lits), max(0.5, time_limit - (time.monotonic() - started)))
    if core is None:
        return []
    if not core:
        return [Conflict("infeasible", "课时结构本身无法排下（一天的节数、午休或停课时段放不下连堂等）")]
    # shrink the core: drop families one by one while it stays infeasible
    for key in list(core):
        remaining = time_limit - (time.monotonic() - started)
        if remaining < 0.5 or len(core) <= 1:
            break
        if key not in core:
            continue
        smaller = run([k for k in core if k != key], min(2.0, remaining))
        if smaller is not None:
            core = [k for k in core if k in set(smaller)]
    messages = [probe.assumptions[k][1] for k in core]
    if not messages:
        return [Conflict("infeasible", "约束互相矛盾，无法排出课表")]
    return [
        Conflict(
            "core",
            "以下约束不能同时满足：" + "；".join(messages),
            subjects=[":".join(str(part) for part in k) for k in core],
        )
    ]


def _repair(
    compiled: Compiled,
    builder: _Builder,
    start: dict[tuple, int],
    values: list[int],
    deadline: float,
    seed: int,
    workers: int,
    *,
    log: Callable[[str], None] | None = None,
    polish_until: float | None = None,
) -> tuple[dict[tuple, int], int]:
    """Targeted large-neighbourhood search on the relaxed model: while some limit is broken
    (``builder.relax_vars`` > 0), free the lessons around one broken constraint (its owner's
    lessons and those of the classes/teachers they meet, on a few days), fix everything else,
    and let CP-SAT re-place the freed part. Moves that keep the violation count are accepted
    too, so the search walks over plateaus. Returns (start slot per variable key, violations)."""
    import random

    c = compiled
    P = c.P
    rng = random.Random(seed)
    assign = dict(start)  # vk -> start slot
    relax = {v.index: v for v in builder.relax_vars}
    val = dict(zip([v.index for v in builder.relax_vars], values, strict=True))
    res_occs = {(r.kind, r.id): r.occs for r in c.resources}
    occ_res: dict[tuple, list[tuple]] = defaultdict(list)
    for r in c.resources:
        for o in r.occs:
            occ_res[o.vk].append((r.kind, r.id))
    extra_occs = {
        ("extra", str(i)): [c.by_key[k] for k in e.occurrences if k in c.by_key] for i, e in enumerate(c.problem.extras)
    }
    soft = builder.soft_relax
    weight = {i: 1 if i in soft else HARD_RELAX_WEIGHT for i in relax}

    def hard_left() -> int:
        return sum(x for i, x in val.items() if i not in soft)

    total = sum(weight[i] * x for i, x in val.items())
    size = 40
    it = 0

    def go_on() -> bool:
        now = time.monotonic()
        if now >= deadline - 0.2:
            return False
        if hard_left() > 0:
            return True
        # limits all kept: polish the wishes of the relaxed model while polishing time lasts
        return polish_until is not None and now < polish_until and total > 0

    while go_on():
        it += 1
        broken = [builder.relax_owner[i] for i, x in val.items() if x > 0 and i not in soft]
        if not broken or rng.random() < 0.2:
            broken += [builder.relax_owner[i] for i, x in val.items() if x > 0 and i in soft]
        rng.shuffle(broken)
        free: set[tuple] = set()
        owner = broken[0]
        # several broken constraints at once when each is small (e.g. two lessons on one day)
        for owner in dict.fromkeys(broken):
            if len(free) >= size:
                break
            base = res_occs.get(owner) or extra_occs.get(owner) or []
            days = set(rng.sample(range(c.D), k=min(c.D, rng.choice((1, 2, 2, 3)))))
            if owner in res_occs:
                # the days on which the owner's lessons leave holes (or start late) hold the violation
                busy: dict[int, set[int]] = defaultdict(set)
                for o in base:
                    d, p = divmod(assign[o.vk], P)
                    busy[d].update(range(p, p + max(1, o.lesson.duration)))
                bad = [d for d, ps in busy.items() if max(ps) - min(ps) + 1 > len(ps) or min(ps) > 0]
                if bad:
                    days.add(rng.choice(bad))
            else:
                days.update(assign[o.vk] // P for o in base)
            free.update(o.vk for o in base if o.fixed is None)
            around = {r for o in base for r in occ_res[o.vk]} - {owner}
            pool = [o.vk for r in around for o in res_occs.get(r, []) if o.fixed is None and assign[o.vk] // P in days]
            rng.shuffle(pool)
            # a small constraint (a few lessons) takes a few neighbours, so that one search mends many
            room = size - len(free) if owner in res_occs else min(EXTRA_POOL, size - len(free))
            free.update(pool[: max(0, room)])
        m = builder.m.clone()
        for vk, var_map in builder.x.items():
            if vk in free:
                for s, v in var_map.items():
                    m.add_hint(m.get_bool_var_from_proto_index(v.index), s == assign[vk])
            else:
                m.add(m.get_bool_var_from_proto_index(var_map[assign[vk]].index) == 1)
        objective = sum(weight[i] * m.get_int_var_from_proto_index(i) for i in relax)
        m.minimize(objective)
        m.add(objective <= total)
        solver = cp_model.CpSolver()
        _params(solver, min(2.0, deadline - time.monotonic()), seed + it, workers)
        status = solver.Solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            size = max(20, size - 5)
            continue
        sol = solver.response_proto.solution
        for vk in free:
            assign[vk] = next(s for s, v in builder.x[vk].items() if sol[v.index])
        val = {i: sol[i] for i in relax}
        new_total = sum(weight[i] * x for i, x in val.items())
        if log:
            log(
                f"repair {it}: {owner} free {len(free)} {total} -> {new_total} hard {hard_left()} ({solver.WallTime():.2f}s)"
            )
        if new_total == total and status == cp_model.OPTIMAL:
            size = min(200, size + 10)  # optimal in this neighbourhood: look wider
        total = new_total
    return assign, hard_left()
