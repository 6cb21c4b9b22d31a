"""describe / describe_groups / over_mean_rate / to_records on hand-computed cases."""

import math
import warnings

import numpy as np
import pytest

from exams.analysis import describe, describe_groups, over_mean_rate, to_records

NAN = np.nan


def test_describe_basic_with_absentee():
    # [90, 80, 80, 70, NaN], full 100
    # n = 4, absent = 1; mean = 320 / 4 = 80
    # deviations 10, 0, 0, -10 → population variance (100 + 0 + 0 + 100) / 4 = 50 → SD √50 = 7.0711
    # median of 70, 80, 80, 90 = (80 + 80) / 2 = 80; score rate 80 / 100 = 0.8
    # 优秀 ≥ 85: {90} → 1/4; 良好 ≥ 70: all 4 → 1; 及格 ≥ 60: 4 → 1; 低分 < 40: none → 0
    d = describe([90, 80, 80, 70, NAN], 100)
    assert d["n"] == 4
    assert d["absent"] == 1
    assert d["mean"] == 80.0
    assert d["std"] == pytest.approx(math.sqrt(50))
    assert d["std"] == pytest.approx(7.0710678118654755)
    assert d["max"] == 90.0
    assert d["min"] == 70.0
    assert d["median"] == 80.0
    assert d["score_rate"] == pytest.approx(0.8)
    assert (d["excellent_count"], d["good_count"], d["pass_count"], d["low_count"]) == (1, 4, 4, 0)
    assert d["excellent_rate"] == 0.25
    assert d["good_rate"] == 1.0
    assert d["pass_rate"] == 1.0
    assert d["low_rate"] == 0.0
    assert all(type(v) in (int, float) for v in d.values())


def test_describe_threshold_boundaries_full_150():
    # full 150: cut-offs 0.85·150 = 127.5, 0.70·150 = 105, 0.60·150 = 90, 0.40·150 = 60
    # ≥ 127.5: {127.5} → 1; ≥ 105: {127.5, 127.4, 105} → 3; ≥ 90: + {104.5, 90} → 5
    # < 60: {59.5} → 1 (60 itself is not 低分)
    x = [127.5, 127.4, 105, 104.5, 90, 89.5, 60, 59.5]
    d = describe(x, 150)
    assert (d["excellent_count"], d["good_count"], d["pass_count"], d["low_count"]) == (1, 3, 5, 1)
    assert d["excellent_rate"] == 1 / 8
    assert d["pass_rate"] == 5 / 8
    assert d["low_rate"] == 1 / 8
    # median of 8 values: sorted 59.5 60 89.5 90 104.5 105 127.4 127.5 → (90 + 104.5) / 2 = 97.25
    assert d["median"] == 97.25


def test_describe_cutoff_is_not_lost_to_floating_point():
    # 0.55 × 100 = 55.00000000000001 in binary floating point; with a 55% pass line a score of exactly 55
    # must still pass (the cut-off is rounded to 6 decimals)
    assert 0.55 * 100 > 55
    d = describe([55.0, 54.5], 100, thresholds=(0.85, 0.70, 0.55, 0.40))
    assert d["pass_count"] == 1
    assert d["pass_rate"] == 0.5


def test_describe_custom_thresholds():
    # thresholds (0.9, 0.8, 0.6, 0.3) on full 50: cut-offs 45, 40, 30, 15
    # scores 45, 44, 40, 30, 14.5, 15 → ≥45: 1; ≥40: 3; ≥30: 4; <15: 1
    d = describe([45, 44, 40, 30, 14.5, 15], 50, thresholds=(0.9, 0.8, 0.6, 0.3))
    assert (d["excellent_count"], d["good_count"], d["pass_count"], d["low_count"]) == (1, 3, 4, 1)


def test_describe_empty_and_all_absent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, absent in (([], 0), ([NAN, NAN], 2)):
            d = describe(x, 100)
            assert d["n"] == 0
            assert d["absent"] == absent
            for key in ("mean", "std", "max", "min", "median", "score_rate"):
                assert d[key] is None
            for name in ("excellent", "good", "pass", "low"):
                assert d[f"{name}_count"] == 0
                assert d[f"{name}_rate"] is None


def test_describe_single_student_and_all_equal():
    # one student, 55 of 100: mean = median = max = min = 55, SD 0; not 及格 (< 60), not 低分 (≥ 40)
    d = describe([55], 100)
    assert (d["n"], d["mean"], d["std"], d["median"], d["max"], d["min"]) == (1, 55, 0, 55, 55, 55)
    assert (d["pass_count"], d["low_count"]) == (0, 0)
    # seven equal scores of 0.1: SD is exactly 0 (not 1e-17 from rounding in the mean)
    d = describe([0.1] * 7, 1)
    assert d["std"] == 0.0
    assert d["mean"] == pytest.approx(0.1)


def test_describe_median_odd_count():
    # sorted 1 2 3 4 100 → middle value 3; mean (1+2+3+4+100)/5 = 22
    d = describe([100, 3, 1, 4, 2], 100)
    assert d["median"] == 3
    assert d["mean"] == 22


