"""Name material for the demo generator: surnames weighted by real frequency, given-name characters by
generation and sex, and place names of 宁波市镇海区 for schools and addresses.

Surname weights are per ten thousand of the population, after the 公安部 户籍 statistics (2020 年全国姓名
报告), nudged towards the surnames that are more common in 宁波 (徐、周、胡、林、俞、应、邬、竺、乐 …).
"""

from __future__ import annotations

import random
from itertools import accumulate

# (surname, weight per 10,000)
SURNAMES: list[tuple[str, float]] = [
    ("王", 720),
    ("李", 620),
    ("张", 640),
    ("刘", 420),
    ("陈", 620),
    ("杨", 300),
    ("黄", 220),
    ("赵", 200),
    ("吴", 250),
    ("周", 260),
    ("徐", 260),
    ("孙", 160),
    ("马", 100),
    ("朱", 150),
    ("胡", 190),
    ("郭", 100),
    ("何", 110),
    ("林", 190),
    ("罗", 80),
    ("高", 110),
    ("郑", 120),
    ("梁", 70),
    ("谢", 80),
    ("宋", 70),
    ("唐", 70),
    ("许", 70),
    ("韩", 60),
    ("邓", 50),
    ("冯", 60),
    ("曹", 60),
    ("彭", 40),
    ("曾", 40),
    ("肖", 50),
    ("田", 40),
    ("董", 60),
    ("潘", 60),
    ("袁", 70),
    ("蔡", 60),
    ("蒋", 70),
    ("余", 70),
    ("于", 40),
    ("杜", 40),
    ("叶", 90),
    ("程", 50),
    ("魏", 40),
    ("苏", 40),
    ("吕", 50),
    ("丁", 50),
    ("任", 40),
    ("卢", 40),
    ("姚", 60),
    ("沈", 90),
    ("钟", 30),
    ("姜", 40),
    ("崔", 20),
    ("谭", 20),
    ("陆", 70),
    ("范", 40),
    ("汪", 50),
    ("廖", 20),
    ("石", 30),
    ("金", 70),
    ("韦", 15),
    ("贾", 25),
    ("夏", 40),
    ("付", 25),
    ("方", 50),
    ("邹", 25),
    ("熊", 20),
    ("白", 20),
    ("孟", 20),
    ("秦", 20),
    ("邱", 25),
    ("侯", 20),
    ("江", 30),
    ("尹", 15),
    ("薛", 20),
    ("闫", 15),
    ("段", 15),
    ("雷", 15),
    ("龙", 10),
    ("黎", 10),
    ("史", 35),
    ("陶", 25),
    ("贺", 20),
    ("毛", 35),
    ("郝", 10),
    ("顾", 35),
    ("龚", 20),
    ("邵", 45),
    ("万", 15),
    ("覃", 10),
    ("武", 15),
    ("钱", 40),
    ("戴", 30),
    ("严", 25),
    ("莫", 15),
    ("孔", 15),
    ("向", 10),
    ("常", 10),
    ("汤", 25),
    ("康", 10),
    ("易", 10),
    ("乔", 10),
    ("赖", 10),
    ("文", 10),
    ("施", 25),
    ("洪", 25),
    ("章", 35),
    ("柴", 15),
    ("裘", 10),
    # 宁波一带的特色姓氏
    ("俞", 45),
    ("应", 40),
    ("邬", 25),
    ("虞", 20),
    ("竺", 12),
    ("乐", 15),
    ("贝", 8),
    ("忻", 10),
    ("鲍", 15),
    ("屠", 12),
    ("翁", 20),
    ("楼", 15),
    ("包", 20),
    ("岑", 10),
    ("童", 15),
    ("傅", 40),
    # 复姓（少见）
    ("欧阳", 4),
    ("司马", 1),
    ("诸葛", 1),
    ("上官", 1),
]

