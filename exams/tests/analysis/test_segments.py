"""一分一段 tables."""

import numpy as np
import pytest

from exams.analysis import score_segments, score_segments_groups

NAN = np.nan


def test_segments_step_10_with_full_mark():
    # scores 90, 80, 80, 70 (+ one NaN), step 10, full 100 → rows 100, 90, …, 0 (11 rows)
    # counts:      100:0  90:1  80:2  70:1  rest 0
    # cumulative:  0, 1, 3, 4, 4, …        cum rate = cumulative / 4
    # rank_from:   best rank in the band = cum − count + 1 → 90: 1, 80: 2, 70: 4; empty bands 0
    t = score_segments([90, 80, 80, 70, NAN], step=10, full_mark=100)
    assert t["lower"].tolist() == [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0]
    assert t["count"].tolist() == [0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0]
    assert t["cum_count"].tolist() == [0, 1, 3, 4, 4, 4, 4, 4, 4, 4, 4]
    np.testing.assert_array_equal(t["cum_rate"], [0, 0.25, 0.75, 1, 1, 1, 1, 1, 1, 1, 1])
    assert t["rank_from"].tolist() == [0, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0]


def test_segments_one_point_bands_without_full_mark():
    # step 1, rows from the highest occupied band (150) to the lowest (147), gaps included
    # 150: {150} → 1; 149: {149.5, 149, 149} → 3; 148: 0; 147: {147} → 1
    # cumulative 1, 4, 4, 5 of n = 5 → 0.2, 0.8, 0.8, 1.0
    t = score_segments([150, 149.5, 149, 149, 147, NAN])
    assert t["lower"].tolist() == [150, 149, 148, 147]
    assert t["count"].tolist() == [1, 3, 0, 1]
    assert t["cum_count"].tolist() == [1, 4, 4, 5]
    np.testing.assert_allclose(t["cum_rate"], [0.2, 0.8, 0.8, 1.0])
    assert t["rank_from"].tolist() == [1, 2, 0, 5]


def test_full_mark_not_a_multiple_of_step_is_its_own_band():
    # full 105, step 10 → rows 105, 100, 90, …, 0 (12 rows); 105 alone in the top band,
    # band 100 holds 104 and 100, band 90 holds 99, band 0 holds 0
    t = score_segments([105, 104, 100, 99, 0], step=10, full_mark=105)
    assert t["lower"].tolist() == [105, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0]
    assert t["count"].tolist() == [1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert t["cum_count"][-1] == 5


def test_fractional_step_tolerates_binary_rounding():
    # 0.3 / 0.1 = 2.9999999999999996 → floor would put 0.3 in band 0.2; the tolerance keeps it in band 0.3
    t = score_segments([0.3, 0.7], step=0.1)
    assert t["lower"].tolist() == [0.7, 0.6, 0.5, 0.4, 0.3]
    assert t["count"].tolist() == [1, 0, 0, 0, 1]


def test_half_point_step():
    # step 0.5: 2.5 → band 2.5, 2 → band 2, 1.5 → band 1.5 (twice)
    t = score_segments([2.5, 1.5, 2.0, 1.5], step=0.5, full_mark=3)
    assert t["lower"].tolist() == [3, 2.5, 2, 1.5, 1, 0.5, 0]
    assert t["count"].tolist() == [0, 1, 1, 2, 0, 0, 0]
    assert t["cum_count"].tolist() == [0, 1, 2, 4, 4, 4, 4]


def test_empty_input():
    t = score_segments([NAN, NAN])
    assert t["lower"].size == 0
    assert t["count"].size == 0
    t = score_segments([], step=50, full_mark=100)
    assert t["lower"].tolist() == [100, 50, 0]
    assert t["count"].tolist() == [0, 0, 0]
    assert np.isnan(t["cum_rate"]).all()


def test_rejects_score_above_full_mark_and_bad_step():
    with pytest.raises(ValueError):
        score_segments([101], full_mark=100)
    with pytest.raises(ValueError):
        score_segments([1], step=0)


def test_grouped_segments_by_hand():
    # x = 90, 80, 80, 70, NaN; codes 0, 1, 0, 1, 1; step 10, full 100
    # group 0 = {90, 80}: counts 100:0 90:1 80:1, cumulative 0 1 2 2 …, rate cum / 2
    # group 1 = {80, 70}: counts 90:0 80:1 70:1, cumulative 0 0 1 2 …, rank_from 80 → 1, 70 → 2
    t = score_segments_groups([90, 80, 80, 70, NAN], [0, 1, 0, 1, 1], 3, step=10, full_mark=100)
    assert t["lower"].tolist() == [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0]
    assert t["count"].shape == (3, 11)
    assert t["count"][0, :4].tolist() == [0, 1, 1, 0]
    assert t["count"][1, :4].tolist() == [0, 0, 1, 1]
    assert t["cum_count"][0, :4].tolist() == [0, 1, 2, 2]
    assert t["cum_count"][1, :4].tolist() == [0, 0, 1, 2]
    np.testing.assert_array_equal(t["cum_rate"][0, :4], [0, 0.5, 1, 1])
    assert t["rank_from"][1, :4].tolist() == [0, 0, 1, 2]
    assert t["count"][2].sum() == 0
    assert np.isnan(t["cum_rate"][2]).all()


def test_grouped_segments_match_single_table_per_group():
    rng = np.random.default_rng(11)
    x = np.round(rng.normal(100, 25, 800).clip(0, 150) * 2) / 2
    x[rng.random(800) < 0.03] = NAN
    codes = rng.integers(0, 6, 800)
    t = score_segments_groups(x, codes, 6, step=5, full_mark=150)
    for k in range(6):
        one = score_segments(x[codes == k], step=5, full_mark=150)
        np.testing.assert_array_equal(one["lower"], t["lower"])
        for key in ("count", "cum_count", "cum_rate", "rank_from"):
            np.testing.assert_array_equal(one[key], t[key][k])
