"""Standard scores: Z, T and the 联考 standard total (标准总分).

* ``zscores``: z = (x − mean) / SD over the counted scores, population SD (ddof=0). NaN stays NaN. When all
  counted scores are equal (SD 0) every counted student gets z = 0.
* ``tscores``: T = 50 + 10·z.
* ``standard_total``: for a students × subjects matrix, each subject is standardized on its own counted
  students (``zscores`` of the column); a student's z-sum is the sum of the z of the subjects they sat
  (a subject not sat adds nothing — it is *not* scored as 0; map NaN → 0 before calling if the policy counts
  absence as 0). The z-sums of all students who sat at least one subject are standardized again and
  reported as T = 50 + 10·z(z-sum). Students who sat no subject get NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._core import FloatArray, as_matrix, as_scores


def zscores(x: ArrayLike) -> FloatArray:
    """Z scores over the counted values (population SD); NaN stays NaN; SD 0 → 0 for every counted value."""
    a = as_scores(x)
    counted = ~np.isnan(a)
    v = a[counted]
    out = np.full(a.size, np.nan)
    if v.size == 0:
        return out
    if v.max() == v.min():
        out[counted] = 0.0
    else:
        out[counted] = (v - v.mean()) / v.std()
    return out


def tscores(x: ArrayLike) -> FloatArray:
    """T = 50 + 10·z (``zscores`` conventions)."""
    return 50.0 + 10.0 * zscores(x)


def standard_total(subject_matrix: ArrayLike) -> FloatArray:
    """联考 standard total as a T score per student (see the module docstring for the exact definition)."""
    m = as_matrix(subject_matrix, "subject_matrix")
    z = np.column_stack([zscores(m[:, j]) for j in range(m.shape[1])]) if m.shape[1] else m
    sat = (~np.isnan(m)).any(axis=1)
    zsum = np.where(sat, np.nansum(z, axis=1), np.nan)
    return tscores(zsum)
