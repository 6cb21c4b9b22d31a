"""一分一段: score bands from the top with counts and cumulative counts.

A counted score ``s`` falls in the band whose lower bound is ``floor(s / step) * step`` (a 1e-9 tolerance in
the division keeps 0.3 / 0.1 in band 0.3). When ``full_mark`` is given and is not a multiple of ``step``, the
full mark is a band of its own at the top (full 105, step 10: bands 105, 100, 90, …, where band 100 holds
100 ≤ s < 105); scores above the full mark are rejected.

Rows run from the top band down, one row per band with no gaps (empty bands included):

* ``full_mark`` given: from the full-mark band down to band 0 (lower if negative scores occur), so tables
  of different groups and exams line up;
* ``full_mark=None``: from the highest to the lowest occupied band (no rows when nothing is counted).

Columns: ``lower`` (band lower bound), ``count``, ``cum_count`` (count at or above the band),
``cum_rate`` (``cum_count`` / counted; NaN when nothing is counted) and ``rank_from`` (best rank of the band,
``cum_count − count + 1``, 0 for an empty band; with competition ranking every student in the band ranks
between ``rank_from`` and ``cum_count``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._core import FloatArray, IntArray, as_codes, as_scores, check_full_mark, safe_div

_EPS = 1e-9


def _layout(v: FloatArray, step: float, full_mark: float | None) -> tuple[IntArray, FloatArray]:
    """Band index (0 = top row) of every counted score, and the lower bounds of all rows."""
    step = float(step)
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"step must be a positive number, got {step!r}")
    k = np.floor(v / step + _EPS).astype(np.int64)
    extra = False
    if full_mark is not None:
        full = check_full_mark(full_mark)
        if v.size and float(v.max()) > full + _EPS * max(1.0, full):
            raise ValueError(f"a score exceeds the full mark {full}")
        k_top = math.floor(full / step + _EPS)
        extra = abs(k_top * step - full) > _EPS * max(1.0, full)
        k_bottom = min(0, int(k.min())) if v.size else 0
    elif v.size:
        k_top, k_bottom = int(k.max()), int(k.min())
    else:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    band = k_top - k
    lowers = np.round(np.arange(k_top, k_bottom - 1, -1) * step, 10)
    if extra:
        band += 1
        band[v >= full - _EPS * max(1.0, full)] = 0
        lowers = np.concatenate(([full], lowers))
    return band, lowers


def score_segments(x: ArrayLike, step: float = 1.0, full_mark: float | None = None) -> dict[str, np.ndarray]:
    """一分一段 table of one score column (see the module docstring for bands and columns)."""
    a = as_scores(x)
    v = a[~np.isnan(a)]
    band, lowers = _layout(v, step, full_mark)
    count = np.bincount(band, minlength=lowers.size).astype(np.int64)
    cum = np.cumsum(count)
    return {
        "lower": lowers,
        "count": count,
        "cum_count": cum,
        "cum_rate": safe_div(cum, v.size),
        "rank_from": np.where(count > 0, cum - count + 1, 0),
    }


def score_segments_groups(
    x: ArrayLike,
    codes: ArrayLike,
    n_groups: int | None = None,
    step: float = 1.0,
    full_mark: float | None = None,
) -> dict[str, np.ndarray]:
    """一分一段 per group on common bands (taken from all groups together).

    Returns ``lower`` (bands,) and ``count``, ``cum_count``, ``cum_rate``, ``rank_from`` as
    (n_groups, bands) arrays; ``cum_rate`` is relative to the group's counted students (NaN for an empty
    group) and ``rank_from`` is the best rank inside the group.
    """
    a = as_scores(x)
    c, g = as_codes(codes, a.size, n_groups)
    counted = ~np.isnan(a)
    v, cv = a[counted], c[counted]
    band, lowers = _layout(v, step, full_mark)
    b = lowers.size
    count = np.bincount(cv * b + band, minlength=g * b).astype(np.int64).reshape(g, b)
    cum = np.cumsum(count, axis=1)
    n = cum[:, -1] if b else np.zeros(g, dtype=np.int64)
    return {
        "lower": lowers,
        "count": count,
        "cum_count": cum,
        "cum_rate": safe_div(cum, n[:, None]),
        "rank_from": np.where(count > 0, cum - count + 1, 0),
    }