# Given names: first character and second character pools by generation and sex. A name is either a
# single character from the second pool (单名) or first + second (双名).
CHILD_MALE_1 = "子梓浩宇俊皓泽晨博文铭睿一家承逸嘉天思明书锦奕彦昊煜航沐瑾亦景"
CHILD_MALE_2 = "轩宇涵辰泽阳睿航杰豪铭宸熙然博帆诚哲晨瑞翔霖远川恒安煜凯毅楠乐屹衡"
CHILD_FEMALE_1 = "梓欣子诗雨语思可依佳若一紫芷沐雅静嘉艺心安晓欣悦婉映乐书"
CHILD_FEMALE_2 = "涵怡桐萱琪妍馨悦彤瑶蕊汐诺然琳希雯晴玥菲婷颖柔宁薇萌璐淇瑜"
ADULT_MALE_1 = "建志伟国晓立文海永俊振宏家明学小军旭春东庆红世德"
ADULT_MALE_2 = "伟强军勇杰涛斌磊超鹏华明波辉刚平峰健浩海飞林斌锋亮龙杰军荣"
ADULT_FEMALE_1 = "晓丽海小春秀美雪玉艳慧静红亚燕彩文佳凤素"
ADULT_FEMALE_2 = "芳娟敏静丽燕霞艳玲红梅琳婷萍雪慧洁丹倩蕾英华颖莉娜琴妹珍"
ELDER_MALE = [
    "建国",
    "国庆",
    "德明",
    "志刚",
    "学军",
    "振华",
    "国华",
    "永康",
    "财根",
    "阿根",
    "根发",
    "金龙",
    "水生",
    "志明",
]
ELDER_FEMALE = [
    "秀英",
    "桂英",
    "凤英",
    "玉兰",
    "秀兰",
    "桂芳",
    "美娟",
    "彩娣",
    "月仙",
    "雪芬",
    "素芬",
    "菊芬",
    "金娣",
    "爱华",
]


class NameMaker:
    """Weighted Chinese names from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._surnames = [s for s, _ in SURNAMES]
        self._cum = list(accumulate(w for _, w in SURNAMES))

    def surname(self) -> str:
        return self.rng.choices(self._surnames, cum_weights=self._cum)[0]

    def given(self, gender: str, generation: str = "child") -> str:
        """``generation`` is ``child`` (born after 2005), ``adult`` (1965–2000) or ``elder`` (before 1970)."""
        rng = self.rng
        male = gender == "1"
        if generation == "elder":
            return rng.choice(ELDER_MALE if male else ELDER_FEMALE)
        if generation == "child":
            first, second, single = (
                (CHILD_MALE_1, CHILD_MALE_2, 0.08) if male else (CHILD_FEMALE_1, CHILD_FEMALE_2, 0.06)
            )
        else:
            first, second, single = (
                (ADULT_MALE_1, ADULT_MALE_2, 0.30) if male else (ADULT_FEMALE_1, ADULT_FEMALE_2, 0.25)
            )
        if rng.random() < single:
            return rng.choice(second)
        a, b = rng.choice(first), rng.choice(second)
        if a == b and rng.random() < 0.5:
            b = rng.choice(second)  # 叠字 names (婷婷) stay, but less often than chance would make them
        return a + b

    def full(self, gender: str, generation: str = "child", surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(gender, generation)


# --- places (宁波市镇海区) ---------------------------------------------------------------------------

STREETS = ["招宝山街道", "蛟川街道", "骆驼街道", "庄市街道", "贵驷街道", "澥浦镇", "九龙湖镇"]
ROADS = [
    "车站路",
    "胜利路",
    "城河西路",
    "东大街",
    "南大街",
    "公园路",
    "庄市大道",
    "骆兴路",
    "民和路",
    "蛟川路",
    "金华路",
    "镇宁路",
    "明海路",
    "中官西路",
    "俞范东路",
    "雄镇路",
    "聚源路",
    "兴庄路",
    "永旺路",
    "九龙大道",
    "澥浦大道",
    "临江路",
    "港城大道",
    "沿江路",
]
# Prefixes for invented school names beyond the six named demo schools.
SCHOOL_PLACES = [
    "招宝山",
    "蛟川",
    "骆驼",
    "庄市",
    "贵驷",
    "澥浦",
    "九龙湖",
    "应行久",
    "中心",
    "城关",
    "炼化",
    "后海塘",
    "涨鉴",
    "汶溪",
    "河头",
    "十七房",
    "棉丰",
    "迎周",
    "清水浦",
    "田顾",
    "勤勇",
    "万市",
    "兴庄",
    "东邑",
    "西门",
    "南洋",
    "北辰",
    "明德",
    "育才",
    "启明",
    "新城",
    "锦绣",
    "文昌",
    "尚志",
    "求实",
    "崇正",
    "静远",
    "甬江",
    "海天",
    "江南",
    "宏远",
    "书香",
    "阳光",
    "春晖",
    "致远",
    "梓荫",
    "思源",
    "弘毅",
    "博雅",
    "南山",
    "东海",
    "望海",
    "青峙",
    "长石",
    "觉渡",
    "永丰",
    "金川",
    "联兴",
    "和美",
    "清风",
]
CN_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 105 → 一百零五 (enough for school numbering)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = CN_DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + CN_DIGITS[rest]
    return head + (CN_DIGITS[rest // 10] + "十" + (CN_DIGITS[rest % 10] if rest % 10 else ""))
