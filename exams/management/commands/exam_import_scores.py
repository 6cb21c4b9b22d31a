"""python manage.py exam_import_scores EXAM_CODE FILE.xlsx [--school CODE] [--subject 数学] [--dry-run]
[--report REPORT.xlsx] [--user USERNAME] [--district REGION_CODE]

Exit codes: 0 imported (or previewed), 1 validation errors (nothing written), 2 unusable file / refused import /
bad arguments / permission denied. Without --school the file may name any candidate of the exam. Without --user
the import runs as the system and is audited as such. A thin wrapper over ``exams.importer.import_scores``.
"""

from core.management.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "从 Excel/CSV 成绩表（每行一名学生，每科或每个小题一列）导入考试成绩，全部通过才写入。"
        "退出码：0 成功，1 数据有错误（未写入），2 文件无法使用或不能导入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("exam_code", help="考试代码（如 2026-g7-mid）")
        parser.add_argument("file", help="成绩文件（.xlsx、.xls 或 .csv）")
        parser.add_argument("--school", help="学校标识码：只导入该校考生的成绩（不填则可含全部参考学校）")
        parser.add_argument("--subject", help="按小题导入该科目（科目名称，如 数学）；不填则每科一列")
        parser.add_argument("--dry-run", action="store_true", help="只校验并预览，不写入")
        parser.add_argument("--report", help="有错误时把错误报告（标红的原表）写入此 .xlsx 文件")
        parser.add_argument("--user", help="以该用户身份导入（检查其权限并记入审计）；不填则为系统导入")
        parser.add_argument("--district", help="区县行政区划代码（多个区县有相同考试代码时使用）")

    def handle(self, *args, **opts):
        from core.models import School
        from exams.importer import ImportFileError, import_scores
        from exams.models import Exam

        path = self.input_file(opts["file"])
        exams = Exam.objects.filter(code=opts["exam_code"].strip()).select_related("district")
        if opts["district"]:
            exams = exams.filter(district__region__code=opts["district"].strip())
        found = list(exams[:2])
        if not found:
            self._fail(f"没有考试代码为 {opts['exam_code']} 的考试")
        if len(found) > 1:
            self._fail("多个区县有这个考试代码，请用 --district 指定区县的行政区划代码")
        exam = found[0]
        school = None
        if opts["school"]:
            school = School.objects.filter(code=opts["school"].strip(), district_id=exam.district_id).first()
            if school is None:
                self._fail(f"本区县没有学校标识码为 {opts['school']} 的学校")
        subject = None
        if opts["subject"]:
            subject = exam.subjects.filter(subject__name=opts["subject"].strip()).first()
            if subject is None:
                names = "、".join(exam.subjects.values_list("subject__name", flat=True))
                self._fail(f"考试「{exam.name}」没有科目「{opts['subject']}」（现有：{names}）")
        actor = self.actor(opts["user"])
        result = self.run_import(
            import_scores,
            file_error=ImportFileError,
            fail_prefix="无法导入：",
            exam=exam,
            data=path.read_bytes(),
            filename=path.name,
            school=school,
            subject=subject,
            actor=actor,
            dry_run=opts["dry_run"],
            source="cli",
        )

        self.report_problems(result, opts["report"])
        c = result.counts
        if opts["dry_run"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"预览（未写入）：共 {result.rows} 行，将新增 {c['to_create']} 个成绩，更新 {c['to_update']} 个，"
                    f"无变化 {c['unchanged']} 个，空白未填 {c['blank']} 格。"
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"导入完成：共 {result.rows} 行，新增 {c['created']} 个成绩，更新 {c['updated']} 个，"
                    f"无变化 {c['unchanged']} 个，空白未填 {c['blank']} 格（用时 {result.seconds:.2f} 秒）。"
                )
            )
