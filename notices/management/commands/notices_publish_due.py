"""Push the scheduled notices whose time has come (run every minute from cron when there is no Celery beat)."""

from django.core.management.base import BaseCommand

from notices.services import notices_publish_due


class Command(BaseCommand):
    help = "推送已到发布时间的定时通知（无 Celery beat 时由 cron 每分钟运行）"

    def handle(self, *args, **options):
        n = notices_publish_due()
        self.stdout.write(f"已推送 {n} 条定时通知")
