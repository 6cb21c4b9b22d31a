"""Writes of the resource library: upload, the three-level review (submit → 学校审核 → 推荐 → 区级准入; 退回;
淘汰/恢复), ratings, comments, favourites, downloads and pushes (学习任务). Each is one function
``<entity>_<action>(*, actor, ...)``: permission check, validation with Chinese messages, ``transaction.atomic``,
``audit_record`` and ``core.notify`` for the people who must act or be told."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable
from typing import BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Avg, Count, F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import Class, School, Student, Subject, User
from core.notify import notify
from core.scope import can, can_any

from . import limits
from .chinese import index_text
from .extract import extract_text
from .filetypes import detect
from .models import (
    Comment,
    Download,
    Favorite,
    Level,
    Push,
    PushTarget,
    Rating,
    Resource,
    ResourceReview,
    ReviewAction,
    ReviewState,
)
from .selectors import (
    is_district_reviewer,
    is_school_reviewer,
    may_retire,
    resources_openable,
    resources_visible,
    upload_district_ids,
    upload_school_ids,
)

log = logging.getLogger(__name__)


class DuplicateResource(ValidationError):
    """The same content (SHA-256) is already in a resource the uploader can see."""

    def __init__(self, existing: Resource):
        self.existing = existing
        super().__init__(
            {"file": [_("资源库中已有相同内容的资源《%(title)s》，请直接使用该资源。") % {"title": existing.title}]}
        )


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _sha256(fp: BinaryIO) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    fp.seek(0)
    while chunk := fp.read(1024 * 1024):
        h.update(chunk)
        size += len(chunk)
    fp.seek(0)
    return h.hexdigest(), size


def quota_used(user) -> int:
    """Bytes of the files ``user`` uploaded (retired items included: they still occupy storage)."""
    return Resource.objects.filter(owner=user).aggregate(s=Sum("size"))["s"] or 0


def safe_filename(name: str, ext: str) -> str:
    """The name shown on download: the user's base name without path parts or control characters, with the
    extension of the *detected* type."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'resource')[:80]}.{ext}"


def _index(resource: Resource) -> None:
    kp_names = []
    if resource.pk:
        kp_names = [n.name for n in resource.knowledge_points.all()]
    chapter = resource.chapter.name if resource.chapter_id else ""
    resource.search_title = index_text(resource.title, resource.tags, chapter, " ".join(kp_names))
    resource.search_text = index_text(resource.description, resource.extracted_text)


def _check_tags(*, resource: Resource, knowledge_points: Iterable) -> list:
    """Edition, chapter and knowledge points must be the district's and of the resource's 学段 × 学科."""
    errors: dict[str, list[str]] = {}
    for field in ("edition", "chapter"):
        obj = getattr(resource, field)
        if obj is not None and (
            obj.district_id != resource.district_id
            or obj.stage != resource.stage
            or obj.subject_id != resource.subject_id
        ):
            errors[field] = [
                _("所选%(what)s与资源的学段、学科不一致") % {"what": resource._meta.get_field(field).verbose_name}
            ]
    nodes = list(knowledge_points or [])
    for node in nodes:
        if (
            node.district_id != resource.district_id
            or node.stage != resource.stage
            or node.subject_id != resource.subject_id
        ):
            errors.setdefault("knowledge_points", []).append(
                _("知识点“%(name)s”不属于所选学段、学科") % {"name": node.name}
            )
    if errors:
        raise ValidationError(errors)
    return nodes


