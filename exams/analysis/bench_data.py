"""Synthetic 联考 data for benchmarks and demos (not used by the statistics themselves).

``generate`` draws students in schools and classes with school and class effects on ability, subjects
correlated through a general ability, items with a spread of difficulty and discrimination (a 2-parameter
logistic model), objective items answered by option letters (key, distractors of unequal popularity, some
blanks) and subjective items scored in half points. About 1% of the students are absent per subject
(NaN scores, ``None`` options).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

OPTION_LETTERS = ("A", "B", "C", "D")


def _item_marks(n_items: int, full_mark: int) -> tuple[np.ndarray, np.ndarray]:
    """Full marks and objective flags: ~60% of the items are objective, worth ~40% of the full mark together;
    the subjective items share the remainder."""
    n_obj = min(n_items - 1, math.ceil(0.6 * n_items)) if n_items > 1 else 0
    n_sub = n_items - n_obj
    obj_mark = max(1, round(0.4 * full_mark / n_obj)) if n_obj else 0
    while obj_mark > 1 and full_mark - obj_mark * n_obj < n_sub:
        obj_mark -= 1
    rest = full_mark - obj_mark * n_obj
    if rest < n_sub:
        raise ValueError(f"{n_items} items do not fit a full mark of {full_mark}")
    sub_marks = np.full(n_sub, rest // n_sub)
    sub_marks[: rest % n_sub] += 1
    marks = np.concatenate((np.full(n_obj, obj_mark), sub_marks)).astype(np.float64)
    objective = np.arange(n_items) < n_obj
    return marks, objective


def generate(
    n_students: int = 100_000,
    n_subjects: int = 9,
    n_items: int = 20,
    n_schools: int = 30,
    classes_per_school: int = 50,
    seed: int = 0,
) -> dict[str, Any]:
    """Random exam data.

    Returns a dict with:

    * ``school`` (n,) int64 school codes ``0..n_schools-1``; ``klass`` (n,) int64 class codes
      ``0..n_schools·classes_per_school-1`` (class ``k`` belongs to school ``k // classes_per_school``);
    * ``subjects``: one dict per subject with ``name``, ``full_mark``, ``items`` (n × n_items float64, NaN =
      absent), ``item_full`` (n_items,), ``objective`` (bool, n_items), ``options`` (n × n_objective object
      array of "A".."D" / "" blank / ``None`` absent), ``keys`` (list of str, one per objective item),
      ``item_kps`` (list of lists of knowledge-point names), ``total`` (n,) the subject total;
    * ``total`` (n,) the sum over subjects (NaN if absent from any subject).
    """
    if n_items < 1 or n_subjects < 1 or n_students < 1 or n_schools < 1 or classes_per_school < 1:
        raise ValueError("all sizes must be >= 1")
    rng = np.random.default_rng(seed)
    school_share = rng.dirichlet(np.full(n_schools, 4.0))
    school = rng.choice(n_schools, size=n_students, p=school_share).astype(np.int64)
    klass = school * classes_per_school + rng.integers(0, classes_per_school, size=n_students)
    school_effect = rng.normal(0.0, 0.5, n_schools)
    class_effect = rng.normal(0.0, 0.3, n_schools * classes_per_school)
    general = school_effect[school] + class_effect[klass] + rng.normal(0.0, 1.0, n_students)
    general = (general - general.mean()) / general.std()

    subjects = []
    grand_total = np.zeros(n_students)
    for s in range(n_subjects):
        full_mark = 150 if s < 3 else 100
        marks, objective = _item_marks(n_items, full_mark)
        ability = 0.8 * general + 0.6 * rng.normal(0.0, 1.0, n_students)
        difficulty = rng.uniform(-2.0, 1.5, n_items)
        slope = rng.uniform(0.5, 2.0, n_items)
        absent = rng.random(n_students) < 0.01
        items = np.empty((n_students, n_items))
        n_obj = int(objective.sum())
        options = np.empty((n_students, n_obj), dtype=object)
        keys: list[str] = []
        for j in range(n_items):
            p = 1.0 / (1.0 + np.exp(-1.7 * slope[j] * (ability - difficulty[j])))
            if objective[j]:
                correct = rng.random(n_students) < p
                items[:, j] = np.where(correct, marks[j], 0.0)
                key = int(rng.integers(0, 4))
                keys.append(OPTION_LETTERS[key])
                distractors = np.array([i for i in range(4) if i != key])
                popularity = rng.dirichlet(np.full(3, 2.0))
                wrong = distractors[rng.choice(3, size=n_students, p=popularity)]
                letters = np.asarray((*OPTION_LETTERS, ""), dtype=object)
                choice = np.where(correct, key, wrong)
                choice[~correct & (rng.random(n_students) < 0.03)] = 4
                col = letters[choice]
                col[absent] = None
                options[:, j] = col
            else:
                items[:, j] = rng.binomial(int(2 * marks[j]), p) / 2.0
        items[absent] = np.nan
        pool = [f"S{s + 1}-KP{k + 1}" for k in range(max(3, n_items // 3))]
        item_kps = [
            sorted({pool[int(rng.integers(len(pool)))] for _ in range(1 + int(rng.random() < 0.3))})
            for _ in range(n_items)
        ]
        total = items.sum(axis=1)
        grand_total += total
        subjects.append(
            {
                "name": f"S{s + 1}",
                "full_mark": float(full_mark),
                "items": items,
                "item_full": marks,
                "objective": objective,
                "options": options,
                "keys": keys,
                "item_kps": item_kps,
                "total": total,
            }
        )
    return {"school": school, "klass": klass.astype(np.int64), "subjects": subjects, "total": grand_total}
