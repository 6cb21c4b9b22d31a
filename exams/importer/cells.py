"""What one typed or imported score cell means: a number, a mark (缺考/作弊/免考), an objective item's chosen
option(s), or nothing. Shared by the Excel import and the entry grid so both read a cell the same way.

The number rules are those of ``services.clean_score`` (one decimal, ``Decimal(str(value))`` rounded with
``quantize``, 0 ≤ value ≤ full mark); ``exams/tests/test_import.py`` checks that both agree on the same
inputs. An empty cell is *not entered* — never 0.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from ..models import ScoreStatus

ONE_DECIMAL = Decimal("0.1")

# Words accepted for the marks (case-insensitive; pinyin initials for typing without an IME).
MARK_WORDS = {
    "缺考": ScoreStatus.ABSENT,
    "缺": ScoreStatus.ABSENT,
    "缺席": ScoreStatus.ABSENT,
    "QK": ScoreStatus.ABSENT,
    "作弊": ScoreStatus.CHEAT,
    "ZB": ScoreStatus.CHEAT,
    "免考": ScoreStatus.EXEMPT,
    "免": ScoreStatus.EXEMPT,
    "MK": ScoreStatus.EXEMPT,
}
MARK_LABELS = {s.value: str(s.label) for s in ScoreStatus if s != ScoreStatus.NORMAL}
MARK_HINT = "缺考（缺、QK）、作弊（ZB）、免考（免、MK）"
_OPTIONS = re.compile(r"^[A-H]+$")
_OPTION_SEPARATORS = re.compile(r"[\s,，、/]")


class CellError(Exception):
    """A bad cell; the message is Chinese and names the problem (the caller adds row and column)."""


def number_text(d: Decimal | float | int | None) -> str:
    """98.0 → "98", 98.5 → "98.5" (for messages and the grid)."""
    if d is None:
        return ""
    d = Decimal(str(d)) if not isinstance(d, Decimal) else d
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def is_blank(raw) -> bool:
    return raw is None or raw == "" or (isinstance(raw, str) and not raw.strip())


def cell_text(raw) -> str:
    """A cell as compact text: NFKC (full-width → half-width), spaces removed."""
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    s = str(raw)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)
    return "".join(s.split())


def mark_of(raw) -> str | None:
    """The mark a cell holds (absent / cheat / exempt), or None."""
    if not isinstance(raw, str):
        return None
    return MARK_WORDS.get(cell_text(raw).upper())


def parse_number(raw, full_mark: Decimal, *, what: str = "成绩") -> Decimal:
    """A score within 0 – ``full_mark``, quantized to one decimal exactly as ``services.clean_score`` does."""
    if isinstance(raw, bool):
        raise CellError(f"「{raw}」不是有效的{what}（应为数字，或{MARK_HINT}）")
    try:
        if isinstance(raw, Decimal):
            d = raw
        elif isinstance(raw, (int, float)):
            d = Decimal(str(raw))
        else:  # full-width digits typed with a Chinese IME are normalised; inner spaces are not removed
            d = Decimal(unicodedata.normalize("NFKC", str(raw)).strip())
        d = d.quantize(ONE_DECIMAL)
    except (InvalidOperation, ValueError):
        raise CellError(f"「{_shown(raw)}」不是有效的{what}（应为数字，或{MARK_HINT}）") from None
    if not d.is_finite():
        raise CellError(f"「{_shown(raw)}」不是有效的{what}（应为数字，或{MARK_HINT}）")
    if d < 0:
        raise CellError(f"{number_text(d)} 不能为负数")
    if d > full_mark:
        raise CellError(f"{number_text(d)} 超出满分 {number_text(full_mark)}")
    return d


def parse_score(raw, full_mark: Decimal) -> tuple[str, Decimal | None] | None:
    """(status, value) of a subject score cell, or None when the cell is empty (not entered)."""
    if is_blank(raw):
        return None
    mark = mark_of(raw)
    if mark is not None:
        return mark, None
    return ScoreStatus.NORMAL, parse_number(raw, full_mark)


def parse_option(raw) -> str | None:
    """An objective item's chosen option(s) ("A", "b", "A,C" → "AC"), or None when the cell is not letters."""
    if not isinstance(raw, str):
        return None
    s = _OPTION_SEPARATORS.sub("", cell_text(raw).upper())
    if s and _OPTIONS.match(s):
        return "".join(sorted(set(s)))
    return None


def _shown(raw) -> str:
    s = str(raw).strip()
    return s if len(s) <= 20 else s[:20] + "…"


__all__ = [
    "MARK_HINT",
    "MARK_LABELS",
    "MARK_WORDS",
    "CellError",
    "cell_text",
    "is_blank",
    "mark_of",
    "number_text",
    "parse_number",
    "parse_option",
    "parse_score",
]
