"""课表 API under /api/v1/timetable/ (mounted in TimetableConfig.ready).

* ``GET /timetable/my`` — the lessons of the user's own timetables (teacher: own lessons; student: class;
  parent: children's classes) for a week (``?week=YYYY-MM-DD``, approved 调课/代课 applied), ``?school=`` filter;
* ``GET /timetable/classes/{id}`` — a class's published timetable (anyone who can see the class);
* ``GET /timetable/schools/{school}/teachers/{person}`` — a teacher's published timetable (the teacher, the
  school's admins);
* ``GET /timetable/substitutions`` — 调课/代课 requests in scope; ``POST /timetable/substitutions`` — request one
  (a teacher for their own lesson); ``POST /timetable/substitutions/{id}/decide`` — approve or reject (教务);
* ``GET /timetable/groups/{id}`` — a 走班 teaching group with its 名单 (its teacher, the school's admins);
  ``PUT /timetable/groups/{id}/students`` sets the 名单 (the school's admins);
* ``GET /timetable/electives`` — 网上选课 open to the user's own student record or children;
  ``POST /timetable/electives/{block}/choice`` — choose, change or give back (``group: null``) a seat.

Out of scope → 404; in scope but not allowed → 403; bad input → 422 with the Chinese message.
"""

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from core.api.common import actor, get_visible
from core.api.errors import not_found
from core.api.org import READ_ERRORS, WRITE_ERRORS
from core.api.pagination import Pagination
from core.models import Class, Person, School

from . import selectors as sel
from . import services
from .models import Substitution, SubstitutionKind, TimetableEntry
from .problem import week_setup_for

router = Router(tags=["课表"])


class LessonOut(Schema):
    entry_id: int
    day: int
    day_name: str
    period: int
    length: int
    start: str
    end: str
    subject: str
    class_name: str
    class_id: int
    teacher: str
    room: str
    badge: str
    note: str


class TimetableOut(Schema):
    id: int
    name: str
    effective_from: dt.date | None
    week: dt.date


class MyOut(Schema):
    count: int
    timetables: list[dict]
    items: list[LessonOut]


class GridOut(Schema):
    id: int
    name: str
    timetable: TimetableOut | None
    items: list[LessonOut]


class SubstitutionOut(Schema):
    id: int
    kind: str
    status: str
    date: dt.date
    class_id: int
    class_name: str
    classes: list[str]
    subject: str
    period: int
    original_teacher: str
    substitute: str | None
    reason: str

    @staticmethod
    def resolve_class_id(obj):
        return obj.klass_id

    @staticmethod
    def resolve_class_name(obj):
        return obj.klass.name

    @staticmethod
    def resolve_classes(obj):
        """Every class the change is for: all classes of a 合班, or of a 走班 teaching group, for its 代课."""
        if obj.kind != SubstitutionKind.SUBSTITUTE or not obj.entry.parallel_key:
            return [obj.klass.name]
        return list(dict.fromkeys(e.klass.name for e in sel.entry_teaching_rows(obj.entry)))

    @staticmethod
    def resolve_subject(obj):
        return obj.entry.subject.name

    @staticmethod
    def resolve_period(obj):
        return obj.entry.period

    @staticmethod
    def resolve_original_teacher(obj):
        return obj.original_teacher.name

    @staticmethod
    def resolve_substitute(obj):
        return obj.substitute.name if obj.substitute_id else None


class SubstitutionIn(Schema):
    entry: int
    date: dt.date
    reason: str
    kind: str = "substitute"
    substitute: int | None = None
    swap_entry: int | None = None
    swap_date: dt.date | None = None


class DecideIn(Schema):
    approve: bool
    note: str = ""
    substitute: int | None = None


def _lessons(setup, grid) -> list[dict]:
    out = []
    for row in grid["rows"]:
        for cell in row["cells"]:
            for it in cell["items"]:
                if not it["first"]:
                    continue
                start = setup.period_time(it["period"])[0]
                end = setup.period_time(it["period"] + it["length"] - 1)[1]
                out.append(
                    {
                        "entry_id": it["id"],
                        "day": it["day"],
                        "day_name": sel.WEEKDAYS[it["day"]],
                        "period": it["period"],
                        "length": it["length"],
                        "start": start,
                        "end": end,
                        "subject": it["subject"],
                        "class_name": it["klass"],
                        "class_id": it["klass_id"],
                        "teacher": it["teacher"],
                        "room": it["room"],
                        "badge": it["badge"],
                        "note": it["note"],
                    }
                )
    return out


def _monday(week: dt.date | None) -> dt.date:
    return sel.monday_of(week or timezone.localdate())


def _tt_out(tt, monday):
    return {"id": tt.pk, "name": tt.name, "effective_from": tt.effective_from, "week": monday}