@transaction.atomic
def resource_upload(
    *,
    actor,
    file: BinaryIO,
    filename: str,
    title: str,
    kind: str,
    stage: str,
    subject: Subject,
    description: str = "",
    grade_label: str = "",
    edition=None,
    chapter=None,
    knowledge_points: Iterable = (),
    tags: str = "",
    school: School | None = None,
    extract: bool = True,
) -> Resource:
    """Store an uploaded file as the uploader's 个人 resource.

    The type is detected from the content (``resources.filetypes``) and must be accepted; the size must be
    within the type's limit and the uploader's quota; the same content already visible to the uploader is
    refused (``DuplicateResource`` names it), content stored for somebody else is reused without a second copy.
    The text of pdf/docx/pptx is extracted with time and memory bounds for the search index; a document that
    cannot be read keeps its metadata only."""
    if not can_any(actor, "add", Resource):
        raise PermissionDenied(_("无权上传资源"))
    schools = upload_school_ids(actor)
    if school is None and schools:
        school = School.objects.get(pk=schools[0])
    if school is not None and school.pk not in schools:
        raise PermissionDenied(_("只能以本人任职的学校上传"))
    districts = upload_district_ids(actor)
    district_id = school.district_id if school is not None else (districts[0] if districts else None)
    if district_id is None or district_id not in districts:
        raise PermissionDenied(_("无权上传资源"))

    ftype = detect(file)
    if ftype is None:
        raise ValidationError(
            {
                "file": [
                    _(
                        "不支持的文件类型：请上传 PDF、Word、PowerPoint、Excel、MP4、MP3、图片（PNG/JPG/GIF/WebP）或 ZIP 文件（按文件内容识别，与扩展名无关）"
                    )
                ]
            }
        )
    sha, size = _sha256(file)
    if size > limits.MAX_SIZE[ftype.ext]:
        raise ValidationError(
            {
                "file": [
                    _("%(type)s 文件不能超过 %(limit)s（本文件 %(size)s）")
                    % {"type": ftype.label, "limit": human_size(limits.MAX_SIZE[ftype.ext]), "size": human_size(size)}
                ]
            }
        )
    used = quota_used(actor)
    if used + size > limits.USER_QUOTA:
        raise ValidationError(
            {
                "file": [
                    _("超出个人存储空间：已用 %(used)s，上限 %(quota)s，本文件 %(size)s")
                    % {"used": human_size(used), "quota": human_size(limits.USER_QUOTA), "size": human_size(size)}
                ]
            }
        )
    same = Resource.objects.filter(district_id=district_id, sha256=sha)
    existing = resources_visible(actor).filter(sha256=sha).order_by("-level", "id").first()
    if existing is not None:
        raise DuplicateResource(existing)

    resource = Resource(
        district_id=district_id,
        school=school,
        owner=actor,
        title=(title or "").strip(),
        description=(description or "").strip(),
        kind=kind,
        stage=stage,
        subject=subject,
        grade_label=grade_label or "",
        edition=edition,
        chapter=chapter,
        tags=" ".join((tags or "").replace("，", " ").replace(",", " ").split())[:200],
        file_type=ftype.ext,
        mime=ftype.mime,
        size=size,
        sha256=sha,
        original_name=safe_filename(filename, ftype.ext),
        file="pending",
    )
    resource.full_clean(exclude=["file"])
    if subject.district_id != district_id:
        raise ValidationError({"subject": [_("学科不属于本区县")]})
    nodes = _check_tags(resource=resource, knowledge_points=knowledge_points)

    reuse = same.exclude(file="").values_list("file", flat=True).first()
    stored = None
    if reuse and default_storage.exists(reuse):
        resource.file.name = reuse
    else:
        file.seek(0)
        stored = default_storage.save(f"resources/{sha[:2]}/{uuid.uuid4().hex}.{ftype.ext}", file)
        resource.file.name = stored
    try:
        if extract:
            result = extract_text(file, ftype.ext)
            resource.extracted_text, resource.extract_status = result.text, result.status
        resource.save()
        resource.knowledge_points.set(nodes)
        _index(resource)
        Resource.objects.filter(pk=resource.pk).update(
            search_title=resource.search_title, search_text=resource.search_text
        )
        audit_record(
            actor=actor,
            action="resources.upload",
            obj=resource,
            changes={
                "title": resource.title,
                "file_type": ftype.ext,
                "size": size,
                "sha256": sha,
                "extract": resource.extract_status,
            },
        )
    except Exception:
        if stored:  # nothing refers to the new file: do not leave it behind
            default_storage.delete(stored)
        raise
    return resource


