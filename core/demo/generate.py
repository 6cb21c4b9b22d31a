"""Demo district generator (``manage.py seed_demo``).

Two phases:

* ``plan_district`` — pure, no database: school types, names, 学校标识码, addresses, and for every school its
  cohorts (one Grade per year of each 学段) and class sizes. Tests check class sizes of any configuration
  here without writing a row.
* ``seed_demo`` — writes the district school by school with ``bulk_create`` (one transaction per school):
  staff with posts and 任课安排 in the current term, 班主任, students with valid 身份证号 and 学籍号, families
  (some with children in two schools), one User per Person, and the demo logins.

Everything random comes from ``random.Random`` seeded from ``--seed``; the only other input is today's date
(the academic year). Individual rows are not audited; one ``seed_demo`` audit row is written at the end.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import reset_queries, transaction
from django.utils import timezone

from .. import idcard, services
from ..audit import audit_record
from ..data.regions import COUNTIES
from ..models import (
    SCHOOL_CODE_TYPE_PREFIX,
    SCHOOL_TYPE_STAGES,
    STAGE_YEARS,
    Campus,
    Class,
    District,
    Grade,
    Guardianship,
    Person,
    Post,
    Region,
    Relation,
    Role,
    RoleGrant,
    School,
    SchoolType,
    StaffPost,
    Stage,
    Student,
    Subject,
    TeachingAssignment,
    User,
    academic_start_year,
)
from .names import ROADS, SCHOOL_PLACES, STREETS, NameMaker, chinese_number

DEMO_PASSWORD = "Zhixiao@2026"
DISTRICT_REGION = "330211"
DISTRICT_NAME = "宁波市镇海区教育局"
PROVINCE = "33"
UNUSABLE_PASSWORD = "!"  # has_usable_password() is False; hashing 100k+ passwords would take hours

DEFAULT_SCHOOLS = 6
DEFAULT_STUDENTS_PER_SCHOOL = 500
DEFAULT_SEED = 2026
DEFAULT_BATCH_SIZE = 2000

# Age on 1 September of the entry year (6 周岁入学; 初一 12; 高一 15).
ENTRY_AGE = {Stage.PRIMARY: 6, Stage.JUNIOR: 12, Stage.SENIOR: 15}
CLASS_MIN, CLASS_MAX = 40, 50
SPECIAL_CLASS_MIN, SPECIAL_CLASS_MAX = 8, 12  # 培智学校 班额 ≤ 12

# Core subjects of each 学段 with weekly periods per year of the stage (0 = not taught that year:
# 物理 starts in 八年级, 化学 in 九年级; 生物学 and 地理 end with the 八年级 结业考试).
CORE_PERIODS: dict[str, dict[str, tuple[int, ...]]] = {
    Stage.PRIMARY: {
        "语文": (8, 8, 7, 7, 6, 6),
        "数学": (4, 4, 5, 5, 5, 5),
        "英语": (2, 2, 3, 3, 3, 3),
        "道德与法治": (2, 2, 2, 2, 3, 3),
        "科学": (1, 1, 2, 2, 2, 2),
        "体育与健康": (4, 4, 3, 3, 3, 3),
    },
    Stage.JUNIOR: {
        "语文": (5, 5, 5),
        "数学": (5, 5, 5),
        "英语": (4, 4, 5),
        "道德与法治": (2, 2, 3),
        "历史": (2, 2, 2),
        "地理": (2, 2, 0),
        "生物学": (2, 2, 0),
        "物理": (0, 3, 3),
        "化学": (0, 0, 4),
    },
    Stage.SENIOR: {
        "语文": (4, 4, 5),
        "数学": (5, 5, 6),
        "英语": (4, 4, 5),
        "物理": (3, 3, 4),
        "化学": (3, 3, 3),
        "生物学": (2, 3, 3),
        "历史": (2, 2, 3),
        "地理": (2, 2, 3),
        "思想政治": (2, 2, 3),
    },
}
# Teachers of subjects without a class-by-class assignment here (音体美, 信息, 劳动, 心理 …).
OTHER_SUBJECTS = {
    Stage.PRIMARY: ["音乐", "美术", "信息科技", "劳动", "心理健康", "综合实践活动"],
    Stage.JUNIOR: ["体育与健康", "音乐", "美术", "信息科技", "劳动", "心理健康"],
    Stage.SENIOR: ["体育与健康", "音乐", "美术", "信息技术", "通用技术", "心理健康"],
}
HEAD_TEACHER_SUBJECTS = ("语文", "数学", "英语")
# Share of women among teachers by stage.
FEMALE_TEACHERS = {Stage.PRIMARY: 0.78, Stage.JUNIOR: 0.62, Stage.SENIOR: 0.52}

# The six named schools of the default district, in build order. The demo school (school_admin,
# head_teacher, teacher, student) is index 1, the 九年一贯制 school; index 0 supplies the siblings.
BASE_SCHOOLS = [
    (SchoolType.PRIMARY, "镇海区实验小学", "实验小学"),
    (SchoolType.NINE_YEAR, "镇海区蛟川书院", "蛟川书院"),
    (SchoolType.JUNIOR, "镇海区立人中学", "立人中学"),
    (SchoolType.COMPLETE, "镇海区澥浦中学", "澥浦中学"),
    (SchoolType.PRIMARY, "镇海区骆驼中心小学", "骆驼中心小学"),
    (SchoolType.SPECIAL, "镇海区培智学校", "培智学校"),
]
DEMO_SCHOOL_INDEX = 1
SECOND_CAMPUS = "九龙湖校区"
# Mix of school types beyond the first six (a Zhejiang county: mostly primary schools).
EXTRA_TYPE_WEIGHTS = {
    SchoolType.PRIMARY: 46,
    SchoolType.NINE_YEAR: 12,
    SchoolType.JUNIOR: 25,
    SchoolType.COMPLETE: 6,
    SchoolType.SENIOR: 10,
    SchoolType.SPECIAL: 1,
}
# Relative enrolment by type (a 九年一贯制 school is bigger than a primary school, a 培智学校 small).
SIZE_WEIGHT = {
    SchoolType.PRIMARY: 1.0,
    SchoolType.NINE_YEAR: 1.4,
    SchoolType.JUNIOR: 1.0,
    SchoolType.COMPLETE: 1.3,
    SchoolType.SENIOR: 1.1,
    SchoolType.SPECIAL: 0.15,
}
NAME_SUFFIXES = {
    SchoolType.PRIMARY: ["小学", "小学", "中心小学", "实验小学"],
    SchoolType.NINE_YEAR: ["学校", "实验学校"],
    SchoolType.JUNIOR: ["中学", "初级中学"],
    SchoolType.COMPLETE: ["中学"],
    SchoolType.SENIOR: ["高级中学"],
    SchoolType.SPECIAL: ["特殊教育学校"],
}
# Birthplace (身份证 地址码) weights: mostly 镇海 and the rest of 宁波, some 新居民 from other provinces.
AREA_WEIGHTS = {
    "330211": 55,
    "330205": 6,
    "330206": 6,
    "330203": 5,
    "330212": 6,
    "330213": 2,
    "330225": 1,
    "330226": 1,
    "330281": 4,
    "330282": 4,
    "330102": 2,
    "330106": 1,
    "330302": 2,
    "421181": 3,
    "430202": 2,
    "430211": 1,
    "340102": 2,
    "360102": 2,
    "410102": 2,
    "510104": 2,
}
# GB 3304 民族: 汉族 and the minorities most often met among 新居民 families.
ETHNICITIES = [("01", 960), ("15", 8), ("06", 8), ("03", 5), ("08", 5), ("22", 4), ("11", 4), ("12", 3), ("09", 3)]
PHONE_PREFIXES = (
    [f"13{d}" for d in range(10)] + [f"15{d}" for d in "0123456789" if d != "4"] + [f"18{d}" for d in range(10)]
)
SIBLING_RATE = 0.12  # share of students who join a family that already has a child in another school
POOL_CAP = 40_000  # families kept as sibling candidates (bounds memory at 150k students)


class DemoDataExists(Exception):
    """The database already holds a district (or a demo username): seeding would mix data."""


# --- phase 1: the plan ------------------------------------------------------------------------------


@dataclass
class ClassPlan:
    stage: str
    year: int  # 1-based year within the stage
    entry_year: int
    number: int
    size: int


@dataclass
class SchoolPlan:
    index: int
    school_type: str
    name: str
    short_name: str
    code: str
    address: str
    phone: str
    campuses: list[str]
    classes: list[ClassPlan] = field(default_factory=list)

    @property
    def stages(self) -> list[str]:
        return list(SCHOOL_TYPE_STAGES[self.school_type])

    @property
    def students(self) -> int:
        return sum(c.size for c in self.classes)


def _class_sizes(rng: random.Random, target: float, special: bool) -> list[int]:
    """Sizes of the parallel classes of one cohort of about ``target`` students."""
    if special:
        k = max(1, round(target / 10))
        return [rng.randint(SPECIAL_CLASS_MIN, SPECIAL_CLASS_MAX) for _ in range(k)]
    if target < 36:  # small test districts: one small class per cohort
        return [max(1, round(target))]
    k = max(1, round(target / 45))
    n = min(max(round(target), CLASS_MIN * k), CLASS_MAX * k)
    base, rem = divmod(n, k)
    sizes = [base + 1] * rem + [base] * (k - rem)
    for _ in range(k):  # a little unevenness between parallel classes, staying within 40–50
        i, j = rng.randrange(k), rng.randrange(k)
        if i != j and sizes[i] < CLASS_MAX and sizes[j] > CLASS_MIN:
            sizes[i] += 1
            sizes[j] -= 1
    return sizes


def _school_name(rng: random.Random, school_type: str, taken: set[str]) -> tuple[str, str]:
    for _ in range(30):
        short = rng.choice(SCHOOL_PLACES) + rng.choice(NAME_SUFFIXES[school_type])
        if f"镇海区{short}" not in taken:
            return f"镇海区{short}", short
    generic = NAME_SUFFIXES[school_type][0]
    n = 1
    while f"镇海区第{chinese_number(n)}{generic}" in taken:
        n += 1
    return f"镇海区第{chinese_number(n)}{generic}", f"第{chinese_number(n)}{generic}"


def plan_district(
    *,
    schools: int = DEFAULT_SCHOOLS,
    students_per_school: int = DEFAULT_STUDENTS_PER_SCHOOL,
    seed: int = DEFAULT_SEED,
    start_year: int | None = None,
) -> list[SchoolPlan]:
    """Schools and class sizes for a district of ``schools`` × ``students_per_school`` students (about)."""
    if schools < 2:
        raise ValueError("至少需要 2 所学校（演示家长的两个孩子分别在两所学校）")
    if students_per_school < 1:
        raise ValueError("每校学生数至少为 1")
    rng = random.Random(f"zhixiao-demo:{seed}:plan")
    start_year = start_year or academic_start_year()
    types: list[str] = []
    names: list[tuple[str, str]] = []
    taken: set[str] = set()
    extra_types, extra_weights = list(EXTRA_TYPE_WEIGHTS), list(EXTRA_TYPE_WEIGHTS.values())
    for i in range(schools):
        if i < len(BASE_SCHOOLS):
            school_type, name, short = BASE_SCHOOLS[i]
        else:
            school_type = rng.choices(extra_types, weights=extra_weights)[0]
            name, short = _school_name(rng, school_type, taken)
        taken.add(name)
        types.append(school_type)
        names.append((name, short))

    total = schools * students_per_school
    weight_sum = sum(SIZE_WEIGHT[t] for t in types)
    plans = []
    for i, (school_type, (name, short)) in enumerate(zip(types, names, strict=True)):
        code = f"{SCHOOL_CODE_TYPE_PREFIX[school_type]}{PROVINCE}{211000 + i + 1:06d}"
        address = f"宁波市镇海区{rng.choice(STREETS)}{rng.choice(ROADS)}{rng.randint(1, 688)}号"
        phone = f"0574-{rng.choice(['8625', '8627', '8626', '8658', '8659'])}{rng.randint(0, 9999):04d}"
        campuses = ["本部", SECOND_CAMPUS] if i == DEMO_SCHOOL_INDEX else ["本部"]
        plan = SchoolPlan(i, school_type, name, short, code, address, phone, campuses)
        target = total * SIZE_WEIGHT[school_type] / weight_sum * rng.uniform(0.92, 1.08)
        stages = plan.stages
        years_total = sum(STAGE_YEARS[s] for s in stages)
        for stage in stages:
            for year in range(1, STAGE_YEARS[stage] + 1):
                cohort = target / years_total * rng.uniform(0.9, 1.1)
                sizes = _class_sizes(rng, cohort, special=school_type == SchoolType.SPECIAL)
                for number, size in enumerate(sizes, start=1):
                    plan.classes.append(ClassPlan(stage, year, start_year - year + 1, number, size))
        plans.append(plan)
    return plans


# --- phase 2: writing ---------------------------------------------------------------------------------


@dataclass
class DemoLogin:
    role: str
    username: str
    password: str
    name: str
    note: str


@dataclass
class SeedResult:
    district: District
    counts: dict[str, int]
    elapsed: float
    logins: list[DemoLogin]


class _Staff:
    __slots__ = ("classes", "heads", "person", "post", "stage", "subject")

    def __init__(self, person: Person, post: str, subject: Subject | None = None, stage: str | None = None):
        self.person = person
        self.post = post
        self.subject = subject
        self.stage = stage
        self.classes: list[Class] = []
        self.heads = 0


class _Family:
    """Guardians shared by siblings. ``guardians``: [person or, once written, its pk, relation, is_legal_guardian,
    is_primary_contact]."""

    __slots__ = ("area", "child_birth", "guardians", "parent_births", "school_index", "surname")

    def __init__(self, surname: str, area: str, guardians: list, parent_births: list[dt.date]):
        self.surname = surname
        self.area = area
        self.guardians = guardians
        self.parent_births = parent_births
        self.school_index = -1
        self.child_birth: dt.date | None = None


def _years_between(earlier: dt.date, later: dt.date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


class _Builder:
    def __init__(self, *, seed: int, batch_size: int, out: Callable[[str], None]):
        self.seed = seed
        self.rng = random.Random(f"zhixiao-demo:{seed}:people")
        self.names = NameMaker(self.rng)
        self.batch = batch_size
        self.out = out
        self.today = timezone.localdate()
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.pool: list[_Family] = []
        self.parent_seq = 0
        self.student_seq = 0
        self._areas = list(AREA_WEIGHTS)
        self._area_cum = _cumulative(AREA_WEIGHTS.values())
        self._eth = [e for e, _ in ETHNICITIES]
        self._eth_cum = _cumulative(w for _, w in ETHNICITIES)
        known = {code for code, *_ in COUNTIES}
        assert set(AREA_WEIGHTS) <= known, "birthplace codes must be shipped GB/T 2260 counties"
        # filled while building
        self.exchange: tuple[Person, Subject, str] | None = None
        self.demo: dict[str, object] = {}

    # people --------------------------------------------------------------------------------------

    def area(self) -> str:
        return self.rng.choices(self._areas, cum_weights=self._area_cum)[0]

    def ethnicity(self, area: str) -> str:
        if area.startswith("33") and self.rng.random() < 0.9:
            return "01"
        return self.rng.choices(self._eth, cum_weights=self._eth_cum)[0]

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def id_number(self, area: str, born: dt.date, gender: str) -> str:
        odd = gender == "1"  # GB 11643: odd 顺序码 for men
        for attempt in range(60):
            use_area = area if attempt < 40 else self.area()
            seq = self.rng.randrange(1, 500) * 2 + (1 if odd else 0)
            number = idcard.make(use_area, born, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError("身份证号空间不足")  # pragma: no cover

    def date_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def born_for_age(self, age: int) -> dt.date:
        """A birth date making the person exactly ``age`` today."""
        try:
            latest = self.today.replace(year=self.today.year - age)
        except ValueError:  # 29 February
            latest = self.today.replace(year=self.today.year - age, day=28)
        return latest - dt.timedelta(days=self.rng.randint(0, 364))

    def person(
        self, name: str, gender: str, born: dt.date, area: str | None = None, phone: str = "", ethnicity: str = ""
    ) -> Person:
        area = area or self.area()
        p = Person(
            name=name,
            gender=gender,
            birth_date=born,
            ethnicity=ethnicity or self.ethnicity(area),
            id_type="1",
            id_number=self.id_number(area, born, gender),
            phone=phone,
        )
        p.refresh_indexes()  # bulk_create skips save()
        return p

    def adult(self, gender: str, age: int, surname: str | None = None, area: str | None = None) -> Person:
        generation = "elder" if age >= 62 else "adult"
        name = self.names.full(gender, generation, surname)
        return self.person(name, gender, self.born_for_age(age), area, phone=self.phone())

    # families ------------------------------------------------------------------------------------

    def new_family(self, child_birth: dt.date) -> _Family:
        rng = self.rng
        c = _years_between(child_birth, self.today)
        mother_age = min(max(c + min(max(round(rng.gauss(28.5, 4)), 22), 40), 30), 50)
        father_age = min(max(mother_age + rng.choice((-1, 0, 1, 1, 2, 2, 3, 3, 4, 5, 7)), 30), 50)
        grand_age = min(max(father_age + rng.randint(24, 30), 55), 78)
        family_area = self.area()
        father_surname = self.names.surname()
        r = rng.random()
        guardians: list = []
        births: list[dt.date] = []

        def add(p: Person, relation: str, legal: bool = True):
            guardians.append([p, relation, legal, False])
            if relation in (Relation.FATHER, Relation.MOTHER):
                births.append(p.birth_date)

        def father() -> Person:
            return self.adult("1", father_age, father_surname, family_area)

        def mother() -> Person:
            return self.adult("2", mother_age, None, family_area if rng.random() < 0.6 else None)

        if r < 0.60:
            pair = [(mother(), Relation.MOTHER), (father(), Relation.FATHER)]
            if rng.random() < 0.35:
                pair.reverse()
            for p, rel in pair:
                add(p, rel)
        elif r < 0.78:
            add(mother(), Relation.MOTHER)
        elif r < 0.88:
            add(father(), Relation.FATHER)
        elif r < 0.96:
            if rng.random() < 0.6:
                add(mother(), Relation.MOTHER)
            else:
                add(father(), Relation.FATHER)
            gender = rng.choice("12")
            add(self.adult(gender, grand_age, father_surname if gender == "1" else None), Relation.GRANDPARENT, False)
        else:  # grandparents bring the child up (parents work elsewhere)
            gender = rng.choice("12")
            add(self.adult(gender, grand_age, father_surname if gender == "1" else None), Relation.GRANDPARENT)
        guardians[0][3] = True  # primary contact
        surname = father_surname if rng.random() < 0.92 else self.names.surname()
        return _Family(surname, family_area, guardians, births)

    def _sibling_ok(self, fam: _Family, school_index: int, birth: dt.date, strict: bool = True) -> bool:
        if fam.school_index == school_index or fam.child_birth is None:
            return False
        if strict and abs((fam.child_birth - birth).days) < 330:
            return False
        return all(21 <= _years_between(pb, birth) <= 44 for pb in fam.parent_births)

    def family_for(self, birth: dt.date, school_index: int, force: bool = False) -> tuple[_Family, bool]:
        """(family, is_existing): an existing family from another school (sibling) or a new one."""
        pool, rng = self.pool, self.rng
        if pool and (force or rng.random() < SIBLING_RATE):
            if force:
                candidates = [i for i in range(len(pool)) if self._sibling_ok(pool[i], school_index, birth)] or [
                    i for i in range(len(pool)) if self._sibling_ok(pool[i], school_index, birth, strict=False)
                ]
                # the demo parent: prefer a family with both parents
                both = [i for i in candidates if len(pool[i].parent_births) == 2]
                chosen = (both or candidates or [None])[0]
            else:
                chosen = None
                for _ in range(6):
                    i = rng.randrange(len(pool))
                    if self._sibling_ok(pool[i], school_index, birth):
                        chosen = i
                        break
            if chosen is not None:
                fam = pool[chosen]
                pool[chosen] = pool[-1]
                pool.pop()
                return fam, True
        return self.new_family(birth), False

    # schools ------------------------------------------------------------------------------------

    def staff_person(self, stage: str | None, min_age: int = 23, max_age: int = 58) -> Person:
        female = FEMALE_TEACHERS.get(stage, 0.6)
        gender = "2" if self.rng.random() < female else "1"
        age = self.rng.randint(min_age, max_age)
        return self.adult(gender, age)

    def build_school(self, plan: SchoolPlan, ctx: dict) -> dict[str, int]:
        rng, bs = self.rng, self.batch
        district, term, subjects = ctx["district"], ctx["term"], ctx["subjects"]
        school = School.objects.create(
            district=district,
            code=plan.code,
            name=plan.name,
            short_name=plan.short_name,
            school_type=plan.school_type,
            address=plan.address,
            phone=plan.phone,
        )
        campuses = [
            Campus.objects.create(school=school, name=name, address=plan.address, is_main=(j == 0))
            for j, name in enumerate(plan.campuses)
        ]
        grades = {
            (c.stage, c.entry_year): Grade(school=school, stage=c.stage, entry_year=c.entry_year) for c in plan.classes
        }
        Grade.objects.bulk_create(list(grades.values()), batch_size=bs)

        stages = plan.stages
        classes: list[tuple[ClassPlan, Class]] = []
        for cp in plan.classes:
            campus = campuses[0]
            if len(campuses) > 1:
                lower = cp.stage == stages[0] if len(stages) > 1 else cp.year <= STAGE_YEARS[cp.stage] // 2
                campus = campuses[1] if lower else campuses[0]
            grade = grades[(cp.stage, cp.entry_year)]
            classes.append((cp, Class(school=school, grade=grade, number=cp.number, campus=campus)))

        # staff: leadership, then subject teachers sized by the classes they teach
        main_stage = stages[0]
        staff: list[_Staff] = [
            _Staff(self.staff_person(main_stage, 45, 57), Post.PRINCIPAL),
            _Staff(self.staff_person(main_stage, 38, 55), Post.VICE_PRINCIPAL),
            _Staff(self.staff_person(main_stage, 33, 50), Post.ACADEMIC_DIRECTOR),
        ]
        teachers: list[_Staff] = []
        assignments: list[tuple[_Staff, Class, Subject, int]] = []
        exchange_staff: _Staff | None = None
        for stage in stages:
            stage_classes = [(cp, k) for cp, k in classes if cp.stage == stage]
            for subject_name, periods in CORE_PERIODS[stage].items():
                subject = subjects[subject_name]
                slots = [(cp, k) for cp, k in stage_classes if periods[cp.year - 1] > 0]
                if not slots:
                    continue
                if (
                    plan.index == DEMO_SCHOOL_INDEX
                    and self.exchange is not None
                    and exchange_staff is None
                    and self.exchange[1] == subject
                    and self.exchange[2] == stage
                    and len(slots) > 1
                ):
                    exchange_staff = _Staff(self.exchange[0], Post.TEACHER, subject, stage)
                    cp, k = slots.pop()
                    exchange_staff.classes.append(k)
                    assignments.append((exchange_staff, k, subject, periods[cp.year - 1]))
                s = len(slots)
                # 2–4 classes per teacher (1–2 when the subject has only one or two classes)
                n = 1 if s <= 2 else min(s // 2, max(math.ceil(s / 4), round(s / rng.uniform(2.4, 3.4))))
                chunk_sizes = [s // n + (1 if i < s % n else 0) for i in range(n)]
                rng.shuffle(chunk_sizes)
                pos = 0
                for size in chunk_sizes:
                    t = _Staff(self.staff_person(stage), Post.TEACHER, subject, stage)
                    for cp, k in slots[pos : pos + size]:
                        t.classes.append(k)
                        assignments.append((t, k, subject, periods[cp.year - 1]))
                    pos += size
                    teachers.append(t)
        students_total = plan.students
        target = round(students_total / rng.uniform(12, 14))
        others = max(1 if students_total < 100 else 2, target - len(teachers) - len(staff))
        for _ in range(others):
            stage = rng.choice(stages)
            teachers.append(_Staff(self.staff_person(stage), Post.TEACHER, subjects[rng.choice(OTHER_SUBJECTS[stage])]))
        staff.extend(teachers)
        leaders = staff[:3]
        leaders[2].subject = subjects[rng.choice(HEAD_TEACHER_SUBJECTS)]

        # 班主任: prefer the class's 语文/数学/英语 teacher, one class each
        by_class: dict[int, list[_Staff]] = {}
        for t, k, _subject, _periods in assignments:
            by_class.setdefault(id(k), []).append(t)
        spare = [t for t in teachers if not t.classes]
        for _cp, k in classes:
            candidates = [t for t in by_class.get(id(k), []) if t is not exchange_staff]
            candidates.sort(
                key=lambda t: (
                    HEAD_TEACHER_SUBJECTS.index(t.subject.name) if t.subject.name in HEAD_TEACHER_SUBJECTS else 9
                )
            )
            head = next((t for t in candidates if t.heads == 0), None)
            if head is None:
                head = next((t for t in spare if t.heads == 0), None)
            if head is None:
                head = next((t for t in teachers if t.heads == 0 and t is not exchange_staff), None)
            if head is None:
                head = next((t for t in leaders[1:] if t.heads == 0), None) or candidates[0]
            head.heads += 1
            k.head_teacher = head.person

        # write staff
        new_staff = staff
        Person.objects.bulk_create([t.person for t in new_staff], batch_size=bs)
        started = [dt.date(self.today.year - rng.randint(0, 25), 9, 1) for _ in new_staff]
        prefix = f"{plan.index + 1:04d}"
        posts = [
            StaffPost(
                person=t.person,
                school=school,
                post=t.post,
                staff_no=f"{prefix}{n:04d}",
                main_subject=t.subject,
                is_primary=True,
                started_on=max(started[n - 1], t.person.birth_date.replace(year=t.person.birth_date.year + 22, day=1)),
            )
            for n, t in enumerate(new_staff, start=1)
        ]
        if exchange_staff is not None:
            posts.append(
                StaffPost(
                    person=exchange_staff.person,
                    school=school,
                    post=Post.TEACHER,
                    staff_no=f"{prefix}{len(new_staff) + 1:04d}",
                    main_subject=exchange_staff.subject,
                    is_primary=False,
                    started_on=dt.date(ctx["start_year"], 9, 1),
                )
            )
        StaffPost.objects.bulk_create(posts, batch_size=bs)
        users = [
            User(username=f"t{sp.staff_no}", person=sp.person, password=UNUSABLE_PASSWORD)
            for sp in posts[: len(new_staff)]
        ]
        User.objects.bulk_create(users, batch_size=bs)
        RoleGrant.objects.create(user=users[0], role=Role.SCHOOL_ADMIN, district=district, school=school)

        Class.objects.bulk_create([k for _, k in classes], batch_size=bs)
        TeachingAssignment.objects.bulk_create(
            [
                TeachingAssignment(teacher=t.person, klass=k, subject=s, term=term, periods_per_week=p)
                for t, k, s, p in assignments
            ],
            batch_size=bs,
        )

        # demo picks in the demo school
        demo_class = None
        if plan.index == DEMO_SCHOOL_INDEX:
            later_stage = [k for cp, k in classes if cp.stage == stages[-1]]
            demo_class = (later_stage or [k for _, k in classes])[0]
            self.demo["school"] = school
            self.demo["principal"] = leaders[0].person
            self.demo["head_teacher"] = demo_class.head_teacher
            self.demo["class"] = demo_class
            non_heads = [t for t in teachers if t.classes and t.heads == 0 and t is not exchange_staff]
            non_heads.sort(key=lambda t: (not any(k is demo_class for k in t.classes), t.subject.sort_order))
            if not non_heads:
                raise RuntimeError("演示学校没有不担任班主任的任课教师，请增加每校学生数")
            self.demo["teacher"] = non_heads[0].person
        if plan.index == 0:
            pick = next((t for t in teachers if t.stage == Stage.PRIMARY and t.subject.name == "数学"), None)
            pick = pick or next((t for t in teachers if t.classes), None)
            if pick is not None:
                self.exchange = (pick.person, pick.subject, pick.stage)

        # students and families
        persons: list[Person] = []
        students: list[Student] = []
        families: list[tuple[Student, _Family]] = []
        new_families: list[_Family] = []
        for cp, k in classes:
            entry_age = ENTRY_AGE[cp.stage]
            first = dt.date(cp.entry_year - entry_age - 1, 9, 1)
            last = dt.date(cp.entry_year - entry_age, 8, 31)
            for class_no in range(1, cp.size + 1):
                gender = "1" if rng.random() < 0.53 else "2"
                born = self.date_between(first, last)
                force = k is demo_class and class_no == 1
                fam, existing = self.family_for(born, plan.index, force=force)
                if not existing:
                    new_families.append(fam)
                    fam.child_birth = born
                    fam.school_index = plan.index
                    for g in fam.guardians:
                        persons.append(g[0])
                area = fam.area if rng.random() < 0.9 else self.area()
                p = self.person(self.names.full(gender, "child", fam.surname), gender, born, area)
                persons.append(p)
                st = Student(
                    person=p,
                    district=district,
                    school=school,
                    klass=k,
                    student_no=f"G{p.id_number}",
                    class_no=class_no,
                    enrolled_on=dt.date(cp.entry_year, 9, 1),
                )
                st.refresh_indexes()  # bulk_create skips save()
                students.append(st)
                families.append((st, fam))
                if force:
                    self.demo["student"] = p
                    parents = [g for g in fam.guardians if g[1] in (Relation.FATHER, Relation.MOTHER)]
                    self.demo["parent"] = (parents or fam.guardians)[0][0]
        Person.objects.bulk_create(persons, batch_size=bs)
        Student.objects.bulk_create(students, batch_size=bs)
        users = []
        for st in students:
            self.student_seq += 1
            users.append(User(username=f"s{self.student_seq:07d}", person=st.person, password=UNUSABLE_PASSWORD))
        for fam in new_families:
            for g in fam.guardians:
                self.parent_seq += 1
                users.append(User(username=f"p{self.parent_seq:07d}", person=g[0], password=UNUSABLE_PASSWORD))
        User.objects.bulk_create(users, batch_size=bs)
        Guardianship.objects.bulk_create(
            [
                Guardianship(
                    guardian_id=g[0].pk if isinstance(g[0], Person) else g[0],
                    student=st,
                    relation=g[1],
                    is_legal_guardian=g[2],
                    is_primary_contact=g[3],
                )
                for st, fam in families
                for g in fam.guardians
            ],
            batch_size=bs,
        )
        # families of this school become sibling candidates for the next schools (keeping only the
        # guardians' ids: Person objects of 40k families would cost hundreds of MB)
        for fam in new_families:
            for g in fam.guardians:
                g[0] = g[0].pk
            if len(self.pool) < POOL_CAP:
                self.pool.append(fam)
            else:
                self.pool[rng.randrange(POOL_CAP)] = fam
        return {"students": len(students), "staff": len(posts), "classes": len(classes)}


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _rename(person: Person, username: str) -> User:
    user = User.objects.get(person=person)
    user.username = username
    user.set_password(DEMO_PASSWORD)
    user.must_change_password = False
    user.save()
    return user


# Functions ``fn(*, district, seed, out, batch_size)`` run after the core demo data is built; apps register them
# in AppConfig.ready() so the demo district also has their data.
DEMO_HOOKS: list[Callable] = []


def demo_school_and_class(district):
    """The school and class of the demo logins, for the modules' demo hooks (which run before the logins are
    renamed): the school made at DEMO_SCHOOL_INDEX and the first class of its last stage. (None, None) when
    the district has no such school or class."""
    from ..models import Class, School

    schools = list(School.objects.filter(district=district).order_by("pk")[: DEMO_SCHOOL_INDEX + 1])
    if len(schools) <= DEMO_SCHOOL_INDEX:
        return None, None
    school = schools[DEMO_SCHOOL_INDEX]
    classes = list(Class.objects.filter(school=school).select_related("grade").order_by("pk"))
    if not classes:
        return school, None
    last_stage = max((k.grade.stage for k in classes), key=["primary", "junior", "senior"].index)
    return school, next(k for k in classes if k.grade.stage == last_stage)


def seed_demo(
    *,
    schools: int = DEFAULT_SCHOOLS,
    students_per_school: int = DEFAULT_STUDENTS_PER_SCHOOL,
    seed: int = DEFAULT_SEED,
    batch_size: int = DEFAULT_BATCH_SIZE,
    out: Callable[[str], None] | None = None,
) -> SeedResult:
    """Build the demo district. Raises ``DemoDataExists`` when a district already exists."""
    out = out or (lambda line: None)
    started = time.monotonic()
    demo_usernames = [u for u, _label in DEMO_ROLES]
    if District.objects.exists():
        raise DemoDataExists("演示数据已存在（数据库中已有区县），未做任何修改。如需重建，请先清空数据库。")
    if User.objects.filter(username__in=demo_usernames).exists():
        raise DemoDataExists("演示账号用户名已被占用，未做任何修改。")

    builder = _Builder(seed=seed, batch_size=batch_size, out=out)
    with transaction.atomic():
        from ..data.loaders import regions_ensure

        regions_ensure(Region)
        region = Region.objects.get(code=DISTRICT_REGION)
        district = services.district_create(actor=None, region=region, name=DISTRICT_NAME)
        term = services.current_term(district_id=district.pk)
        start_year = term.academic_year.start_year
        subjects = {s.name: s for s in Subject.objects.filter(district=district)}
        # 教育局 staff: the district administrator and the auditor (三员分立: two different people)
        bureau = [builder.staff_person(None, 35, 52) for _ in range(3)]  # admin, auditor, 教研员
        Person.objects.bulk_create(bureau)
        admin_user = User.objects.create(username="district_admin", person=bureau[0], password=UNUSABLE_PASSWORD)
        auditor_user = User.objects.create(username="auditor", person=bureau[1], password=UNUSABLE_PASSWORD)
        RoleGrant.objects.create(user=admin_user, role=Role.DISTRICT_ADMIN, district=district)
        RoleGrant.objects.create(user=auditor_user, role=Role.AUDITOR, district=district)
        researcher_user = User.objects.create(username="researcher", person=bureau[2], password=UNUSABLE_PASSWORD)
        RoleGrant.objects.create(user=researcher_user, role=Role.RESEARCHER, district=district)

    plans = plan_district(schools=schools, students_per_school=students_per_school, seed=seed, start_year=start_year)
    ctx = {"district": district, "term": term, "subjects": subjects, "start_year": start_year}
    total_students = 0
    for n, plan in enumerate(plans, start=1):
        with transaction.atomic():
            made = builder.build_school(plan, ctx)
        reset_queries()  # with DEBUG on, Django keeps the (huge) bulk INSERT statements in memory
        total_students += made["students"]
        out(
            f"学校 {n}/{len(plans)} {plan.name}（{SchoolType(plan.school_type).label}）："
            f"{made['classes']} 个班，学生 {made['students']}，教职工 {made['staff']}；"
            f"累计学生 {total_students:,}，用时 {time.monotonic() - started:.1f} 秒"
        )

    for hook in DEMO_HOOKS:  # other apps add their own demo data (e.g. 学籍 profiles)
        with transaction.atomic():
            hook(district=district, seed=seed, out=out, batch_size=batch_size)
        reset_queries()

    demo = builder.demo
    with transaction.atomic():
        school = demo["school"]
        logins = []
        for person, username, label, note in [
            (bureau[0], "district_admin", "区县管理员", district.name),
            (bureau[1], "auditor", "审计管理员", district.name),
            (bureau[2], "researcher", "教研员", f"{district.name}（组织联考、看分析）"),
            (demo["principal"], "school_admin", "学校管理员", f"{school.name} 校长"),
            (demo["head_teacher"], "head_teacher", "班主任", f"{school.name} {demo['class'].name} 班主任"),
            (demo["teacher"], "teacher", "任课教师", f"{school.name} 任课教师（非班主任）"),
            (demo["student"], "student", "学生", f"{school.name} {demo['class'].name}"),
            (demo["parent"], "parent", "家长", "两个孩子分别在两所学校就读"),
        ]:
            if not isinstance(person, Person):
                person = Person.objects.get(pk=person)
            _rename(person, username)
            logins.append(DemoLogin(label, username, DEMO_PASSWORD, person.name, note))
        # logins the modules' demo hooks made (e.g. teacher2 of the resource library's cross-school flow)
        made = {d.username for d in logins}
        for user in User.objects.filter(username__in=[u for u, _l in DEMO_ROLES if u not in made]).select_related(
            "person"
        ):
            post = StaffPost.objects.filter(person=user.person).select_related("school", "main_subject").first()
            note = f"{post.school.name} {post.main_subject.name if post.main_subject else ''}教师" if post else ""
            label = dict(DEMO_ROLES)[user.username]
            logins.append(DemoLogin(label, user.username, DEMO_PASSWORD, user.person.name, note))
        counts = {
            "schools": School.objects.filter(district=district).count(),
            "campuses": Campus.objects.filter(school__district=district).count(),
            "grades": Grade.objects.filter(school__district=district).count(),
            "classes": Class.objects.filter(school__district=district).count(),
            "students": Student.objects.filter(district=district).count(),
            "staff_posts": StaffPost.objects.filter(school__district=district).count(),
            "teaching_assignments": TeachingAssignment.objects.filter(klass__school__district=district).count(),
            "guardianships": Guardianship.objects.filter(student__district=district).count(),
            "persons": Person.objects.count(),
            "users": User.objects.count(),
        }
        audit_record(
            actor=None,
            action="seed_demo",
            object_type="core.district",
            object_repr=f"{district.name}：演示数据 {counts['schools']} 所学校，{counts['students']} 名学生",
            district_id=district.pk,
            changes={"seed": seed, **counts},
        )
    return SeedResult(district=district, counts=counts, elapsed=time.monotonic() - started, logins=logins)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_logins(logins: list[DemoLogin]) -> str:
    rows = [("角色", "用户名", "密码", "姓名", "说明")] + [
        (x.role, x.username, x.password, x.name, x.note) for x in logins
    ]
    widths = [max(_width(r[i]) for r in rows) + 2 for i in range(4)]
    lines = ["".join(_pad(r[i], widths[i]) for i in range(4)) + r[4] for r in rows]
    lines.append(
        "注意：区县管理员、学校管理员、审计管理员和教研员首次登录时须绑定 TOTP 身份验证器（动态口令），之后每次登录需输入验证码。"
    )
    lines.append(
        "没有验证器 App 时（仅演示模式）：打开动态口令页面后运行 .venv/bin/python manage.py demo_otp <用户名> 获取当前口令。"
    )
    return "\n".join(lines)


DEMO_ROLES = [
    ("district_admin", "区县管理员"),
    ("auditor", "审计管理员"),
    ("researcher", "教研员"),
    ("school_admin", "学校管理员"),
    ("head_teacher", "班主任"),
    ("teacher", "任课教师"),
    ("teacher2", "任课教师（另一所学校）"),  # made by the resources demo: a second school's 数学 teacher
    ("student", "学生"),
    ("parent", "家长"),
]


def existing_logins() -> list[DemoLogin]:
    """The demo logins of an already seeded database (for ``make demo`` on the second run)."""
    users = {
        u.username: u for u in User.objects.filter(username__in=[u for u, _ in DEMO_ROLES]).select_related("person")
    }
    return [
        DemoLogin(label, username, DEMO_PASSWORD, users[username].display_name, "")
        for username, label in DEMO_ROLES
        if username in users
    ]
