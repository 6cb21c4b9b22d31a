"""The one audit writer. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

import contextvars
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .crypto import mask_id_number, mask_phone

# Set per request by RequestContextMiddleware so services need not thread the request through.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("zx_current_ip", default=None)

MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Field values of ``obj`` suitable for a before/after diff (FKs as ids)."""
    data = {}
    for f in obj._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        if f.name in ("created_at", "updated_at") or (not f.editable and f.name not in MASKERS):
            continue
        data[f.name] = _plain(getattr(obj, f.attname))
    return data


def redact(value: Any) -> Any:
    """Mask ID numbers and phone numbers wherever they appear (e.g. a 学籍号 "G" + 身份证号)."""
    from .security.logging import redact_text

    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for changed fields; sensitive values are masked."""
    out = {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b != a:
            masker = MASKERS.get(key)
            out[key] = [masker(b) if masker and b else b, masker(a) if masker and a else a]
    return redact(out)


def _scope_ids(obj: models.Model | None) -> tuple[int | None, int | None]:
    if obj is None:
        return None, None
    paths = getattr(type(obj), "scope_paths", {})
    from .scope import _resolve

    district = _resolve(obj, paths["district"]) if "district" in paths else None
    school = _resolve(obj, paths["school"]) if "school" in paths else None
    return district, school


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    result: str = "ok",
    district_id: int | None = None,
    school_id: int | None = None,
    ip: str | None = None,
):
    """Append one hash-chained audit row. Must be called inside the write's transaction."""
    from .models import AuditChainHead, AuditLog

    if obj is not None:
        d, s = _scope_ids(obj)
        district_id = district_id if district_id is not None else d
        school_id = school_id if school_id is not None else s
    if district_id is None and actor is not None and getattr(actor, "is_authenticated", False):
        # Account events (login, tokens) belong to the actor's own district and school.
        from .scope import grants_for

        grants = grants_for(actor)
        if grants:
            district_id = grants[0].district_id
            schools = {g.school_id for g in grants if g.school_id}
            school_id = school_id if school_id is not None else (schools.pop() if len(schools) == 1 else None)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        is_user = actor is not None and getattr(actor, "is_authenticated", False)
        row = AuditLog(
            id=head.last_id + 1,
            occurred_at=timezone.now(),
            actor_id=actor.pk if is_user else None,
            actor_name=(actor.username if is_user else ""),
            ip=ip if ip is not None else current_ip.get(),
            action=action,
            object_type=obj._meta.label_lower if obj is not None else object_type,
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else object_id,
            object_repr=redact(object_repr or (str(obj) if obj is not None else ""))[:200],
            changes=redact(changes or {}),
            result=result,
            district_id=district_id,
            school_id=school_id,
            prev_hash=head.last_hash,
        )
        # Round-trip through JSON so the hash is over exactly what the database will return.
        row.changes = _json_roundtrip(row.changes)
        row.hash = row.compute_hash()
        row.save()
        head.last_id, head.last_hash = row.id, row.hash
        head.save(update_fields=["last_id", "last_hash"])
    return row


def _json_roundtrip(value):
    import json

    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def audit_chain_verify() -> tuple[int, str | None]:
    """Walk the chain. Returns (rows checked, first problem or None)."""
    from .models import AuditChainHead, AuditLog

    prev_hash, expected_id, checked = "0" * 64, 1, 0
    for row in AuditLog.objects.order_by("id").iterator(chunk_size=2000):
        if row.id != expected_id:
            return checked, f"审计日志 #{expected_id} 缺失（下一条为 #{row.id}），记录被删除"
        if row.prev_hash != prev_hash:
            return checked, f"审计日志 #{row.id} 的前序哈希与 #{row.id - 1} 不符，链条断裂"
        if row.compute_hash() != row.hash:
            return checked, f"审计日志 #{row.id} 内容被篡改（哈希不符）"
        prev_hash, expected_id, checked = row.hash, expected_id + 1, checked + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != prev_hash):
        return checked, f"审计日志链尾应为 #{head.last_id}，实际为 #{expected_id - 1}：末尾记录被删除或篡改"
    return checked, None