@transaction.atomic
def resource_update(*, actor, resource: Resource, knowledge_points: Iterable | None = None, **changes) -> Resource:
    """Change the metadata of one's own resource while it is 个人 or 退回 (reviewed items are frozen)."""
    if resource.owner_id != actor.pk:
        raise PermissionDenied(_("只能修改自己上传的资源"))
    if resource.level != Level.PERSONAL or resource.review_state == ReviewState.PENDING_SCHOOL:
        raise ValidationError(_("已提交或已通过审核的资源不能修改"))
    allowed = {"title", "description", "kind", "stage", "subject", "grade_label", "edition", "chapter", "tags"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("不能修改：%(f)s") % {"f": "、".join(sorted(unknown))})
    before = {k: str(getattr(resource, k)) for k in changes}
    for k, v in changes.items():
        setattr(resource, k, v)
    resource.full_clean()
    nodes = _check_tags(
        resource=resource,
        knowledge_points=knowledge_points if knowledge_points is not None else resource.knowledge_points.all(),
    )
    resource.save()
    if knowledge_points is not None:
        resource.knowledge_points.set(nodes)
    _index(resource)
    Resource.objects.filter(pk=resource.pk).update(search_title=resource.search_title, search_text=resource.search_text)
    audit_record(
        actor=actor,
        action="resources.change",
        obj=resource,
        changes={k: [before[k], str(getattr(resource, k))] for k in changes if before[k] != str(getattr(resource, k))},
    )
    return resource


# --- review -------------------------------------------------------------------------------------------------


def _url(resource: Resource) -> str:
    return reverse("resources:detail", args=[resource.pk])


def _school_reviewers(school_id: int) -> list[int]:
    from core.models import RoleGrant

    return list(
        RoleGrant.objects.filter(role="school_admin", school_id=school_id).values_list("user_id", flat=True).distinct()
    )


