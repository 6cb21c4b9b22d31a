"""Benchmark: the exam report of a 100,000-student 联考 (9 subjects × 20 小题), PostgreSQL by default.

Data: ``exams.analysis.bench_data.generate`` (30 schools × 50 classes, school and class effects, objective
items answered with options, ~1 % 缺考), loaded into a fresh database: a district, the schools, classes,
任课教师, students, the exam (``services.exam_create``: candidates, subjects; ``items_set``: 小题 with answer
keys and knowledge points), then the 900,000 score rows with item scores and options (``core.bulk``). Each
phase runs in its own process, so peak memory (ru_maxrss) belongs to that phase:

  prepare  fresh database, org tree, students, exam; the score-row write rate of this loader (information:
           the real import is another engineer's; its target is ≥ 20,000 rows/s on PostgreSQL)
  compute  ``compute_report`` — the full report at every level, StudentResult rows included — and, from the
           same arrays, a plain numpy group-by computing the core aggregates (count / mean / std / max / min per
           subject and total per school and per class, total ranks): both times and the ratio
  serve    the cached report through the JSON API (Django test client, a district admin): district, school,
           class and student level; median of several requests (target < 300 ms)

    .venv/bin/python bench/exam_report.py [--students 100000] [--db postgres|sqlite]

PostgreSQL: ZX_BENCH_EXAM_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/zhixiao_bench_exam); the
database is dropped and recreated on each run. SQLite: var/bench-exam.sqlite3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PG_URL = os.environ.get("ZX_BENCH_EXAM_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhixiao_bench_exam")
SQLITE = VAR / "bench-exam.sqlite3"
SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "道德与法治", "历史", "地理", "生物学"]
N_SCHOOLS, CLASSES_PER_SCHOOL, N_ITEMS, SEED = 30, 50, 20, 2026
TEACHER_CLASSES = 4  # classes per 任课教师


def _env(db: str) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "zhixiao.settings"
    env.setdefault("ZX_SECRET_KEY", "bench-secret")
    env["ZX_DEBUG"] = "0"
    env["ZX_MANIFEST_STATIC"] = "0"
    key_file = VAR / "bench-field-key"
    if "ZX_FIELD_KEY" not in env:
        VAR.mkdir(exist_ok=True)
        if not key_file.exists():
            import base64

            key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        env["ZX_FIELD_KEY"] = key_file.read_text().strip()
    env["DATABASE_URL"] = f"sqlite:///{SQLITE}" if db == "sqlite" else PG_URL
    env.pop("CELERY_BROKER_URL", None)  # the report runs in-process, as in the default install
    env["PYTHONPATH"] = str(ROOT)
    return env


def _setup_django():
    import django

    django.setup()


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- child phases ---------------------------------------------------------------------------------------


def _fresh_database(db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    dbname = PG_URL.rsplit("/", 1)[1]
    base = PG_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def phase_prepare(db: str, n_students: int) -> dict:
    _fresh_database(db)
    _setup_django()
    import datetime as dt

    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction

    from core import services as core_services
    from core.bulk import bulk_insert_rows
    from core.data.loaders import regions_ensure
    from core.models import (
        Class,
        Grade,
        Person,
        Region,
        RoleGrant,
        School,
        StaffPost,
        Student,
        Subject,
        TeachingAssignment,
        User,
    )
    from exams import services
    from exams.analysis import bench_data
    from exams.models import Score

    out: dict = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    out["migrate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    data = bench_data.generate(
        n_students=n_students,
        n_subjects=len(SUBJECTS),
        n_items=N_ITEMS,
        n_schools=N_SCHOOLS,
        classes_per_school=CLASSES_PER_SCHOOL,
        seed=SEED,
    )
    out["generate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with transaction.atomic():
        regions_ensure(Region)
        district = core_services.district_create(actor=None, region=Region.objects.get(code="330211"), name="基准区")
        term = core_services.current_term(district_id=district.pk)
        year = term.academic_year.start_year
        admin = User.objects.create(username="bench_admin", person=Person.objects.create(name="基准管理员"))
        RoleGrant.objects.create(user=admin, role="district_admin", district=district)
        subjects = {s.name: s for s in Subject.objects.filter(district=district)}
        schools = School.objects.bulk_create(
            [
                School(district=district, code=f"21332{i:05d}", name=f"基准第{i + 1}中学", school_type="junior")
                for i in range(N_SCHOOLS)
            ]
        )
        grades = Grade.objects.bulk_create([Grade(school=s, stage="junior", entry_year=year) for s in schools])
        classes = Class.objects.bulk_create(
            [
                Class(school=s, grade=g, number=k + 1)
                for s, g in zip(schools, grades, strict=True)
                for k in range(CLASSES_PER_SCHOOL)
            ]
        )
        # 任课教师: one teacher per subject for every TEACHER_CLASSES classes of a school
        teachers, posts, assignments = [], [], []
        for si in range(len(schools)):
            for name in SUBJECTS:
                for t in range(-(-CLASSES_PER_SCHOOL // TEACHER_CLASSES)):
                    teachers.append(Person(name=f"{name}教师{si + 1}-{t + 1}"))
        Person.objects.bulk_create(teachers, batch_size=5000)
        it = iter(teachers)
        for si, s in enumerate(schools):
            for name in SUBJECTS:
                for t in range(-(-CLASSES_PER_SCHOOL // TEACHER_CLASSES)):
                    person = next(it)
                    posts.append(StaffPost(person=person, school=s, main_subject=subjects[name]))
                    for k in range(t * TEACHER_CLASSES, min(CLASSES_PER_SCHOOL, (t + 1) * TEACHER_CLASSES)):
                        klass = classes[si * CLASSES_PER_SCHOOL + k]
                        assignments.append(
                            TeachingAssignment(teacher=person, klass=klass, subject=subjects[name], term=term)
                        )
        StaffPost.objects.bulk_create(posts, batch_size=5000)
        TeachingAssignment.objects.bulk_create(assignments, batch_size=5000)
        person_ids = bulk_insert_rows(Person, [{"name": f"学生{i + 1:06d}", "gender": "1"} for i in range(n_students)])
        class_ids = [c.pk for c in classes]
        klass = data["klass"].tolist()
        school_of = [s.pk for s in schools]
        student_ids = bulk_insert_rows(
            Student,
            [
                {
                    "person_id": person_ids[i],
                    "district_id": district.pk,
                    "school_id": school_of[klass[i] // CLASSES_PER_SCHOOL],
                    "klass_id": class_ids[klass[i]],
                    "student_no": f"B{i + 1:09d}",
                    "class_no": i % 60 + 1,
                }
                for i in range(n_students)
            ],
        )
    out["org_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with transaction.atomic():
        exam = services.exam_create(
            actor=admin,
            district_id=district.pk,
            code="bench",
            name="基准联考",
            term=term,
            stage="junior",
            entry_year=year,
            exam_date=dt.date(year, 11, 10),
            subjects=[(subjects[name], s["full_mark"]) for name, s in zip(SUBJECTS, data["subjects"], strict=True)],
        )
        ex_subjects = list(exam.subjects.order_by("sort_order"))
        for es, s in zip(ex_subjects, data["subjects"], strict=True):
            keys = iter(s["keys"])
            services.items_set(
                actor=admin,
                exam_subject=es,
                items=[
                    {
                        "number": str(j + 1),
                        "full_mark": float(s["item_full"][j]),
                        "kind": "objective" if s["objective"][j] else "subjective",
                        "answer": next(keys) if s["objective"][j] else "",
                        "knowledge_points": s["item_kps"][j],
                    }
                    for j in range(N_ITEMS)
                ],
            )
    out["exam_s"] = time.perf_counter() - t0

    # the candidates in bench-row order
    row_of_student = {sid: i for i, sid in enumerate(student_ids)}
    cands = list(exam.candidates.values_list("id", "student_id"))
    cand_ids = np.asarray([c for c, _s in cands])
    rows_idx = np.asarray([row_of_student[s] for _c, s in cands])

    rows_written, write_s = 0, 0.0
    for es, s in zip(ex_subjects, data["subjects"], strict=True):
        items, total, options = s["items"][rows_idx], s["total"][rows_idx], s["options"][rows_idx]
        n_sub = N_ITEMS - options.shape[1]
        t0 = time.perf_counter()
        absent = np.isnan(total)
        item_lists = items.tolist()
        option_lists = options.tolist()
        values = np.round(total, 1).tolist()
        rows = []
        blanks = [""] * n_sub
        for i, cid in enumerate(cand_ids.tolist()):
            if absent[i]:
                rows.append({"candidate_id": cid, "exam_subject_id": es.pk, "status": "absent"})
            else:
                rows.append(
                    {
                        "candidate_id": cid,
                        "exam_subject_id": es.pk,
                        "value": values[i],
                        "items": item_lists[i],
                        "options": option_lists[i] + blanks,
                    }
                )
        with transaction.atomic():
            bulk_insert_rows(Score, rows)
        write_s += time.perf_counter() - t0
        rows_written += len(rows)
        del rows, item_lists, option_lists
    out.update(
        exam_id=exam.pk,
        candidates=len(cands),
        score_rows=rows_written,
        write_s=write_s,
        rows_per_s=rows_written / write_s,
        peak_mb=_max_rss_mb(),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return out


def _baseline(data) -> dict:
    """The core aggregates with plain numpy (no report engine): count / mean / std / max / min per subject and
    total, per school and per class, and the district rank of the total (competition ranking)."""
    import numpy as np

    t0 = time.perf_counter()
    m = np.column_stack([s.scores for s in data.subjects])
    total = m.sum(axis=1)  # NaN when any subject is not counted
    columns = [m[:, j] for j in range(m.shape[1])] + [total]
    out = {}
    for level, ids in (("school", data.school_ids), ("class", data.klass_ids)):
        _u, codes = np.unique(ids, return_inverse=True)
        g = int(codes.max()) + 1
        for j, x in enumerate(columns):
            ok = ~np.isnan(x)
            c, v = codes[ok], x[ok]
            n = np.bincount(c, minlength=g)
            s = np.bincount(c, weights=v, minlength=g)
            mean = s / np.maximum(n, 1)
            var = np.bincount(c, weights=(v - mean[c]) ** 2, minlength=g) / np.maximum(n, 1)
            vmax = np.full(g, -np.inf)
            vmin = np.full(g, np.inf)
            np.maximum.at(vmax, c, v)
            np.minimum.at(vmin, c, v)
            out[(level, j)] = (n, mean, np.sqrt(var), vmax, vmin)
    ok = ~np.isnan(total)
    v = total[ok]
    ranks = np.zeros(total.size, dtype=np.int64)
    ranks[ok] = v.size - np.searchsorted(np.sort(v), v, side="right") + 1
    return {"seconds": time.perf_counter() - t0, "groups": len(out), "ranked": int(ok.sum())}


def phase_compute(db: str, n_students: int, exam_id: int) -> dict:
    _setup_django()
    from django.db import connection

    from exams.models import Exam, ExamReport, StudentResult
    from exams.report.compute import build_report, compute_report
    from exams.report.load import load_exam

    exam = Exam.objects.get(pk=exam_id)
    t0 = time.perf_counter()
    report = compute_report(exam)
    full_s = time.perf_counter() - t0
    timings = report.data["meta"]["timings"]
    peak_compute = _max_rss_mb()
    # the same arrays again, for the baseline and the in-memory part of the report alone
    data = load_exam(exam)
    base = min(_baseline(data)["seconds"] for _ in range(3))
    t0 = time.perf_counter()
    build_report(data)
    build_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_column_size(data), length(data::text) FROM exams_examreport WHERE exam_id = %s", [exam_id]
            )
        else:
            cursor.execute("SELECT length(data), length(data) FROM exams_examreport WHERE exam_id = %s", [exam_id])
        stored, text = cursor.fetchone()
    return {
        "full_s": full_s,
        "timings": timings,
        "build_s": build_s,
        "baseline_s": base,
        "status": ExamReport.objects.get(exam=exam).status,
        "results": StudentResult.objects.filter(candidate__exam=exam).count(),
        "data_mb": text / 1024 / 1024,
        "stored_mb": stored / 1024 / 1024,
        "peak_mb": peak_compute,
    }


def phase_serve(db: str, n_students: int, exam_id: int) -> dict:
    _setup_django()
    from django.conf import settings
    from django.test import Client

    from core.models import User
    from core.testing import login
    from exams.models import Exam, ExamStudent

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    exam = Exam.objects.get(pk=exam_id)
    cand = ExamStudent.objects.filter(exam=exam).order_by("id").first()
    client = Client()
    login(client, User.objects.get(username="bench_admin"))
    p = f"/api/v1/exams/{exam_id}"
    urls = {
        "district": f"{p}/report/district",
        "school": f"{p}/report/schools/{cand.school_id}",
        "class": f"{p}/report/classes/{cand.klass_id}",
        "student": f"{p}/report/students/{cand.pk}",
    }
    out = {}
    for name, url in urls.items():
        times, size = [], 0
        for _ in range(7):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (url, r.status_code, r.content[:300])
            size = len(r.content)
        out[name] = {"first_ms": times[0], "median_ms": statistics.median(times[1:]), "kb": size / 1024}
    return out


def child(args) -> None:
    if args.phase == "prepare":
        out = phase_prepare(args.db, args.students)
    elif args.phase == "compute":
        out = phase_compute(args.db, args.students, args.exam)
    else:
        out = phase_serve(args.db, args.students, args.exam)
    print("RESULT " + json.dumps(out, ensure_ascii=False, default=str))


# --- parent ----------------------------------------------------------------------------------------------


def _run(db: str, phase: str, students: int, exam: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", phase, "--db", db, "--students", str(students), "--exam", str(exam)]
    proc = subprocess.run(cmd, env=_env(db), capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
    raise SystemExit(f"{db} {phase} failed (exit {proc.returncode})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=100_000)
    ap.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    ap.add_argument("--child", dest="phase")
    ap.add_argument("--exam", type=int, default=0)
    args, _ = ap.parse_known_args()
    if args.phase:
        child(args)
        return
    VAR.mkdir(exist_ok=True)
    db = args.db
    print(
        f"== {db}: {args.students:,} students × {len(SUBJECTS)} subjects × {N_ITEMS} 小题 "
        f"({N_SCHOOLS} schools × {CLASSES_PER_SCHOOL} classes)",
        flush=True,
    )
    prep = _run(db, "prepare", args.students)
    print(
        f"   prepared: migrate {prep['migrate_s']:.0f} s, data generated {prep['generate_s']:.1f} s, "
        f"org + students {prep['org_s']:.1f} s, exam + candidates + 小题 {prep['exam_s']:.1f} s",
        flush=True,
    )
    print(
        f"   score rows loaded: {prep['score_rows']:,} in {prep['write_s']:.1f} s = {prep['rows_per_s']:,.0f} rows/s "
        f"(this loader, rows with 小题 scores and options; the import's target is ≥ 20,000 rows/s on PostgreSQL)  "
        f"peak {prep['peak_mb']:,.0f} MB",
        flush=True,
    )
    comp = _run(db, "compute", args.students, prep["exam_id"])
    t = comp["timings"]
    save = comp["full_s"] - sum(t.values())
    print(
        f"   compute_report (full, all levels): {comp['full_s']:.2f} s  "
        f"[load {t.get('load', 0):.2f} · statistics {t.get('statistics', 0):.2f} · lines {t.get('lines', 0):.2f} · "
        f"小题 {t.get('items', 0):.2f} · student rows {t.get('results', 0):.2f} · "
        f"write StudentResult {t.get('write_results', 0):.2f} · save report {save:.2f}]",
        flush=True,
    )
    print(
        f"      status {comp['status']}, {comp['results']:,} StudentResult rows, ExamReport.data "
        f"{comp['data_mb']:.1f} MB ({comp['stored_mb']:.1f} MB stored)  peak {comp['peak_mb']:,.0f} MB",
        flush=True,
    )
    base = comp["baseline_s"]
    print(
        f"   numpy group-by baseline (count/mean/std/max/min per subject + total per school and class, total "
        f"ranks): {base * 1000:.0f} ms",
        flush=True,
    )
    print(
        f"   ratio to the baseline: full report {comp['full_s'] / base:.0f}× · in-memory report (build_report "
        f"{comp['build_s']:.2f} s, same arrays) {comp['build_s'] / base:.0f}× · the report's own core statistics "
        f"(describe at 3 levels, 3 ranks, Z, 一分一段, class tables: {t.get('statistics', 0):.2f} s) "
        f"{t.get('statistics', 0) / base:.0f}×",
        flush=True,
    )
    serve = _run(db, "serve", args.students, prep["exam_id"])
    for name, r in serve.items():
        print(
            f"   cached API {name:<8} median {r['median_ms']:6.0f} ms (first {r['first_ms']:.0f} ms)  "
            f"{r['kb']:,.0f} KB  {'ok' if r['median_ms'] < 300 else 'OVER'} (target < 300 ms)",
            flush=True,
        )


if __name__ == "__main__":
    main()
