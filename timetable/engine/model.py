"""Data model of the timetabling engine (pure Python, no Django).

Ids are strings; days and periods are 0-based ints. A ``Slot`` is ``(day, period)``.
Fields may be added later (with defaults) but are never renamed or removed: the
product layer (``timetable`` app) and the FET interop build on these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Slot = tuple[int, int]  # (day, period)

DEFAULT_DAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def _default_day_names() -> list[str]:
    return list(DEFAULT_DAY_NAMES)


@dataclass
class Week:
    days: int
    periods: int
    morning: int  # periods before lunch: a 连堂 never spans lunch
    day_names: list[str] = field(default_factory=_default_day_names)
    blocked: set[Slot] = field(default_factory=set)  # no lessons at all in these slots
    # period indexes after which there is a break (other than lunch) that a 连堂 must not span
    breaks_after: set[int] = field(default_factory=set)

    def slots(self) -> list[Slot]:
        return [(d, p) for d in range(self.days) for p in range(self.periods)]

    def day_name(self, day: int) -> str:
        if 0 <= day < len(self.day_names):
            return self.day_names[day]
        return f"第{day + 1}天"

    def slot_name(self, slot: Slot) -> str:
        return f"{self.day_name(slot[0])}第{slot[1] + 1}节"


@dataclass
class Teacher:
    id: str
    name: str
    unavailable: set[Slot] = field(default_factory=set)
    max_per_day: int | None = None
    max_consecutive: int | None = None
    preferred_off: set[Slot] = field(default_factory=set)  # soft
    max_gaps_per_week: int | None = None  # hard cap of idle periods between lessons (FET)
    max_gaps_per_day: int | None = None  # hard cap per day (FET)
    max_days: int | None = None  # hard: works on at most this many days
    min_per_day: int | None = None  # hard: at least this many periods on a day with lessons (FET)
    min_every_day: bool = False  # with min_per_day: every day, none left empty (FET Allow_Empty_Days false)
    max_consecutive_hard: int | None = None  # hard: at most this many periods in a row (FET)


@dataclass
class StudentGroup:
    """A class (班级) or a 走班 teaching group."""

    id: str
    name: str
    unavailable: set[Slot] = field(default_factory=set)
    max_per_day: int | None = None
    # ids of the larger groups this group's students belong to (a 走班 teaching group lists
    # the classes its students come from): its lessons clash with the lessons of those
    # groups, and each of those groups is busy whenever one of its parts has a lesson.
    overlaps: list[str] = field(default_factory=list)
    max_gaps_per_week: int | None = None  # hard cap of idle periods between lessons (FET)
    early_start: bool = False  # hard: every day with lessons starts at the first period (FET)
    home_room: str | None = None  # lessons without room_type/rooms take place here
    min_per_day: int | None = None  # hard: at least this many periods on a day with lessons (FET)
    min_every_day: bool = False  # with min_per_day: every day, none left empty (FET Allow_Empty_Days false)


@dataclass
class Room:
    id: str
    name: str
    type: str = "普通教室"
    capacity: int = 50
    unavailable: set[Slot] = field(default_factory=set)


@dataclass
class Lesson:
    """One activity placed ``count`` times per week."""

    id: str
    subject: str
    groups: list[str]
    teachers: list[str]
    count: int = 1
    duration: int = 1  # 1, or 2 for 连堂 (consecutive, same half-day, no break)
    room_type: str | None = None  # required room type; None = home room / any
    size: int = 0  # students, for room capacity
    main: bool = False  # 主科: soft preference for the morning
    fixed: list[Slot] = field(default_factory=list)  # locked start slots (len <= count): hard
    block: str | None = None  # 走班 block id: all lessons of one block share the same slots
    max_per_day: int = 1  # hard cap of occurrences of this lesson on one day
    # optional extras (FET interop, product)
    allowed_starts: set[Slot] | None = None  # hard: starts only in these slots (None = anywhere)
    preferred_starts: set[Slot] | None = None  # soft: penalty when starting elsewhere
    rooms: list[str] | None = None  # hard: only these rooms (None = by room_type / any)
    needs_room: bool = True  # False: no room is assigned (e.g. PE outdoors)
    fixed_rooms: list[str | None] = field(default_factory=list)  # parallel to ``fixed``
    name: str = ""


@dataclass
class Weights:
    spread: int = 10
    twice_a_day: int = 20
    main_morning: int = 3
    teacher_gaps: int = 5
    teacher_consecutive: int = 10
    daily_balance: int = 2
    preferences: int = 5


Occurrence = tuple[str, int]  # (lesson_id, index)


@dataclass
class Extra:
    """An additional constraint between lesson occurrences (mostly from FET).

    kind: "min_days" (value = minimal distance in days between any two of them),
    "not_overlapping", "consecutive" (second directly after the first, same day),
    "same_start" (all start together; as a soft constraint each pair apart costs),
    "order" (start of each strictly before the next; used for symmetry),
    "grouped" (two of them back to back on one day, in either order),
    "same_day" (all on one day), "ends_day" (each is the last lesson of its student groups' day),
    "occupy_max" (together they occupy at most ``value`` of the ``slots``).
    weight: 100 = hard; below 100 = soft, each violation costs weight / 100.
    """

    kind: str
    occurrences: list[Occurrence]
    value: int = 1
    weight: float = 100
    label: str = ""
    # min_days: two of them placed on the same day must follow each other directly. FET
    # enforces this part always, whatever the weight (its "consecutive if same day").
    consecutive_if_same_day: bool = False
    slots: set[Slot] = field(default_factory=set)  # occupy_max: the selected slots

    @property
    def hard(self) -> bool:
        return self.weight >= 100

    @property
    def min_occurrences(self) -> int:
        """Fewer occurrences than this and the constraint says nothing (most relate two or more)."""
        return 1 if self.kind in ("ends_day", "occupy_max") else 2


@dataclass
class Problem:
    week: Week
    teachers: list[Teacher]
    groups: list[StudentGroup]
    rooms: list[Room]
    lessons: list[Lesson]
    weights: Weights = field(default_factory=Weights)
    name: str = ""
    # assign rooms in the solver (False: no room assignment at all)
    assign_rooms: bool = True
    # extra constraints between occurrences, e.g. from FET
    extras: list[Extra] = field(default_factory=list)
    # False: only the constraints given explicitly cost something (FET files carry no
    # spread/morning/balance wishes); True: the Weights above apply.
    native_soft: bool = True


@dataclass
class Placement:
    lesson_id: str
    index: int
    day: int
    period: int
    room_id: str | None = None


@dataclass
class Conflict:
    code: str
    message: str  # Chinese, e.g. "王老师 需要 24 节，但只有 20 个可用时段"
    subjects: list[str] = field(default_factory=list)


@dataclass
class Solution:
    status: str  # "optimal" | "feasible" | "infeasible" | "unknown"
    placements: list[Placement]
    hard_violations: int
    soft_penalty: float
    conflicts: list[Conflict]
    wall_seconds: float
    cpu_seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible") and self.hard_violations == 0
