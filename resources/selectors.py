"""Reads of the resource library. Everything starts from ``Resource.objects.visible_to(user)`` (the district)
and is narrowed by level here; the full-text search (``resources.search``) starts from ``resources_visible``."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.scope import grants_for, role_allows

from .models import Level, Push, PushTarget, Resource, ReviewState
from .permissions import DISTRICT_REVIEWERS, MEMBER_ROLES, SCHOOL_REVIEWERS


def member_school_ids(user) -> set[int]:
    """Schools whose 校级 resources ``user`` sees (staff and students of the school)."""
    return {g.school_id for g in grants_for(user) if g.school_id and g.role in MEMBER_ROLES}


def school_review_ids(user) -> set[int]:
    return {g.school_id for g in grants_for(user) if g.school_id and g.role in SCHOOL_REVIEWERS}


def district_review_ids(user) -> set[int]:
    return {g.district_id for g in grants_for(user) if g.level == "district" and g.role in DISTRICT_REVIEWERS}


def upload_school_ids(user) -> list[int]:
    """Schools ``user`` may upload for (staff posts); district staff upload without a school."""
    return sorted({g.school_id for g in grants_for(user) if g.role == "staff" and g.school_id})


def upload_district_ids(user) -> list[int]:
    return sorted(
        {g.district_id for g in grants_for(user) if g.district_id and role_allows(g.role, "resources.resource", "add")}
    )


def audience_q(user) -> Q:
    """Which of the district's rows ``user`` sees, by level (see the module docstring of resources.models)."""
    live = Q(retired_at__isnull=True)
    q = Q(owner_id=user.pk) | (Q(level=Level.DISTRICT) & live)
    members = member_school_ids(user)
    if members:
        q |= Q(level=Level.SCHOOL, school_id__in=sorted(members)) & live
    reviewers = school_review_ids(user)
    if reviewers:
        q |= Q(school_id__in=sorted(reviewers)) & (
            Q(level__in=[Level.SCHOOL, Level.DISTRICT]) | Q(review_state=ReviewState.PENDING_SCHOOL)
        )
    districts = district_review_ids(user)
    if districts:
        q |= Q(district_id__in=sorted(districts)) & (
            Q(level=Level.DISTRICT) | Q(review_state=ReviewState.PENDING_DISTRICT)
        )
    return q


def resources_visible(user) -> QuerySet[Resource]:
    if not getattr(user, "is_authenticated", False):
        return Resource.objects.none()
    return Resource.objects.visible_to(user, "view").filter(audience_q(user))


def pushed_resource_ids(user) -> QuerySet:
    """Resources pushed to the students ``user`` may see (students: themselves; parents: their children)."""
    return PushTarget.objects.visible_to(user, "view").values("push__resource_id")


def resources_openable(user) -> QuerySet[Resource]:
    """What ``user`` may open and download: the visible resources plus those pushed to them (or their child)."""
    if not getattr(user, "is_authenticated", False):
        return Resource.objects.none()
    visible = Resource.objects.visible_to(user, "view").filter(audience_q(user)).values("pk")
    return Resource.objects.filter(Q(pk__in=visible) | Q(pk__in=pushed_resource_ids(user)))


def review_queue(user, level: str) -> QuerySet[Resource]:
    """Items waiting for ``user`` at ``level`` ("school" or "district")."""
    qs = resources_visible(user).select_related("owner__person", "school", "subject")
    if level == Level.SCHOOL:
        return qs.filter(review_state=ReviewState.PENDING_SCHOOL, school_id__in=sorted(school_review_ids(user)))
    return qs.filter(review_state=ReviewState.PENDING_DISTRICT, district_id__in=sorted(district_review_ids(user)))


def is_school_reviewer(user, resource: Resource) -> bool:
    return resource.school_id is not None and resource.school_id in school_review_ids(user)


def is_district_reviewer(user, resource: Resource) -> bool:
    return resource.district_id in district_review_ids(user)


def my_tasks(user) -> QuerySet[PushTarget]:
    """学习任务 of the students ``user`` may see as student or parent (own or children's)."""
    from core.scope import roles_of

    if not ({"student", "guardian"} & roles_of(user)):
        return PushTarget.objects.none()
    ids = [g.student_id for g in grants_for(user) if g.role in ("student", "guardian") and g.student_id]
    return (
        PushTarget.objects.visible_to(user, "view")
        .filter(student_id__in=ids)
        .select_related("push__resource", "push__teacher__person", "push__klass__grade", "student__person")
        .order_by("done_at", "push__due_date", "-id")
    )


def pushes_visible(user) -> QuerySet[Push]:
    return Push.objects.visible_to(user, "view").select_related("resource", "klass__grade", "klass__school")


def may_retire(user, resource: Resource) -> bool:
    """淘汰 is decided by the reviewer of the item's level (the owner for a personal item)."""
    if resource.level == Level.DISTRICT:
        return is_district_reviewer(user, resource)
    if resource.level == Level.SCHOOL:
        return is_school_reviewer(user, resource)
    return resource.owner_id == user.pk


def teacher_classes(user) -> list:
    """Classes ``user`` may push to (the classes they teach or head this term)."""
    from core.models import Class

    ids = {g.klass_id for g in grants_for(user) if g.role in ("head_teacher", "subject_teacher") and g.klass_id}
    classes = Class.objects.filter(pk__in=ids).select_related("grade", "school")
    return sorted(classes, key=lambda c: (c.grade.sort_key, c.number))
