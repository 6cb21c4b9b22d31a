"""Z / T scores and the 联考 standard total."""

import math

import numpy as np

from exams.analysis import standard_total, tscores, zscores

NAN = np.nan


def test_zscores_and_tscores_by_hand():
    # 90, 80, 80, 70: mean 80, population SD √50 → z = ±10/√50 = ±√2 = ±1.41421, 0, 0
    z = zscores([90, 80, 80, 70, NAN])
    np.testing.assert_allclose(z, [math.sqrt(2), 0, 0, -math.sqrt(2), NAN], atol=1e-15)
    # T = 50 + 10 z → 64.1421, 50, 50, 35.8579
    t = tscores([90, 80, 80, 70, NAN])
    np.testing.assert_allclose(t, [50 + 10 * math.sqrt(2), 50, 50, 50 - 10 * math.sqrt(2), NAN])


def test_zscores_all_equal_and_empty():
    # SD 0 → every counted student gets z = 0 (T = 50); NaN stays NaN
    np.testing.assert_array_equal(zscores([7, 7, 7, NAN]), [0, 0, 0, NAN])
    np.testing.assert_array_equal(tscores([0.1] * 3), [50, 50, 50])
    assert np.isnan(zscores([NAN, NAN])).all()
    assert zscores([]).size == 0


def test_standard_total_by_hand():
    # subject 1 = 90, 80, 70, 60: mean 75, deviations ±15, ±5 → variance (225+25+25+225)/4 = 125
    #   z1 = 15/√125, 5/√125, −5/√125, −15/√125
    # subject 2 = NaN, 100, 50, 75 (student 0 did not sit it): mean 75, variance (625+625+0)/3 = 1250/3
    #   z2 = NaN, 25/√(1250/3), −25/√(1250/3), 0
    # z-sum over the subjects sat: s = z1 + z2 (NaN adds nothing); student 4 sat nothing → NaN
    # the z-sums have mean 0 (symmetric); T = 50 + 10 · s / SD(s) with the population SD
    m = np.array([[90, NAN], [80, 100], [70, 50], [60, 75], [NAN, NAN]])
    a, b = 1 / math.sqrt(125), 1 / math.sqrt(1250 / 3)
    s = np.array([15 * a, 5 * a + 25 * b, -5 * a - 25 * b, -15 * a])
    assert abs(s.mean()) < 1e-15
    sd = math.sqrt((s**2).mean())
    expected = np.append(50 + 10 * s / sd, NAN)
    np.testing.assert_allclose(standard_total(m), expected, rtol=1e-12)
