"""Independent cross-check: the vectorized engine against a plain pandas groupby implementation on random
data (2,000 students, 30 classes in 3 schools, 5 subjects, ~3% not counted, half-point scores with ties)."""

import math

import numpy as np
import pandas as pd
import pytest

from exams.analysis import (
    describe_groups,
    effective_scores,
    item_analysis,
    knowledge_point_rates,
    line_analysis,
    line_by_rank,
    rank,
    rank_within,
    score_segments,
    score_segments_groups,
)

N, CLASSES, SCHOOLS, SUBJECTS = 2000, 30, 3, 5
FULL = [150.0, 150.0, 150.0, 100.0, 100.0]
CUTS = {"excellent": 0.85, "good": 0.70, "pass": 0.60, "low": 0.40}
TOL = 1e-9


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20240601)
    klass = rng.integers(0, CLASSES, N)
    school = klass // (CLASSES // SCHOOLS)
    class_effect = rng.normal(0, 8, CLASSES)
    cols = {}
    for s in range(SUBJECTS):
        raw = rng.normal(0.62 * FULL[s], 0.18 * FULL[s], N) + class_effect[klass] * FULL[s] / 100
        score = np.round(np.clip(raw, 0, FULL[s]) * 2) / 2
        score[rng.random(N) < 0.03] = np.nan
        cols[f"s{s}"] = score
    df = pd.DataFrame(cols)
    df["klass"] = klass
    df["school"] = school
    df["total"] = df[[f"s{s}" for s in range(SUBJECTS)]].sum(axis=1, skipna=False)
    return df


def _pandas_describe(df, col, by, n_groups, full):
    g = df.groupby(by)[col]
    counted = df[col].notna()
    out = pd.DataFrame(index=pd.RangeIndex(n_groups))
    out["n"] = g.count()
    out["absent"] = (~counted).groupby(df[by]).sum()
    out["mean"] = g.mean()
    out["std"] = g.std(ddof=0)
    out["max"] = g.max()
    out["min"] = g.min()
    out["median"] = g.median()
    out["score_rate"] = out["mean"] / full
    for name, frac in CUTS.items():
        cut = round(frac * full, 6)
        hit = (df[col] < cut) if name == "low" else (df[col] >= cut)
        out[f"{name}_count"] = (hit & counted).groupby(df[by]).sum()
        out[f"{name}_rate"] = out[f"{name}_count"] / out["n"]
    out[["n", "absent"] + [f"{k}_count" for k in CUTS]] = out[["n", "absent"] + [f"{k}_count" for k in CUTS]].fillna(0)
    return out


@pytest.mark.parametrize("by, n_groups", [("klass", CLASSES), ("school", SCHOOLS)])
def test_describe_groups_against_pandas(data, by, n_groups):
    for s in range(SUBJECTS):
        col = f"s{s}"
        mine = describe_groups(data[col].to_numpy(), data[by].to_numpy(), n_groups, FULL[s])
        ref = _pandas_describe(data, col, by, n_groups, FULL[s])
        for key, values in mine.items():
            np.testing.assert_allclose(values, ref[key].to_numpy(dtype=float), rtol=TOL, atol=TOL, err_msg=key)


def test_describe_groups_total_against_pandas(data):
    mine = describe_groups(data["total"].to_numpy(), data["klass"].to_numpy(), CLASSES, sum(FULL))
    ref = _pandas_describe(data, "total", "klass", CLASSES, sum(FULL))
    for key, values in mine.items():
        np.testing.assert_allclose(values, ref[key].to_numpy(dtype=float), rtol=TOL, atol=TOL, err_msg=key)


def test_ranks_against_pandas(data):
    for col in ("s0", "s3", "total"):
        x = data[col].to_numpy()
        ref = data[col].rank(method="min", ascending=False).fillna(0).astype(int).to_numpy()
        np.testing.assert_array_equal(rank(x), ref)
        for by in ("klass", "school"):
            ref = data.groupby(by)[col].rank(method="min", ascending=False).fillna(0).astype(int).to_numpy()
            np.testing.assert_array_equal(rank_within(x, data[by].to_numpy()), ref)


def _pandas_segments(scores: pd.Series, step, full):
    counted = scores.dropna()
    band = np.floor(counted / step) * step
    lowers = np.arange(math.floor(full / step), -1, -1) * step
    count = band.value_counts().reindex(lowers, fill_value=0)
    return lowers, count.to_numpy(), count.cumsum().to_numpy()


@pytest.mark.parametrize("step", [1.0, 0.5, 10.0])
def test_segments_against_pandas(data, step):
    for col, full in (("s0", 150.0), ("s4", 100.0), ("total", sum(FULL))):
        lowers, count, cum = _pandas_segments(data[col], step, full)
        mine = score_segments(data[col].to_numpy(), step=step, full_mark=full)
        np.testing.assert_allclose(mine["lower"], lowers, atol=TOL)
        np.testing.assert_array_equal(mine["count"], count)
        np.testing.assert_array_equal(mine["cum_count"], cum)
        np.testing.assert_allclose(mine["cum_rate"], cum / data[col].notna().sum(), rtol=TOL)
        # the band's best rank is the competition rank of its best student
        ranks = data[col].rank(method="min", ascending=False)
        best = ranks.groupby(np.floor(data[col] / step) * step).min()
        has = count > 0
        np.testing.assert_array_equal(mine["rank_from"][has], best.reindex(lowers[has]).to_numpy())

        grouped = score_segments_groups(data[col].to_numpy(), data["school"].to_numpy(), SCHOOLS, step, full)
        band = np.floor(data[col] / step) * step
        table = pd.crosstab(data["school"], band).reindex(columns=lowers, fill_value=0)
        np.testing.assert_array_equal(grouped["count"], table.to_numpy())
        np.testing.assert_array_equal(grouped["cum_count"], table.cumsum(axis=1).to_numpy())


