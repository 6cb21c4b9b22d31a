"""小题分析: item difficulty, discrimination, item–total correlation, option (distractor) analysis and
knowledge-point score rates.

Inputs: an item matrix (students × items, NaN = not counted — absent, or an optional question not chosen),
the items' full marks, and each student's total (normally the subject total, i.e. the sum of these items;
NaN = not counted).

* Difficulty P = mean item score / item full mark (over the students counted on the item).
* 27% groups (``extreme_groups``): the students with a counted total are ordered by total, highest first,
  ties in input order (a stable sort); the high group is the first ``ceil(0.27·n)`` of them and the low group
  the last ``ceil(0.27·n)`` (computed as ``ceil(fraction·n − 1e-9)`` to ignore floating-point noise). For
  n ≤ 3 the two groups overlap.
* Discrimination D = (mean item score in the high group − mean in the low group) / item full mark, each mean
  over the group members counted on the item (NaN if a group has none). All-equal item scores give D = 0.
* Item–total correlation ``r``: Pearson correlation of item score and total over the students counted on both
  (for a 0/1 item this is the point-biserial). ``r_corrected`` correlates the item with ``total − item``.
  NaN when fewer than two students or either variable is constant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._core import FloatArray, IntArray, as_codes, as_matrix, as_scores, group_column_sums, safe_div

HIGH_LOW_FRACTION = 0.27
_LETTERS = re.compile(r"^[A-Z]+$")


def _check_items(item_matrix: ArrayLike, item_full: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = as_matrix(item_matrix, "item_matrix")
    full = np.asarray(item_full, dtype=np.float64)
    if full.shape != (x.shape[1],):
        raise ValueError(f"item_full must have one value per item ({x.shape[1]}), got shape {full.shape}")
    if not (np.isfinite(full).all() and (full > 0).all()):
        raise ValueError("item full marks must be positive numbers")
    return x, full


def extreme_groups(total: ArrayLike, fraction: float = HIGH_LOW_FRACTION) -> tuple[IntArray, IntArray]:
    """(high, low) student indices by the 27% rule (see the module docstring for size and tie handling)."""
    if not 0 < fraction <= 0.5:
        raise ValueError("fraction must be in (0, 0.5]")
    t = as_scores(total, "total")
    idx = np.flatnonzero(~np.isnan(t))
    n = idx.size
    k = math.ceil(fraction * n - 1e-9) if n else 0
    order = idx[np.argsort(-t[idx], kind="stable")]
    return order[:k], order[n - k :]


def _pearson(x: FloatArray, y: FloatArray) -> float:
    if x.size < 2 or x.max() == x.min() or y.max() == y.min():
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    # plain sums, not BLAS dot products: multithreaded BLAS on busy shared cores is slower than one pass
    return float(np.sum(dx * dy) / math.sqrt(np.sum(dx * dx) * np.sum(dy * dy)))


def _masked_mean(col: FloatArray) -> float:
    v = col[~np.isnan(col)]
    return float(v.mean()) if v.size else math.nan


def item_analysis(
    item_matrix: ArrayLike,
    item_full: ArrayLike,
    total: ArrayLike,
    fraction: float = HIGH_LOW_FRACTION,
) -> dict[str, np.ndarray]:
    """Per-item statistics, each an array of length n_items:

    ``n`` (counted), ``mean``, ``std`` (population), ``difficulty`` (P), ``discrimination`` (D, 27% rule),
    ``high_mean`` / ``low_mean`` (item mean in the high / low group), ``r`` and ``r_corrected`` (item–total
    correlation), ``full_rate`` (fraction of counted students with full marks), ``zero_rate`` (fraction
    scoring 0). NaN where undefined.
    """
    x, full = _check_items(item_matrix, item_full)
    t = as_scores(total, "total")
    if t.size != x.shape[0]:
        raise ValueError(f"item_matrix has {x.shape[0]} rows but total has {t.size} values")
    high, low = extreme_groups(t, fraction)
    k = x.shape[1]
    out = {
        key: np.full(k, np.nan)
        for key in ("mean", "std", "high_mean", "low_mean", "r", "r_corrected", "full_rate", "zero_rate")
    }
    n = np.zeros(k, dtype=np.int64)
    t_counted = ~np.isnan(t)
    xh, xl = x[high], x[low]
    xt = np.ascontiguousarray(x.T)  # one item per contiguous row
    for j in range(k):
        col = xt[j]
        counted = ~np.isnan(col)
        v = col[counted]
        n[j] = v.size
        if v.size:
            out["mean"][j] = v.mean()
            out["std"][j] = 0.0 if v.max() == v.min() else v.std()
            out["full_rate"][j] = np.count_nonzero(v >= full[j]) / v.size
            out["zero_rate"][j] = np.count_nonzero(v == 0) / v.size
        out["high_mean"][j] = _masked_mean(xh[:, j])
        out["low_mean"][j] = _masked_mean(xl[:, j])
        both = counted & t_counted
        xi, ti = col[both], t[both]
        out["r"][j] = _pearson(xi, ti)
        out["r_corrected"][j] = _pearson(xi, ti - xi)
    return {
        "n": n,
        "mean": out["mean"],
        "std": out["std"],
        "difficulty": out["mean"] / full,
        "discrimination": (out["high_mean"] - out["low_mean"]) / full,
        "high_mean": out["high_mean"],
        "low_mean": out["low_mean"],
        "r": out["r"],
        "r_corrected": out["r_corrected"],
        "full_rate": out["full_rate"],
        "zero_rate": out["zero_rate"],
    }


def item_group_rates(
    item_matrix: ArrayLike, item_full: ArrayLike, codes: ArrayLike, n_groups: int | None = None
) -> FloatArray:
    """Score rate (mean / full mark) of every item in every group: (n_groups, n_items), NaN where a group
    has no counted answer."""
    x, full = _check_items(item_matrix, item_full)
    c, g = as_codes(codes, x.shape[0], n_groups)
    sums, counts = group_column_sums(x, c, g)
    return safe_div(sums, counts * full[None, :])


def normalize_option(option: str) -> str:
    """Answer normalization used by ``option_analysis``: strip and upper-case; a string made only of letters
    A–Z (a multiple-choice answer) has its letters de-duplicated and sorted ("ba" → "AB")."""
    s = option.strip().upper()
    if _LETTERS.match(s):
        s = "".join(sorted(set(s)))
    return s


def option_analysis(
    options: ArrayLike,
    key: str,
    total: ArrayLike,
    choices: Sequence[str] = (),
    fraction: float = HIGH_LOW_FRACTION,
    groups: tuple[ArrayLike, ArrayLike] | None = None,
) -> dict[str, np.ndarray]:
    """Option (distractor) analysis of one objective item.

    ``options[i]`` is student i's answer ("A", "AB", "" = blank) or ``None`` when the student is not counted
    (absent); answers are normalized with ``normalize_option``. The population is the students with an
    answer; the 27% groups are formed inside it from the counted totals — or pass ``groups=(high, low)``
    (student indices, e.g. ``extreme_groups(total)`` computed once per subject) to reuse them across items;
    members without an answer are then left out of the group fractions.

    Rows: the ``choices`` in the given order (so options nobody chose still appear), then the other observed
    answers sorted, with blank ("") last. Columns: ``option`` (str), ``count``, ``rate`` (count / population),
    ``high_rate`` / ``low_rate`` (fraction of the high / low group choosing it), ``mean_total`` (mean total
    of its choosers with a counted total, NaN if none), ``is_key``.
    """
    arr = np.asarray(options)
    if arr.ndim != 1:
        raise ValueError("options must be 1-D (one answer per student)")
    t = as_scores(total, "total")
    if t.size != arr.size:
        raise ValueError(f"options has {arr.size} values but total has {t.size}")
    if arr.dtype.kind == "U":
        present = np.ones(arr.size, dtype=bool)
        raw = arr
    else:
        arr = arr.astype(object)
        present = ~np.equal(arr, None)
        raw = arr[present].astype(str)
    uniq, inverse = np.unique(raw, return_inverse=True)
    normalized = [normalize_option(str(u)) for u in uniq]
    key_norm = normalize_option(key)

    labels: list[str] = []
    for ch in choices:
        label = normalize_option(ch)
        if label not in labels:
            labels.append(label)
    others = sorted({s for s in normalized if s not in labels})
    if "" in others:
        others.remove("")
        others.append("")
    labels += others
    position = {label: i for i, label in enumerate(labels)}
    code = np.full(arr.size, -1, dtype=np.int64)  # -1 = no answer
    code[present] = np.asarray([position[s] for s in normalized], dtype=np.int64)[inverse.ravel()]

    if groups is None:
        high, low = extreme_groups(np.where(present, t, np.nan), fraction)
    else:
        high, low = (np.asarray(g, dtype=np.int64) for g in groups)
    high_codes, low_codes = code[high], code[low]
    high_codes, low_codes = high_codes[high_codes >= 0], low_codes[low_codes >= 0]

    n_opt = len(labels)
    answered = code[present]
    count = np.bincount(answered, minlength=n_opt).astype(np.int64)
    tc = present & ~np.isnan(t)
    total_sum = np.bincount(code[tc], weights=t[tc], minlength=n_opt)
    total_n = np.bincount(code[tc], minlength=n_opt)
    return {
        "option": np.asarray(labels, dtype=object),
        "count": count,
        "rate": safe_div(count, answered.size),
        "high_rate": safe_div(np.bincount(high_codes, minlength=n_opt), high_codes.size),
        "low_rate": safe_div(np.bincount(low_codes, minlength=n_opt), low_codes.size),
        "mean_total": safe_div(total_sum, total_n),
        "is_key": np.asarray([label == key_norm for label in labels], dtype=bool),
    }


def knowledge_point_rates(
    item_matrix: ArrayLike,
    item_full: ArrayLike,
    item_kps: Sequence[Sequence[str]],
    codes: ArrayLike | None = None,
    n_groups: int | None = None,
) -> dict[str, Any]:
    """知识点得分率: for each knowledge point, Σ scores on its items / Σ full marks of its items, both over the
    counted answers (an item tagged with several points counts for each).

    Returns ``kp`` (names in order of first appearance), ``score`` and ``full`` (the two sums) and ``rate``:
    (n_kp,) arrays, or (n_groups, n_kp) with ``codes``. NaN rate where no answer is counted.
    """
    x, full = _check_items(item_matrix, item_full)
    if len(item_kps) != x.shape[1]:
        raise ValueError(f"item_kps must list the knowledge points of each of the {x.shape[1]} items")
    names: list[str] = []
    for kps in item_kps:
        for kp in kps:
            if kp not in names:
                names.append(kp)
    incidence = np.zeros((x.shape[1], len(names)))
    pos = {kp: i for i, kp in enumerate(names)}
    for j, kps in enumerate(item_kps):
        for kp in set(kps):
            incidence[j, pos[kp]] = 1.0
    grouped = codes is not None
    if grouped:
        c, g = as_codes(codes, x.shape[0], n_groups)
    else:
        c, g = np.zeros(x.shape[0], dtype=np.int64), 1
    sums, counts = group_column_sums(x, c, g)
    score = sums @ incidence
    possible = (counts * full[None, :]) @ incidence
    rate = safe_div(score, possible)
    if not grouped:
        score, possible, rate = score[0], possible[0], rate[0]
    return {"kp": names, "score": score, "full": possible, "rate": rate}
