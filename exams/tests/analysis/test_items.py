"""小题分析: difficulty, 27% discrimination, item–total correlation, options, knowledge points."""

import math

import numpy as np
import pytest

from exams.analysis import (
    extreme_groups,
    item_analysis,
    item_group_rates,
    knowledge_point_rates,
    normalize_option,
    option_analysis,
)

NAN = np.nan

# 10 students, totals 95, 90, …, 50 (distinct, already in descending order)
TOTALS = np.array([95, 90, 85, 80, 75, 70, 65, 60, 55, 50], dtype=float)
# item 1 (full 5), item 2 (full 2, two students not counted), item 3 (full 1, everyone 1)
ITEMS = np.array(
    [
        [5, 2, 1],
        [5, NAN, 1],
        [4, 2, 1],
        [3, 0, 1],
        [3, 2, 1],
        [2, 0, 1],
        [2, 2, 1],
        [1, 0, 1],
        [1, NAN, 1],
        [0, 0, 1],
    ]
)
FULL = np.array([5, 2, 1], dtype=float)


def test_extreme_groups_sizes_and_ties():
    # n = 10 → ceil(0.27 · 10) = ceil(2.7) = 3: high = 3 best, low = 3 worst
    high, low = extreme_groups(TOTALS)
    assert high.tolist() == [0, 1, 2]
    assert low.tolist() == [7, 8, 9]
    # ties at the cut are broken by input order: the three 9s — only the first two join the high group
    high, low = extreme_groups([10, 9, 9, 9, 8, 7, 6, 5, 4, 3])
    assert high.tolist() == [0, 1, 2]
    assert low.tolist() == [7, 8, 9]
    # ceil(0.27 n) ignoring floating-point noise: 0.27 · 300 = 81.00000000000001 → 81, not 82
    for n, k in ((1, 1), (2, 1), (3, 1), (4, 2), (10, 3), (100, 27), (300, 81), (1000, 270)):
        high, low = extreme_groups(np.arange(n, dtype=float))
        assert (high.size, low.size) == (k, k), n
    # NaN totals are left out: 4 counted → ceil(1.08) = 2
    high, low = extreme_groups([NAN, 4, 3, NAN, 2, 1])
    assert high.tolist() == [1, 2]
    assert low.tolist() == [4, 5]


def test_difficulty_and_discrimination_by_hand():
    a = item_analysis(ITEMS, FULL, TOTALS)
    # item 1: scores sum 5+5+4+3+3+2+2+1+1+0 = 26 over 10 → mean 2.6, P = 2.6/5 = 0.52
    #   high (students 0-2): (5+5+4)/3 = 14/3; low (students 7-9): (1+1+0)/3 = 2/3
    #   D = (14/3 − 2/3) / 5 = 4/5 = 0.8
    # item 2: 8 counted, sum 8 → mean 1, P = 0.5; high counted 2, 2 → 2; low counted 0, 0 → 0; D = 2/2 = 1
    # item 3: all 1 → P = 1, D = 0, SD 0, r undefined
    assert a["n"].tolist() == [10, 8, 10]
    np.testing.assert_allclose(a["mean"], [2.6, 1.0, 1.0])
    np.testing.assert_allclose(a["difficulty"], [0.52, 0.5, 1.0])
    np.testing.assert_allclose(a["high_mean"], [14 / 3, 2, 1])
    np.testing.assert_allclose(a["low_mean"], [2 / 3, 0, 1])
    np.testing.assert_allclose(a["discrimination"], [0.8, 1.0, 0.0])
    # full marks: item 1 → 2 of 10; item 2 → 4 of 8; zero: item 1 → 1 of 10, item 2 → 4 of 8
    np.testing.assert_allclose(a["full_rate"], [0.2, 0.5, 1.0])
    np.testing.assert_allclose(a["zero_rate"], [0.1, 0.5, 0.0])
    assert a["std"][2] == 0.0
    assert np.isnan(a["r"][2])
    assert np.isnan(a["r_corrected"][2])


def test_item_analysis_does_not_depend_on_row_order():
    perm = np.array([3, 7, 0, 9, 5, 1, 8, 2, 6, 4])
    a = item_analysis(ITEMS, FULL, TOTALS)
    b = item_analysis(ITEMS[perm], FULL, TOTALS[perm])
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-12)