def _district_reviewers(district_id: int) -> list[int]:
    from core.models import RoleGrant

    return list(
        RoleGrant.objects.filter(
            role__in=["district_admin", "researcher"], district_id=district_id, school__isnull=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def _step(actor, resource: Resource, action: str, before: dict, reason: str = "") -> None:
    resource.save()
    ResourceReview.objects.create(resource=resource, actor=actor, action=action, level=resource.level, reason=reason)
    after = {"level": resource.level, "review_state": resource.review_state, "retired": bool(resource.retired_at)}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if reason:
        changes["reason"] = reason
    audit_record(actor=actor, action=f"resources.{action}", obj=resource, changes=changes)


def _before(resource: Resource) -> dict:
    return {"level": resource.level, "review_state": resource.review_state, "retired": bool(resource.retired_at)}


def _visible_or_404(actor, resource: Resource) -> None:
    from django.http import Http404

    if not resources_visible(actor).filter(pk=resource.pk).exists():
        raise Http404(_("资源不存在或无权访问"))


@transaction.atomic
def resource_submit(*, actor, resource: Resource) -> Resource:
    """The owner submits a 个人 (or returned) resource for review: to the school's reviewer, or — for district
    staff without a school — straight to the district's."""
    if resource.owner_id != actor.pk:
        raise PermissionDenied(_("只能提交自己上传的资源"))
    if resource.retired_at:
        raise ValidationError(_("已淘汰的资源不能提交"))
    before = _before(resource)
    if resource.level == Level.PERSONAL and resource.review_state in (ReviewState.NONE, ReviewState.RETURNED):
        resource.review_state = ReviewState.PENDING_SCHOOL if resource.school_id else ReviewState.PENDING_DISTRICT
    elif resource.level == Level.SCHOOL and resource.review_state == ReviewState.RETURNED:
        resource.review_state = ReviewState.PENDING_DISTRICT
    else:
        raise ValidationError(_("该资源当前状态（%(s)s）不能提交审核") % {"s": resource.status_label})
    resource.review_note = ""
    _step(actor, resource, ReviewAction.SUBMIT, before)
    who = (
        _school_reviewers(resource.school_id)
        if resource.review_state == ReviewState.PENDING_SCHOOL
        else _district_reviewers(resource.district_id)
    )
    notify(
        users=who,
        title=_("待审核资源：%(t)s") % {"t": resource.title},
        body=_("%(n)s 提交了资源，请审核。") % {"n": actor.display_name},
        url=_url(resource),
        kind="resources.review",
        actor=actor,
    )
    return resource


@transaction.atomic
def resource_school_approve(*, actor, resource: Resource, recommend: bool = False) -> Resource:
    """学校审核通过: the school's reviewer makes a pending item 校级 (visible in the school); ``recommend`` also
    sends it on to the district."""
    _visible_or_404(actor, resource)
    if not is_school_reviewer(actor, resource):
        raise PermissionDenied(_("只有本校审核人（学校管理员）可以审核"))
    if resource.review_state != ReviewState.PENDING_SCHOOL:
        raise ValidationError(_("该资源不在学校审核队列中"))
    before = _before(resource)
    resource.level = Level.SCHOOL
    resource.review_state = ReviewState.NONE
    resource.review_note = ""
    resource.school_approved_at = timezone.now()
    _step(actor, resource, ReviewAction.SCHOOL_APPROVE, before)
    notify(
        users=[resource.owner_id],
        title=_("资源已通过学校审核：%(t)s") % {"t": resource.title},
        url=_url(resource),
        kind="resources.review",
        actor=actor,
    )
    if recommend:
        resource_recommend(actor=actor, resource=resource)
    return resource


@transaction.atomic
def resource_recommend(*, actor, resource: Resource) -> Resource:
    """推荐到区级: the school's reviewer sends a 校级 item to the district's review queue."""
    _visible_or_404(actor, resource)
    if not is_school_reviewer(actor, resource):
        raise PermissionDenied(_("只有本校审核人（学校管理员）可以推荐"))
    if resource.level != Level.SCHOOL or resource.retired_at or resource.review_state == ReviewState.PENDING_DISTRICT:
        raise ValidationError(_("只有校级资源可以推荐到区级"))
    before = _before(resource)
    resource.review_state = ReviewState.PENDING_DISTRICT
    resource.review_note = ""
    _step(actor, resource, ReviewAction.RECOMMEND, before)
    notify(
        users=_district_reviewers(resource.district_id),
        title=_("待准入资源：%(t)s") % {"t": resource.title},
        body=_("%(s)s 推荐了资源，请审核准入。") % {"s": resource.school.name if resource.school_id else ""},
        url=_url(resource),
        kind="resources.review",
        actor=actor,
    )
    return resource


@transaction.atomic
def resource_district_approve(*, actor, resource: Resource) -> Resource:
    """区级准入: the district's reviewer (区县管理员 or 教研员) makes the item visible district-wide."""
    _visible_or_404(actor, resource)
    if not is_district_reviewer(actor, resource):
        raise PermissionDenied(_("只有区级审核人（区县管理员、教研员）可以准入"))
    if resource.review_state != ReviewState.PENDING_DISTRICT:
        raise ValidationError(_("该资源不在区级准入队列中"))
    before = _before(resource)
    resource.level = Level.DISTRICT
    resource.review_state = ReviewState.NONE
    resource.review_note = ""
    resource.district_approved_at = timezone.now()
    _step(actor, resource, ReviewAction.DISTRICT_APPROVE, before)
    notify(
        users=[resource.owner_id],
        title=_("资源已通过区级准入：%(t)s") % {"t": resource.title},
        url=_url(resource),
        kind="resources.review",
        actor=actor,
    )
    return resource


@transaction.atomic
def resource_return(*, actor, resource: Resource, reason: str) -> Resource:
    """退回: the reviewer of the level the item waits for sends it back with a reason (required)."""
    _visible_or_404(actor, resource)
    reason = (reason or "").strip()
    if resource.review_state == ReviewState.PENDING_SCHOOL:
        allowed = is_school_reviewer(actor, resource)
    elif resource.review_state == ReviewState.PENDING_DISTRICT:
        allowed = is_district_reviewer(actor, resource)
    else:
        raise ValidationError(_("该资源不在审核中"))
    if not allowed:
        raise PermissionDenied(_("无权审核该资源"))
    if not reason:
        raise ValidationError({"reason": [_("请填写退回原因")]})
    before = _before(resource)
    resource.review_state = ReviewState.RETURNED
    resource.review_note = reason[:300]
    _step(actor, resource, ReviewAction.RETURN, before, reason=reason[:300])
    notify(
        users=[resource.owner_id],
        title=_("资源被退回：%(t)s") % {"t": resource.title},
        body=reason,
        url=_url(resource),
        kind="resources.review",
        actor=actor,
    )
    return resource


@transaction.atomic
def resource_retire(*, actor, resource: Resource, reason: str = "", restore: bool = False) -> Resource:
    """淘汰 (or 恢复): outdated items leave the library; the reviewer of the item's level decides (the owner for a
    personal item). The row and file stay for the record."""
    _visible_or_404(actor, resource)
    if not may_retire(actor, resource):
        raise PermissionDenied(_("只有该级别的审核人可以淘汰资源"))
    if restore != bool(resource.retired_at):
        raise ValidationError(_("该资源已是此状态"))
    if not restore and not (reason or "").strip() and resource.level != Level.PERSONAL:
        raise ValidationError({"reason": [_("请填写淘汰原因")]})
    before = _before(resource)
    resource.retired_at = None if restore else timezone.now()
    if not restore and resource.review_state in (ReviewState.PENDING_SCHOOL, ReviewState.PENDING_DISTRICT):
        resource.review_state = ReviewState.NONE
    _step(
        actor, resource, ReviewAction.RESTORE if restore else ReviewAction.RETIRE, before, reason=(reason or "")[:300]
    )
    if resource.owner_id != actor.pk:
        notify(
            users=[resource.owner_id],
            title=(_("资源已恢复：%(t)s") if restore else _("资源已淘汰：%(t)s")) % {"t": resource.title},
            body=reason or "",
            url=_url(resource),
            kind="resources.review",
            actor=actor,
        )
    return resource


# --- use ----------------------------------------------------------------------------------------------------


def _usable(actor, resource: Resource) -> None:
    _visible_or_404(actor, resource)
    if not can(actor, "add", Rating(resource=resource)):
        raise PermissionDenied(_("无权评价资源"))


@transaction.atomic
def resource_rate(*, actor, resource: Resource, stars: int) -> Rating:
    """评分 1–5, one per user (a second rating replaces the first); the average is kept on the resource."""
    _usable(actor, resource)
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise ValidationError({"stars": [_("评分须为 1 到 5 星")]})
    rating, created = Rating.objects.update_or_create(resource=resource, user=actor, defaults={"stars": stars})
    agg = Rating.objects.filter(resource=resource).aggregate(n=Count("id"), avg=Avg("stars"))
    Resource.objects.filter(pk=resource.pk).update(rating_count=agg["n"], rating_avg=round(agg["avg"] or 0, 2))
    resource.rating_count, resource.rating_avg = agg["n"], round(agg["avg"] or 0, 2)
    audit_record(actor=actor, action="resources.rate", obj=resource, changes={"stars": stars, "first": created})
    return rating


@transaction.atomic
def resource_comment(*, actor, resource: Resource, body: str) -> Comment:
    _usable(actor, resource)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("评论内容不能为空")]})
    if len(body) > 500:
        raise ValidationError({"body": [_("评论不能超过 500 字")]})
    comment = Comment.objects.create(resource=resource, user=actor, body=body)
    audit_record(actor=actor, action="resources.comment", obj=resource, changes={"comment": comment.pk})
    if resource.owner_id != actor.pk:
        notify(
            users=[resource.owner_id],
            title=_("%(n)s 评论了你的资源《%(t)s》") % {"n": actor.display_name, "t": resource.title},
            body=body[:200],
            url=_url(resource),
            kind="resources.comment",
            actor=actor,
        )
    return comment


