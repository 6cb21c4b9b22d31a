"""Benchmark of the knowledge-point tree at district scale, on PostgreSQL (ZX_BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/zx_knowledge_bench; created and migrated on first run).

A synthetic 高中数学 tree of 20 chapters × 10 sections × 25 points (5,220 nodes) with about 7,500 prerequisite
links (each point needs one or two earlier points: a DAG) is imported from a generated .xlsx, then re-imported
(nothing changes). Then, as a teacher of the district, through the Django test client: the tree page, opening a
chapter (htmx children), a node page (prerequisite graph), a search, the whole tree through the API; and the
cycle check of ``prerequisite_add`` on that graph (refused and accepted). Prints p50/p95 per step.

    .venv/bin/python -m knowledge.bench [--chapters 20 --sections 10 --points 25] [--requests 40]
"""

import sys

# run as a script, this folder would come first on sys.path and knowledge/selectors.py would shadow the
# standard library's ``selectors``
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("knowledge")]

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhixiao.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "ZX_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zx_knowledge_bench"
)
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


def rows_for(chapters: int, sections: int, points: int, seed: int = 7) -> list[list]:
    rng = random.Random(seed)
    rows, done = [], []
    for c in range(1, chapters + 1):
        ch = (f"B-{c}", f"第{c}章 函数与方程综合")
        rows.append(["高中", "数学", *ch, "", "", "", "", "", "", ""])
        for s in range(1, sections + 1):
            se = (f"B-{c}-{s}", f"第{c}.{s}节 导数及其应用")
            rows.append(["高中", "数学", *ch, *se, "", "", "", "", ""])
            for p in range(1, points + 1):
                code = f"B-{c}-{s}-{p}"
                pre = rng.sample(done[-400:], k=min(len(done), rng.choice([1, 1, 2]))) if done else []
                rows.append(["高中", "数学", *ch, *se, code, f"知识点{c}.{s}.{p} 单调性与极值", "", "", "、".join(pre)])
                done.append(code)
    return rows


def workbook(rows) -> bytes:
    from openpyxl import Workbook

    from knowledge.importer import HEADERS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("知识点")
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def timed(fn, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chapters", type=int, default=20)
    ap.add_argument("--sections", type=int, default=10)
    ap.add_argument("--points", type=int, default=25)
    ap.add_argument("--requests", type=int, default=40)
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
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from core import services as core_services
    from core.data.loaders import regions_ensure
    from core.models import District, Region, School, StaffPost, Subject, User
    from core.testing import login, make_person, make_user
    from knowledge.importer import import_tree
    from knowledge.models import KnowledgeNode
    from knowledge.services import prerequisite_add

    regions_ensure(Region)
    district = District.objects.filter(region__code="330206").first()
    if district is None:
        district = core_services.district_create(actor=None, region=Region.objects.get(code="330206"), name="基准区")
    math = Subject.objects.get(district=district, name="数学")
    teacher = User.objects.filter(username="kn_bench_teacher").first()
    if teacher is None:
        school = School.objects.create(district=district, code="3133009901", name="基准高中", school_type="senior")
        p = make_person("基准老师", born=__import__("datetime").date(1990, 1, 1))
        StaffPost.objects.create(person=p, school=school, post="teacher", main_subject=math)
        teacher = make_user(p, "kn_bench_teacher")
    admin = User.objects.filter(username="kn_bench_admin").first()
    if admin is None:
        from core.models import RoleGrant

        admin = make_user(make_person("基准管理员", born=__import__("datetime").date(1980, 1, 1)), "kn_bench_admin")
        RoleGrant.objects.create(user=admin, role="district_admin", district=district)

    rows = rows_for(args.chapters, args.sections, args.points)
    data = workbook(rows)
    KnowledgeNode.prerequisites.through.objects.filter(from_knowledgenode__district=district).delete()
    KnowledgeNode.editions.through.objects.filter(knowledgenode__district=district).delete()
    KnowledgeNode.objects.filter(district=district).update(parent=None)
    KnowledgeNode.objects.filter(district=district).delete()

    t = time.perf_counter()
    r1 = import_tree(district=district, actor=None, data=data, filename="bench.xlsx")
    first = time.perf_counter() - t
    assert r1.ok, r1.errors[:3]
    t = time.perf_counter()
    r2 = import_tree(district=district, actor=None, data=data, filename="bench.xlsx")
    again = time.perf_counter() - t
    assert r2.ok and r2.created == 0 and r2.updated == 0
    links = KnowledgeNode.prerequisites.through.objects.filter(from_knowledgenode__district=district).count()
    print(f"tree: {r1.created:,} nodes, {links:,} prerequisite links ({len(data) / 1024:.0f} KB xlsx)")
    print(f"import (create):      {first * 1000:8.0f} ms  ({r1.created / first:,.0f} nodes/s)")
    print(f"re-import (no change): {again * 1000:7.0f} ms")

    c = Client()
    login(c, teacher)
    tree_q = {"stage": "senior", "subject": math.pk}
    ch = KnowledgeNode.objects.get(district=district, code="B-10")
    pt = KnowledgeNode.objects.get(district=district, code=f"B-{args.chapters}-{args.sections}-{args.points}")

    def get(url, params=None):
        def run():
            resp = c.get(url, params or {})
            assert resp.status_code == 200, (url, resp.status_code)

        return run

    n = args.requests
    for label, fn in [
        ("baseline: account page", get("/account/")),
        ("tree page (chapters)", get("/knowledge/", tree_q)),
        ("open a chapter (htmx)", get("/knowledge/children/", {**tree_q, "parent": ch.pk})),
        ("node page + graph", get(f"/knowledge/nodes/{pt.pk}/")),
        ("search 单调性 (all hit)", get("/knowledge/", {**tree_q, "q": "单调性"})),
        ("search by code", get("/knowledge/", {**tree_q, "q": "B-7-3-1"})),
        ("API whole tree", get("/api/v1/knowledge/tree", tree_q)),
    ]:
        fn()  # warm
        p50, p95 = timed(fn, n)
        print(f"{label:24s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")

    # cycle check: making the last point a prerequisite of the first is refused (it depends on it transitively
    # or not — either way the walk covers the reachable graph); accepted links are rolled back
    from django.core.exceptions import ValidationError
    from django.db import transaction

    first_pt = KnowledgeNode.objects.get(district=district, code="B-1-1-2")
    samples = []
    for _ in range(10):
        t = time.perf_counter()
        outcome = "accepted"
        try:
            with transaction.atomic():
                prerequisite_add(actor=admin, node=first_pt, prerequisite=pt)
                raise RuntimeError("rollback")
        except ValidationError:
            outcome = "refused (loop)"
        except RuntimeError:
            pass
        samples.append((time.perf_counter() - t) * 1000)
    print(f"prerequisite_add check  p50 {statistics.median(samples):7.1f} ms   ({outcome}, {links:,} links walked)")


if __name__ == "__main__":
    main()
