"""The exam report (成绩分析报告): computed once per change of the scores and cached.

* ``compute.compute_report(exam, progress=None)`` loads the exam into arrays (``load``), runs the statistics
  engine (``exams.analysis``) and stores the aggregates in ``ExamReport.data`` and the per-student numbers in
  ``StudentResult`` (class / school / district rank of the total and of every subject, Z / T, 标准分).
* ``refresh.report_refresh(exam)`` starts a recomputation (the ``exams.report`` Celery task; inline when Celery
  runs eagerly); ``refresh.ensure_report(exam)`` recomputes only when the report is missing or stale.
* ``selectors.exam_report_for(user, exam, level, id)`` — what a user may see (scope, publishing, the
  district's ranking policy); the JSON API (``exams.api``) serves it.
* ``value_added.value_added_report(before, after)`` — 增值评价 between two exams (not stored).

Shape of ``ExamReport.data`` (version 1). Ids used as keys are strings; a *subject key* is the ExamSubject id
as a string, or ``"total"`` for 总分. A *stats row* is a list in the order of ``meta.stat_fields``: n, absent,
mean, std, max, min, median, score_rate, excellent/good/pass/low count and rate (四率), over_mean (超均率
against the district), over_mean_school (classes: against their school), t_mean (total: mean 标准分). Scores
carry 2 decimals, rates 4 (fractions 0..1); ``null`` = undefined (nobody counted).

``version``
``meta``          exam_id, name, scope, n_candidates, n_counted_total, total_full, thresholds, borderline_band,
                  segment_step, stat_fields, rules (how 缺考/免考/作弊 and the total are treated), timings,
                  seconds, computed_at
``config``        settings kept across recomputations (``lines``: [{key, label, kind: rank|score, value}])
``subjects``      [{key, name, full_mark, id, subject_id, elective, items}] — "total" first
``district``      stats {key: row}; segments {key: {lower, count, cum_count, cum_rate, rank_from}} (一分一段,
                  bands of ``segment_step`` from the highest to the lowest occupied band); lines [per line:
                  {n, total_on, single {key: n}, double {key: n}, borderline_below, borderline_above}]
``schools``       {school id: {name, class_ids, stats, segments {key: {count, cum_count}} (district bands),
                  lines, items {key: {rates [per item], kp [per knowledge point]}}, borderline [per line:
                  {below, above: [[candidate id, class id, total], …]}]}}
``classes``       {class id: {name, school_id, grade_id, number, head_teacher, teachers {key: 任课教师},
                  teacher_ids {key: person id; "total": the 班主任}, ranks {key: rank of the class mean}, stats,
                  lines, items, borderline [per line: {below, above: [[candidate id, total], …]}]}}
``lines``         [{key, label, kind, value, score (the line), method, effective {key: 有效分 (ratio)},
                  effective_qualified_mean {key: …}}]
``items``         {key: {items [{id, number, kind, full_mark, answer, knowledge_points, n, mean, std,
                  difficulty, discrimination, high_mean, low_mean, r, r_corrected, full_rate, zero_rate,
                  options [{option, count, rate, high_rate, low_rate, mean_total, is_key}] | null}],
                  kp [{kp, score, full, rate}]}} — subjects with a 小题 structure only
``class_compare`` columns class_id, name, school_id, and subjects {key: columns n, mean, score_rate,
                  excellent_rate, pass_rate, over_mean, gap (mean − district mean), rank (of the class mean),
                  teacher_id, teacher (任课教师; for the total the 班主任)} — all aligned with class_id
``teachers``      {key: [{teacher_id, name, class_ids, n, mean, score_rate, excellent_rate, pass_rate,
                  over_mean, gap}]} — one row per 任课教师 (classes without one: "未安排")
"""
