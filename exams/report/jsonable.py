"""numpy → JSON helpers: NaN becomes ``None``, floats are rounded (the report stores 2 decimals for scores and
4 for rates, which keeps ``ExamReport.data`` small)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SCORE_DP = 2
RATE_DP = 4


def num(value: Any, dp: int | None = SCORE_DP) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int):
        return value
    value = float(value)
    if math.isnan(value):
        return None
    return round(value, dp) if dp is not None else value


def col(values, dp: int | None = SCORE_DP) -> list:
    """A 1-D array as a list of plain values (NaN → None, floats rounded to ``dp``)."""
    a = np.asarray(values)
    if a.dtype.kind in "iub":
        return a.tolist()
    if a.dtype.kind != "f":
        return [None if v is None else v for v in a.tolist()]
    if dp is not None:
        a = np.round(a, dp)
    return [None if v != v else v for v in a.tolist()]


def ints(values) -> list:
    """Ranks and counts: 0 (unranked) → None."""
    return [v or None for v in np.asarray(values, dtype=np.int64).tolist()]


def row_lists(values, dp: int | None = SCORE_DP) -> list[list]:
    """A 2-D float array as a list of row lists (NaN → None, rounded to ``dp``) — one numpy call for all rows."""
    a = np.asarray(values, dtype=np.float64)
    if dp is not None:
        a = np.round(a, dp)
    return [[None if v != v else v for v in r] for r in a.tolist()]
