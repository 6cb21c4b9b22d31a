"""python manage.py timetable_solve FILE.fet --time-limit S --out OUT.fet [--seed N] [--workers N]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from timetable.engine import solve
from timetable.fet import read_fet, write_fet


class Command(BaseCommand):
    help = "用排课引擎求解一个 FET (.fet) 文件，打印结果，并可导出锁定时间的 .fet 文件。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="FET 文件（.fet 或 .fet.gz）")
        parser.add_argument("--time-limit", type=float, default=30.0, help="求解时间上限（秒）")
        parser.add_argument("--out", help="导出带锁定时间/教室的 .fet 文件")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--progress", action="store_true", help="打印每个改进解")

    def handle(self, *args, **opts):
        try:
            problem, context = read_fet(opts["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取 {opts['file']}：{exc}") from exc
        except Exception as exc:  # XML errors
            raise CommandError(f"无法解析 {opts['file']}：{exc}") from exc
        self.stdout.write(context.report())

        def progress(info):
            self.stdout.write(
                f"  {info['elapsed']:.1f}s 第 {info['solutions']} 个解 软约束 {info['objective']:.2f}（下界 {info['bound']:.2f}）"
            )

        solution = solve(
            problem,
            time_limit=opts["time_limit"],
            seed=opts["seed"],
            workers=opts["workers"],
            progress=progress if opts["progress"] else None,
        )
        total = sum(lesson.count for lesson in problem.lessons)
        placed = len(solution.placements)
        self.stdout.write(f"状态: {solution.status}")
        self.stdout.write(f"已排: {placed}/{total} 个活动")
        self.stdout.write(f"硬约束冲突: {solution.hard_violations}")
        self.stdout.write(f"软约束代价: {solution.soft_penalty:g}")
        self.stdout.write(f"用时: {solution.wall_seconds:.2f} s（CPU {solution.cpu_seconds:.2f} s）")
        for conflict in solution.conflicts[:20]:
            self.stdout.write(f"  - {conflict.message}")
        if opts["out"]:
            if solution.placements and solution.hard_violations == 0:
                write_fet(context, solution, opts["out"])
                self.stdout.write(f"已导出: {opts['out']}")
            else:
                self.stdout.write("课表仍有硬约束冲突，未导出。")
        if not solution.solved:
            raise CommandError("未能排出满足全部硬约束的课表。")
