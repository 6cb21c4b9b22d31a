"""生成全校班级邀请码 (term start): one code per class of a school, as the given user (a school admin or
the 班主任 of each class), printed as a table to hand to the 班主任s. Thin wrapper over
``services.invitation_code_create``; classes the user may not manage are listed as skipped."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.models import Class, School, User
from homeschool import services


class Command(BaseCommand):
    help = "为一所学校的每个班级生成家长注册邀请码"

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="学校标识码（10 位）")
        parser.add_argument("--user", required=True, help="以该用户的身份生成（学校管理员或班主任）")
        parser.add_argument("--days", type=int, default=30, help="有效天数（默认 30）")
        parser.add_argument("--max-uses", type=int, default=100, help="每个邀请码可用次数（默认 100）")
        parser.add_argument("--base-url", default="", help="注册页地址前缀，如 https://zx.example.edu.cn")

    def handle(self, *args, school, user, days, max_uses, base_url, **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户 {user} 不存在或已停用")
        target = School.objects.filter(code=school).first()
        if target is None:
            raise CommandError(f"没有学校标识码为 {school} 的学校")
        classes = Class.objects.filter(school=target, archived_at__isnull=True).select_related("grade", "school")
        made = skipped = 0
        for klass in classes.order_by("-grade__entry_year", "number"):
            try:
                code = services.invitation_code_create(actor=actor, klass=klass, days=days, max_uses=max_uses)
            except PermissionDenied:
                skipped += 1
                self.stdout.write(f"{klass.name}\t（无权生成，已跳过）")
                continue
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            made += 1
            self.stdout.write(f"{klass.name}\t{code.code}\t{base_url}/homeschool/register/?code={code.code}")
        self.stdout.write(f"{target.name}：生成邀请码 {made} 个，跳过 {skipped} 个班，有效期 {days} 天")