@transaction.atomic
def resource_favorite(*, actor, resource: Resource, on: bool = True) -> bool:
    """收藏 / 取消收藏; returns whether the resource is now a favourite."""
    _usable(actor, resource)
    if on:
        _, created = Favorite.objects.get_or_create(resource=resource, user=actor)
    else:
        created = bool(Favorite.objects.filter(resource=resource, user=actor).delete()[0])
    if created:
        Resource.objects.filter(pk=resource.pk).update(
            favorite_count=Favorite.objects.filter(resource=resource).count()
        )
        audit_record(actor=actor, action="resources.favorite" if on else "resources.unfavorite", obj=resource)
    return on


@transaction.atomic
def resource_download_record(*, actor, resource: Resource) -> None:
    """Count a download (the view has already checked that ``actor`` may open the file)."""
    if not resources_openable(actor).filter(pk=resource.pk).exists():
        raise PermissionDenied(_("无权下载该资源"))
    schools = upload_school_ids(actor)
    Download.objects.create(resource=resource, user=actor, school_id=schools[0] if schools else None)
    Resource.objects.filter(pk=resource.pk).update(download_count=F("download_count") + 1)
    audit_record(actor=actor, action="resources.download", obj=resource)


# --- push (学习任务) -----------------------------------------------------------------------------------------

