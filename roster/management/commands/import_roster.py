"""python manage.py import_roster FILE --school SCHOOL_CODE [--dry-run] [--report REPORT.xlsx] [--user USERNAME]

Exit codes: 0 imported (or previewed), 1 validation errors (nothing written), 2 unusable file / bad arguments /
permission denied. Without --user the import runs as the system and is audited as 系统导入.
"""

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand

SHOW_ERRORS = 50


class Command(BaseCommand):
    help = "从学籍模板文件（.xlsx/.xls/.csv）导入学生学籍。退出码：0 成功，1 数据有错误（未写入），2 文件无法使用。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="学籍导入文件（.xlsx、.xls 或 .csv）")
        parser.add_argument("--school", required=True, help="目标学校的 10 位学校标识码")
        parser.add_argument("--dry-run", action="store_true", help="只校验并预览，不写入")
        parser.add_argument("--report", help="有错误时把错误报告写入此 .xlsx 文件")
        parser.add_argument("--user", help="以该用户身份导入（检查其权限并记入审计）；不填则为系统导入")

    def _fail(self, message: str, code: int = 2):
        self.stderr.write(self.style.ERROR(message))
        sys.exit(code)

    def handle(self, *args, **opts):
        from core.models import School, User
        from roster.importer import ImportFileError, import_roster

        path = Path(opts["file"])
        if not path.is_file():
            self._fail(f"文件不存在：{path}")
        school = School.objects.select_related("district__region").filter(code=opts["school"].strip()).first()
        if school is None:
            self._fail(f"没有学校标识码为 {opts['school']} 的学校")
        actor = None
        if opts["user"]:
            actor = User.objects.filter(username=opts["user"], is_active=True).first()
            if actor is None:
                self._fail(f"用户 {opts['user']} 不存在或已停用")
        try:
            result = import_roster(
                data=path.read_bytes(),
                filename=path.name,
                school=school,
                actor=actor,
                dry_run=opts["dry_run"],
                source="cli",
            )
        except ImportFileError as exc:
            self._fail(f"文件无法导入：{exc.message}")
        except PermissionDenied as exc:
            self._fail(str(exc) or "无权导入")

        for w in result.warnings:
            self.stdout.write(self.style.WARNING(f"提示：{w}"))
        if result.errors:
            for e in result.errors[:SHOW_ERRORS]:
                self.stdout.write(str(e))
            more = len(result.errors) - SHOW_ERRORS
            if more > 0:
                self.stdout.write(f"……另有 {more} 条错误未显示")
            rows = len({e.row for e in result.errors})
            self.stderr.write(self.style.ERROR(f"共 {len(result.errors)} 条错误（涉及 {rows} 行），未写入任何数据。"))
            if opts["report"]:
                Path(opts["report"]).write_bytes(result.report())
                self.stdout.write(f"错误报告已写入 {opts['report']}")
            sys.exit(1)
        c = result.counts
        if opts["dry_run"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"预览（未写入）：共 {result.rows} 行，将新增 {c['to_create']} 名，更新 {c['to_update']} 名，"
                    f"转入（已离校学生重新入学）{c['to_reenrol']} 名，无变化 {c['unchanged']} 名。"
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"导入完成：共 {result.rows} 行，新增 {c['created']} 名，更新 {c['updated']} 名，"
                    f"重新入学 {c['reenrolled']} 名，无变化 {c['unchanged']} 名，新建账号 {c['users']} 个。"
                )
            )
