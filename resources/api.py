"""资源库 API under /api/v1/resources/ (mounted in ResourcesConfig.ready).

* ``GET /resources/search?q=&stage=&subject=&grade=&kind=&edition=&knowledge_point=&level=&sort=`` — full-text
  search over the resources the user may see (``resources.search.search``);
* ``GET /resources/{id}`` — one resource (404 outside the user's scope);
* ``GET /resources/mine`` — my uploads, every status;
* ``GET /resources/review-queue?level=school|district`` — items waiting for the user's review;
* ``POST /resources/{id}/review`` — ``{"action": "submit|school_approve|recommend|district_approve|return|retire|
  restore", "reason": "…", "recommend": false}``;
* ``POST /resources/{id}/push`` — ``{"klass": id, "due_date": "YYYY-MM-DD", "note": "", "knowledge_point": id,
  "weak_only": false}``;
* ``GET /resources/tasks`` — my 学习任务 (students; parents: their children's); ``POST /resources/tasks/{id}/done``.
"""

import datetime as dt
from typing import Literal

from ninja import Router, Schema
from ninja.pagination import paginate

from core.api.common import actor, get_visible, text_query
from core.api.pagination import Pagination
from core.models import Class

from . import services
from .models import PushTarget, Resource
from .search import search
from .selectors import my_tasks, resources_openable, resources_visible, review_queue

router = Router(tags=["资源库"])


class ResourceOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    kind_label: str
    stage: str
    subject_id: int
    subject: str
    grade_label: str
    edition_id: int | None = None
    level: str
    review_state: str
    status_label: str
    file_type: str
    size: int
    tags: list[str]
    owner: str
    school_id: int | None = None
    rating_avg: float
    rating_count: int
    download_count: int
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_subject(obj) -> str:
        return obj.subject.name

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return obj.tag_list

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.display_name

    @staticmethod
    def resolve_download_url(obj) -> str:
        from django.urls import reverse

        return reverse("resources:download", args=[obj.pk])


class ResourceDetailOut(ResourceOut):
    knowledge_points: list[dict]
    review_note: str
    reviews: list[dict]

    @staticmethod
    def resolve_knowledge_points(obj) -> list[dict]:
        return [{"id": n.pk, "code": n.code, "name": n.name} for n in obj.knowledge_points.all()]

    @staticmethod
    def resolve_reviews(obj) -> list[dict]:
        return [
            {"action": s.action, "actor": s.actor.display_name, "reason": s.reason, "at": s.created_at.isoformat()}
            for s in obj.reviews.select_related("actor__person")
        ]


class ReviewIn(Schema):
    action: Literal["submit", "school_approve", "recommend", "district_approve", "return", "retire", "restore"]
    reason: str = ""
    recommend: bool = False


class PushIn(Schema):
    klass: int
    due_date: dt.date
    note: str = ""
    knowledge_point: int | None = None
    weak_only: bool = False


class PushOut(Schema):
    id: int
    resource_id: int
    klass_id: int
    due_date: dt.date
    students: int


class TaskOut(Schema):
    id: int
    resource_id: int
    title: str
    student: str
    teacher: str
    due_date: dt.date
    note: str
    done_at: dt.datetime | None = None

    @staticmethod
    def resolve_resource_id(obj) -> int:
        return obj.push.resource_id

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.push.resource.title

    @staticmethod
    def resolve_student(obj) -> str:
        return obj.student.person.name

    @staticmethod
    def resolve_teacher(obj) -> str:
        return obj.push.teacher.display_name

    @staticmethod
    def resolve_due_date(obj) -> dt.date:
        return obj.push.due_date

    @staticmethod
    def resolve_note(obj) -> str:
        return obj.push.note


def _related(qs):
    return qs.select_related("subject", "owner__person")


@router.get("/search", response=list[ResourceOut], summary="搜索资源")
@paginate(Pagination)
def resource_search(
    request,
    q: str | None = None,
    stage: str | None = None,
    subject: int | None = None,
    grade: str | None = None,
    kind: str | None = None,
    edition: int | None = None,
    knowledge_point: int | None = None,
    level: str | None = None,
    sort: Literal["relevance", "newest", "rating", "downloads"] = "relevance",
):
    return _related(
        search(
            actor(request),
            text_query(q),
            sort=sort,
            stage=stage,
            subject=subject,
            grade=grade,
            kind=kind,
            edition=edition,
            knowledge_point=knowledge_point,
            level=level,
        )
    )