@router.get("/my", response={200: MyOut, **READ_ERRORS}, summary="我的课表")
def my_timetable(request, week: dt.date | None = None, school: int | None = None):
    user = actor(request)
    monday = _monday(week)
    items, timetables = [], []
    for target in sel.own_lesson_targets(user):
        if school is not None and target["school_id"] != school:
            continue
        # each day from the version in force that day (a new version may start mid-week)
        if target["kind"] == "teacher":
            grid, parts = sel.week_grid(user=user, school_id=target["school_id"], monday=monday, teacher=user.person)
        else:
            klass = Class.objects.visible_to(user).filter(pk=target["id"]).select_related("grade").first()
            if klass is None:
                continue
            grid, parts = sel.week_grid(user=user, school_id=target["school_id"], monday=monday, klass=klass)
        if not parts:
            continue
        tt = parts[-1][0]
        lessons = _lessons(week_setup_for(tt.school), grid)
        timetables.append({**_tt_out(tt, monday), "label": target["label"], "kind": target["kind"]})
        items.extend(lessons)
    return {"count": len(items), "timetables": timetables, "items": items}


@router.get("/classes/{int:class_id}", response={200: GridOut, **READ_ERRORS}, summary="班级课表")
def class_timetable(request, class_id: int, week: dt.date | None = None):
    user = actor(request)
    klass = get_visible(Class.objects.visible_to(user).select_related("grade"), class_id, "班级")
    monday = _monday(week)
    grid, parts = sel.week_grid(user=user, school_id=klass.school_id, monday=monday, klass=klass)
    tt = parts[-1][0] if parts else None
    items = []
    if tt is not None:
        items = _lessons(week_setup_for(tt.school), grid)
    return {"id": klass.pk, "name": klass.name, "timetable": _tt_out(tt, monday) if tt else None, "items": items}


@router.get(
    "/schools/{int:school_id}/teachers/{int:person_id}", response={200: GridOut, **READ_ERRORS}, summary="教师课表"
)
def teacher_timetable(request, school_id: int, person_id: int, week: dt.date | None = None):
    user = actor(request)
    school = get_visible(School.objects.visible_to(user), school_id, "学校")
    teacher = Person.objects.filter(
        pk=person_id, staff_posts__school=school, staff_posts__archived_at__isnull=True
    ).first()
    if teacher is None or not (user.person_id == teacher.pk or sel.can_view_setup(user, school)):
        raise not_found("教师")
    monday = _monday(week)
    grid, parts = sel.week_grid(user=user, school_id=school.pk, monday=monday, teacher=teacher)
    tt = parts[-1][0] if parts else None
    items = []
    if tt is not None:
        items = _lessons(week_setup_for(tt.school), grid)
    return {"id": teacher.pk, "name": teacher.name, "timetable": _tt_out(tt, monday) if tt else None, "items": items}


class RosterStudentOut(Schema):
    id: int
    name: str
    class_id: int
    class_name: str
    class_no: int | None


class RosterOut(Schema):
    id: int
    name: str
    block: str
    teacher: str
    count: int
    students: list[RosterStudentOut]


class RosterIn(Schema):
    students: list[int]


def _roster_out(group) -> dict:
    members = sel.group_students(group)
    return {
        "id": group.pk,
        "name": group.name,
        "block": group.block.name,
        "teacher": group.teacher.name,
        "count": len(members),
        "students": [
            {
                "id": st.pk,
                "name": st.person.name,
                "class_id": st.klass_id,
                "class_name": st.klass.name,
                "class_no": st.class_no,
            }
            for st in members
        ],
    }


@router.get("/groups/{int:group_id}", response={200: RosterOut, **READ_ERRORS}, summary="教学班及名单")
def group_roster(request, group_id: int):
    group = sel.group_for_roster(actor(request), group_id)
    if group is None:
        raise not_found("教学班")
    return _roster_out(group)


@router.put("/groups/{int:group_id}/students", response={200: RosterOut, **WRITE_ERRORS}, summary="设置教学班名单")
def group_roster_set(request, group_id: int, payload: RosterIn):
    user = actor(request)
    group = sel.group_for_roster(user, group_id)
    if group is None:
        raise not_found("教学班")
    services.teaching_group_students_set(actor=user, group=group, students=payload.students)
    return _roster_out(group)


class OfferGroupOut(Schema):
    id: int
    name: str
    subject: str
    teacher: str
    room: str
    taken: int
    seats: int | None
    full: bool
    mine: bool


class OfferOut(Schema):
    block_id: int
    block: str
    student_id: int
    student: str
    class_name: str
    state: str
    choose_from: dt.datetime
    choose_until: dt.datetime
    groups: list[OfferGroupOut]


class ChoiceIn(Schema):
    student: int
    group: int | None = None


def _offer_out(o: dict) -> dict:
    return {
        "block_id": o["block"].pk,
        "block": o["block"].name,
        "student_id": o["student"].pk,
        "student": o["student"].person.name,
        "class_name": o["student"].klass.name,
        "state": o["state"],
        "choose_from": o["block"].choose_from,
        "choose_until": o["block"].choose_until,
        "groups": [
            {
                "id": r["group"].pk,
                "name": r["group"].name,
                "subject": r["group"].subject.name,
                "teacher": r["group"].teacher.name,
                "room": r["group"].room.name if r["group"].room_id else "",
                "taken": r["taken"],
                "seats": r["seats"],
                "full": r["full"],
                "mine": r["mine"],
            }
            for r in o["groups"]
        ],
    }


