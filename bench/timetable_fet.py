"""Benchmark: our CP-SAT engine against FET's command line (fet-cl) on FET's example
files and on a generated Chinese school, with the same time limit.

    python bench/timetable_fet.py --time-limit 60
    python bench/timetable_fet.py --only Hopwood --skip-fet

Prints one row per file: activities, solved or not, hard violations, soft cost as each
tool reports it (FET: "Total soft conflicts"; ours: the same weights / 100 per violated
soft constraint), wall and CPU seconds, and the wall-time ratio ours/FET. Needs the
Debian packages fet and fet-data for the examples and for fet-cl.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timetable.engine import solve
from timetable.fet import read_fet

EXAMPLES = Path("/usr/share/doc/fet-data/examples/FET-5-official")
FILES = [
    ("Hopwood", "United-Kingdom/Hopwood/Hopwood.fet"),
    ("secondary_school", "Germany/secondary-school-1/older/secondary_school.fet"),
    ("Spain-2", "Spain/2-secondary-school/secondary-school.fet"),
    ("GYR", "Germany/secondary-school-2/GYR.fet"),
]
GENERATED = "zh-60-classes"


@dataclass
class Run:
    solved: bool | None = None
    status: str = ""
    placed: str = ""
    hard: int | None = None
    soft: float | None = None
    wall: float | None = None
    cpu: float | None = None
    note: str = ""
    checked: str = ""  # FET's timetable scored by our evaluator: "hard/soft"


def find_example(rel: str) -> Path | None:
    for candidate in (EXAMPLES / rel, EXAMPLES / (rel + ".gz")):
        if candidate.exists():
            return candidate
    return None


def run_ours(problem, time_limit: float, workers: int, seed: int) -> Run:
    sol = solve(problem, time_limit=time_limit, workers=workers, seed=seed)
    total = sum(lesson.count for lesson in problem.lessons)
    return Run(
        solved=sol.solved,
        status=sol.status,
        placed=f"{len(sol.placements)}/{total}",
        hard=sol.hard_violations,
        soft=sol.soft_penalty if sol.placements else None,
        wall=sol.wall_seconds,
        cpu=sol.cpu_seconds,
        note=sol.conflicts[0].message[:60] if sol.conflicts else "",
    )


def run_fet(path: Path, time_limit: float) -> Run:
    fet = shutil.which("fet-cl")
    if not fet:
        return Run(note="fet-cl missing")
    with tempfile.TemporaryDirectory(prefix="zx-fet-") as tmp:
        src = Path(tmp) / path.name.removesuffix(".gz")
        if path.suffix == ".gz":
            import gzip

            src.write_bytes(gzip.decompress(path.read_bytes()))
        else:
            shutil.copy(path, src)
        out = Path(tmp) / "out"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        try:
            subprocess.run(
                [fet, f"--inputfile={src}", f"--outputdir={out}", f"--timelimitseconds={int(max(1, time_limit))}"],
                capture_output=True,
                timeout=time_limit + 120,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Run(solved=False, status="timeout", wall=time.monotonic() - start)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result = (
            (out / "logs" / "result.txt").read_text(encoding="utf-8-sig", errors="replace")
            if (out / "logs" / "result.txt").exists()
            else ""
        )
        run = Run(wall=wall, cpu=cpu)
        if "Simulation successful" in result:
            run.solved, run.status, run.hard = True, "solved", 0
            soft_files = list(out.glob("timetables/*/*_soft_conflicts.txt"))
            if soft_files:
                m = re.search(
                    r"Total soft conflicts:\s*([0-9.]+)",
                    soft_files[0].read_text(encoding="utf-8-sig", errors="replace"),
                )
                run.soft = float(m.group(1)) if m else None
            run.checked = score_fet_timetable(path, out)
        else:
            run.solved = False
            run.status = (
                "time limit" if "time" in result.lower() else (result.strip().splitlines() or ["failed"])[-1][:40]
            )
            placed = out / "logs" / "max_placed_activities.txt"
            if placed.exists():
                m = re.findall(r"(\d+)", placed.read_text(encoding="utf-8-sig", errors="replace"))
                run.placed = m[-1] if m else ""
        return run


def score_fet_timetable(path: Path, out: Path) -> str:
    """FET's timetable (its output file locks every activity's start) scored by our own
    evaluator, rooms assigned by ours: "hard/soft". hard 0 and FET's soft mean both tools
    read the file's constraints the same way."""
    from timetable.engine import evaluate
    from timetable.engine.compile import Compiled
    from timetable.engine.model import Placement
    from timetable.engine.solver import assign_rooms

    found = list(out.glob("timetables/*/*_data_and_timetable.fet"))
    if not found:
        return ""
    original, _ctx = read_fet(path)
    locked, _ctx = read_fet(found[0])
    starts = {lesson.id: lesson.fixed for lesson in locked.lessons}
    placements = [
        Placement(lesson.id, i, *starts[lesson.id][i])
        for lesson in original.lessons
        for i in range(min(lesson.count, len(starts.get(lesson.id) or [])))
    ]
    assign_rooms(Compiled(original), placements)
    hard, soft, _msgs = evaluate(original, placements)
    return f"{hard}/{soft:.2f}"


