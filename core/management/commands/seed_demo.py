from django.core.management.base import BaseCommand, CommandError

from core.demo.generate import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_SCHOOLS,
    DEFAULT_SEED,
    DEFAULT_STUDENTS_PER_SCHOOL,
    DemoDataExists,
    existing_logins,
    format_logins,
    seed_demo,
)


class Command(BaseCommand):
    help = "生成演示数据：一个区县（宁波市镇海区教育局）及其学校、班级、教职工、学生、家长和各角色演示账号。"

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS, help="学校数（默认 6，至少 2）")
        parser.add_argument(
            "--students-per-school",
            type=int,
            default=DEFAULT_STUDENTS_PER_SCHOOL,
            help="平均每校学生数（默认 500；总学生数约为 学校数 × 该值）",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子（相同种子生成相同数据）")
        parser.add_argument("--logins", action="store_true", help="只打印演示账号")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="批量写入的批大小")

    def _print_logins(self, logins) -> None:
        self.stdout.write("")
        self.stdout.write("演示账号（密码均为 Zhixiao@2026）：")
        self.stdout.write(format_logins(logins))
        self.stdout.write("")

    def handle(self, *args, **opts):
        if opts["logins"]:
            self._print_logins(existing_logins())
            return
        if opts["schools"] < 2:
            raise CommandError("至少需要 2 所学校（--schools ≥ 2）。")
        if opts["students_per_school"] < 1:
            raise CommandError("每校学生数必须为正数。")
        try:
            result = seed_demo(
                schools=opts["schools"],
                students_per_school=opts["students_per_school"],
                seed=opts["seed"],
                batch_size=opts["batch_size"],
                out=self.stdout.write,
            )
        except DemoDataExists as exc:
            self.stdout.write(self.style.WARNING(str(exc)))
            self._print_logins(existing_logins())
            return
        c = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{c['schools']} 所学校，{c['classes']} 个班，学生 {c['students']:,} 名，"
                f"教职工岗位 {c['staff_posts']:,} 个，任课安排 {c['teaching_assignments']:,} 条，"
                f"家长绑定 {c['guardianships']:,} 条，人员 {c['persons']:,} 人，账号 {c['users']:,} 个；"
                f"总用时 {result.elapsed:.1f} 秒。"
            )
        )
        self._print_logins(result.logins)
