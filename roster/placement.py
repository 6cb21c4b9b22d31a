"""分班 (cohort placement): a pure, deterministic algorithm with no Django imports.

Method (``place``):

1. **Quotas by a continuing cyclic deal.** Students fall into cells (gender × special-needs). The cells are
   laid out in the order 男·普通, 男·特需, 女·特需, 女·普通 (then any unknown-gender cells), and the cell
   sizes are dealt round-robin over the classes with one pointer that carries on from cell to cell. Each
   class gets ``k // n`` of a cell of ``k`` students plus one of the ``k % n`` "extras", which go to the
   next classes after the pointer. Any contiguous run of this layout therefore reaches every class
   ``floor`` or ``ceil`` times, and the layout makes the runs that matter contiguous: all students (class
   sizes), 男 (男·普通 + 男·特需), 女 (女·特需 + 女·普通) and 特需 (男·特需 + 女·特需). So sizes, boys,
   girls and special-needs students each differ by at most 1 between classes — guaranteed, not just likely.
   Students of unknown gender (性别 0/9) go into two more cells, 特需 ones inside the 特需 run and the
   others at the end, so sizes, 男, 女 and 特需 stay guaranteed; only the unknown-gender count itself is
   not guaranteed ±1.
2. **Serpentine (snake) draft within each cell.** The students of a cell, sorted by score (highest first,
   ties by id), are dealt to the classes that still have quota in that cell: 1→n, then n→1, and so on.
3. **Local swap improvement.** Swapping two students of the same cell between two classes keeps every count
   above, so the algorithm repeatedly applies the best improving same-cell swap for each pair of classes
   until a full pass finds none (or ``max_passes``). The objective is
   ``w_mean · Σ_c (mean_c − μ)² + w_spread · Σ_c (sd_c − σ)²`` over the class score means and standard
   deviations (μ, σ of the whole cohort); ``weights={"mean": 1, "spread": 0}`` by default.
   Missing scores count as the cohort mean.

The result is deterministic for the same input (no randomness). ``summarize`` reports per-class numbers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

MALE, FEMALE = "1", "2"
DEFAULT_WEIGHTS = {"mean": 1.0, "spread": 0.0}


@dataclass(frozen=True)
class Pupil:
    id: Hashable
    gender: str = "0"  # GB/T 2261.1: 1 男, 2 女, other = unknown
    score: float | None = None
    special: bool = False  # 随班就读 or 残疾


def _cell_order(pupils: list[Pupil]) -> list[tuple[str, bool]]:
    """The layout that keeps 男, 女, 特需 and the whole cohort each contiguous (see module docstring)."""
    others = sorted({p.gender for p in pupils} - {MALE, FEMALE})
    return [
        (MALE, False),
        (MALE, True),
        *[(g, True) for g in others],  # 特需 of unknown gender sit inside the 特需 run
        (FEMALE, True),
        (FEMALE, False),
        *[(g, False) for g in others],
    ]


def quotas(cell_sizes: list[int], n: int) -> list[list[int]]:
    """quota[cell][class] by the continuing cyclic deal."""
    pointer = 0
    out = []
    for k in cell_sizes:
        base, extra = divmod(k, n)
        row = [base] * n
        for i in range(extra):
            row[(pointer + i) % n] += 1
        pointer = (pointer + k) % n
        out.append(row)
    return out


def _snake(sorted_ids: list, quota: list[int]) -> list[list]:
    n = len(quota)
    left = list(quota)
    out: list[list] = [[] for _ in range(n)]
    forward = True
    i = 0
    while i < len(sorted_ids):
        order = range(n) if forward else range(n - 1, -1, -1)
        for c in order:
            if i >= len(sorted_ids):
                break
            if left[c] > 0:
                out[c].append(sorted_ids[i])
                left[c] -= 1
                i += 1
        forward = not forward
    return out


class _Objective:
    def __init__(self, classes: list[list], score: dict, weights: dict):
        self.w_mean = float(weights.get("mean", 1.0))
        self.w_spread = float(weights.get("spread", 0.0))
        values = [score[x] for c in classes for x in c]
        total = len(values) or 1
        self.mu = sum(values) / total
        self.sigma = math.sqrt(max(0.0, sum(v * v for v in values) / total - self.mu**2))
        self.size = [len(c) for c in classes]
        self.s = [sum(score[x] for x in c) for c in classes]
        self.q = [sum(score[x] ** 2 for x in c) for c in classes]

    def term(self, n: int, s: float, q: float) -> float:
        if n == 0:
            return 0.0
        mean = s / n
        value = self.w_mean * (mean - self.mu) ** 2
        if self.w_spread:
            sd = math.sqrt(max(0.0, q / n - mean * mean))
            value += self.w_spread * (sd - self.sigma) ** 2
        return value

    def delta(self, a: int, b: int, sa: float, sb: float) -> float:
        """Change of the objective when a student scoring ``sa`` in class a swaps with ``sb`` in class b."""
        before = self.term(self.size[a], self.s[a], self.q[a]) + self.term(self.size[b], self.s[b], self.q[b])
        d, dq = sb - sa, sb * sb - sa * sa
        after = self.term(self.size[a], self.s[a] + d, self.q[a] + dq) + self.term(
            self.size[b], self.s[b] - d, self.q[b] - dq
        )
        return after - before

    def apply(self, a: int, b: int, sa: float, sb: float) -> None:
        d, dq = sb - sa, sb * sb - sa * sa
        self.s[a] += d
        self.q[a] += dq
        self.s[b] -= d
        self.q[b] -= dq


def place(
    pupils: Iterable[Pupil], n_classes: int, *, weights: dict | None = None, max_passes: int = 50
) -> dict[Hashable, int]:
    """Assign each pupil a class index 0..n_classes-1 (see the module docstring for the method)."""
    pupils = list(pupils)
    if n_classes < 1:
        raise ValueError("n_classes must be at least 1")
    if len({p.id for p in pupils}) != len(pupils):
        raise ValueError("duplicate pupil ids")
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    known = [float(p.score) for p in pupils if p.score is not None]
    fill = sum(known) / len(known) if known else 0.0
    score = {p.id: float(p.score) if p.score is not None else fill for p in pupils}

    order = _cell_order(pupils)
    cells: dict[tuple[str, bool], list[Pupil]] = {key: [] for key in order}
    for p in pupils:
        cells[(p.gender, bool(p.special))].append(p)
    quota = quotas([len(cells[key]) for key in order], n_classes)

    # by_cell[cell][class] = list of ids
    by_cell: list[list[list]] = []
    for key, q in zip(order, quota, strict=True):
        members = sorted(cells[key], key=lambda p: (-score[p.id], str(p.id)))
        by_cell.append(_snake([p.id for p in members], q))

    classes = [[x for cell in by_cell for x in cell[c]] for c in range(n_classes)]
    obj = _Objective(classes, score, weights)
    eps = 1e-9
    for _ in range(max_passes):
        improved = False
        for a in range(n_classes):
            for b in range(a + 1, n_classes):
                best = (-eps, None)
                for ci, cell in enumerate(by_cell):
                    for i, x in enumerate(cell[a]):
                        sx = score[x]
                        for j, y in enumerate(cell[b]):
                            sy = score[y]
                            if sx == sy:
                                continue
                            d = obj.delta(a, b, sx, sy)
                            if d < best[0]:
                                best = (d, (ci, i, j))
                if best[1] is not None:
                    ci, i, j = best[1]
                    x, y = by_cell[ci][a][i], by_cell[ci][b][j]
                    obj.apply(a, b, score[x], score[y])
                    by_cell[ci][a][i], by_cell[ci][b][j] = y, x
                    improved = True
        if not improved:
            break
    return {x: c for cell in by_cell for c, members in enumerate(cell) for x in members}


def summarize(pupils: Iterable[Pupil], assignment: dict[Hashable, int], n_classes: int) -> list[dict]:
    """Per-class size, 男/女, 特需 and mean score (over pupils with a score)."""
    rows = [{"size": 0, "male": 0, "female": 0, "special": 0, "scored": 0, "score_sum": 0.0} for _ in range(n_classes)]
    for p in pupils:
        r = rows[assignment[p.id]]
        r["size"] += 1
        r["male"] += p.gender == MALE
        r["female"] += p.gender == FEMALE
        r["special"] += bool(p.special)
        if p.score is not None:
            r["scored"] += 1
            r["score_sum"] += float(p.score)
    for r in rows:
        r["mean"] = round(r["score_sum"] / r["scored"], 2) if r["scored"] else None
        del r["score_sum"]
    return rows
