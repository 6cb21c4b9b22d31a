"""Org tree: 我, 区县, 学校, 年级, 班级, 学科, 学期."""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from ninja import Router, Status
from ninja.pagination import paginate

from .. import services
from ..middleware import needs_mfa
from ..models import Campus, Class, District, Grade, Person, School, SchoolType, Student, Subject, Term, role_label
from ..scope import grants_for
from .common import actor, get_visible, text_query, visible
from .errors import not_found
from .pagination import Pagination
from .schemas import (
    ClassIn,
    ClassOut,
    ClassPatch,
    DistrictOut,
    ErrorOut,
    GradeIn,
    GradeOut,
    MeOut,
    SchoolDetailOut,
    SchoolIn,
    SchoolOut,
    SchoolPatch,
    SubjectOut,
    TermOut,
)

router = Router()

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# --- me -------------------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **READ_ERRORS}, tags=["我"], summary="当前用户与角色")
def me(request):
    user = actor(request)
    roles = [
        {
            "role": g.role,
            "role_label": role_label(g.role),
            "level": g.level,
            "district_id": g.district_id,
            "school_id": g.school_id,
            "grade_id": g.grade_id,
            "klass_id": g.klass_id,
            "student_id": g.student_id,
        }
        for g in grants_for(user)
    ]
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "person_id": user.person_id,
        "auth_method": getattr(request, "auth_method", "session"),
        "mfa_required": needs_mfa(user),
        "roles": roles,
    }


# --- districts ------------------------------------------------------------------------------------------


def _districts(request):
    return visible(District, request).select_related("region").order_by("region__code")


@router.get("/districts", response=list[DistrictOut], tags=["区县"], summary="区县列表")
@paginate(Pagination)
def district_list(request):
    return _districts(request)


@router.get("/districts/{int:district_id}", response={200: DistrictOut, **READ_ERRORS}, tags=["区县"])
def district_detail(request, district_id: int):
    return get_visible(_districts(request), district_id, "区县")


# --- schools --------------------------------------------------------------------------------------------


def _schools(request, action: str = "view"):
    return visible(School, request, action).select_related("district")


def _school_detail(request, pk: int) -> School:
    return _schools(request).prefetch_related("campuses").get(pk=pk)


@router.get("/schools", response=list[SchoolOut], tags=["学校"], summary="学校列表")
@paginate(Pagination)
def school_list(request, q: str = "", school_type: SchoolType | None = None, include_archived: bool = False):
    qs = _schools(request)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if school_type:
        qs = qs.filter(school_type=school_type)
    if q := text_query(q):
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


@router.get("/schools/{int:school_id}", response={200: SchoolDetailOut, **READ_ERRORS}, tags=["学校"])
def school_detail(request, school_id: int):
    return get_visible(_schools(request).prefetch_related("campuses"), school_id, "学校")


@router.post("/schools", response={201: SchoolDetailOut, **WRITE_ERRORS}, tags=["学校"], summary="新建学校")
def school_create(request, payload: SchoolIn):
    districts = visible(District, request).select_related("region")
    if payload.district is None:
        candidates = list(districts[:2])
        if len(candidates) != 1:
            raise not_found("区县")
        district = candidates[0]
    else:
        district = get_visible(districts, payload.district, "区县")
    data = payload.model_dump(exclude={"district"})
    data["school_type"] = str(payload.school_type.value)
    school = services.school_create(actor=actor(request), district=district, **data)
    return Status(201, _school_detail(request, school.pk))


@router.patch("/schools/{int:school_id}", response={200: SchoolDetailOut, **WRITE_ERRORS}, tags=["学校"])
def school_update(request, school_id: int, payload: SchoolPatch):
    school = get_visible(_schools(request).select_related("district__region"), school_id, "学校")
    changes = payload.model_dump(exclude_unset=True)
    for key, value in list(changes.items()):
        if value is None:
            changes.pop(key)  # none of these fields is nullable: null means "leave unchanged"
        elif key == "school_type":
            changes[key] = str(payload.school_type.value)
    services.school_update(actor=actor(request), school=school, **changes)
    return _school_detail(request, school.pk)


@router.post("/schools/{int:school_id}/archive", response={200: SchoolDetailOut, **WRITE_ERRORS}, tags=["学校"])
def school_archive(request, school_id: int):
    school = get_visible(_schools(request), school_id, "学校")
    services.school_archive(actor=actor(request), school=school)
    return _school_detail(request, school.pk)


# --- grades ---------------------------------------------------------------------------------------------


def _grades(request):
    return visible(Grade, request).select_related("school")


