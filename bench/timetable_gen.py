"""Generate a realistic Chinese secondary school (完全中学) timetabling problem.

60 classes by default (初一~高三, 10 per grade), 5 days × 8 periods (4 in the morning,
Wednesday's last two periods blocked for 教研活动), home rooms, labs, PE fields,
连堂, 走班 blocks in 高三, a music teacher shared with another school.

    python bench/timetable_gen.py --classes 60        # prints a summary
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timetable.engine.model import Lesson, Problem, Room, StudentGroup, Teacher, Week

GRADES = ["初一", "初二", "初三", "高一", "高二", "高三"]
# subject -> (periods per week, room type or None, main subject, 连堂 periods of the week)
PLAN = {
    "初一": {
        "语文": 5,
        "数学": 5,
        "英语": 5,
        "道德与法治": 2,
        "历史": 2,
        "地理": 2,
        "生物": 2,
        "体育": 3,
        "音乐": 1,
        "美术": 1,
        "信息技术": 1,
        "班会": 1,
    },
    "初二": {
        "语文": 5,
        "数学": 5,
        "英语": 5,
        "物理": 3,
        "道德与法治": 2,
        "历史": 2,
        "地理": 2,
        "生物": 2,
        "体育": 3,
        "音乐": 1,
        "美术": 1,
        "班会": 1,
    },
    "初三": {
        "语文": 5,
        "数学": 5,
        "英语": 5,
        "物理": 3,
        "化学": 3,
        "道德与法治": 2,
        "历史": 2,
        "体育": 3,
        "音乐": 1,
        "班会": 1,
    },
    "高一": {
        "语文": 5,
        "数学": 5,
        "英语": 5,
        "物理": 3,
        "化学": 2,
        "生物": 2,
        "思想政治": 2,
        "历史": 2,
        "地理": 2,
        "体育": 2,
        "信息技术": 1,
        "班会": 1,
    },
    "高二": {
        "语文": 5,
        "数学": 5,
        "英语": 5,
        "物理": 3,
        "化学": 3,
        "生物": 2,
        "思想政治": 2,
        "历史": 2,
        "地理": 2,
        "体育": 2,
        "班会": 1,
    },
    "高三": {"语文": 5, "数学": 5, "英语": 5, "体育": 2, "班会": 1},
}
ROOM_TYPE = {"体育": "操场", "信息技术": "计算机房", "音乐": "音乐教室", "美术": "美术教室"}
MAIN = {"语文", "数学", "英语"}
# classes per teacher by subject (main subjects: 2 classes, minor ones more)
LOAD = {
    "语文": 2,
    "数学": 2,
    "英语": 2,
    "物理": 4,
    "化学": 4,
    "生物": 5,
    "思想政治": 5,
    "道德与法治": 5,
    "历史": 5,
    "地理": 5,
    "体育": 5,
    "音乐": 10,
    "美术": 10,
    "信息技术": 10,
    "班会": 1,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
CN_NUM = "一二三四五六七八九十"


def generate(classes: int = 60, *, seed: int = 1) -> Problem:
    rng = random.Random(seed)
    per_grade = max(1, classes // len(GRADES))
    week = Week(days=5, periods=8, morning=4, blocked={(2, 6), (2, 7)}, breaks_after=set())
    groups: list[StudentGroup] = []
    rooms: list[Room] = []
    lessons: list[Lesson] = []
    teachers: list[Teacher] = []
    used_names: set[str] = set()

    def new_teacher(subject: str) -> Teacher:
        while True:
            name = f"{rng.choice(SURNAMES)}{rng.choice('明华丽静伟芳军敏强磊洋艳勇娟涛超霞平刚桂英')}{rng.choice(['', '红', '燕', '鹏', '杰', '玲'])}"
            if name not in used_names:
                used_names.add(name)
                break
        t = Teacher(id=f"t{len(teachers) + 1}", name=f"{name}（{subject}）", max_per_day=6, max_consecutive=3)
        teachers.append(t)
        return t

    for rt, n in (
        ("操场", 6),
        ("计算机房", 2),
        ("音乐教室", 2),
        ("美术教室", 1),
        ("物理实验室", 2),
        ("化学实验室", 2),
        ("走班教室", 6),
    ):
        for i in range(n):
            rooms.append(Room(id=f"{rt}{i + 1}", name=f"{rt}{i + 1}", type=rt, capacity=60 if rt != "操场" else 200))
    total_classes = 0
    for grade in GRADES:
        grade_groups = []
        for k in range(per_grade):
            gid = f"{grade}-{k + 1}"
            room = Room(id=f"r-{gid}", name=f"{grade}({k + 1})班教室", type="普通教室", capacity=55)
            rooms.append(room)
            group = StudentGroup(id=gid, name=f"{grade}({k + 1})班", home_room=room.id)
            groups.append(group)
            grade_groups.append(group)
            total_classes += 1
        chinese_teacher: dict[str, Teacher] = {}
        math_teacher: dict[str, Teacher] = {}
        for subject, hours in PLAN[grade].items():
            per_teacher = LOAD[subject]
            teacher = None
            for k, group in enumerate(grade_groups):
                if subject == "班会":
                    # 班主任: the 语文 teacher for odd classes, the 数学 teacher for even ones
                    teacher = (chinese_teacher if k % 2 == 0 else math_teacher)[group.id]
                elif k % per_teacher == 0:
                    teacher = new_teacher(subject)
                if subject == "语文":
                    chinese_teacher[group.id] = teacher
                if subject == "数学":
                    math_teacher[group.id] = teacher
                base = {
                    "subject": subject,
                    "groups": [group.id],
                    "teachers": [teacher.id],
                    "room_type": ROOM_TYPE.get(subject),
                    "size": 48,
                    "main": subject in MAIN,
                    "name": f"{group.name} {subject}",
                }
                if subject == "语文" and grade in ("高二", "高三"):
                    # 作文课连堂 once a week
                    lessons.append(
                        Lesson(
                            id=f"{group.id}-{subject}-2",
                            count=1,
                            duration=2,
                            **{**base, "name": f"{group.name} {subject}（连堂）"},
                        )
                    )
                    lessons.append(Lesson(id=f"{group.id}-{subject}", count=hours - 2, **base))
                elif subject == "物理" and grade == "高一":
                    lessons.append(
                        Lesson(
                            id=f"{group.id}-{subject}-lab",
                            count=1,
                            **{**base, "room_type": "物理实验室", "name": f"{group.name} 物理实验"},
                        )
                    )
                    lessons.append(Lesson(id=f"{group.id}-{subject}", count=hours - 1, **base))
                elif subject == "化学" and grade == "初三":
                    lessons.append(
                        Lesson(
                            id=f"{group.id}-{subject}-lab",
                            count=1,
                            **{**base, "room_type": "化学实验室", "name": f"{group.name} 化学实验"},
                        )
                    )
                    lessons.append(Lesson(id=f"{group.id}-{subject}", count=hours - 1, **base))
                elif subject == "班会":
                    lessons.append(Lesson(id=f"{group.id}-{subject}", count=1, fixed=[(4, 7)], **base))
                else:
                    lessons.append(Lesson(id=f"{group.id}-{subject}", count=hours, **base))
        if grade == "高三":
            # 选考走班: two blocks of six teaching groups drawn from all classes of the grade
            for block, subjects in (
                ("选考A", ["物理", "化学", "生物", "物理", "化学", "地理"]),
                ("选考B", ["历史", "思想政治", "地理", "生物", "历史", "化学"]),
            ):
                for i, subject in enumerate(subjects):
                    tg = StudentGroup(
                        id=f"{grade}-{block}-{i + 1}",
                        name=f"{grade}{block}{subject}{CN_NUM[i]}班",
                        overlaps=[g.id for g in grade_groups],
                    )
                    groups.append(tg)
                    teacher = new_teacher(subject)
                    lessons.append(
                        Lesson(
                            id=f"{tg.id}-{subject}",
                            subject=subject,
                            groups=[tg.id],
                            teachers=[teacher.id],
                            count=5,
                            room_type="走班教室",
                            size=45,
                            block=f"{grade}{block}",
                            name=f"{tg.name}",
                        )
                    )
    # a music teacher shared with another school: not available on Thursday and Friday
    for t in teachers:
        if "音乐" in t.name:
            t.unavailable = {(d, p) for d in (3, 4) for p in range(8)}
            break
    # some teachers prefer no first period on Monday (soft)
    for t in teachers[::7]:
        t.preferred_off = {(0, 0)}
    return Problem(
        week=week, teachers=teachers, groups=groups, rooms=rooms, lessons=lessons, name=f"{total_classes}个班的完全中学"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    p = generate(args.classes, seed=args.seed)
    periods = sum(lesson.count * lesson.duration for lesson in p.lessons)
    occurrences = sum(lesson.count for lesson in p.lessons)
    print(
        f"{p.name}: 班级/教学班 {len(p.groups)}，教师 {len(p.teachers)}，教室 {len(p.rooms)}，课程 {len(p.lessons)}，每周 {occurrences} 次课（{periods} 节）"
    )


if __name__ == "__main__":
    main()
