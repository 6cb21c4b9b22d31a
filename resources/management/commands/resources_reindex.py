"""Rebuild the full-text index columns of the resource library: ``manage.py resources_reindex [--district ID]``."""

from django.core.management.base import BaseCommand

from resources.services import resources_reindex


class Command(BaseCommand):
    help = "重建资源库的中文检索索引（分词后的标题、简介、标签、知识点与文档文本）"

    def add_arguments(self, parser):
        parser.add_argument("--district", type=int, default=None, help="只重建该区县（ID）的资源")

    def handle(self, *args, district=None, **options):
        n = resources_reindex(district_id=district, out=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"完成：{n} 个资源"))
