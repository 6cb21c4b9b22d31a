"""Ranks: competition ranking ("1224") on descending scores, overall or inside groups.

Equal scores share the best rank and the next distinct score skips the shared places. Not-counted scores
(NaN) get rank 0 — the returned arrays are int64, so 0 always means "unranked".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._core import FloatArray, IntArray, as_codes, as_scores


def rank(x: ArrayLike) -> IntArray:
    """Competition rank of every score among the counted scores (highest = 1); NaN → 0.

    Rank = 1 + number of counted scores strictly greater.
    """
    a = as_scores(x)
    counted = ~np.isnan(a)
    v = a[counted]
    out = np.zeros(a.size, dtype=np.int64)
    out[counted] = v.size - np.searchsorted(np.sort(v), v, side="right") + 1
    return out


def _within(a: FloatArray, codes: ArrayLike, n_groups: int | None) -> tuple[np.ndarray, IntArray, IntArray, IntArray]:
    """For every counted score: (its index, # strictly greater, # strictly smaller, group size), all in the
    student's group. One sort by (group, score); tie runs found by comparing neighbours."""
    c, g = as_codes(codes, a.size, n_groups)
    idx = np.flatnonzero(~np.isnan(a))
    v, cv = a[idx], c[idx]
    order = np.lexsort((v, cv))
    sv, sc = v[order], cv[order]
    m = sv.size
    if m == 0:
        empty = np.zeros(0, dtype=np.int64)
        return idx, empty, empty, empty
    run_starts = np.ones(m, dtype=bool)
    run_starts[1:] = (sv[1:] != sv[:-1]) | (sc[1:] != sc[:-1])
    start_pos = np.flatnonzero(run_starts)
    end_pos = np.append(start_pos[1:], m)  # exclusive end of each run
    run_id = np.cumsum(run_starts) - 1
    sizes = np.bincount(sc, minlength=g)
    group_end = np.cumsum(sizes)
    group_start = group_end - sizes
    greater = group_end[sc] - end_pos[run_id]
    smaller = start_pos[run_id] - group_start[sc]
    return idx[order], greater.astype(np.int64), smaller.astype(np.int64), sizes[sc].astype(np.int64)


def rank_within(x: ArrayLike, codes: ArrayLike, n_groups: int | None = None) -> IntArray:
    """Competition rank of every score inside its group (``codes``: int group codes); NaN → 0."""
    a = as_scores(x)
    where, greater, _smaller, _size = _within(a, codes, n_groups)
    out = np.zeros(a.size, dtype=np.int64)
    out[where] = greater + 1
    return out


def percentile_rank(x: ArrayLike, codes: ArrayLike | None = None, n_groups: int | None = None) -> FloatArray:
    """Fraction (0..1) of the counted scores — overall, or in the student's group — that are strictly lower
    ("超过了 …% 的考生"). NaN stays NaN; a group of one gives 0.0."""
    a = as_scores(x)
    if codes is None:
        codes = np.zeros(a.size, dtype=np.int64)
        n_groups = 1
    where, _greater, smaller, size = _within(a, codes, n_groups)
    out = np.full(a.size, np.nan)
    out[where] = smaller / size
    return out
