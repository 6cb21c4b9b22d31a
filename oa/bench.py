"""Benchmark of 行政办公 on PostgreSQL (a fresh database ZX_OA_BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/zx_oa_bench, recreated on every run).

1. Approvals: N leaves submitted and passed through the two-step chain with the services (permission checks,
   approver resolution, timeline, audit, notifications) vs the same rows written by bare ``create`` calls.
2. 待我审批: p50/p95 of the inbox page of an approver with N pending requests, and its query count.
3. 工资签单: importing a payslip sheet of R rows (read, validate against the school's staff, encrypt, write) vs
   a bare ``bulk_create`` of the same encrypted rows.

    .venv/bin/python -m oa.bench [--requests 300] [--rows 2000]
"""

import argparse
import base64
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhixiao.settings")
URL = os.environ.get("ZX_OA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zx_oa_bench")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("ZX_SECRET_KEY", "bench-secret")
os.environ["ZX_DEBUG"] = "0"
os.environ["ZX_MANIFEST_STATIC"] = "0"
os.environ.setdefault("ZX_ALLOWED_HOSTS", "testserver")
# a throwaway key: the database is recreated on every run
os.environ.setdefault("ZX_FIELD_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())


def recreate_database() -> None:
    import psycopg

    dbname = URL.rsplit("/", 1)[1]
    with psycopg.connect(URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--rows", type=int, default=2000)
    args = ap.parse_args()
    recreate_database()
    import django

    django.setup()
    import datetime as dt
    import json

    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    call_command("migrate", verbosity=0)
    from core.models import Person, StaffPost
    from core.testing import build_world, login
    from oa import services
    from oa.models import ApprovalRequest, ApprovalStep, PayrollBatch, Payslip
    from oa.testing import add_leaders, next_monday, payroll_xlsx

    w = build_world()
    add_leaders(w)
    monday = next_monday()
    n = args.requests

    # 1. approvals through the services vs bare rows
    started = time.perf_counter()
    for i in range(n):
        req = services.request_submit(
            actor=w.teacher_a,
            school=w.school_a,
            request_type="leave",
            reason="病假",
            start_date=monday + dt.timedelta(days=7 * (i % 40)),
            end_date=monday + dt.timedelta(days=7 * (i % 40) + 3),
            details={"leave_type": "sick"},
        )
        services.request_act(actor=w.director_user, request=req, decision="approve")
        services.request_act(actor=w.school_admin_a, request=req, decision="approve")
    svc = time.perf_counter() - started
    started = time.perf_counter()
    for _i in range(n):
        req = ApprovalRequest.objects.create(
            school=w.school_a, applicant=w.teacher_a, request_type="leave", title="x", status="approved"
        )
        ApprovalStep.objects.create(request=req, order=1, label="a", approver=w.director_user, status="approved")
        ApprovalStep.objects.create(request=req, order=2, label="b", approver=w.school_admin_a, status="approved")
    bare = time.perf_counter() - started
    print(f"审批：{n} 份请假 × 2 步，service {n / svc:,.0f} 份/秒，裸写入 {n / bare:,.0f} 份/秒，比值 {bare / svc:.2f}")

    # 2. the inbox of an approver with n pending requests
    for i in range(n):
        services.request_submit(
            actor=w.head_teacher_a1 if i % 2 else w.head_teacher_a2,
            school=w.school_a,
            request_type="leave",
            reason="事假",
            start_date=monday + dt.timedelta(days=7 * (i % 40)),
            end_date=monday + dt.timedelta(days=7 * (i % 40)),
            details={"leave_type": "personal"},
        )
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        client = Client()
        login(client, w.director_user)
        times = []
        for _ in range(30):
            t = time.perf_counter()
            r = client.get("/oa/approvals/")
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            client.get("/oa/approvals/")
    print(
        f"待我审批（{n} 条待办，每页 50 条）：p50 {statistics.median(times):.0f} ms，"
        f"p95 {_pct(times, 95):.0f} ms，{len(ctx.captured_queries)} 条查询"
    )
    reset_queries()

    # 3. payroll import of R rows
    rows = args.rows
    people = [Person(name=f"教师{i:05d}", gender="1") for i in range(rows)]
    Person.objects.bulk_create(people, batch_size=1000)
    people = list(Person.objects.filter(name__startswith="教师").order_by("pk"))
    StaffPost.objects.bulk_create(
        [StaffPost(person=p, school=w.school_b, post="teacher", staff_no=f"Z{i:05d}") for i, p in enumerate(people)],
        batch_size=1000,
    )
    data = payroll_xlsx([[f"Z{i:05d}", p.name, 3200 + i % 7, 1800, 2500, 310.5, 7189.5] for i, p in enumerate(people)])
    started = time.perf_counter()
    batch = services.payroll_upload(
        actor=w.school_admin_b, school=w.school_b, month=dt.date(2026, 10, 1), data=data, filename="工资.xlsx"
    )
    imp = time.perf_counter() - started
    assert batch.slips.count() == rows
    amounts = json.dumps([["岗位工资", "3200.00"], ["实发工资", "7189.50"]], ensure_ascii=False)
    other = PayrollBatch.objects.create(
        school=w.school_b, month=dt.date(2026, 9, 1), title="x", uploaded_by=w.school_admin_b
    )
    started = time.perf_counter()
    Payslip.objects.bulk_create(
        [Payslip(batch=other, person=p, name=p.name, row=i, amounts=amounts) for i, p in enumerate(people)],
        batch_size=1000,
    )
    bare = time.perf_counter() - started
    print(
        f"工资签单导入：{rows:,} 行 {imp:.2f} 秒（{rows / imp:,.0f} 行/秒），"
        f"裸 bulk_create {bare:.2f} 秒，比值 {bare / imp:.2f}"
    )


if __name__ == "__main__":
    main()