WEAK_THRESHOLD = 0.6


def weak_students(*, klass: Class, node) -> list[Student]:
    """Students of ``klass`` whose 得分率 on the 小题 tagged with ``node`` (by name) is below 60 % in the latest
    published exam that has such items and in which the class took part."""
    from exams.models import ExamItem, ExamStatus, ExamStudent, Score

    items = ExamItem.objects.filter(
        exam_subject__exam__status=ExamStatus.PUBLISHED,
        exam_subject__exam__district_id=klass.school.district_id,
        exam_subject__subject_id=node.subject_id,
    ).select_related("exam_subject__exam")
    tagged = [i for i in items if node.name in (i.knowledge_points or [])]
    exams = sorted({i.exam_subject.exam for i in tagged}, key=lambda e: (e.exam_date, e.pk), reverse=True)
    for exam in exams:
        candidates = ExamStudent.objects.filter(exam=exam, klass=klass).values_list("pk", "student_id")
        if not candidates:
            continue
        weak_ids = []
        by_candidate = dict(candidates)
        for es_id in {i.exam_subject_id for i in tagged if i.exam_subject.exam_id == exam.pk}:
            order = list(ExamItem.objects.filter(exam_subject_id=es_id).order_by("sort_order", "id"))
            picks = [(k, float(i.full_mark)) for k, i in enumerate(order) if node.name in (i.knowledge_points or [])]
            full = sum(m for _k, m in picks)
            for cand_id, scores in Score.objects.filter(
                candidate_id__in=list(by_candidate), exam_subject_id=es_id, items__isnull=False
            ).values_list("candidate_id", "items"):
                got = sum(float(scores[k] or 0) for k, _m in picks if k < len(scores or []))
                if full and got / full < WEAK_THRESHOLD:
                    weak_ids.append(by_candidate[cand_id])
        return list(Student.objects.filter(pk__in=weak_ids, klass=klass, archived_at__isnull=True))
    return []


