"""Shared helpers of the 学籍 exports: permission gate, masking, filter normalisation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models

from core.crypto import mask_id_number, mask_phone
from core.models import Student
from core.scope import can_any, scope_q

MASKED_NOTE = "已脱敏"


def require_export(user) -> None:
    """Users with no export grant on students at all get PermissionDenied; users whose grants do not
    reach the requested filter simply get an empty export."""
    if not can_any(user, "export", Student):
        raise PermissionDenied("无权导出学生数据")


def pk_of(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, models.Model):
        return value.pk
    return int(value)


def must_mask(user, students: models.QuerySet) -> bool:
    """Whole-file rule: full ID numbers only when the user may reveal *every* exported student.

    One query (an EXISTS), whatever the row count. Mixing full and masked rows in one file would make
    the 「已脱敏」 note ambiguous, so any unrevealable row masks the whole export.
    """
    reveal = scope_q(user, Student, "reveal")
    if reveal is None:
        return True
    return students.exclude(reveal).exists()


def mask_address(value: str | None) -> str:
    """Keep the coarse part of an address (province/city, at most 6 characters), hide the rest."""
    if not value:
        return ""
    keep = min(6, len(value) // 2)
    return value[:keep] + "****"


def mask_student_no(value: str | None) -> str:
    """学籍号 is "G" + 身份证号: mask the embedded ID number (same rule as Student.student_no_masked)."""
    number = value or ""
    digits = number[1:] if number[:1].isalpha() else number
    if len(digits) >= 15:
        return number[: len(number) - len(digits)] + mask_id_number(digits)
    return number


__all__ = [
    "MASKED_NOTE",
    "mask_address",
    "mask_id_number",
    "mask_phone",
    "mask_student_no",
    "must_mask",
    "pk_of",
    "require_export",
]
