"""增值评价 between two exams for the same students.

Only *matched* students (counted in both exams) are used. Per student:

* ``z1``, ``z2``: Z scores standardized within the matched population (population SD, ``zscores``);
* ``dz`` = z2 − z1 (simple value added: change of relative standing);
* ``residual``: z2 − (a + b·z1) from the OLS line z2 ~ a + b·z1 fitted on all matched students
  (residual value added: above / below what the first exam predicts). Since both are standardized,
  b equals their correlation and a ≈ 0. If z1 is constant (SD 0) the slope is taken as 0 and R² is NaN.

Per group (class / teacher / school codes): ``n`` matched, ``mean_dz``, ``mean_residual``, ``sd_residual``
(ddof=1), ``se`` = sd_residual / √n, and the ``confidence`` interval of the mean residual
``mean ± t(1 − α/2, n − 1) · se`` (Student t). Groups with n < 2 get NaN SD / SE / CI; empty groups NaN means.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._core import as_codes, as_scores, safe_div
from .standard import zscores


def value_added(
    x1: ArrayLike,
    x2: ArrayLike,
    codes: ArrayLike,
    n_groups: int | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Value added from exam 1 (``x1``) to exam 2 (``x2``) for the students in the same order.

    Returns ``matched`` (bool per student), ``z1``, ``z2``, ``dz``, ``residual`` (per student, NaN when not
    matched), the model ``n``, ``intercept``, ``slope``, ``r2`` (floats, ``None`` when undefined) and
    ``groups``: a dict of (n_groups,) arrays — see the module docstring.
    """
    a1 = as_scores(x1, "x1")
    a2 = as_scores(x2, "x2")
    if a1.size != a2.size:
        raise ValueError("x1 and x2 must have the same length (the same students)")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    c, g = as_codes(codes, a1.size, n_groups)
    matched = ~np.isnan(a1) & ~np.isnan(a2)
    z1 = zscores(np.where(matched, a1, np.nan))
    z2 = zscores(np.where(matched, a2, np.nan))
    dz = z2 - z1
    u, w = z1[matched], z2[matched]
    m = int(u.size)
    intercept = slope = r2 = None
    residual = np.full(a1.size, np.nan)
    if m:
        du = u - u.mean()
        sxx = float(np.sum(du * du))
        b = float(np.sum(du * (w - w.mean()))) / sxx if sxx > 0 else 0.0
        a = float(w.mean() - b * u.mean())
        res = w - a - b * u
        residual[matched] = res
        dw = w - w.mean()
        syy = float(np.sum(dw * dw))
        intercept, slope = a, b
        r2 = 1.0 - float(np.sum(res * res)) / syy if sxx > 0 and syy > 0 else None

    cm = c[matched]
    n = np.bincount(cm, minlength=g).astype(np.int64)
    mean_dz = safe_div(np.bincount(cm, weights=dz[matched], minlength=g), n)
    res_m = residual[matched]
    mean_res = safe_div(np.bincount(cm, weights=res_m, minlength=g), n)
    dev = res_m - mean_res[cm]
    sd = np.sqrt(safe_div(np.bincount(cm, weights=dev * dev, minlength=g), n - 1))
    sd[n < 2] = np.nan
    se = sd / np.sqrt(np.maximum(n, 1))
    tcrit = np.full(g, np.nan)
    ok = n >= 2
    tcrit[ok] = stats.t.ppf(0.5 + confidence / 2, n[ok] - 1)
    return {
        "matched": matched,
        "z1": z1,
        "z2": z2,
        "dz": dz,
        "residual": residual,
        "n": m,
        "intercept": intercept,
        "slope": slope,
        "r2": r2,
        "groups": {
            "n": n,
            "mean_dz": mean_dz,
            "mean_residual": mean_res,
            "sd_residual": sd,
            "se": se,
            "ci_low": mean_res - tcrit * se,
            "ci_high": mean_res + tcrit * se,
        },
    }
