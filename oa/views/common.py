"""Helpers of the OA pages: who counts as staff / admin here, and service calls with Chinese errors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404

from core.models import School
from core.scope import grants_for, role_allows

from ..services import staff_schools


def admin_school_ids(user, label: str = "oa.approvalchain", action: str = "change") -> set[int]:
    """Schools where ``user`` holds a role allowed ``action`` on ``label`` (the school's OA admins)."""
    return {g.school_id for g in grants_for(user) if g.school_id and role_allows(g.role, label, action)}


def admin_schools(user, label: str = "oa.approvalchain", action: str = "change"):
    return School.objects.filter(pk__in=admin_school_ids(user, label, action), archived_at__isnull=True)


def is_district_doc_admin(user) -> bool:
    return any(g.level == "district" and role_allows(g.role, "oa.document", "add") for g in grants_for(user))


def require_oa_user(user) -> None:
    """Parents and students (no post, no OA admin grant) see nothing of OA."""
    if staff_schools(user).exists() or admin_school_ids(user, "oa.document", "view") or is_district_doc_admin(user):
        return
    raise PermissionDenied("无权访问行政办公")


def service_messages(request, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for e in exc.messages:
            form.add_error(None, e)


def attachment_response(field_file, name: str):
    """Decrypt a stored attachment and send it as a download (never inline: an uploaded HTML file cannot run
    in the site's origin)."""
    import io

    from core.crypto import decrypt_bytes

    if not field_file:
        raise Http404("没有附件")
    try:
        with field_file.open("rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        raise Http404("附件文件不存在") from None
    data = decrypt_bytes(blob)
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=name or "附件")


__all__ = [
    "PermissionDenied",
    "admin_school_ids",
    "admin_schools",
    "attachment_response",
    "form_errors",
    "is_district_doc_admin",
    "require_oa_user",
    "service_messages",
]