def test_line_analysis_against_pandas(data):
    subjects = [f"s{s}" for s in range(SUBJECTS)]
    m = data[subjects].to_numpy()
    total = data["total"].to_numpy()
    line = line_by_rank(total, 500)
    ordered = data["total"].dropna().sort_values(ascending=False)
    assert line == ordered.iloc[499]
    assert (ordered >= line).sum() >= 500

    counted = data[data["total"].notna()]
    eff_ratio = effective_scores(m, total, line, "ratio")
    np.testing.assert_allclose(
        eff_ratio, line * counted[subjects].mean().to_numpy() / counted["total"].mean(), rtol=TOL
    )
    eff_q = effective_scores(m, total, line, "qualified_mean")
    np.testing.assert_allclose(eff_q, data.loc[data["total"] >= line, subjects].mean().to_numpy(), rtol=TOL)

    for by, n_groups in (("klass", CLASSES), ("school", SCHOOLS)):
        mine = line_analysis(m, total, line, eff_ratio, codes=data[by].to_numpy(), n_groups=n_groups)
        on = data["total"] >= line
        total_on = on.groupby(data[by]).sum().reindex(range(n_groups), fill_value=0)
        np.testing.assert_array_equal(mine["total_on"], total_on.to_numpy())
        np.testing.assert_array_equal(mine["n"], data.groupby(by)["total"].count().reindex(range(n_groups)))
        for j, col in enumerate(subjects):
            single = (data[col] >= eff_ratio[j]).groupby(data[by]).sum().reindex(range(n_groups), fill_value=0)
            double = ((data[col] >= eff_ratio[j]) & on).groupby(data[by]).sum().reindex(range(n_groups), fill_value=0)
            np.testing.assert_array_equal(mine["single"][:, j], single.to_numpy())
            np.testing.assert_array_equal(mine["double"][:, j], double.to_numpy())
            with np.errstate(invalid="ignore", divide="ignore"):
                hit = double.to_numpy() / single.to_numpy()
                contribution = double.to_numpy() / total_on.to_numpy()
            np.testing.assert_allclose(mine["hit_rate"][:, j], hit, rtol=TOL)
            np.testing.assert_allclose(mine["contribution_rate"][:, j], contribution, rtol=TOL)


def test_item_statistics_against_pandas():
    rng = np.random.default_rng(99)
    n, k = 1500, 8
    full = np.array([2, 2, 3, 3, 5, 5, 10, 12], dtype=float)
    ability = rng.normal(0, 1, n)
    x = np.column_stack(
        [rng.binomial(int(full[j]), 1 / (1 + np.exp(-(ability - 0.3 * j + 1)))) for j in range(k)]
    ).astype(float)
    x[rng.random((n, k)) < 0.03] = np.nan
    total = np.nansum(x, axis=1)
    total[rng.random(n) < 0.02] = np.nan
    df = pd.DataFrame(x, columns=[f"i{j}" for j in range(k)])
    df["total"] = total
    df["klass"] = rng.integers(0, 12, n)

    mine = item_analysis(x, full, total)
    np.testing.assert_allclose(mine["difficulty"], (df.iloc[:, :k].mean() / full).to_numpy(), rtol=TOL)
    # 27% groups by pandas: stable sort by total descending among counted totals
    ranked = df[df["total"].notna()].sort_values("total", ascending=False, kind="stable")
    size = math.ceil(round(0.27 * len(ranked), 9))
    high, low = ranked.iloc[:size], ranked.iloc[-size:]
    for j in range(k):
        col = f"i{j}"
        d = (high[col].mean() - low[col].mean()) / full[j]
        assert mine["discrimination"][j] == pytest.approx(d, rel=TOL)
        r = df[[col, "total"]].dropna().corr().iloc[0, 1]
        assert mine["r"][j] == pytest.approx(r, rel=TOL)
        pair = df[[col, "total"]].dropna()
        rc = pair[col].corr(pair["total"] - pair[col])
        assert mine["r_corrected"][j] == pytest.approx(rc, rel=TOL)

    # knowledge points per class: Σ scores / Σ full marks of the counted answers
    kps = [["a"], ["a", "b"], ["b"], ["c"], ["a"], ["c"], ["b", "c"], ["a"]]
    mine_kp = knowledge_point_rates(x, full, kps, codes=df["klass"].to_numpy(), n_groups=12)
    long = df.melt(id_vars=["klass"], value_vars=[f"i{j}" for j in range(k)], var_name="item").dropna()
    long["full"] = long["item"].str[1:].astype(int).map(dict(enumerate(full)))
    long["kp"] = long["item"].str[1:].astype(int).map(dict(enumerate(kps)))
    long = long.explode("kp")
    sums = long.groupby(["klass", "kp"])[["value", "full"]].sum()
    ref = (sums["value"] / sums["full"]).unstack("kp")[mine_kp["kp"]]
    np.testing.assert_allclose(mine_kp["rate"], ref.to_numpy(), rtol=TOL)