def fmt(v, spec=".2f") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--only", help="run only files whose name contains this")
    parser.add_argument("--skip-fet", action="store_true", help="do not run fet-cl")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", type=int, default=60, help="classes of the generated school")
    args = parser.parse_args()

    rows = []
    todo = [(name, rel) for name, rel in FILES] + [(GENERATED, None)]
    for name, rel in todo:
        if args.only and args.only.lower() not in name.lower():
            continue
        if rel is None:
            from timetable_gen import generate

            problem = generate(args.classes)
            path = None
            unsupported = "–"
        else:
            path = find_example(rel)
            if path is None:
                print(f"{name}: {rel} not found under {EXAMPLES} (apt-get install fet-data)", file=sys.stderr)
                continue
            problem, ctx = read_fet(path)
            unsupported = str(sum(ctx.unsupported.values()))
        activities = sum(lesson.count for lesson in problem.lessons)
        print(f"… {name}: {activities} activities, ours", file=sys.stderr, flush=True)
        ours = run_ours(problem, args.time_limit, args.workers, args.seed)
        fet = Run(note="skipped")
        if path is not None and not args.skip_fet:
            print(f"… {name}: fet-cl", file=sys.stderr, flush=True)
            fet = run_fet(path, args.time_limit)
        ratio = ours.wall / fet.wall if ours.wall and fet.wall else None
        rows.append((name, activities, unsupported, ours, fet, ratio))

    header = (
        "| file | activities | unsupported constraints | ours solved | ours hard | ours soft | ours wall s | ours CPU s "
        "| FET solved | FET soft | FET wall s | FET CPU s | wall ours/FET | FET's timetable by our evaluator (hard/soft) |"
    )
    print(f"\ntime limit {args.time_limit:g} s, our workers {args.workers}\n")
    print(header)
    print("|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|")
    for name, activities, unsupported, ours, fet, ratio in rows:
        ours_solved = fmt(ours.solved) + ("" if ours.solved else f" ({ours.status})")
        fet_solved = fmt(fet.solved) + ("" if fet.solved or fet.solved is None else f" ({fet.status})")
        print(
            f"| {name} | {activities} | {unsupported} | {ours_solved} | {fmt(ours.hard)} | {fmt(ours.soft)} | {fmt(ours.wall)} | {fmt(ours.cpu)} "
            f"| {fet_solved} | {fmt(fet.soft)} | {fmt(fet.wall)} | {fmt(fet.cpu)} | {fmt(ratio)} | {fet.checked or '–'} |"
        )
    for name, _a, _u, ours, _fet, _r in rows:
        if ours.note:
            print(f"- {name}: {ours.note}")


if __name__ == "__main__":
    main()