def test_describe_rejects_bad_input():
    with pytest.raises(ValueError):
        describe([1, 2], 0)
    with pytest.raises(ValueError):
        describe([1, np.inf], 100)
    with pytest.raises(ValueError):
        describe([[1, 2]], 100)
    with pytest.raises(ValueError):
        describe([1, 2], 100, thresholds=(0.9, 0.8))


def test_describe_groups_by_hand():
    # x = [90, 80, 80, 70, NaN], codes [0, 0, 1, 1, 1], three groups (group 2 is empty)
    # group 0: 90, 80 → n 2, mean 85, SD √((25+25)/2) = 5, median 85, 优秀 {90} 1/2, 良好 2/2
    # group 1: 80, 70, NaN → n 2, absent 1, mean 75, SD 5, median 75, 优秀 0, 良好 2/2
    # group 2: empty → n 0, statistics NaN, counts 0, rates NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = describe_groups([90, 80, 80, 70, NAN], [0, 0, 1, 1, 1], 3, 100)
    np.testing.assert_array_equal(g["n"], [2, 2, 0])
    np.testing.assert_array_equal(g["absent"], [0, 1, 0])
    np.testing.assert_array_equal(g["mean"], [85, 75, NAN])
    np.testing.assert_array_equal(g["std"], [5, 5, NAN])
    np.testing.assert_array_equal(g["median"], [85, 75, NAN])
    np.testing.assert_array_equal(g["max"], [90, 80, NAN])
    np.testing.assert_array_equal(g["min"], [80, 70, NAN])
    np.testing.assert_array_equal(g["score_rate"], [0.85, 0.75, NAN])
    np.testing.assert_array_equal(g["excellent_count"], [1, 0, 0])
    np.testing.assert_array_equal(g["excellent_rate"], [0.5, 0, NAN])
    np.testing.assert_array_equal(g["good_rate"], [1, 1, NAN])
    np.testing.assert_array_equal(g["low_count"], [0, 0, 0])
    assert g["n"].dtype == np.int64


def test_describe_groups_equals_describe_per_group():
    rng = np.random.default_rng(7)
    n = 600
    x = np.round(rng.normal(70, 15, n).clip(0, 100) * 2) / 2
    x[rng.random(n) < 0.05] = NAN
    codes = rng.integers(0, 11, n)
    codes[codes == 5] = 4  # group 5 empty
    x[codes == 7] = NAN  # group 7: everyone absent
    codes[0], x[0] = 11, 64.5  # group 11 has one student only
    g = describe_groups(x, codes, 13, 100)  # group 12 empty too
    assert g["n"][11] == 1
    assert g["n"][5] == 0
    assert g["n"][7] == 0
    assert g["absent"][7] > 0
    for k in range(13):
        d = describe(x[codes == k], 100)
        for key, value in d.items():
            got = g[key][k]
            if value is None:
                assert np.isnan(got), (k, key)
            else:
                assert got == pytest.approx(value, rel=1e-12, abs=1e-12), (k, key)


def test_describe_groups_codes_validation():
    with pytest.raises(ValueError):
        describe_groups([1, 2], [0, 2], 2, 100)
    with pytest.raises(ValueError):
        describe_groups([1, 2], [0, -1], None, 100)
    with pytest.raises(TypeError):
        describe_groups([1, 2], [0.0, 1.0], 2, 100)
    with pytest.raises(ValueError):
        describe_groups([1, 2], [0], 2, 100)
    # n_groups=None → max code + 1
    assert describe_groups([1, 2], [0, 3], None, 100)["n"].tolist() == [1, 0, 0, 1]


def test_over_mean_rate():
    # (84 − 80) / 80 = 0.05; (72 − 80) / 80 = −0.1
    assert over_mean_rate(84, 80) == pytest.approx(0.05)
    assert over_mean_rate(72.0, 80.0) == pytest.approx(-0.1)
    assert over_mean_rate(84, 0) is None
    assert over_mean_rate(84, None) is None
    assert over_mean_rate(84, NAN) is None
    assert over_mean_rate(None, 80) is None
    assert over_mean_rate(NAN, 80) is None
    out = over_mean_rate(np.array([88, 72, NAN]), 80)
    np.testing.assert_allclose(out, [0.1, -0.1, NAN])


def test_to_records_turns_nan_into_none():
    g = describe_groups([90, 80], [0, 0], 2, 100)
    rows = to_records({"n": g["n"], "mean": g["mean"], "name": ["一班", "二班"]})
    assert rows == [{"n": 2, "mean": 85.0, "name": "一班"}, {"n": 0, "mean": None, "name": "二班"}]
    assert type(rows[0]["n"]) is int
    with pytest.raises(ValueError):
        to_records({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError):
        to_records({"a": np.zeros((2, 2))})


def test_describe_groups_single_student_group():
    # group 0 has nobody, group 1 one student with 70 (+ one absentee):
    # n 1, mean = median = max = min = 70, SD 0, 良好 (≥ 70) 1/1, 优秀 0/1
    g = describe_groups([70, NAN], [1, 1], 2, 100)
    assert g["n"].tolist() == [0, 1]
    assert g["absent"].tolist() == [0, 1]
    for key in ("mean", "median", "max", "min"):
        assert g[key][1] == 70
        assert np.isnan(g[key][0])
    assert g["std"][1] == 0
    assert g["good_rate"][1] == 1
    assert g["excellent_rate"][1] == 0