def test_point_biserial_matches_formula():
    # dichotomous item 1, 1, 1, 0, 0 (full 1) with totals 10, 8, 6, 6, 4
    # M1 = (10+8+6)/3 = 8, M0 = (6+4)/2 = 5, overall mean 34/5 = 6.8
    # population SD: deviations 3.2, 1.2, −0.8, −0.8, −2.8 → squares sum 20.8 → √(20.8/5) = √4.16
    # r_pb = (M1 − M0) / s · √(p q) = 3 / √4.16 · √(0.6 · 0.4) = 0.720577
    item = np.array([[1], [1], [1], [0], [0]], dtype=float)
    total = np.array([10, 8, 6, 6, 4], dtype=float)
    a = item_analysis(item, [1], total)
    r_pb = 3 / math.sqrt(4.16) * math.sqrt(0.6 * 0.4)
    assert a["r"][0] == pytest.approx(r_pb, rel=1e-12)
    assert a["r"][0] == pytest.approx(0.720577, abs=1e-6)
    # corrected: total − item = 9, 7, 5, 6, 4 → M1 = 7, M0 = 5, mean 6.2,
    # deviations 2.8, 0.8, −1.2, −0.2, −2.2 → squares sum 14.8 → s = √2.96; r = 2/√2.96 · √0.24 = 0.569495
    r_c = 2 / math.sqrt(2.96) * math.sqrt(0.24)
    assert a["r_corrected"][0] == pytest.approx(r_c, rel=1e-12)
    assert a["r_corrected"][0] == pytest.approx(0.569495, abs=1e-6)
    # same as numpy's Pearson correlation
    assert a["r"][0] == pytest.approx(np.corrcoef(item[:, 0], total)[0, 1], rel=1e-12)


def test_item_analysis_all_equal_totals_and_empty():
    # every total equal: correlation undefined (NaN); high and low groups have equal totals
    a = item_analysis([[1, 2], [0, 2], [1, 2]], [1, 2], [5, 5, 5])
    assert np.isnan(a["r"]).all()
    # nothing counted
    e = item_analysis(np.full((3, 2), NAN), [1, 2], [NAN, NAN, NAN])
    assert e["n"].tolist() == [0, 0]
    assert np.isnan(e["difficulty"]).all()
    assert np.isnan(e["discrimination"]).all()
    with pytest.raises(ValueError):
        item_analysis(ITEMS, [5, 2], TOTALS)
    with pytest.raises(ValueError):
        item_analysis(ITEMS, [5, 2, 0], TOTALS)


def test_option_analysis_by_hand():
    # 10 students with totals 95 … 50; student 8 absent (None) → population of 9
    # population totals 95 90 85 80 75 70 65 60 | 50 → 27% groups of ceil(0.27 · 9) = ceil(2.43) = 3
    #   high = students 0, 1, 2 (answers A, A, B); low = students 6, 7, 9 (answers A, b → B, D)
    # counts: A = {0, 1, 3, 6} → 4; B = {2, 7} → 2; C = {4} → 1; D = {9} → 1; blank = {5} → 1
    # mean total of choosers: A (95+90+80+65)/4 = 82.5; B (85+60)/2 = 72.5; C 75; D 50; blank 70
    options = ["A", "A", "B", "A", "C", "", "A", "b", None, "D"]
    r = option_analysis(options, "A", TOTALS, choices="ABCD")
    assert list(r["option"]) == ["A", "B", "C", "D", ""]
    assert r["count"].tolist() == [4, 2, 1, 1, 1]
    np.testing.assert_allclose(r["rate"], np.array([4, 2, 1, 1, 1]) / 9)
    np.testing.assert_allclose(r["high_rate"], [2 / 3, 1 / 3, 0, 0, 0])
    np.testing.assert_allclose(r["low_rate"], [1 / 3, 1 / 3, 0, 1 / 3, 0])
    np.testing.assert_allclose(r["mean_total"], [82.5, 72.5, 75, 50, 70])
    assert r["is_key"].tolist() == [True, False, False, False, False]