class OffersOut(Schema):
    count: int
    items: list[OfferOut]


@router.get("/electives", response={200: OffersOut, **READ_ERRORS}, summary="网上选课：我（或孩子）的走班")
def elective_offers(request):
    items = [_offer_out(o) for o in sel.elective_offers(actor(request))]
    return {"count": len(items), "items": items}


@router.post(
    "/electives/{int:block_id}/choice", response={200: OfferOut, **WRITE_ERRORS}, summary="网上选课：选择、改选或退选"
)
def elective_choice(request, block_id: int, payload: ChoiceIn):
    user = actor(request)
    offers = sel.elective_offers(user)
    offer = next((o for o in offers if o["block"].pk == block_id and o["student"].pk == payload.student), None)
    if offer is None:
        raise not_found("走班")
    group = None
    if payload.group is not None:
        group = next((r["group"] for r in offer["groups"] if r["group"].pk == payload.group), None)
        if group is None:
            raise not_found("教学班")
    services.elective_choose(actor=user, block=offer["block"], student=offer["student"], group=group)
    fresh = sel.elective_offers(user)
    return _offer_out(next(o for o in fresh if o["block"].pk == block_id and o["student"].pk == payload.student))


@router.get("/substitutions", response=list[SubstitutionOut], summary="调课代课列表")
@paginate(Pagination)
def substitution_list(request, school: int | None = None, status: str | None = None):
    qs = sel.substitutions_visible(actor(request))
    if school is not None:
        qs = qs.filter(school_id=school)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.post("/substitutions", response={201: SubstitutionOut, **WRITE_ERRORS}, summary="申请调课/代课")
def substitution_create(request, payload: SubstitutionIn):
    user = actor(request)
    entries = TimetableEntry.objects.visible_to(user).select_related("timetable", "klass__grade", "subject", "teacher")
    entry = get_visible(entries, payload.entry, "课")
    substitute = None
    if payload.substitute is not None:
        substitute = Person.objects.filter(
            pk=payload.substitute, staff_posts__school_id=entry.timetable.school_id
        ).first()
        if substitute is None:
            raise not_found("教师")
    swap = get_visible(entries, payload.swap_entry, "课") if payload.swap_entry else None
    sub = services.substitution_request(
        actor=user,
        entry=entry,
        date=payload.date,
        reason=payload.reason,
        kind=payload.kind,
        substitute=substitute,
        swap_entry=swap,
        swap_date=payload.swap_date,
    )
    return Status(201, sel.substitutions_visible(user).get(pk=sub.pk))


@router.post(
    "/substitutions/{int:sub_id}/decide", response={200: SubstitutionOut, **WRITE_ERRORS}, summary="审批调课/代课"
)
def substitution_decide(request, sub_id: int, payload: DecideIn):
    user = actor(request)
    sub = get_visible(Substitution.objects.visible_to(user), sub_id, "调课代课申请")
    substitute = None
    if payload.substitute is not None:
        substitute = Person.objects.filter(pk=payload.substitute).first()
    services.substitution_decide(
        actor=user, substitution=sub, approve=payload.approve, note=payload.note, substitute=substitute
    )
    return sel.substitutions_visible(user).get(pk=sub.pk)


def timetable_api_scope_cases(w):
    """Scoped GET endpoints of this router with the fixtures of ``timetable.testing.tt_world`` (same shape as
    ``core.api.api_scope_cases``)."""
    from core.api import ScopeCase

    from .testing import choosing_open, tt_world

    tt_world(w)
    choosing_open(w)  # 网上选课 of the block open now
    p = "/api/v1/timetable"
    return [
        ScopeCase(f"{p}/my?school={w.school_a.pk}", "student_user_a1", "student_user_b1"),
        ScopeCase(f"{p}/my?school={w.school_a.pk}", "teacher_a", "teacher_b"),
        ScopeCase(f"{p}/classes/{w.class_a1.pk}", "parent1", "parent2"),
        ScopeCase(f"{p}/schools/{w.school_a.pk}/teachers/{w.math_a.pk}", "teacher_a", "head_teacher_a2"),
        ScopeCase(f"{p}/schools/{w.school_a.pk}/teachers/{w.math_a.pk}", "school_admin_a", "school_admin_b"),
        ScopeCase(f"{p}/substitutions?school={w.school_a.pk}", "teacher_a", "teacher_b"),
        ScopeCase(f"{p}/groups/{w.group_a.pk}", "teacher_a", "head_teacher_a1"),
        ScopeCase(f"{p}/groups/{w.group_a.pk}", "school_admin_a", "school_admin_b"),
        ScopeCase(f"{p}/electives", "student_user_a1", "student_user_b1"),
        ScopeCase(f"{p}/electives", "parent2", "student_user_b1"),
    ]


__all__ = ["router", "timetable_api_scope_cases"]
