"""Benchmark: the scoped student list page vs a bare Django view returning the same 50 rows unscoped.

Both run in the same process, same middleware, same template, on a 150,000-student district in
PostgreSQL (ZX_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/zhixiao_bench; the
district is seeded on first run). Prints requests/s and p50/p95 latency of each, and their ratio.
Target: scoped ≥ 0.5 × bare, p95 < 150 ms.

    .venv/bin/python bench/scoped_list.py [--requests 300] [--schools 200 --students-per-school 750]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhixiao.settings")
os.environ["DATABASE_URL"] = os.environ.get("ZX_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhixiao_bench")
os.environ.setdefault("ZX_SECRET_KEY", "bench-secret")
os.environ["ZX_DEBUG"] = "0"
os.environ["ZX_MANIFEST_STATIC"] = "0"
os.environ.setdefault("ZX_ALLOWED_HOSTS", "testserver")


def ensure_database(url: str) -> None:
    import psycopg

    dbname = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--schools", type=int, default=200)
    ap.add_argument("--students-per-school", type=int, default=750)
    args = ap.parse_args()

    key_file = ROOT / "var" / "bench-field-key"
    if "ZX_FIELD_KEY" not in os.environ:
        key_file.parent.mkdir(exist_ok=True)
        if not key_file.exists():
            import base64

            key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.environ["ZX_FIELD_KEY"] = key_file.read_text().strip()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from core.models import Student

    call_command("migrate", verbosity=0)
    if not Student.objects.exists():
        print(f"seeding {args.schools} schools × {args.students_per_school} students …", flush=True)
        t0 = time.perf_counter()
        call_command("seed_demo", schools=args.schools, students_per_school=args.students_per_school, seed=1)
        print(f"seeded in {time.perf_counter() - t0:.0f} s", flush=True)
    call_command(
        "shell", command="from django.db import connection; connection.cursor().execute('ANALYZE')", verbosity=0
    )

    from core.models import User
    from core.testing import login

    n_students = Student.objects.count()
    users = {
        "区县管理员 (全区)": User.objects.get(username="district_admin"),
        "学校管理员 (一校)": User.objects.get(username="school_admin"),
        "班主任 (一班)": User.objects.get(username="head_teacher"),
    }

    def run(client, url, n):
        times = []
        for _ in range(10):  # warm-up
            client.get(url)
        start = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
        total = time.perf_counter() - start
        times.sort()
        return n / total, statistics.median(times) * 1000, times[int(0.95 * (n - 1))] * 1000

    print(f"\n{n_students:,} students in the database; {args.requests} requests per measurement; 50 rows per page\n")
    print(f"{'user':<20} {'view':<8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    headline = None
    with override_settings(ROOT_URLCONF="bench.urls"):
        for label, user in users.items():
            client = Client()
            login(client, user)
            scoped = run(client, "/people/students/", args.requests)
            bare = run(client, "/bench/bare-students/", args.requests)
            print(f"{label:<20} {'scoped':<8} {scoped[0]:>8.1f} {scoped[1]:>8.1f} {scoped[2]:>8.1f}")
            print(f"{'':<20} {'bare':<8} {bare[0]:>8.1f} {bare[1]:>8.1f} {bare[2]:>8.1f}")
            ratio = scoped[0] / bare[0]
            print(f"{'':<20} ratio scoped/bare = {ratio:.2f}\n")
            if headline is None:
                headline = (ratio, scoped[2])
    ratio, p95 = headline
    verdict = "PASS" if ratio >= 0.5 and p95 < 150 else "MISS"
    print(
        f"headline (district admin, 150k scope): ratio {ratio:.2f} (target ≥ 0.50), p95 {p95:.1f} ms (target < 150) → {verdict}"
    )


if __name__ == "__main__":
    main()
