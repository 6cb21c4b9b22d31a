"""Benchmark: 学籍 roster import of a 100,000-row MoE-template .xlsx, on SQLite and PostgreSQL.

For each database: a fresh small demo district (core.demo.generate.seed_demo) whose 九年一贯制 school gets
enough classes for the rows (~45 per class); a realistic file from roster.importer.sample (shared strings,
like Excel writes it). Then, each in its own process so peak memory (ru_maxrss) belongs to one phase:

  (a) raw python-calamine read of the whole sheet into Python values,
  (b) the full import (checks, validation, one transaction of bulk writes, audit),
  (c) re-import of the same file (everything "unchanged", nothing written),
  (d) a 2,000-row school file uploaded through the web UI until its job is done.

Prints rows/s, the ratio of each phase's time to the raw read, and peak memory.

    .venv/bin/python bench/roster_import.py [--rows 100000] [--db sqlite,postgres]

PostgreSQL: ZX_BENCH_IMPORT_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/zhixiao_bench_import);
the database is dropped and recreated on each run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PG_URL = os.environ.get("ZX_BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhixiao_bench_import")
PER_CLASS = 45


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
    env["DATABASE_URL"] = f"sqlite:///{VAR / 'bench-import.sqlite3'}" if db == "sqlite" else PG_URL
    env["PYTHONPATH"] = str(ROOT)
    return env


def _file(db: str, rows: int) -> Path:
    return VAR / f"bench-roster-{db}-{rows}.xlsx"


def _setup_django():
    import django

    django.setup()


def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- child phases ---------------------------------------------------------------------------------------


def phase_prepare(db: str, rows: int) -> dict:
    """Fresh database, demo district, classes for the rows, and the file."""
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR / 'bench-import.sqlite3'}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        dbname = PG_URL.rsplit("/", 1)[1]
        base = PG_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    _setup_django()
    import random

    from django.core.management import call_command

    from core.demo.generate import seed_demo
    from core.models import STAGE_YEARS, Class, Grade, School, SchoolType
    from roster.importer.sample import build_rows, to_xlsx_fast

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    seed_demo(schools=2, students_per_school=100, seed=1)
    school = School.objects.get(school_type=SchoolType.NINE_YEAR)
    grades = [g for g in Grade.objects.filter(school=school) if 1 <= g.year_in_stage() <= STAGE_YEARS[g.stage]]
    per_grade = -(-rows // PER_CLASS // len(grades))
    new = []
    for g in grades:
        have = set(Class.objects.filter(grade=g).values_list("number", flat=True))
        new += [Class(school=school, grade=g, number=n) for n in range(1, per_grade + 1) if n not in have]
    Class.objects.bulk_create(new)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    headers, data_rows = build_rows(school, rows, rng=random.Random(2026))
    data = to_xlsx_fast(headers, data_rows)
    _file(db, rows).write_bytes(data)
    import io
    import zipfile

    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    return {
        "school": school.code,
        "classes": Class.objects.filter(school=school).count(),
        "setup_s": setup,
        "generate_s": time.perf_counter() - t0,
        "file_mb": len(data) / 1024 / 1024,
        "unpacked_mb": unpacked / 1024 / 1024,
    }


def phase_read(db: str, rows: int) -> dict:
    import io

    from python_calamine import CalamineWorkbook

    data = _file(db, rows).read_bytes()
    t0 = time.perf_counter()
    values = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "rows": len(values) - 1, "peak_mb": _max_rss_mb()}


def phase_import(db: str, rows: int, school_code: str) -> dict:
    _setup_django()
    from django.conf import settings

    from core.models import School, Student
    from roster.importer import import_roster

    # A full-template 100k-row sheet inflates to ~150 MB+: keep the zip limits at their defaults unless the file
    # needs more (reported below).
    data = _file(db, rows).read_bytes()
    settings.ZX_ROSTER_MAX_BYTES = max(getattr(settings, "ZX_ROSTER_MAX_BYTES", 0), len(data) + 1)
    school = School.objects.select_related("district__region").get(code=school_code)
    before = Student.objects.count()
    t0 = time.perf_counter()
    result = import_roster(data=data, filename=_file(db, rows).name, school=school, actor=None, source="bench")
    elapsed = time.perf_counter() - t0
    out = {
        "seconds": elapsed,
        "status": result.status,
        "counts": result.counts,
        "errors": [str(e) for e in result.errors[:5]],
        "error_count": len(result.errors),
        "students_added": Student.objects.count() - before,
        "peak_mb": _max_rss_mb(),
    }
    return out


UI_ROWS = 2000


def phase_ui(db: str, rows: int) -> dict:
    """A 2,000-row school file through the web UI (Django test client, Celery eager as in the default
    install): POST the upload form as the school's admin, then poll the job page until it is done, as the
    progress page does. Uses the demo's other school, with enough classes for the file."""
    _setup_django()
    import random

    from django.conf import settings
    from django.test import Client

    from core.crypto import blind_index
    from core.models import STAGE_YEARS, Class, Grade, Person, RoleGrant, School, SchoolType, Student
    from core.testing import login
    from roster.importer.sample import build_rows, to_xlsx_fast
    from roster.models import ImportJob

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    school = School.objects.exclude(school_type=SchoolType.NINE_YEAR).order_by("code").first()
    grades = [g for g in Grade.objects.filter(school=school) if 1 <= g.year_in_stage() <= STAGE_YEARS[g.stage]]
    per_grade = -(-UI_ROWS // PER_CLASS // len(grades))
    for g in grades:
        have = set(Class.objects.filter(grade=g).values_list("number", flat=True))
        Class.objects.bulk_create(
            [Class(school=school, grade=g, number=n) for n in range(1, per_grade + 1) if n not in have]
        )
    # the same generator made the big file: leave out people who are already in the database
    headers, data_rows = build_rows(school, UI_ROWS + UI_ROWS // 5, rng=random.Random(7))
    id_col, type_col = headers.index("身份证件号"), headers.index("身份证件类型")
    keys = {blind_index(f"{r[type_col]}:{r[id_col]}", "id"): i for i, r in enumerate(data_rows) if r[id_col]}
    taken = set(Person.objects.filter(id_number_index__in=list(keys)).values_list("id_number_index", flat=True))
    drop = {keys[k] for k in taken}
    data_rows = [r for i, r in enumerate(data_rows) if i not in drop][:UI_ROWS]
    data = to_xlsx_fast(headers, data_rows)
    admin = RoleGrant.objects.filter(role="school_admin", school=school).select_related("user").first().user
    client = Client()
    login(client, admin)
    before = Student.objects.filter(school=school).count()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("school.xlsx", data, content_type="application/octet-stream")
    t0 = time.perf_counter()
    response = client.post("/roster/imports/", {"school": school.pk, "file": upload})
    detail = response["Location"]
    polls = 0
    while True:
        page = client.get(detail, headers={"HX-Request": "true"})
        polls += 1
        job = ImportJob.objects.get(pk=int(detail.rstrip("/").rsplit("/", 1)[1]))
        if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    return {
        "seconds": elapsed,
        "status": job.status,
        "page_status": page.status_code,
        "students_added": Student.objects.filter(school=school).count() - before,
        "polls": polls,
    }


def child(args) -> None:
    if args.phase == "prepare":
        out = phase_prepare(args.db, args.rows)
    elif args.phase == "read":
        out = phase_read(args.db, args.rows)
    elif args.phase == "ui":
        out = phase_ui(args.db, args.rows)
    else:
        out = phase_import(args.db, args.rows, args.school)
    print("RESULT " + json.dumps(out, ensure_ascii=False, default=str))


# --- parent ----------------------------------------------------------------------------------------------


def _run(db: str, phase: str, rows: int, school: str = "") -> dict:
    cmd = [sys.executable, __file__, "--child", phase, "--db", db, "--rows", str(rows), "--school", school]
    proc = subprocess.run(cmd, env=_env(db), capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
    raise SystemExit(f"{db} {phase} failed (exit {proc.returncode})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--child", dest="phase")
    ap.add_argument("--school", default="")
    args, _ = ap.parse_known_args()
    if args.phase:
        args.db = args.db.split(",")[0]
        child(args)
        return
    VAR.mkdir(exist_ok=True)
    for db in args.db.split(","):
        print(f"== {db}: {args.rows:,} rows", flush=True)
        prep = _run(db, "prepare", args.rows)
        print(
            f"   prepared in {prep['setup_s']:.0f} s (school {prep['school']}, {prep['classes']} classes); "
            f"file generated in {prep['generate_s']:.0f} s: {prep['file_mb']:.1f} MB, "
            f"{prep['unpacked_mb']:.0f} MB unpacked",
            flush=True,
        )
        read = _run(db, "read", args.rows)
        n = read["rows"]
        print(
            f"   (a) raw calamine read   {read['seconds']:7.2f} s  {n / read['seconds']:>9,.0f} rows/s  "
            f"peak {read['peak_mb']:,.0f} MB",
            flush=True,
        )
        for label in ("(b) full import        ", "(c) re-import unchanged"):
            res = _run(db, "import", args.rows, prep["school"])
            if res["error_count"]:
                print(f"   {label} {res['status']}: {res['error_count']} errors, e.g. {res['errors']}")
                break
            print(
                f"   {label} {res['seconds']:7.2f} s  {n / res['seconds']:>9,.0f} rows/s  "
                f"{res['seconds'] / read['seconds']:5.1f}× raw read  peak {res['peak_mb']:,.0f} MB  "
                f"{res['counts']}",
                flush=True,
            )
        # after the big file: the UI file is generated with the same generator, its own seed
        ui = _run(db, "ui", args.rows)
        print(
            f"   (d) {UI_ROWS:,}-row school file through the UI: {ui['seconds']:.2f} s end to end "
            f"({ui['status']}, {ui['students_added']:,} students added; target < 5 s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
