"""``manage.py audit_verify``: recompute the audit hash chain and name the first broken row.

Exit status 0 when the chain is intact, 1 when a row was altered, removed or the chain tail does not match
the chain head (suitable for a cron job or monitoring check).
"""

from django.core.management.base import BaseCommand

from core.audit import audit_chain_verify


class Command(BaseCommand):
    help = "校验审计日志哈希链的完整性（发现篡改或删除时以状态码 1 退出）"

    def handle(self, *args, **options):
        checked, problem = audit_chain_verify()
        if problem is not None:
            self.stderr.write(f"{problem}（已校验 {checked} 条完好记录）")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"审计链完整：{checked} 条记录"))
