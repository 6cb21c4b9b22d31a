"""上线分析: score lines, 有效分 per subject, 单上线 / 双上线 counts and 临界生.

A student is 总分上线 when ``total >= line`` and 单科上线 in a subject when ``score >= effective score``
(NaN never reaches a line). Effective scores are returned unrounded; round them (e.g. to 0.5) before
``line_analysis`` if the report publishes rounded values.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._core import FloatArray, IntArray, as_codes, as_matrix, as_scores, safe_div


def line_by_rank(total: ArrayLike, n: int) -> float | None:
    """The line that admits the top ``n`` students: the score of the n-th best counted total. Everyone with
    that score or more is 上线, so ties at the line can admit more than ``n``. When ``n`` exceeds the number
    of counted students the line is the lowest counted score; ``None`` when nothing is counted."""
    if int(n) < 1:
        raise ValueError("n must be >= 1")
    a = as_scores(total, "total")
    v = a[~np.isnan(a)]
    if v.size == 0:
        return None
    k = v.size - min(int(n), v.size)  # position of the n-th best in ascending order
    return float(np.partition(v, k)[k])


def line_by_score(value: float) -> float:
    """A fixed line (e.g. a published 本科线) as a float."""
    f = float(value)
    if not math.isfinite(f):
        raise ValueError("line must be a finite number")
    return f


def _check_shapes(m: FloatArray, t: FloatArray) -> None:
    if m.shape[0] != t.size:
        raise ValueError(f"subject_matrix has {m.shape[0]} rows but total has {t.size} values")


def effective_scores(
    subject_matrix: ArrayLike,
    total: ArrayLike,
    line: float,
    method: Literal["ratio", "qualified_mean"] = "ratio",
) -> FloatArray:
    """有效分 per subject (array of length n_subjects; NaN where undefined).

    * ``"ratio"``: line × (subject mean / total mean). Means are over the students with a counted total
      (the subject mean over those of them with a counted subject score).
    * ``"qualified_mean"``: mean subject score of the students with ``total >= line`` (and a counted subject
      score); NaN when no one reaches the line.
    """
    m = as_matrix(subject_matrix, "subject_matrix")
    t = as_scores(total, "total")
    _check_shapes(m, t)
    line = line_by_score(line)
    if method == "ratio":
        pop = ~np.isnan(t)
        if not pop.any():
            return np.full(m.shape[1], np.nan)
        total_mean = float(t[pop].mean())
        sub = m[pop]
        counted = ~np.isnan(sub)
        subject_mean = safe_div(np.where(counted, sub, 0.0).sum(axis=0), counted.sum(axis=0))
        return line * safe_div(subject_mean, total_mean)
    if method == "qualified_mean":
        sub = m[t >= line]
        counted = ~np.isnan(sub)
        return safe_div(np.where(counted, sub, 0.0).sum(axis=0), counted.sum(axis=0))
    raise ValueError(f"unknown method {method!r} (use 'ratio' or 'qualified_mean')")


def line_analysis(
    subject_matrix: ArrayLike,
    total: ArrayLike,
    line: float,
    effective: ArrayLike,
    codes: ArrayLike | None = None,
    n_groups: int | None = None,
) -> dict[str, Any]:
    """单上线 / 双上线 analysis.

    Keys (per subject arrays have a trailing subject axis):

    * ``n``: counted totals; ``total_on``: 总分上线 count; ``total_on_rate`` = total_on / n
    * ``single``: 单上线 (subject >= effective); ``double``: 双上线 (subject >= effective and total >= line)
    * ``hit_rate`` 命中率 = double / single; ``contribution_rate`` 贡献率 = double / total_on (NaN on 0/0)
    * ``single_only`` = single − double (单科上线、总分未上线); ``total_only`` = total_on − double
      (总分上线、该科未上线, 偏科)

    Without ``codes`` the counts are scalars / (n_subjects,) arrays; with ``codes`` they gain a leading
    group axis: (n_groups,) / (n_groups, n_subjects).
    """
    m = as_matrix(subject_matrix, "subject_matrix")
    t = as_scores(total, "total")
    _check_shapes(m, t)
    line = line_by_score(line)
    eff = np.asarray(effective, dtype=np.float64)
    if eff.shape != (m.shape[1],):
        raise ValueError(f"effective must have one value per subject ({m.shape[1]}), got shape {eff.shape}")
    grouped = codes is not None
    if grouped:
        c, g = as_codes(codes, t.size, n_groups)
    else:
        c, g = np.zeros(t.size, dtype=np.int64), 1
    on_total = t >= line
    n = np.bincount(c[~np.isnan(t)], minlength=g).astype(np.int64)
    total_on = np.bincount(c[on_total], minlength=g).astype(np.int64)
    s = m.shape[1]
    single = np.zeros((g, s), dtype=np.int64)
    double = np.zeros((g, s), dtype=np.int64)
    for j in range(s):
        hit = m[:, j] >= eff[j]
        single[:, j] = np.bincount(c[hit], minlength=g)
        double[:, j] = np.bincount(c[hit & on_total], minlength=g)
    out: dict[str, Any] = {
        "n": n,
        "total_on": total_on,
        "total_on_rate": safe_div(total_on, n),
        "single": single,
        "double": double,
        "hit_rate": safe_div(double, single),
        "contribution_rate": safe_div(double, total_on[:, None]),
        "single_only": single - double,
        "total_only": total_on[:, None] - double,
    }
    if not grouped:
        out = {k: (v[0].item() if v.ndim == 1 else v[0]) for k, v in out.items()}
    return out


def borderline(total: ArrayLike, line: float, band: float) -> dict[str, IntArray]:
    """临界生: indices of the students with ``|total − line| <= band``.

    ``below``: line − band <= total < line; ``above``: line <= total <= line + band. Each list is ordered
    closest to the line first (ties in input order).
    """
    t = as_scores(total, "total")
    line = line_by_score(line)
    band = float(band)
    if not math.isfinite(band) or band < 0:
        raise ValueError("band must be a non-negative number")
    below = np.flatnonzero((t < line) & (t >= line - band))
    above = np.flatnonzero((t >= line) & (t <= line + band))
    return {
        "below": below[np.argsort(-t[below], kind="stable")],
        "above": above[np.argsort(t[above], kind="stable")],
    }
