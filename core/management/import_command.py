"""What the file-import commands (``import_roster``, ``exam_import_scores``) share: exit codes (0 done, 1 row
errors and nothing written, 2 unusable file / bad arguments / refused), the --user actor, and how a result's
warnings and errors are printed."""

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand

SHOW_ERRORS = 50


class ImportCommand(BaseCommand):
    def _fail(self, message: str, code: int = 2):
        self.stderr.write(self.style.ERROR(message))
        sys.exit(code)

    def input_file(self, raw: str) -> Path:
        path = Path(raw)
        if not path.is_file():
            self._fail(f"文件不存在：{path}")
        return path

    def actor(self, username: str | None):
        """The --user account (active), or None: a system import."""
        from core.models import User

        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            self._fail(f"用户 {username} 不存在或已停用")
        return user

    def run_import(self, fn, *, file_error: type[Exception], fail_prefix: str, **kwargs):
        """``fn(**kwargs)``; an unusable file or a refused import exits 2 with the reason."""
        try:
            return fn(**kwargs)
        except file_error as exc:
            self._fail(f"{fail_prefix}{exc.message}")
        except PermissionDenied as exc:
            self._fail(str(exc) or "无权导入")

    def report_problems(self, result, report_path: str | None) -> None:
        """Print warnings; with row errors print them (and write the marked-up report) and exit 1."""
        for w in result.warnings:
            self.stdout.write(self.style.WARNING(f"提示：{w}"))
        if not result.errors:
            return
        for e in result.errors[:SHOW_ERRORS]:
            self.stdout.write(str(e))
        more = len(result.errors) - SHOW_ERRORS
        if more > 0:
            self.stdout.write(f"……另有 {more} 条错误未显示")
        rows = len({e.row for e in result.errors})
        self.stderr.write(self.style.ERROR(f"共 {len(result.errors)} 条错误（涉及 {rows} 行），未写入任何数据。"))
        if report_path:
            Path(report_path).write_bytes(result.report())
            self.stdout.write(f"错误报告已写入 {report_path}")
        sys.exit(1)
