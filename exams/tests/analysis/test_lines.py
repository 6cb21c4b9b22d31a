"""上线分析: lines, 有效分, 单上线 / 双上线, 临界生."""

import numpy as np
import pytest

from exams.analysis import borderline, effective_scores, line_analysis, line_by_rank, line_by_score

NAN = np.nan


def test_line_by_rank_with_ties():
    # totals sorted: 100, 90, 90, 80, 70 (NaN not counted)
    # top 1 → 100; top 2 → the 2nd score is 90, and both 90s are 上线 (3 students)
    # top 3 → 90; top 4 → 80; asking for more than 5 → the lowest counted score 70
    total = [90, 100, NAN, 80, 90, 70]
    assert line_by_rank(total, 1) == 100
    assert line_by_rank(total, 2) == 90
    assert np.count_nonzero(np.asarray(total) >= line_by_rank(total, 2)) == 3
    assert line_by_rank(total, 3) == 90
    assert line_by_rank(total, 4) == 80
    assert line_by_rank(total, 10) == 70
    assert line_by_rank([NAN], 1) is None
    with pytest.raises(ValueError):
        line_by_rank(total, 0)
    assert line_by_score(520) == 520.0
    with pytest.raises(ValueError):
        line_by_score(NAN)


def test_effective_scores_both_methods_by_hand():
    # 4 students × 2 subjects, line 150
    #   subject 1 = 80, 70, 60, 50   subject 2 = 100, 80, 60, 40   total = 180, 150, 120, 90
    # ratio: total mean 540/4 = 135; subject means 260/4 = 65 and 280/4 = 70
    #   有效分 = 150 · 65/135 = 72.2222…, 150 · 70/135 = 77.7778… (they add up to the line)
    # qualified_mean: students with total ≥ 150 are the first two → (80+70)/2 = 75, (100+80)/2 = 90
    m = np.array([[80, 100], [70, 80], [60, 60], [50, 40]], dtype=float)
    total = m.sum(axis=1)
    ratio = effective_scores(m, total, 150, "ratio")
    np.testing.assert_allclose(ratio, [150 * 65 / 135, 150 * 70 / 135])
    assert ratio.sum() == pytest.approx(150)
    np.testing.assert_allclose(effective_scores(m, total, 150, "qualified_mean"), [75, 90])
    with pytest.raises(ValueError):
        effective_scores(m, total, 150, "median")


def test_effective_scores_with_absentees():
    # a 5th student with no total (NaN) is left out of both means in the ratio method;
    # a 6th student with a total but an absent subject 2 counts in subject 1's mean only:
    #   total mean (180+150+120+90+100)/5 = 128; subject 1 mean (80+70+60+50+100)/5 = 72;
    #   subject 2 mean over 4 counted = 70 → 150 · 72/128 = 84.375, 150 · 70/128 = 82.03125
    m = np.array([[80, 100], [70, 80], [60, 60], [50, 40], [90, 90], [100, NAN]], dtype=float)
    total = np.array([180, 150, 120, 90, NAN, 100])
    np.testing.assert_allclose(effective_scores(m, total, 150, "ratio"), [84.375, 82.03125])
    # nobody reaches 200 → qualified_mean undefined (NaN)
    assert np.isnan(effective_scores(m, total, 200, "qualified_mean")).all()


def test_line_analysis_single_and_double_by_hand():
    # line 150, effective scores 75 (subject 1) and 70 (subject 2)
    #   student: subject 1, subject 2, total
    #   0: 80, 100, 180   1: 70, 80, 150   2: 60, 60, 120   3: 50, 40, 90   4: 90, 30, 120
    # 总分上线: students 0, 1 → 2 of 5
    # subject 1 ≥ 75: students 0, 4 → 单上线 2; of them total-上线: 0 → 双上线 1
    # subject 2 ≥ 70: students 0, 1 → 单上线 2; 双上线 2
    # 命中率 = 双/单 = 1/2, 2/2; 贡献率 = 双/总分上线 = 1/2, 2/2
    # single_only (单上线 but total below): subject 1 → student 4 → 1; subject 2 → 0
    # total_only (total 上线, subject below): subject 1 → student 1 → 1; subject 2 → 0
    m = np.array([[80, 100], [70, 80], [60, 60], [50, 40], [90, 30]], dtype=float)
    total = m.sum(axis=1)
    r = line_analysis(m, total, 150, [75, 70])
    assert r["n"] == 5
    assert r["total_on"] == 2
    assert r["total_on_rate"] == pytest.approx(0.4)
    assert r["single"].tolist() == [2, 2]
    assert r["double"].tolist() == [1, 2]
    np.testing.assert_allclose(r["hit_rate"], [0.5, 1.0])
    np.testing.assert_allclose(r["contribution_rate"], [0.5, 1.0])
    assert r["single_only"].tolist() == [1, 0]
    assert r["total_only"].tolist() == [1, 0]

    # by class: students 0, 1 in class 0; students 2, 3, 4 in class 1; class 2 empty
    # class 0: total 上线 2; single [1, 2]; double [1, 2]; 命中率 [1, 1]; 贡献率 [1/2, 1]
    # class 1: total 上线 0; single [1 (student 4), 0]; double [0, 0]; 命中率 [0, NaN]; 贡献率 NaN
    g = line_analysis(m, total, 150, [75, 70], codes=[0, 0, 1, 1, 1], n_groups=3)
    assert g["n"].tolist() == [2, 3, 0]
    assert g["total_on"].tolist() == [2, 0, 0]
    assert g["single"].tolist() == [[1, 2], [1, 0], [0, 0]]
    assert g["double"].tolist() == [[1, 2], [0, 0], [0, 0]]
    np.testing.assert_array_equal(g["hit_rate"], [[1, 1], [0, NAN], [NAN, NAN]])
    np.testing.assert_array_equal(g["contribution_rate"], [[0.5, 1], [NAN, NAN], [NAN, NAN]])
    np.testing.assert_array_equal(g["total_on_rate"], [1, 0, NAN])
    # the groups add up to the overall counts
    assert g["single"].sum(axis=0).tolist() == r["single"].tolist()


def test_line_analysis_absent_subject_and_total():
    # student 1 is absent in subject 1 (NaN never reaches a line) and has no total
    m = np.array([[80, 100], [NAN, 90]], dtype=float)
    r = line_analysis(m, [180, NAN], 150, [75, 70])
    assert r["n"] == 1
    assert r["single"].tolist() == [1, 2]  # student 1 is still 单上线 in subject 2
    assert r["double"].tolist() == [1, 1]
    with pytest.raises(ValueError):
        line_analysis(m, [180, NAN], 150, [75])


def test_borderline():
    # line 150, band 5: below = 145 ≤ t < 150 → 149 (i7), 148 (i0), 145 (i4), closest first;
    # above = 150 ≤ t ≤ 155 → 150 (i1), 152 (i2), 155 (i3); 144.9 and NaN are out
    total = [148, 150, 152, 155, 145, 144.9, NAN, 149, 156]
    b = borderline(total, 150, 5)
    assert b["below"].tolist() == [7, 0, 4]
    assert b["above"].tolist() == [1, 2, 3]
    with pytest.raises(ValueError):
        borderline(total, 150, -1)
