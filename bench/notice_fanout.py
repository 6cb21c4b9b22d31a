"""Benchmark: a district-wide notice to every parent of a 150,000-student district (PostgreSQL).

The district (200 schools × 25 classes × 30 students, 1–2 guardians per family, some siblings) is built on
first run with ``core.bulk.bulk_insert_rows`` (COPY) in ZX_BENCH_NOTICES_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/zhixiao_bench_notices) and reused afterwards.

The district admin sends the notice through ``notices.services.notice_send``; the fan-out task
(``notices.tasks.fanout_task``: one SQL query for the audience, then COPY of one row per parent) runs in a
separate process standing in for the Celery worker, while this process requests the sender's notice page
(as the district admin, through the full middleware stack) again and again. Printed:

* fan-out: recipients, seconds, recipients/s (target ≥ 20,000/s);
* baseline: a raw COPY of the same rows (prepared tuples, no audience query, no Python row building) into the
  same table in the same run, and the ratio fan-out / raw;
* the sender's page: p50 / p95 / max latency while the fan-out runs and after it (target < 300 ms).

    .venv/bin/python bench/notice_fanout.py [--schools 200 --classes 25 --students 30]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhixiao.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "ZX_BENCH_NOTICES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhixiao_bench_notices"
)
os.environ.setdefault("ZX_SECRET_KEY", "bench-secret")
os.environ["ZX_DEBUG"] = "0"
os.environ["ZX_MANIFEST_STATIC"] = "0"
os.environ.setdefault("ZX_ALLOWED_HOSTS", "testserver")
os.environ.pop("CELERY_BROKER_URL", None)

DISTRICT_NAME = "通知基准区教育局"
TITLE = "关于做好寒假安全教育工作致全区家长的一封信"


def ensure_database(url: str) -> None:
    import psycopg

    dbname = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')


def field_key() -> None:
    key_file = ROOT / "var" / "bench-field-key"
    if "ZX_FIELD_KEY" not in os.environ:
        key_file.parent.mkdir(exist_ok=True)
        if not key_file.exists():
            import base64

            key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.environ["ZX_FIELD_KEY"] = key_file.read_text().strip()


def build_district(n_schools: int, n_classes: int, n_students: int):
    """The bench district, built with COPY (≈ 150,000 students, their parents and users)."""
    import random

    from django.db import transaction

    from core import services as core_services
    from core.bulk import bulk_insert_rows
    from core.data.loaders import regions_ensure
    from core.models import Class, Grade, Guardianship, Person, Region, RoleGrant, School, Student, User

    rng = random.Random(2026)
    t0 = time.perf_counter()
    with transaction.atomic():
        regions_ensure(Region)
        district = core_services.district_create(
            actor=None, region=Region.objects.get(code="330211"), name=DISTRICT_NAME
        )
        year = core_services.current_term(district_id=district.pk).academic_year.start_year
        admin = User.objects.create(username="bench_notice_admin", person=Person.objects.create(name="通知管理员"))
        RoleGrant.objects.create(user=admin, role="district_admin", district=district)
        schools = School.objects.bulk_create(
            [
                School(district=district, code=f"31339{i:05d}", name=f"基准第{i + 1}学校", school_type="junior")
                for i in range(n_schools)
            ]
        )
        grades = Grade.objects.bulk_create(
            [Grade(school=s, stage="junior", entry_year=year - k) for s in schools for k in range(3)]
        )
        classes = Class.objects.bulk_create(
            [Class(school=g.school, grade=g, number=c + 1) for g in grades for c in range(-(-n_classes // 3))][
                : n_schools * 3 * (-(-n_classes // 3))
            ]
        )
        per_school: dict[int, list] = {}
        for k in classes:
            per_school.setdefault(k.school_id, []).append(k)
        slots = [(k.school_id, k.pk) for s in schools for k in per_school[s.pk][:n_classes] for _ in range(n_students)]
        total = len(slots)
        person_ids = bulk_insert_rows(Person, [{"name": f"学生{i + 1:06d}", "gender": "1"} for i in range(total)])
        student_ids = bulk_insert_rows(
            Student,
            [
                {
                    "person_id": person_ids[i],
                    "district_id": district.pk,
                    "school_id": school_id,
                    "klass_id": klass_id,
                    "student_no": f"N{i + 1:09d}",
                    "class_no": i % n_students + 1,
                }
                for i, (school_id, klass_id) in enumerate(slots)
            ],
        )
        # families: 1–2 guardians; about 5 % of families have a second child in the district
        families, guardianships = [], []
        i = 0
        while i < total:
            kids = [student_ids[i]]
            if rng.random() < 0.05 and i + 1 < total:
                j = rng.randrange(total)
                if j != i:
                    kids.append(student_ids[j])
            families.append((kids, 2 if rng.random() < 0.6 else 1))
            i += 1
        n_parents = sum(n for _k, n in families)
        parent_person_ids = bulk_insert_rows(
            Person, [{"name": f"家长{p + 1:06d}", "gender": "2" if p % 2 else "1"} for p in range(n_parents)]
        )
        bulk_insert_rows(
            User,
            [
                {"username": f"np{p + 1:07d}", "person_id": pid, "password": "!", "is_active": True}
                for p, pid in enumerate(parent_person_ids)
            ],
        )
        it = iter(parent_person_ids)
        seen = set()
        for kids, n in families:
            guardians = [next(it) for _ in range(n)]
            for g_i, g in enumerate(guardians):
                for kid in kids:
                    if (g, kid) not in seen:
                        seen.add((g, kid))
                        guardianships.append(
                            {"guardian_id": g, "student_id": kid, "relation": "1" if g_i == 0 else "2"}
                        )
        bulk_insert_rows(Guardianship, guardianships)
    print(
        f"built district: {n_schools} schools, {total:,} students, {n_parents:,} parents, "
        f"{len(guardianships):,} guardianships in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=200)
    ap.add_argument("--classes", type=int, default=25)
    ap.add_argument("--students", type=int, default=30, help="students per class")
    ap.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)  # internal: run one fan-out
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker)

    field_key()
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from core.models import District, Student, User
    from core.testing import login
    from notices import services, tasks
    from notices.models import Notice, NoticeRecipient

    call_command("migrate", verbosity=0)
    district = District.objects.filter(name=DISTRICT_NAME).first()
    if district is None:
        build_district(args.schools, args.classes, args.students)
        district = District.objects.get(name=DISTRICT_NAME)
        with connection.cursor() as c:
            c.execute("ANALYZE")
    # a clean slate for this run's notices
    NoticeRecipient.objects.filter(notice__district=district).delete()
    Notice.objects.filter(district=district).delete()
    admin = User.objects.get(username="bench_notice_admin")
    n_students = Student.objects.filter(district=district).count()
    print(f"district: {n_students:,} students", flush=True)

    # the fan-out task runs in another process (the Celery worker's stand-in) instead of inline at commit
    workers: list[subprocess.Popen] = []

    class _Delay:
        @staticmethod
        def delay(notice_id):
            cmd = [sys.executable, __file__, "--worker", str(notice_id)]
            workers.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))

    original = tasks.fanout_task
    tasks.fanout_task = _Delay
    try:
        client = Client()
        login(client, admin)
        client.get("/notices/sent/")  # warm up templates and the session
        t_send = time.perf_counter()
        notice = services.notice_send(
            actor=admin,
            level="district",
            node=district,
            title=TITLE,
            body="<p>各位家长：寒假将至，请加强对孩子的安全教育……</p>",
            audience={"targets": ["parents"]},
            receipt_kind="confirm",
        )
        send_ms = (time.perf_counter() - t_send) * 1000
        url = f"/notices/sent/{notice.pk}/"
        during, home = [], []
        while workers[0].poll() is None:
            t0 = time.perf_counter()
            response = client.get(url)
            during.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
            # calibration: the platform's home page, same client, same moment (shows how loaded the machine is)
            t0 = time.perf_counter()
            client.get("/")
            home.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
        timing = json.loads(workers[0].stdout.read().strip().splitlines()[-1])
    finally:
        tasks.fanout_task = original
    after = []
    for _ in range(20):
        t0 = time.perf_counter()
        response = client.get(url)
        after.append((time.perf_counter() - t0) * 1000)
    assert TITLE in response.content.decode()
    stats_after = []
    for _ in range(20):
        t0 = time.perf_counter()
        client.get(f"/notices/sent/{notice.pk}/stats/")
        stats_after.append((time.perf_counter() - t0) * 1000)

    n = timing["recipients"]
    assert n == NoticeRecipient.objects.filter(notice=notice).count()
    fan_rate = n / timing["fanout_s"]
    t0 = time.perf_counter()
    resolved = services.resolve_audience(notice)
    audience_s = time.perf_counter() - t0
    assert len(resolved) == n

    # baseline: a raw COPY of the same rows into the same table (another notice, ids from the sequence)
    raw_notice = Notice.objects.create(
        district=district, level="district", sender=admin, title="raw copy baseline", fanout_status="done"
    )
    rows = list(
        NoticeRecipient.objects.filter(notice=notice).values_list(
            "user_id", "role", "student_id", "klass_id", "school_id"
        )
    )
    tuples = [(raw_notice.pk, *r) for r in rows]
    with connection.cursor() as c:
        t0 = time.perf_counter()
        c.execute(
            "SELECT nextval(pg_get_serial_sequence('notices_noticerecipient', 'id')) FROM generate_series(1, %s)",
            [len(tuples)],
        )
        ids = [r[0] for r in c.fetchall()]
        sql = (
            "COPY notices_noticerecipient (id, notice_id, user_id, role, student_id, klass_id, school_id, "
            "receipt_choice, receipt_text, receipt_file, receipt_file_name) FROM STDIN"
        )
        with c.cursor.copy(sql) as copy:
            for new_id, t in zip(ids, tuples, strict=True):
                copy.write_row((new_id, *t, "", "", "", ""))
        raw_s = time.perf_counter() - t0
    raw_rate = len(tuples) / raw_s
    NoticeRecipient.objects.filter(notice=raw_notice).delete()
    raw_notice.delete()

    print(f"send (service call, audience validated, audited): {send_ms:.0f} ms")
    print(f"fan-out: {n:,} recipients in {timing['fanout_s']:.2f} s = {fan_rate:,.0f} recipients/s (target ≥ 20,000/s)")
    print(
        f"  in the task: audience {timing['audience_s']:.2f} s, COPY {timing['write_s']:.2f} s, commit "
        f"{timing['commit_s']:.2f} s; then ANALYZE {timing['analyze_s']:.2f} s (after the rows are visible, not counted)"
    )
    print(f"  the audience query alone (one SQL query, run again afterwards): {audience_s:.2f} s")
    print(
        f"raw COPY of the same rows: {raw_s:.2f} s = {raw_rate:,.0f} rows/s; fan-out / raw = {fan_rate / raw_rate:.2f}"
    )
    print(
        f"sender's page during fan-out ({len(during)} requests): p50 {statistics.median(during):.0f} ms, "
        f"p95 {pct(during, 95):.0f} ms, max {max(during):.0f} ms (target < 300 ms)"
    )
    print(
        f"  calibration, the home page (首页) in the same loop: p50 {statistics.median(home):.0f} ms, "
        f"p95 {pct(home, 95):.0f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"sender's page after fan-out ({len(after)} requests): p50 {statistics.median(after):.0f} ms, "
        f"p95 {pct(after, 95):.0f} ms; live statistics fragment: p50 {statistics.median(stats_after):.0f} ms, "
        f"p95 {pct(stats_after, 95):.0f} ms"
    )


def worker(notice_id: int) -> None:
    """The fan-out of one notice, timed; prints one JSON line."""
    field_key()
    import django

    django.setup()
    from notices import services

    timings: dict = {}
    t0 = time.perf_counter()
    n = services.notice_fanout(notice_id=notice_id, timings=timings)
    fanout_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    services.recipients_analyze(count=n)
    timings["analyze_s"] = time.perf_counter() - t0
    print(json.dumps({"recipients": n, "fanout_s": fanout_s, **timings}), flush=True)


if __name__ == "__main__":
    main()