def test_option_analysis_unlisted_and_multi_select_answers():
    # choices ABCD listed first (C, D unused still appear with 0), then other answers sorted, blank last;
    # "BA" and "ab" normalize to "AB", which is the key
    r = option_analysis(["BA", "ab", "E", "", None, "A"], " ab ", [9, 8, 7, 6, 5, 4], choices="ABCD")
    assert list(r["option"]) == ["A", "B", "C", "D", "AB", "E", ""]
    assert r["count"].tolist() == [1, 0, 0, 0, 2, 1, 1]
    assert r["is_key"].tolist() == [False, False, False, False, True, False, False]
    assert np.isnan(r["mean_total"][1])
    assert normalize_option(" dcA ") == "ACD"
    assert normalize_option("12") == "12"
    # a plain str array (nobody absent) works too
    r = option_analysis(np.array(["A", "B", "A"]), "A", [3, 2, 1])
    assert list(r["option"]) == ["A", "B"]
    assert r["count"].tolist() == [2, 1]


def test_knowledge_point_rates_by_hand():
    # items full 2, 3, 5; item 1 → 代数, item 2 → 代数 + 几何, item 3 → 几何
    #   student 0: 2, 3, 5   student 1: 1, NaN, 0   student 2: 0, 3, 2.5
    # 代数 = items 1, 2: scores (2+1+0) + (3+3) = 9; full 3 answers · 2 + 2 answers · 3 = 12 → 0.75
    # 几何 = items 2, 3: scores (3+3) + (5+0+2.5) = 13.5; full 2 · 3 + 3 · 5 = 21 → 0.642857
    x = np.array([[2, 3, 5], [1, NAN, 0], [0, 3, 2.5]])
    full = [2, 3, 5]
    kps = [["代数"], ["代数", "几何"], ["几何"]]
    r = knowledge_point_rates(x, full, kps)
    assert r["kp"] == ["代数", "几何"]
    np.testing.assert_allclose(r["score"], [9, 13.5])
    np.testing.assert_allclose(r["full"], [12, 21])
    np.testing.assert_allclose(r["rate"], [0.75, 13.5 / 21])
    # by class: class 0 = student 0 → 代数 5/5, 几何 8/8
    # class 1 = students 1, 2 → 代数 (1+0+3)/(2·2+1·3) = 4/7; 几何 (3+0+2.5)/(1·3+2·5) = 5.5/13; class 2 empty
    g = knowledge_point_rates(x, full, kps, codes=[0, 1, 1], n_groups=3)
    np.testing.assert_allclose(g["rate"], [[1, 1], [4 / 7, 5.5 / 13], [NAN, NAN]])
    with pytest.raises(ValueError):
        knowledge_point_rates(x, full, kps[:2])


def test_item_group_rates_by_hand():
    # same matrix; class 0 = student 0 → 2/2, 3/3, 5/5; class 1 = students 1, 2 → (1+0)/4, 3/3, (0+2.5)/10
    x = np.array([[2, 3, 5], [1, NAN, 0], [0, 3, 2.5]])
    r = item_group_rates(x, [2, 3, 5], [0, 1, 1])
    np.testing.assert_allclose(r, [[1, 1, 1], [0.25, 1, 0.25]])


def test_option_analysis_with_precomputed_groups():
    # groups from extreme_groups(TOTALS) over all 10 students: high 0, 1, 2; low 7, 8, 9.
    # student 8 has no answer → the low group fractions are over students 7 and 9 (answers b → B, D)
    options = ["A", "A", "B", "A", "C", "", "A", "b", None, "D"]
    r = option_analysis(options, "A", TOTALS, choices="ABCD", groups=extreme_groups(TOTALS))
    np.testing.assert_allclose(r["high_rate"], [2 / 3, 1 / 3, 0, 0, 0])
    np.testing.assert_allclose(r["low_rate"], [0, 1 / 2, 0, 1 / 2, 0])
    assert r["count"].tolist() == [4, 2, 1, 1, 1]
    # with everyone answering, precomputed groups give the same result as the default
    full = ["A", "A", "B", "A", "C", "", "A", "b", "C", "D"]
    a = option_analysis(full, "A", TOTALS, choices="ABCD")
    b = option_analysis(full, "A", TOTALS, choices="ABCD", groups=extreme_groups(TOTALS))
    for key in ("count", "high_rate", "low_rate", "mean_total"):
        np.testing.assert_array_equal(a[key], b[key])
