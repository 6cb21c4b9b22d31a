"""Benchmark: Chinese full-text search of the resource library vs a plain SQL ``LIKE '%q%'`` over the same rows.

100,000 resources with realistic Chinese titles and descriptions (generated from subject vocabularies and
templates, e.g. 人教版七年级数学上册《有理数的加法》优质课件), at district / school / personal level across 20 schools.
For each database (SQLite file, PostgreSQL) the script measures, as a teacher of one school (so the search starts
from that teacher's visible set), the first result page (20 rows + total count) of ~30 queries, three rounds:

* ours: ``resources.search.search(user, q)`` — jieba tokens, FTS5 bm25 (SQLite) / tsvector ts_rank_cd (PostgreSQL);
* baseline: ``LIKE '%q%'`` on title or description over the same visible rows, newest first.

and prints p50/p95 latency of each, their ratio, and precision@10 on a judged set of 15 queries (relevant = the
generated item's topic, type and grade match the query's intent). Target: p95 < 200 ms, precision above LIKE.

    .venv/bin/python bench/resource_search.py [--rows 100000] [--db sqlite,postgres] [--rounds 3]

Databases: var/bench-resources.sqlite3 and ZX_BENCH_RESOURCES_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/zhixiao_bench_resources); the rows are generated on the first run and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("ZX_BENCH_RESOURCES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhixiao_bench_resources")
SQLITE_PATH = ROOT / "var" / "bench-resources.sqlite3"
SEED = 20261123
SCHOOLS = 20

# subject → (学段, 年级, [(topic, chapter)])
VOCAB = {
    "数学": (
        "junior",
        ["七年级", "八年级", "九年级"],
        [
            "有理数的加法",
            "有理数的乘法",
            "一元一次方程",
            "整式的加减",
            "二元一次方程组",
            "不等式与不等式组",
            "平行线的性质",
            "三角形全等",
            "勾股定理",
            "一次函数",
            "二次函数",
            "一元二次方程",
            "旋转",
            "圆的切线",
            "相似三角形",
            "锐角三角函数",
            "概率初步",
            "数据的分析",
            "反比例函数",
            "平面直角坐标系",
        ],
    ),
    "语文": (
        "junior",
        ["七年级", "八年级", "九年级"],
        [
            "朱自清《春》",
            "《济南的冬天》",
            "《从百草园到三味书屋》",
            "《论语》十二章",
            "《背影》",
            "《岳阳楼记》",
            "《醉翁亭记》",
            "记叙文阅读",
            "说明文阅读",
            "议论文写作",
            "文言文翻译",
            "古诗词鉴赏",
            "名著导读《朝花夕拾》",
            "名著导读《西游记》",
            "修辞手法",
            "病句修改",
        ],
    ),
    "英语": (
        "junior",
        ["七年级", "八年级", "九年级"],
        [
            "一般现在时",
            "现在进行时",
            "一般过去时",
            "现在完成时",
            "被动语态",
            "宾语从句",
            "定语从句",
            "情态动词",
            "形容词比较级",
            "阅读理解技巧",
            "完形填空",
            "书面表达",
            "听力训练",
            "Unit 1 My name's Gina",
        ],
    ),
    "物理": (
        "junior",
        ["八年级", "九年级"],
        [
            "声音的产生与传播",
            "光的反射",
            "光的折射",
            "凸透镜成像规律",
            "物态变化",
            "质量与密度",
            "牛顿第一定律",
            "二力平衡",
            "压强",
            "浮力",
            "杠杆",
            "功和机械能",
            "欧姆定律",
            "电功率",
            "电磁感应",
        ],
    ),
    "化学": (
        "junior",
        ["九年级"],
        [
            "物质的变化和性质",
            "空气的组成",
            "氧气的制取",
            "分子和原子",
            "水的组成",
            "质量守恒定律",
            "化学方程式",
            "碳和碳的氧化物",
            "燃烧与灭火",
            "金属的化学性质",
            "溶液的浓度",
            "酸和碱的中和反应",
            "盐和化肥",
        ],
    ),
    "生物学": (
        "junior",
        ["七年级", "八年级"],
        [
            "细胞的基本结构",
            "光合作用",
            "呼吸作用",
            "绿色植物与生物圈",
            "人体的消化与吸收",
            "血液循环",
            "神经调节",
            "生物的遗传与变异",
            "生态系统",
            "传染病及其预防",
        ],
    ),
    "历史": (
        "junior",
        ["七年级", "八年级", "九年级"],
        [
            "秦统一中国",
            "汉武帝巩固大一统",
            "三国鼎立",
            "隋朝的统一与灭亡",
            "贞观之治",
            "宋代经济的发展",
            "鸦片战争",
            "辛亥革命",
            "五四运动",
            "改革开放",
            "文艺复兴",
            "工业革命",
        ],
    ),
    "地理": (
        "junior",
        ["七年级", "八年级"],
        [
            "地球的运动",
            "经纬网",
            "等高线地形图",
            "世界的气候",
            "中国的地形",
            "中国的河流",
            "中国的气候",
            "北方地区",
            "南方地区",
            "西北地区",
            "青藏地区",
        ],
    ),
    "道德与法治": (
        "junior",
        ["七年级", "八年级", "九年级"],
        [
            "中学时代",
            "友谊的天空",
            "师长情谊",
            "生命的思考",
            "遵守社会规则",
            "维护国家利益",
            "坚持宪法至上",
            "建设美丽中国",
        ],
    ),
}
KINDS = {
    "courseware": [
        "{ed}{grade}{subject}{vol}《{topic}》优质课件",
        "《{topic}》公开课课件",
        "{topic} 新授课课件（{grade}）",
    ],
    "lesson_plan": ["《{topic}》教学设计", "{grade}{subject}《{topic}》教案", "{topic} 优秀教学设计与反思"],
    "guide": ["《{topic}》学习任务单", "{topic} 导学案（{grade}）", "{topic} 预习学案"],
    "micro": ["{topic} 微课视频", "五分钟讲透{topic}（微课）"],
    "paper": ["{topic} 单元测试卷（含答案）", "{grade}{subject}{topic}专项练习", "{topic} 课时作业与分层训练"],
    "material": ["{topic} 教学素材", "{topic} 课堂图片素材包"],
}
KIND_WORDS = {
    "courseware": "课件",
    "lesson_plan": "教学设计",
    "guide": "学习任务单",
    "micro": "微课",
    "paper": "测试卷",
    "material": "素材",
}
EDITIONS = [("人教版", "上册"), ("人教版", "下册"), ("北师大版", "上册"), ("苏教版", "下册"), ("浙教版", "上册")]
SENTENCES = [
    "本资源围绕“{topic}”展开，设计了情境导入、合作探究和当堂检测三个环节。",
    "适用于{grade}{subject}教学，可根据学情删减例题。",
    "配有分层练习和参考答案，便于课后巩固。",
    "通过典型例题帮助学生理解{topic}的核心概念。",
    "复习时可与“{other}”对照学习，形成知识网络。",
    "已在区级公开课中使用，学生参与度高。",
    "包含学习目标、重难点分析、板书设计和课后反思。",
    "练习按基础、提升、拓展三个层次编排。",
]
QUERIES = [
    "有理数的加法",
    "一元二次方程",
    "二次函数 课件",
    "勾股定理 教学设计",
    "三角形全等 测试卷",
    "朱自清 春",
    "背影",
    "岳阳楼记 教案",
    "文言文翻译",
    "现在完成时",
    "定语从句 练习",
    "阅读理解技巧",
    "凸透镜成像规律",
    "欧姆定律 微课",
    "浮力",
    "质量守恒定律",
    "化学方程式 学案",
    "光合作用",
    "血液循环 课件",
    "鸦片战争",
    "辛亥革命 教学设计",
    "贞观之治",
    "中国的地形",
    "等高线地形图 素材",
    "宪法",
    "友谊的天空",
    "分层练习",
    "公开课",
    "七年级 数学 课件",
    "九年级 物理 测试卷",
]
# judged queries: (query, topic or None, kind or None, grade or None, subject or None)
JUDGED = [
    ("有理数的加法 课件", "有理数的加法", "courseware", None, None),
    ("一元二次方程 测试卷", "一元二次方程", "paper", None, None),
    ("勾股定理 教学设计", "勾股定理", "lesson_plan", None, None),
    ("朱自清 春 学习任务单", "朱自清《春》", "guide", None, None),
    ("现在完成时 微课", "现在完成时", "micro", None, None),
    ("欧姆定律 课件", "欧姆定律", "courseware", None, None),
    ("光合作用", "光合作用", None, None, None),
    ("质量守恒定律 教案", "质量守恒定律", "lesson_plan", None, None),
    ("鸦片战争 测试卷", "鸦片战争", "paper", None, None),
    ("中国的地形 素材", "中国的地形", "material", None, None),
    ("凸透镜成像规律", "凸透镜成像规律", None, None, None),
    ("二次函数 九年级 课件", "二次函数", "courseware", None, None),
    ("文言文翻译 学案", "文言文翻译", "guide", None, None),
    ("浮力 微课", "浮力", "micro", None, None),
    ("血液循环 教学设计", "血液循环", "lesson_plan", None, None),
]


def generate(i: int) -> dict:
    """The i-th resource (deterministic): its text parts and the metadata the judged set refers to."""
    rng = random.Random(SEED * 1_000_003 + i)
    subject = rng.choice(list(VOCAB))
    stage, grades, topics = VOCAB[subject]
    topic = rng.choice(topics)
    other = rng.choice(topics)
    grade = rng.choice(grades)
    kind = rng.choice(list(KINDS))
    ed, vol = rng.choice(EDITIONS)
    title = rng.choice(KINDS[kind]).format(ed=ed, grade=grade, subject=subject, vol=vol, topic=topic)
    sentences = [
        s.format(topic=topic, grade=grade, subject=subject, other=other)
        for s in rng.sample(SENTENCES, rng.randint(2, 3))
    ]
    r = rng.random()
    level = "district" if r < 0.6 else ("school" if r < 0.9 else "personal")
    return {
        "i": i,
        "subject": subject,
        "stage": stage,
        "grade": grade,
        "topic": topic,
        "kind": kind,
        "title": title,
        "sentences": sentences,
        "level": level,
        "school": rng.randrange(SCHOOLS),
        "days": rng.randint(0, 700),
    }


def relevant(meta: dict, topic, kind, grade, subject) -> bool:
    return (
        (topic is None or meta["topic"] == topic)
        and (kind is None or meta["kind"] == kind)
        and (grade is None or meta["grade"] == grade)
        and (subject is None or meta["subject"] == subject)
    )


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    f = int(k)
    c = min(f + 1, len(values) - 1)
    return values[f] + (values[c] - values[f]) * (k - f)


def setup_env(db: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhixiao.settings")
    os.environ.setdefault("ZX_SECRET_KEY", "bench-secret")
    os.environ["ZX_DEBUG"] = "0"
    os.environ["ZX_MANIFEST_STATIC"] = "0"
    key_file = ROOT / "var" / "bench-field-key"
    if "ZX_FIELD_KEY" not in os.environ:
        key_file.parent.mkdir(exist_ok=True)
        if not key_file.exists():
            import base64

            key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.environ["ZX_FIELD_KEY"] = key_file.read_text().strip()
    if db == "postgres":
        import psycopg

        dbname = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
                conn.execute(f'CREATE DATABASE "{dbname}"')
        os.environ["DATABASE_URL"] = PG_URL
    else:
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"


def build(rows: int, out) -> dict:
    """Create the district, schools, teachers and ``rows`` resources (once); returns the ids the run needs."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from core import services as core_services
    from core.data.loaders import regions_ensure
    from core.models import District, Region, School, StaffPost, Subject
    from core.testing import make_person, make_user
    from resources.chinese import index_tokens
    from resources.models import Resource

    district = District.objects.filter(name="资源基准区教育局").first()
    if district is None:
        with transaction.atomic():
            regions_ensure(Region)
            district = core_services.district_create(
                actor=None, region=Region.objects.get(code="330211"), name="资源基准区教育局"
            )
            import datetime as dt

            for s in range(SCHOOLS):
                school = School.objects.create(
                    district=district, code=f"31339{s:05d}", name=f"基准第{s + 1}中学", school_type="junior"
                )
                p = make_person(f"基准教师{s + 1}", born=dt.date(1985, 1, 1))
                StaffPost.objects.create(person=p, school=school, post="teacher")
                make_user(p, f"bench_t{s + 1}")
    schools = list(School.objects.filter(district=district).order_by("code"))
    users = {
        sp.school_id: sp.person.user
        for sp in StaffPost.objects.filter(school__in=schools).select_related("person__user")
    }
    have = Resource.objects.filter(district=district).count()
    if have < rows:
        subjects = {s.name: s for s in Subject.objects.filter(district=district)}
        cache: dict[str, str] = {}

        def tok(part: str) -> str:
            if part not in cache:
                cache[part] = " ".join(index_tokens(part))
            return cache[part]

        started = time.monotonic()
        now = timezone.now()
        batch: list[dict] = []
        from core.bulk import bulk_insert_rows

        def flush():
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    bulk_insert_rows(Resource, batch)
                else:
                    Resource.objects.bulk_create([Resource(**row) for row in batch], batch_size=2000)
            batch.clear()

        for i in range(have, rows):
            g = generate(i)
            school = schools[g["school"]]
            created = now - timezone.timedelta(days=g["days"], minutes=i % 1440)
            batch.append(
                {
                    "district_id": district.pk,
                    "school_id": school.pk,
                    "owner_id": users[school.pk].pk,
                    "title": g["title"],
                    "description": "".join(g["sentences"]),
                    "kind": g["kind"],
                    "stage": g["stage"],
                    "subject_id": subjects[g["subject"]].pk,
                    "grade_label": g["grade"],
                    "tags": "",
                    "file": f"resources/bench/{i}.pdf",
                    "file_type": "pdf",
                    "mime": "application/pdf",
                    "size": 1000,
                    "sha256": f"{i:064d}",
                    "original_name": f"bench-{i}.pdf",
                    "preview_pdf": "",
                    "level": g["level"],
                    "review_state": "",
                    "review_note": "",
                    "extracted_text": "",
                    "extract_status": "none",
                    "search_title": tok(g["title"]),
                    "search_text": " ".join(tok(s) for s in g["sentences"]),
                    "download_count": (i * 7919) % 300,
                    "rating_count": i % 7,
                    "rating_avg": round(3 + (i % 5) * 0.4, 1) if i % 7 else 0,
                    "favorite_count": 0,
                    "created_at": created,
                    "updated_at": created,
                    "school_approved_at": created if g["level"] != "personal" else None,
                    "district_approved_at": created if g["level"] == "district" else None,
                    "retired_at": None,
                }
            )
            if len(batch) >= 5000:
                flush()
        if batch:
            flush()
        if connection.vendor == "sqlite":
            with connection.cursor() as c:
                c.execute("INSERT INTO resources_fts(resources_fts) VALUES ('optimize')")
                c.execute("ANALYZE")
        else:
            with connection.cursor() as c:
                c.execute("ANALYZE resources_resource")
        out(f"  生成 {rows - have:,} 个资源，用时 {time.monotonic() - started:.1f} 秒")
    return {"user_id": users[schools[0].pk].pk}