@transaction.atomic
def push_create(
    *,
    actor,
    resource: Resource,
    klass: Class,
    due_date: dt.date,
    note: str = "",
    knowledge_point=None,
    weak_only: bool = False,
) -> Push:
    """推送学习任务: a teacher of ``klass`` pushes a resource they can see to the class's students — or, with
    ``weak_only``, to those weak on ``knowledge_point`` in the latest published exam. Students are notified."""
    _visible_or_404(actor, resource)
    push = Push(resource=resource, teacher=actor, klass=klass, due_date=due_date, note=(note or "").strip()[:300])
    if not can(actor, "add", push):
        raise PermissionDenied(_("只能推送给自己任教的班级"))
    if resource.retired_at:
        raise ValidationError(_("已淘汰的资源不能推送"))
    if due_date is None or due_date < timezone.localdate():
        raise ValidationError({"due_date": [_("完成期限不能早于今天")]})
    if weak_only and knowledge_point is None:
        raise ValidationError({"knowledge_point": [_("按知识点推送时请选择知识点")]})
    if knowledge_point is not None and knowledge_point.district_id != resource.district_id:
        raise ValidationError({"knowledge_point": [_("知识点不属于本区县")]})
    push.knowledge_point = knowledge_point
    push.full_clean()
    if weak_only:
        students = weak_students(klass=klass, node=knowledge_point)
        if not students:
            raise ValidationError(
                {"knowledge_point": [_("最近一次已发布的考试中，本班没有该知识点得分率低于 60% 的学生")]}
            )
    else:
        students = list(Student.objects.filter(klass=klass, archived_at__isnull=True))
        if not students:
            raise ValidationError({"klass": [_("该班级没有在籍学生")]})
    push.save()
    PushTarget.objects.bulk_create([PushTarget(push=push, student=s) for s in students])
    audit_record(
        actor=actor,
        action="resources.push",
        obj=push,
        changes={"resource": resource.pk, "class": klass.pk, "students": len(students), "weak_only": weak_only},
    )
    users = list(User.objects.filter(person__student__in=students).values_list("pk", flat=True))
    notify(
        users=users,
        title=_("新的学习任务：%(t)s") % {"t": resource.title},
        body=_("%(n)s 老师推送，请于 %(d)s 前完成。") % {"n": actor.display_name, "d": due_date.isoformat()},
        url=reverse("resources:my_tasks"),
        kind="resources.push",
        actor=actor,
    )
    return push


@transaction.atomic
def push_target_done(*, actor, target: PushTarget, done: bool = True) -> PushTarget:
    """The student marks their task done (or not done)."""
    if not can(actor, "change", target):
        raise PermissionDenied(_("只能标记自己的学习任务"))
    target.done_at = timezone.now() if done else None
    target.save(update_fields=["done_at"])
    audit_record(actor=actor, action="resources.task_done" if done else "resources.task_undone", obj=target.push)
    return target


__all__ = [
    "DuplicateResource",
    "push_create",
    "push_target_done",
    "resource_comment",
    "resource_district_approve",
    "resource_download_record",
    "resource_favorite",
    "resource_rate",
    "resource_recommend",
    "resource_retire",
    "resource_return",
    "resource_school_approve",
    "resource_submit",
    "resource_upload",
]


def resources_reindex(*, district_id: int | None = None, batch: int = 2000, out=None) -> int:
    """Re-tokenise every resource's search columns (after a jieba dictionary change, or for rows written in bulk
    without them). The FTS5 triggers / generated tsvector follow the columns. Returns the number of rows."""
    qs = Resource.objects.order_by("pk").prefetch_related("knowledge_points").select_related("chapter")
    if district_id is not None:
        qs = qs.filter(district_id=district_id)
    done, last = 0, 0
    while True:
        rows = list(qs.filter(pk__gt=last)[:batch])
        if not rows:
            return done
        with transaction.atomic():
            for r in rows:
                _index(r)
            Resource.objects.bulk_update(rows, ["search_title", "search_text"])
        done += len(rows)
        last = rows[-1].pk
        if out:
            out(f"已重建 {done} 个资源的检索索引")
