"""Input checks and small shared helpers (internal to ``exams.analysis``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Cut-offs derived from fractions (0.7 × 110) are rounded to this many decimals, so that a score exactly on
# the line is not lost to binary floating point (0.7 * 110 == 77.00000000000001).
CUTOFF_DECIMALS = 6


def as_scores(x: ArrayLike, name: str = "x") -> FloatArray:
    """``x`` as a 1-D float64 array; NaN = not counted. Infinite values are rejected."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if np.isinf(a).any():
        raise ValueError(f"{name} contains infinite values")
    return a


def as_matrix(m: ArrayLike, name: str = "matrix") -> FloatArray:
    """``m`` as a 2-D float64 array (students × columns); NaN = not counted."""
    a = np.asarray(m, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (students × columns), got shape {a.shape}")
    if np.isinf(a).any():
        raise ValueError(f"{name} contains infinite values")
    return a


def as_codes(codes: ArrayLike, n: int, n_groups: int | None = None) -> tuple[IntArray, int]:
    """Validate integer group codes of length ``n``; returns (codes as int64, number of groups).

    Codes must lie in ``0 .. n_groups - 1``; ``n_groups=None`` means ``max(codes) + 1`` (0 when empty).
    """
    c = np.asarray(codes)
    if c.ndim != 1 or c.shape[0] != n:
        raise ValueError(f"codes must be 1-D of length {n}, got shape {c.shape}")
    if c.size == 0:
        c = np.zeros(0, dtype=np.int64)
    elif not np.issubdtype(c.dtype, np.integer):
        raise TypeError(f"codes must be integers, got dtype {c.dtype}")
    c = c.astype(np.int64, copy=False)
    if n_groups is None:
        n_groups = int(c.max()) + 1 if c.size else 0
    n_groups = int(n_groups)
    if n_groups < 0:
        raise ValueError("n_groups must be >= 0")
    if c.size and (int(c.min()) < 0 or int(c.max()) >= n_groups):
        raise ValueError(f"codes must lie in 0..{n_groups - 1}")
    return c, n_groups


def check_full_mark(full_mark: float, name: str = "full_mark") -> float:
    f = float(full_mark)
    if not math.isfinite(f) or f <= 0:
        raise ValueError(f"{name} must be a positive number, got {full_mark!r}")
    return f


def cutoff(fraction: float, full_mark: float) -> float:
    """``fraction × full_mark`` rounded to ``CUTOFF_DECIMALS`` decimals."""
    return round(float(fraction) * float(full_mark), CUTOFF_DECIMALS)


def safe_div(num: ArrayLike, den: ArrayLike) -> FloatArray:
    """Elementwise ``num / den`` with NaN where ``den == 0`` (no warnings)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def group_sums(values: FloatArray, codes: IntArray, n_groups: int) -> tuple[FloatArray, IntArray]:
    """Per-group sum and count of the non-NaN entries of a 1-D array."""
    m = ~np.isnan(values)
    cm = codes[m]
    return (
        np.bincount(cm, weights=values[m], minlength=n_groups).astype(np.float64),
        np.bincount(cm, minlength=n_groups).astype(np.int64),
    )


def group_column_sums(matrix: FloatArray, codes: IntArray, n_groups: int) -> tuple[FloatArray, IntArray]:
    """Per-group, per-column sum and count of non-NaN entries: two ``(n_groups, n_columns)`` arrays."""
    k = matrix.shape[1]
    sums = np.zeros((n_groups, k))
    counts = np.zeros((n_groups, k), dtype=np.int64)
    columns = np.ascontiguousarray(matrix.T)
    for j in range(k):
        sums[:, j], counts[:, j] = group_sums(columns[j], codes, n_groups)
    return sums, counts


def to_none(value: Any) -> Any:
    """A numpy scalar as a plain Python value; NaN as ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_records(table: Mapping[str, Sequence[Any] | np.ndarray]) -> list[dict[str, Any]]:
    """Turn a dict of equal-length 1-D columns (as returned by the grouped functions) into a list of row
    dicts with plain Python values, NaN becoming ``None``. Use it at the template/JSON boundary."""
    cols: dict[str, list[Any]] = {}
    length: int | None = None
    for key, col in table.items():
        arr = np.asarray(col, dtype=object) if not isinstance(col, np.ndarray) else col
        if arr.ndim != 1:
            raise ValueError(f"column {key!r} is not 1-D (shape {arr.shape}); select a 1-D slice first")
        if length is None:
            length = arr.shape[0]
        elif arr.shape[0] != length:
            raise ValueError(f"column {key!r} has length {arr.shape[0]}, expected {length}")
        cols[key] = [to_none(v) for v in arr.tolist()]
    return [{key: cols[key][i] for key in cols} for i in range(length or 0)]
