"""Competition ranks ("1224"), ranks inside groups and percentile ranks."""

import numpy as np
import pytest

from exams.analysis import percentile_rank, rank, rank_within

NAN = np.nan


def test_rank_ties_and_absentee():
    # 90 → 1; the two 80s share 2; 70 → 4 (places 2 and 3 taken); NaN → 0 (unranked)
    r = rank([90, 80, 80, 70, NAN])
    assert r.tolist() == [1, 2, 2, 4, 0]
    assert r.dtype == np.int64


def test_rank_several_tie_runs_unsorted_input():
    # scores 90, 100, 80, 90, 100, 90 → 100 ×2 share 1; 90 ×3 share 3; 80 → 6
    assert rank([90, 100, 80, 90, 100, 90]).tolist() == [3, 1, 6, 3, 1, 3]


def test_rank_all_equal_empty_and_all_absent():
    assert rank([5, 5, 5]).tolist() == [1, 1, 1]
    assert rank([]).tolist() == []
    assert rank([NAN, NAN]).tolist() == [0, 0]


def test_rank_within_groups():
    # group 0: 90, 80, 80 → 1, 2, 2
    # group 1: 70, NaN, 95, 60 → 2, 0, 1, 3
    # group 2: 95 alone → 1
    x = [90, 80, 80, 70, NAN, 95, 95, 60]
    codes = [0, 0, 0, 1, 1, 1, 2, 1]
    assert rank_within(x, codes).tolist() == [1, 2, 2, 2, 0, 1, 1, 3]


def test_rank_within_interleaved_groups_and_empty_group():
    # group 0 (positions 0, 2, 4): 50, 60, 50 → 2, 1, 2; group 2 (positions 1, 3): 40, 40 → 1, 1; group 1 empty
    assert rank_within([50, 40, 60, 40, 50], [0, 2, 0, 2, 0], 3).tolist() == [2, 1, 1, 1, 2]
    assert rank_within([], []).tolist() == []
    assert rank_within([NAN], [0]).tolist() == [0]


def test_rank_equals_rank_within_one_group():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(60, 20, 500))
    x[rng.random(500) < 0.05] = NAN
    np.testing.assert_array_equal(rank(x), rank_within(x, np.zeros(500, dtype=int)))


def test_percentile_rank():
    # counted 90, 80, 80, 70 (n = 4): strictly lower than 90 → 3 → 0.75; than 80 → 1 → 0.25; than 70 → 0
    p = percentile_rank([90, 80, 80, 70, NAN])
    np.testing.assert_array_equal(p, [0.75, 0.25, 0.25, 0.0, NAN])
    # by group: group 0 = 90, 80 → 1/2, 0; group 1 = 80, 70 → 1/2, 0; a single student → 0
    p = percentile_rank([90, 80, 80, 70, 100], [0, 0, 1, 1, 2])
    np.testing.assert_array_equal(p, [0.5, 0, 0.5, 0, 0])


def test_rank_within_rejects_bad_codes():
    with pytest.raises(ValueError):
        rank_within([1, 2], [0])
    with pytest.raises(ValueError):
        rank_within([1, 2], [0, 5], 2)
