"""Reads of 行政办公. Each starts from ``visible_to`` (the school scope) and narrows it to what this person
may see: school admins (``manage``) see their school's rows; everyone else sees their own requests, the steps
they are or were assigned, their own payslips and the documents routed to them."""

from __future__ import annotations

from django.db.models import Q

from .models import (
    ApprovalRequest,
    ApprovalStep,
    Document,
    DocumentRouting,
    PayrollBatch,
    PayrollStatus,
    Payslip,
    RequestStatus,
    StepStatus,
)


def requests_for(user):
    """Requests ``user`` may open: managed schools', own, and those with a step assigned to / done by them."""
    if not user.is_authenticated:
        return ApprovalRequest.objects.none()
    mine = Q(applicant=user) | Q(
        pk__in=ApprovalStep.objects.filter(Q(approver=user) | Q(delegate=user) | Q(acted_by=user))
        .exclude(status=StepStatus.SKIPPED)
        .values("request_id")
    )
    managed = ApprovalRequest.objects.visible_to(user, "manage").values("pk")
    return ApprovalRequest.objects.visible_to(user, "view").filter(mine | Q(pk__in=managed))


def steps_pending_for(user):
    """待我审批: open steps of pending requests that wait for ``user`` (as approver or as delegate)."""
    if not user.is_authenticated:
        return ApprovalStep.objects.none()
    return (
        ApprovalStep.objects.visible_to(user, "view")
        .filter(status=StepStatus.PENDING, request__status=RequestStatus.PENDING)
        .filter(Q(approver=user, delegate__isnull=True) | Q(delegate=user) | Q(approver=user))
        .select_related("request__applicant__person", "request__school", "approver__person")
        .order_by("activated_at", "pk")
    )


def steps_done_by(user):
    """我已审批: steps ``user`` acted on (including as a delegate)."""
    if not user.is_authenticated:
        return ApprovalStep.objects.none()
    return (
        ApprovalStep.objects.visible_to(user, "view")
        .filter(acted_by=user)
        .select_related("request__applicant__person", "request__school", "approver__person")
        .order_by("-acted_at", "-pk")
    )


def requests_of(user):
    """我发起的."""
    if not user.is_authenticated:
        return ApprovalRequest.objects.none()
    return ApprovalRequest.objects.visible_to(user, "view").filter(applicant=user).select_related("school")


def inbox_counts(user) -> dict[str, int]:
    return {
        "pending": steps_pending_for(user).count(),
        "done": steps_done_by(user).count(),
        "mine": requests_of(user).count(),
        "mine_open": requests_of(user).filter(status__in=[RequestStatus.PENDING, RequestStatus.RETURNED]).count(),
    }


def batches_managed(user):
    return PayrollBatch.objects.visible_to(user, "manage").select_related("school")


def payslips_for(user):
    """Payslips ``user`` may read: their own (once released) and, for school admins, their school's."""
    if not user.is_authenticated:
        return Payslip.objects.none()
    own = Q(person_id=user.person_id, batch__status=PayrollStatus.RELEASED) if user.person_id else Q(pk__in=[])
    managed = Payslip.objects.visible_to(user, "manage").values("pk")
    return Payslip.objects.visible_to(user, "view").filter(own | Q(pk__in=managed)).select_related("batch__school")


def own_payslips(user):
    if not user.is_authenticated or not user.person_id:
        return Payslip.objects.none()
    return (
        Payslip.objects.visible_to(user, "view")
        .filter(person_id=user.person_id, batch__status=PayrollStatus.RELEASED)
        .select_related("batch__school")
        .order_by("-batch__month", "-pk")
    )


def documents_for(user):
    """公文 ``user`` may open: their unit's (admins) and the ones routed to them."""
    if not user.is_authenticated:
        return Document.objects.none()
    managed = Document.objects.visible_to(user, "manage").values("pk")
    routed = DocumentRouting.objects.filter(user=user).values("document_id")
    return Document.objects.visible_to(user, "view").filter(Q(pk__in=managed) | Q(pk__in=routed))


def district_documents_for(user):
    """District-level 公文 (no school) the user manages: visible_to matches them only through district grants."""
    return Document.objects.visible_to(user, "manage").filter(school__isnull=True)


def routings_for(user):
    if not user.is_authenticated:
        return DocumentRouting.objects.none()
    return (
        DocumentRouting.objects.filter(user=user)
        .filter(document__in=Document.objects.visible_to(user, "view").values("pk"))
        .select_related("document")
    )
