"""The MoE 学籍 template: one column list shared by import, export and validation.

Column order and ★ (required) marks follow the 学生基本信息表 template (../shared/reference/roster-standards.md §1).
``target`` says where a value lives: "person.<field>", "student.<field>", "profile.<field>", or a special
key handled by the importer ("school_code", "grade", "klass"). ``codes`` names a roster.CodeTable kind.
``kind`` is the value type: text, code, date (YYYYMMDD), month (YYYYMM), id_number, phone, bool, decimal.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str
    target: str
    required: bool = False
    kind: str = "text"
    codes: str = ""
    max_length: int = 0


COLUMNS: list[Column] = [
    Column("学校标识码", "school_code", True, max_length=10),
    Column("姓名", "person.name", True, max_length=50),
    Column("性别", "person.gender", True, "code", "gender"),
    Column("出生日期", "person.birth_date", True, "date"),
    Column("出生地", "profile.birthplace", True, max_length=12),
    Column("籍贯", "profile.native_place", True, max_length=60),
    Column("民族", "person.ethnicity", True, "code", "ethnicity"),
    Column("国籍/地区", "profile.nationality", True, "code", "nationality"),
    Column("身份证件类型", "person.id_type", True, "code", "id_type"),
    Column("身份证件号", "person.id_number", False, "id_number"),
    Column("港澳台侨外", "profile.hk_mo_tw", True, "code", "hk_mo_tw"),
    Column("政治面貌", "profile.political_status", False, "code", "political_status"),
    Column("健康状况", "profile.health", True, "code", "health"),
    Column("姓名拼音", "profile.name_pinyin", False, max_length=100),
    Column("曾用名", "profile.former_name", False, max_length=50),
    Column("身份证件有效期", "profile.id_valid_until", False, max_length=30),
    Column("户口所在地", "profile.hukou_location", True, max_length=12),
    Column("户口性质", "profile.hukou_type", True, "code", "hukou_type"),
    Column("特长", "profile.specialty", False, max_length=100),
    Column("学籍辅号", "profile.aux_no", False, max_length=30),
    Column("班内学号", "student.class_no", False, "int"),
    Column("年级", "grade", True),
    Column("班级", "klass", True),
    Column("入学年月", "profile.entry_month", True, "month"),
    Column("入学方式", "profile.entry_mode", True, "code", "entry_mode"),
    Column("就读方式", "profile.study_mode", True, "code", "study_mode"),
    Column("学生来源", "profile.source", False, "code", "source"),
    Column("现住址", "profile.current_address", True, max_length=200),
    Column("通信地址", "profile.mailing_address", True, max_length=200),
    Column("家庭地址", "profile.home_address", True, max_length=200),
    Column("联系电话", "profile.contact_phone", True, "phone"),
    Column("邮政编码", "profile.postal_code", True, max_length=6),
    Column("电子信箱", "profile.email", False, max_length=100),
    Column("是否独生子女", "profile.only_child", True, "bool"),
    Column("是否受过学前教育", "profile.preschool", True, "bool"),
    Column("是否留守儿童", "profile.left_behind", False, "code", "left_behind"),
    Column("是否进城务工人员随迁子女", "profile.migrant_child", False, "bool"),
    Column("是否孤儿", "profile.orphan", False, "bool"),
    Column("是否烈士或优抚子女", "profile.martyr_child", False, "bool"),
    Column("随班就读", "profile.with_class_study", False, "code", "with_class_study"),
    Column("残疾类型", "profile.disability", False, "code", "disability"),
    Column("上下学距离", "profile.commute_distance", False, "decimal"),
    Column("上下学方式", "profile.commute", False, "code", "commute"),
    Column("是否需要乘坐校车", "profile.school_bus", False, "bool"),
    Column("学籍号", "student.student_no", False, max_length=20),
]

HEADERS = [c.header for c in COLUMNS]
BY_HEADER = {c.header: c for c in COLUMNS}
REQUIRED_HEADERS = [c.header for c in COLUMNS if c.required]
