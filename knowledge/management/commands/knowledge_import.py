"""python manage.py knowledge_import FILE.xlsx --district ID [--dry-run] [--report REPORT.xlsx] [--user USERNAME]

Exit codes: 0 imported (or checked), 1 row errors (nothing written), 2 unusable file / refused import / bad
arguments. ``--district`` is the district's id or its 行政区划 code. Without --user the import runs as the system
and is audited as such. A thin wrapper over ``knowledge.importer.import_tree``.
"""

from core.management.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "从 Excel 导入区县的知识点树（章、节、知识点、教材版本、前置知识点），全部通过才写入；按编码更新，可重复导入。"
        "退出码：0 成功，1 数据有错误（未写入），2 文件无法使用或不能导入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="知识点文件（.xlsx、.xls 或 .csv）")
        parser.add_argument("--district", required=True, help="区县 id 或行政区划代码（如 330211）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--report", help="有错误时把错误报告（标红的原表）写入此 .xlsx 文件")
        parser.add_argument("--user", help="以该用户身份导入（检查其权限并记入审计）；不填则为系统导入")

    def handle(self, *args, **opts):
        from django.db.models import Q

        from core.models import District
        from knowledge.importer import ImportFileError, import_tree

        path = self.input_file(opts["file"])
        key = opts["district"].strip()
        q = Q(region__code=key) | (Q(pk=int(key)) if key.isdigit() and len(key) < 6 else Q(pk=None))
        district = District.objects.filter(q).first()
        if district is None:
            self._fail(f"没有 id 或行政区划代码为 {key} 的区县")
        actor = self.actor(opts["user"])
        result = self.run_import(
            import_tree,
            file_error=ImportFileError,
            fail_prefix="无法导入：",
            district=district,
            actor=actor,
            data=path.read_bytes(),
            filename=path.name,
            dry_run=opts["dry_run"],
        )
        self.report_problems(result, opts["report"])
        s = result.summary()
        if opts["dry_run"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"检查通过（未写入）：共 {s['rows']} 行，将新建 {s['created']} 个节点，"
                    f"已有 {s['updated']} 个，前置关系 {s['links']} 条。"
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"导入完成（{district.name}）：共 {s['rows']} 行，新建 {s['created']} 个节点，更新 {s['updated']} 个，"
                    f"未变 {s['unchanged']} 个，前置关系 {s['links']} 条。"
                )
            )