@router.get("/mine", response=list[ResourceOut], summary="我上传的资源")
@paginate(Pagination)
def resource_mine(request):
    user = actor(request)
    return _related(resources_visible(user).filter(owner=user).order_by("-created_at", "-id"))


@router.get("/review-queue", response=list[ResourceOut], summary="待我审核的资源")
@paginate(Pagination)
def resource_review_queue(request, level: Literal["school", "district"] = "school"):
    return review_queue(actor(request), level).order_by("updated_at", "id")


@router.get("/tasks", response=list[TaskOut], summary="我的学习任务")
@paginate(Pagination)
def task_list(request):
    return my_tasks(actor(request))


@router.post("/tasks/{target_id}/done", response=TaskOut, summary="标记学习任务完成")
def task_done(request, target_id: int, done: bool = True):
    user = actor(request)
    target = get_visible(my_tasks(user), target_id, "学习任务")
    services.push_target_done(actor=user, target=target, done=done)
    return my_tasks(user).get(pk=target.pk)


@router.get("/{resource_id}", response=ResourceDetailOut, summary="资源详情")
def resource_detail(request, resource_id: int):
    return get_visible(_related(resources_openable(actor(request))), resource_id, "资源")


ACTIONS = {
    "submit": lambda u, r, d: services.resource_submit(actor=u, resource=r),
    "school_approve": lambda u, r, d: services.resource_school_approve(actor=u, resource=r, recommend=d.recommend),
    "recommend": lambda u, r, d: services.resource_recommend(actor=u, resource=r),
    "district_approve": lambda u, r, d: services.resource_district_approve(actor=u, resource=r),
    "return": lambda u, r, d: services.resource_return(actor=u, resource=r, reason=d.reason),
    "retire": lambda u, r, d: services.resource_retire(actor=u, resource=r, reason=d.reason),
    "restore": lambda u, r, d: services.resource_retire(actor=u, resource=r, restore=True),
}


@router.post(
    "/{resource_id}/review", response=ResourceDetailOut, summary="审核操作（提交、通过、推荐、准入、退回、淘汰）"
)
def resource_review(request, resource_id: int, payload: ReviewIn):
    user = actor(request)
    resource = get_visible(resources_visible(user), resource_id, "资源")
    ACTIONS[payload.action](user, resource, payload)
    return _related(Resource.objects).get(pk=resource.pk)


@router.post("/{resource_id}/push", response=PushOut, summary="推送给班级学生")
def resource_push(request, resource_id: int, payload: PushIn):
    user = actor(request)
    resource = get_visible(resources_visible(user), resource_id, "资源")
    klass = get_visible(Class.objects.visible_to(user, "view").select_related("school"), payload.klass, "班级")
    node = None
    if payload.knowledge_point:
        from knowledge.selectors import nodes_for

        node = get_visible(nodes_for(user), payload.knowledge_point, "知识点")
    push = services.push_create(
        actor=user,
        resource=resource,
        klass=klass,
        due_date=payload.due_date,
        note=payload.note,
        knowledge_point=node,
        weak_only=payload.weak_only,
    )
    return {
        "id": push.pk,
        "resource_id": resource.pk,
        "klass_id": klass.pk,
        "due_date": push.due_date,
        "students": push.targets.count(),
    }


def resources_api_scope_cases(w):
    """Scoped GET endpoints of this router (see ``core.api.ScopeCase``); objects from ``resources.testing``."""
    from core.api import ScopeCase

    from .testing import matrix

    matrix(w)
    p = "/api/v1/resources"
    cases = [
        (f"{p}/search?q=有理数", "head_teacher_a1", "teacher_b"),
        (f"{p}/mine", "teacher_a", "teacher_b"),
        (f"{p}/review-queue?level=school", "school_admin_a", "school_admin_b"),
        (f"{p}/tasks", "student_user_a1", "student_user_a2"),
        (f"{p}/{w.res_school.pk}", "head_teacher_a1", "teacher_b"),
    ]
    return [ScopeCase(*c) for c in cases]


__all__ = ["PushTarget", "resources_api_scope_cases", "router"]
