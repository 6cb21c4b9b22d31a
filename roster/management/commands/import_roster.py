"""python manage.py import_roster FILE --school SCHOOL_CODE [--dry-run] [--report REPORT.xlsx] [--user USERNAME]

Exit codes: 0 imported (or previewed), 1 validation errors (nothing written), 2 unusable file / bad arguments /
permission denied. Without --user the import runs as the system and is audited as 系统导入.
"""

from core.management.import_command import ImportCommand


class Command(ImportCommand):
    help = "从学籍模板文件（.xlsx/.xls/.csv）导入学生学籍。退出码：0 成功，1 数据有错误（未写入），2 文件无法使用。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="学籍导入文件（.xlsx、.xls 或 .csv）")
        parser.add_argument("--school", required=True, help="目标学校的 10 位学校标识码")
        parser.add_argument("--dry-run", action="store_true", help="只校验并预览，不写入")
        parser.add_argument("--report", help="有错误时把错误报告写入此 .xlsx 文件")
        parser.add_argument("--user", help="以该用户身份导入（检查其权限并记入审计）；不填则为系统导入")

    def handle(self, *args, **opts):
        from core.models import School
        from roster.importer import ImportFileError, import_roster

        path = self.input_file(opts["file"])
        school = School.objects.select_related("district__region").filter(code=opts["school"].strip()).first()
        if school is None:
            self._fail(f"没有学校标识码为 {opts['school']} 的学校")
        actor = self.actor(opts["user"])
        result = self.run_import(
            import_roster,
            file_error=ImportFileError,
            fail_prefix="文件无法导入：",
            data=path.read_bytes(),
            filename=path.name,
            school=school,
            actor=actor,
            dry_run=opts["dry_run"],
            source="cli",
        )

        self.report_problems(result, opts["report"])
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