def run_one(db: str, rows: int, rounds: int) -> dict:
    setup_env(db)
    import django

    django.setup()
    from core.models import User
    from resources.search import count_capped, like_search, search
    from resources.selectors import resources_visible

    def out(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    ids = build(rows, out)
    user = User.objects.get(pk=ids["user_id"])
    visible = resources_visible(user).count()

    def ours(q):
        qs = search(user, q)
        return [r.original_name for r in qs[:20]], count_capped(qs)

    def like(q):
        qs = like_search(resources_visible(user), q)
        return [r.original_name for r in qs[:20]], count_capped(qs)

    for q in QUERIES[:3]:  # warm caches and the jieba dictionary
        ours(q)
        like(q)
    t_ours, t_like, cpu_ours, hits = [], [], [], {}
    for _round in range(rounds):
        for q in QUERIES:
            t, c = time.perf_counter(), time.process_time()
            _page, n = ours(q)
            t_ours.append((time.perf_counter() - t) * 1000)
            cpu_ours.append((time.process_time() - c) * 1000)
            hits[q] = n
            t = time.perf_counter()
            like(q)
            t_like.append((time.perf_counter() - t) * 1000)

    def precision(fn) -> float:
        scores = []
        for q, topic, kind, grade, subject in JUDGED:
            names, _n = fn(q)
            top = names[:10]
            good = sum(1 for name in top if relevant(generate(int(name[6:-4])), topic, kind, grade, subject))
            scores.append(good / 10)
        return statistics.mean(scores)

    return {
        "db": db,
        "rows": rows,
        "visible": visible,
        "queries": len(QUERIES),
        "rounds": rounds,
        "ours_p50": statistics.median(t_ours),
        "ours_p95": _pct(t_ours, 0.95),
        "cpu_p95": _pct(cpu_ours, 0.95),
        "load": os.getloadavg()[0],
        "like_p50": statistics.median(t_like),
        "like_p95": _pct(t_like, 0.95),
        "p_at_10_ours": precision(ours),
        "p_at_10_like": precision(like),
        "median_hits": statistics.median(hits.values()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.rows, args.rounds)))
        return
    print(
        f"资源检索基准：{args.rows:,} 个资源，{len(QUERIES)} 个查询 × {args.rounds} 轮，首页 20 条 + 计数（上限 1000）"
    )
    for db in args.db.split(","):
        print(f"[{db}]", flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--one", db, "--rows", str(args.rows), "--rounds", str(args.rounds)],
            stdout=subprocess.PIPE,
            check=True,
        )
        r = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        print(
            f"  教师可见 {r['visible']:,} 个；本检索 p50 {r['ours_p50']:.1f} ms、p95 {r['ours_p95']:.1f} ms；"
            f"LIKE p50 {r['like_p50']:.1f} ms、p95 {r['like_p95']:.1f} ms；"
            f"p95 比值（本检索/LIKE）{r['ours_p95'] / r['like_p95']:.2f}；"
            f"precision@10 本检索 {r['p_at_10_ours']:.2f} vs LIKE {r['p_at_10_like']:.2f}；"
            f"目标 p95 < 200 ms：{'达到' if r['ours_p95'] < 200 else '未达到'}"
        )
        if db == "sqlite":  # SQLite runs in this process: its CPU time is the query's own cost, whatever the load
            print(f"  （本检索进程 CPU 时间 p95 {r['cpu_p95']:.1f} ms；测量时系统负载 {r['load']:.1f}）")
        else:
            print(f"  （测量时系统负载 {r['load']:.1f}）")


if __name__ == "__main__":
    main()
