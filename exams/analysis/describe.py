"""Descriptive statistics of a score column: overall (``describe``) and per group (``describe_groups``).

Both return the same keys::

    n, absent, mean, std, max, min, median, score_rate,
    excellent_count, excellent_rate, good_count, good_rate, pass_count, pass_rate, low_count, low_rate

``std`` is the population SD (ddof=0). 四率: excellent / good / pass count scores ``>=`` their threshold, low
counts scores strictly ``<`` its threshold; thresholds are fractions of the full mark and the cut-offs are
rounded to 6 decimals (0.7 × 110 → 77.0). Rates are fractions of ``n`` (the counted students).

``describe`` returns Python scalars and ``None`` for undefined values (n = 0); ``describe_groups`` returns
arrays with NaN for undefined values (empty groups); ``to_records`` converts those to ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._core import FloatArray, as_codes, as_scores, check_full_mark, cutoff, safe_div

DEFAULT_THRESHOLDS: tuple[float, float, float, float] = (0.85, 0.70, 0.60, 0.40)
RATE_NAMES: tuple[str, str, str, str] = ("excellent", "good", "pass", "low")


def _cutoffs(full_mark: float, thresholds: Sequence[float]) -> tuple[float, float, float, float]:
    if len(thresholds) != 4:
        raise ValueError("thresholds must be (excellent, good, pass, low) fractions of the full mark")
    for t in thresholds:
        if not 0 <= float(t) <= 1:
            raise ValueError(f"threshold {t!r} is not a fraction in 0..1")
    e, g, p, lo = (cutoff(t, full_mark) for t in thresholds)
    return e, g, p, lo


def describe(x: ArrayLike, full_mark: float, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    """Statistics of one score column (NaN = not counted). With no counted score every statistic and rate is
    ``None`` and every count 0."""
    a = as_scores(x)
    full = check_full_mark(full_mark)
    cuts = _cutoffs(full, thresholds)
    v = a[~np.isnan(a)]
    n = int(v.size)
    out: dict[str, Any] = {"n": n, "absent": int(a.size - n)}
    if n == 0:
        out.update(mean=None, std=None, max=None, min=None, median=None, score_rate=None)
        for name in RATE_NAMES:
            out[f"{name}_count"] = 0
            out[f"{name}_rate"] = None
        return out
    mean = float(np.mean(v))
    vmax, vmin = float(v.max()), float(v.min())
    out.update(
        mean=mean,
        std=0.0 if vmax == vmin else float(np.std(v)),
        max=vmax,
        min=vmin,
        median=float(np.median(v)),
        score_rate=mean / full,
    )
    counts = (
        int(np.count_nonzero(v >= cuts[0])),
        int(np.count_nonzero(v >= cuts[1])),
        int(np.count_nonzero(v >= cuts[2])),
        int(np.count_nonzero(v < cuts[3])),
    )
    for name, count in zip(RATE_NAMES, counts, strict=True):
        out[f"{name}_count"] = count
        out[f"{name}_rate"] = count / n
    return out


def describe_groups(
    x: ArrayLike,
    codes: ArrayLike,
    n_groups: int | None,
    full_mark: float,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> dict[str, np.ndarray]:
    """``describe`` for every group at once: each key maps to an array of length ``n_groups`` (counts int64,
    statistics float64 with NaN for empty groups). ``codes[i]`` is student i's group in ``0..n_groups-1``.

    Vectorized: sums with ``np.bincount``; min / max / median from one sort by (group, score).
    """
    a = as_scores(x)
    full = check_full_mark(full_mark)
    cuts = _cutoffs(full, thresholds)
    c, g = as_codes(codes, a.size, n_groups)
    counted = ~np.isnan(a)
    v, cv = a[counted], c[counted]

    n = np.bincount(cv, minlength=g).astype(np.int64)
    absent = np.bincount(c[~counted], minlength=g).astype(np.int64)
    mean = safe_div(np.bincount(cv, weights=v, minlength=g), n)
    dev = v - mean[cv]
    var = safe_div(np.bincount(cv, weights=dev * dev, minlength=g), n)

    order = np.lexsort((v, cv))
    sv = v[order]
    start = np.cumsum(n) - n
    has = n > 0
    s_has, n_has = start[has], n[has]
    vmin = np.full(g, np.nan)
    vmax = np.full(g, np.nan)
    median = np.full(g, np.nan)
    vmin[has] = sv[s_has]
    vmax[has] = sv[s_has + n_has - 1]
    median[has] = (sv[s_has + (n_has - 1) // 2] + sv[s_has + n_has // 2]) / 2
    std = np.sqrt(var)
    std[has & (vmax == vmin)] = 0.0

    out: dict[str, np.ndarray] = {
        "n": n,
        "absent": absent,
        "mean": mean,
        "std": std,
        "max": vmax,
        "min": vmin,
        "median": median,
        "score_rate": mean / full,
    }
    hits = (v >= cuts[0], v >= cuts[1], v >= cuts[2], v < cuts[3])
    for name, hit in zip(RATE_NAMES, hits, strict=True):
        count = np.bincount(cv[hit], minlength=g).astype(np.int64)
        out[f"{name}_count"] = count
        out[f"{name}_rate"] = safe_div(count, n)
    return out


def over_mean_rate(group_mean: float | ArrayLike | None, reference_mean: float | None) -> float | FloatArray | None:
    """超均率 = (group mean − reference mean) / reference mean.

    ``None`` when the reference is ``None``, NaN or 0. A scalar group mean gives a float (``None`` when it is
    ``None``/NaN); an array gives an array (NaN stays NaN).
    """
    if reference_mean is None:
        return None
    ref = float(reference_mean)
    if ref == 0 or np.isnan(ref):
        return None
    if group_mean is None:
        return None
    if np.ndim(group_mean) == 0:
        gm = float(group_mean)  # type: ignore[arg-type]
        return None if np.isnan(gm) else (gm - ref) / ref
    return (np.asarray(group_mean, dtype=np.float64) - ref) / ref
