"""Retry the external deliveries (email, SMS, WeCom, DingTalk) whose back-off time has come."""

from django.core.management.base import BaseCommand

from core.notify.delivery import deliveries_retry_due


class Command(BaseCommand):
    help = "重试到期的站外消息投递（邮件、短信、企业微信、钉钉）；无 Celery beat 时由 cron 每分钟运行"

    def handle(self, *args, **options):
        counts = deliveries_retry_due()
        sent, pending, failed = counts.get("sent", 0), counts.get("pending", 0), counts.get("failed", 0)
        self.stdout.write(f"重试 {sent + pending + failed} 条：送达 {sent}，待再试 {pending}，失败 {failed}")
