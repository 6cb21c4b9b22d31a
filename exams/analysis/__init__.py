"""Pure statistics engine for exam score analysis (成绩分析). numpy / scipy only — no Django here.

The ``exams`` app loads scores from the database, maps them to arrays and calls these functions; everything
works on whole columns (100,000 students at a time), groups are integer codes and per-group results are
computed with ``np.bincount`` / one sort by (group, value), never with Python loops over students.

Conventions
-----------
* **Scores** are 1-D float64 arrays (matrices: students × subjects or students × items). ``NaN`` means *not
  counted* (缺考 / 免考 / 作弊 …); the caller maps each status to NaN, or to 0 when its policy counts the
  student with 0. *Counted* = not NaN. Infinite values are rejected.
* **Groups** are int codes ``0 .. n_groups-1``, one per student (class, school, teacher, …); build them with
  ``np.unique(labels, return_inverse=True)``. ``n_groups=None`` means ``max(code) + 1``. Empty groups are
  reported (n = 0, statistics NaN).
* **Standard deviation** is the population SD (ddof=0), as usual in Chinese exam reports — except the
  standard error in value-added, which uses the sample SD (ddof=1).
* **Ranks** are competition ranks ("1224") on descending scores: equal scores share the best rank. Rank
  arrays are int64 and 0 means unranked (NaN score).
* **Percentages** (rates, score rates, cumulative rates) are fractions 0..1; the UI formats them.
* **Undefined values**: scalar results use ``None``; array results use ``NaN`` (``to_records`` turns a dict of
  columns into row dicts with ``None``). No warnings are emitted for empty groups.
* **Thresholds** given as fractions of the full mark are turned into cut-offs rounded to 6 decimals
  (0.7 × 110 = 77.0, not 77.00000000000001); "≥ cut-off" unless a function says otherwise (低分率 is < 40%).

Modules: ``describe`` (statistics, 四率, 超均率), ``ranking``, ``segments`` (一分一段), ``standard`` (Z / T,
联考标准分), ``lines`` (上线分析, 有效分, 临界生), ``items`` (小题分析, options, 知识点), ``value_added``
(增值评价), ``bench_data`` (synthetic data for benchmarks).
"""

from ._core import to_records
from .describe import DEFAULT_THRESHOLDS, describe, describe_groups, over_mean_rate
from .items import (
    extreme_groups,
    item_analysis,
    item_group_rates,
    knowledge_point_rates,
    normalize_option,
    option_analysis,
)
from .lines import borderline, effective_scores, line_analysis, line_by_rank, line_by_score
from .ranking import percentile_rank, rank, rank_within
from .segments import score_segments, score_segments_groups
from .standard import standard_total, tscores, zscores
from .value_added import value_added

__all__ = [
    "DEFAULT_THRESHOLDS",
    "borderline",
    "describe",
    "describe_groups",
    "effective_scores",
    "extreme_groups",
    "item_analysis",
    "item_group_rates",
    "knowledge_point_rates",
    "line_analysis",
    "line_by_rank",
    "line_by_score",
    "normalize_option",
    "option_analysis",
    "over_mean_rate",
    "percentile_rank",
    "rank",
    "rank_within",
    "score_segments",
    "score_segments_groups",
    "standard_total",
    "to_records",
    "tscores",
    "value_added",
    "zscores",
]
