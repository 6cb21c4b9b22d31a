"""Reference data: national subject defaults and the GB/T 2260 area codes the product ships with."""

# (code, name, stages) — national curriculum subjects (义务教育课程方案 2022, 普通高中课程方案 2017/2020).
NATIONAL_SUBJECTS = [
    ("01", "语文", "primary,junior,senior"),
    ("02", "数学", "primary,junior,senior"),
    ("03", "英语", "primary,junior,senior"),
    ("04", "道德与法治", "primary,junior"),
    ("05", "思想政治", "senior"),
    ("06", "历史", "junior,senior"),
    ("07", "地理", "junior,senior"),
    ("08", "物理", "junior,senior"),
    ("09", "化学", "junior,senior"),
    ("10", "生物学", "junior,senior"),
    ("11", "科学", "primary"),
    ("12", "信息科技", "primary,junior"),
    ("13", "信息技术", "senior"),
    ("14", "通用技术", "senior"),
    ("15", "体育与健康", "primary,junior,senior"),
    ("16", "音乐", "primary,junior,senior"),
    ("17", "美术", "primary,junior,senior"),
    ("18", "劳动", "primary,junior,senior"),
    ("19", "综合实践活动", "primary,junior,senior"),
    ("20", "心理健康", "primary,junior,senior"),
]