@router.get("/grades", response=list[GradeOut], tags=["年级"], summary="年级列表")
@paginate(Pagination)
def grade_list(request, school: int | None = None, include_archived: bool = False):
    qs = _grades(request)
    if school is not None:
        qs = qs.filter(school_id=school)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("school__code", "stage", "-entry_year", "id")


@router.get("/grades/{int:grade_id}", response={200: GradeOut, **READ_ERRORS}, tags=["年级"])
def grade_detail(request, grade_id: int):
    return get_visible(_grades(request), grade_id, "年级")


@router.post("/grades", response={201: GradeOut, **WRITE_ERRORS}, tags=["年级"], summary="新建年级")
def grade_create(request, payload: GradeIn):
    school = get_visible(visible(School, request), payload.school, "学校")
    grade = services.grade_create(
        actor=actor(request), school=school, stage=str(payload.stage.value), entry_year=payload.entry_year
    )
    return Status(201, _grades(request).get(pk=grade.pk))


# --- classes --------------------------------------------------------------------------------------------


def _classes(request, action: str = "view"):
    enrolled = (
        Student.objects.filter(klass_id=OuterRef("pk"), archived_at__isnull=True, status="enrolled")
        .order_by()
        .values("klass_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        visible(Class, request, action)
        .select_related("school", "grade", "campus", "head_teacher")
        .annotate(student_count=Coalesce(Subquery(enrolled, output_field=IntegerField()), 0))
    )


def _class_out(request, pk: int) -> Class:
    return _classes(request).get(pk=pk)


@router.get("/classes", response=list[ClassOut], tags=["班级"], summary="班级列表")
@paginate(Pagination)
def class_list(
    request, school: int | None = None, grade: int | None = None, q: str = "", include_archived: bool = False
):
    qs = _classes(request)
    if school is not None:
        qs = qs.filter(school_id=school)
    if grade is not None:
        qs = qs.filter(grade_id=grade)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if q := text_query(q):
        cond = Q(alias__icontains=q) | Q(head_teacher__name__icontains=q)
        if q.isdigit():
            cond |= Q(number=int(q))
        qs = qs.filter(cond)
    return qs.order_by("school__code", "grade__stage", "-grade__entry_year", "number", "id")


@router.get("/classes/{int:class_id}", response={200: ClassOut, **READ_ERRORS}, tags=["班级"])
def class_detail(request, class_id: int):
    return get_visible(_classes(request), class_id, "班级")


def _class_refs(request, data: dict) -> dict:
    """Resolve campus / head_teacher ids in ``data`` to objects the user can see (404 otherwise)."""
    if "campus" in data:
        data["campus"] = get_visible(visible(Campus, request), data["campus"], "校区")
    if "head_teacher" in data:
        data["head_teacher"] = get_visible(Person.objects.visible_to(actor(request)), data["head_teacher"], "教师")
    return data


@router.post("/classes", response={201: ClassOut, **WRITE_ERRORS}, tags=["班级"], summary="新建班级")
def class_create(request, payload: ClassIn):
    grade = get_visible(visible(Grade, request).select_related("school"), payload.grade, "年级")
    data = _class_refs(request, payload.model_dump(exclude={"grade"}))
    klass = services.class_create(actor=actor(request), grade=grade, **data)
    return Status(201, _class_out(request, klass.pk))


@router.patch("/classes/{int:class_id}", response={200: ClassOut, **WRITE_ERRORS}, tags=["班级"])
def class_update(request, class_id: int, payload: ClassPatch):
    klass = get_visible(visible(Class, request).select_related("school", "grade"), class_id, "班级")
    changes = payload.model_dump(exclude_unset=True)
    for key in ("number", "alias"):
        if key in changes and changes[key] is None:
            changes.pop(key)
    services.class_update(actor=actor(request), klass=klass, **_class_refs(request, changes))
    return _class_out(request, klass.pk)


@router.post("/classes/{int:class_id}/archive", response={200: ClassOut, **WRITE_ERRORS}, tags=["班级"])
def class_archive(request, class_id: int):
    klass = get_visible(visible(Class, request), class_id, "班级")
    services.class_archive(actor=actor(request), klass=klass)
    return _class_out(request, klass.pk)


# --- subjects and terms ---------------------------------------------------------------------------------


@router.get("/subjects", response=list[SubjectOut], tags=["学科与学期"], summary="学科列表")
@paginate(Pagination)
def subject_list(request, include_inactive: bool = False):
    qs = visible(Subject, request)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("district_id", "sort_order", "code")


@router.get("/terms", response=list[TermOut], tags=["学科与学期"], summary="学期列表")
@paginate(Pagination)
def term_list(request):
    return visible(Term, request).select_related("academic_year").order_by("-academic_year__start_year", "-number")
