"""增值评价: Δz, OLS residuals and group confidence intervals."""

import math

import numpy as np
import pytest
from scipy import stats

from exams.analysis import value_added

NAN = np.nan


def test_identical_standing_gives_zero_value_added():
    # exam 2 is a linear rescaling of exam 1 → z2 = z1 exactly: Δz = 0, slope 1, intercept 0, R² = 1,
    # every residual 0
    r = value_added([60, 70, 80, 90], [30, 35, 40, 45], [0, 0, 1, 1])
    np.testing.assert_allclose(r["dz"], 0, atol=1e-12)
    np.testing.assert_allclose(r["residual"], 0, atol=1e-12)
    assert r["slope"] == pytest.approx(1.0)
    assert r["intercept"] == pytest.approx(0.0, abs=1e-12)
    assert r["r2"] == pytest.approx(1.0)
    assert r["n"] == 4
    np.testing.assert_allclose(r["groups"]["mean_residual"], [0, 0], atol=1e-12)


def test_known_regression_and_group_intervals():
    # x1 = 1, 2, 3, 4 and x2 = 2, 1, 4, 3: both have mean 2.5 and population SD √1.25; c = 1/√1.25
    #   z1 = (−1.5, −0.5, 0.5, 1.5)·c     z2 = (−0.5, −1.5, 1.5, 0.5)·c
    # cov(x1, x2) = (0.75 + 0.75 + 0.75 + 0.75)/4 = 0.75 → correlation 0.75/1.25 = 0.6
    # OLS on standardized scores: slope = 0.6, intercept 0, R² = 0.36
    # residual = z2 − 0.6·z1 = (−0.5+0.9, −1.5+0.3, 1.5−0.3, 0.5−0.9)·c = (0.4, −1.2, 1.2, −0.4)·c
    # Δz = z2 − z1 = (1, −1, 1, −1)·c
    c = 1 / math.sqrt(1.25)
    r = value_added([1, 2, 3, 4], [2, 1, 4, 3], [0, 0, 1, 1])
    np.testing.assert_allclose(r["z1"], np.array([-1.5, -0.5, 0.5, 1.5]) * c)
    np.testing.assert_allclose(r["z2"], np.array([-0.5, -1.5, 1.5, 0.5]) * c)
    np.testing.assert_allclose(r["dz"], np.array([1, -1, 1, -1]) * c)
    assert r["slope"] == pytest.approx(0.6)
    assert r["intercept"] == pytest.approx(0.0, abs=1e-12)
    assert r["r2"] == pytest.approx(0.36)
    np.testing.assert_allclose(r["residual"], np.array([0.4, -1.2, 1.2, -0.4]) * c)

    # group 0 = students 0, 1: residuals 0.4c, −1.2c → mean −0.4c; deviations ±0.8c
    #   sample SD (ddof 1) = √(2 · 0.64c² / 1) = 0.8√2·c; SE = SD/√2 = 0.8c
    #   95% CI = mean ± t(0.975, df 1) · SE with t = 12.7062…
    # group 1 = students 2, 3: residuals 1.2c, −0.4c → mean 0.4c, same SE
    g = r["groups"]
    assert g["n"].tolist() == [2, 2]
    np.testing.assert_allclose(g["mean_residual"], [-0.4 * c, 0.4 * c])
    np.testing.assert_allclose(g["mean_dz"], [0, 0], atol=1e-12)
    np.testing.assert_allclose(g["sd_residual"], [0.8 * math.sqrt(2) * c] * 2)
    np.testing.assert_allclose(g["se"], [0.8 * c, 0.8 * c])
    t = stats.t.ppf(0.975, 1)
    assert t == pytest.approx(12.7062047, rel=1e-7)
    np.testing.assert_allclose(g["ci_low"], [-0.4 * c - t * 0.8 * c, 0.4 * c - t * 0.8 * c])
    np.testing.assert_allclose(g["ci_high"], [-0.4 * c + t * 0.8 * c, 0.4 * c + t * 0.8 * c])
    # the same interval straight from scipy
    low, high = stats.t.interval(0.95, df=1, loc=-0.4 * c, scale=0.8 * c)
    assert (g["ci_low"][0], g["ci_high"][0]) == (pytest.approx(low), pytest.approx(high))


def test_ci_against_scipy_on_a_larger_group_and_other_confidence():
    rng = np.random.default_rng(5)
    x1 = rng.normal(70, 10, 60)
    x2 = 0.7 * x1 + rng.normal(0, 8, 60)
    codes = np.repeat([0, 1, 2], 20)
    r = value_added(x1, x2, codes, confidence=0.90)
    res = r["residual"][codes == 1]
    se = res.std(ddof=1) / math.sqrt(20)
    low, high = stats.t.interval(0.90, df=19, loc=res.mean(), scale=se)
    assert r["groups"]["ci_low"][1] == pytest.approx(low, rel=1e-10)
    assert r["groups"]["ci_high"][1] == pytest.approx(high, rel=1e-10)
    # residuals of an OLS fit with intercept sum to 0 and are uncorrelated with the predictor
    assert abs(np.nansum(r["residual"])) < 1e-10
    assert abs(np.nansum(r["residual"] * r["z1"])) < 1e-10


def test_unmatched_students_are_left_out():
    # students 4 (no exam 1) and 5 (no exam 2) are not matched: NaN outputs, not in n or in the z scale;
    # the matched four are the example above → same slope 0.6
    r = value_added([1, 2, 3, 4, NAN, 50], [2, 1, 4, 3, 60, NAN], [0, 0, 1, 1, 2, 2], n_groups=4)
    assert r["matched"].tolist() == [True, True, True, True, False, False]
    assert r["n"] == 4
    assert r["slope"] == pytest.approx(0.6)
    for key in ("z1", "z2", "dz", "residual"):
        assert np.isnan(r[key][4:]).all()
    g = r["groups"]
    assert g["n"].tolist() == [2, 2, 0, 0]
    assert np.isnan(g["mean_residual"][2:]).all()
    assert np.isnan(g["ci_low"][2:]).all()


def test_group_of_one_has_no_interval():
    r = value_added([1, 2, 3, 4], [2, 1, 4, 3], [0, 0, 0, 1])
    g = r["groups"]
    assert g["n"].tolist() == [3, 1]
    assert not np.isnan(g["mean_residual"][1])
    for key in ("sd_residual", "se", "ci_low", "ci_high"):
        assert np.isnan(g[key][1])
        assert not np.isnan(g[key][0])


def test_constant_first_exam_and_no_match():
    # exam 1 constant → z1 = 0 for all: slope taken as 0, R² undefined, residual = z2
    r = value_added([5, 5, 5], [1, 2, 3], [0, 0, 0])
    assert r["slope"] == 0.0
    assert r["r2"] is None
    np.testing.assert_allclose(r["residual"], r["z2"])
    # nobody matched
    r = value_added([NAN, 1], [1, NAN], [0, 0])
    assert r["n"] == 0
    assert r["slope"] is None
    assert r["intercept"] is None
    assert r["groups"]["n"].tolist() == [0]
    with pytest.raises(ValueError):
        value_added([1, 2], [1], [0, 0])
