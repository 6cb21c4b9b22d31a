"""First-time setup of a production installation: the district and its first district administrator.

    python manage.py setup_district --region 330211 --name 宁波市镇海区教育局 --admin-username zh_admin --admin-name 张三

The administrator's password is read from the ZX_ADMIN_PASSWORD environment variable or generated and
printed once; at first login the administrator must bind a TOTP authenticator.
"""

import os
import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import services
from core.audit import audit_record
from core.data.loaders import regions_ensure
from core.models import District, Person, Region, RoleGrant, User


def _generated_password() -> str:
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(14))
    return f"{body}#{secrets.choice(string.digits)}A"


class Command(BaseCommand):
    help = "创建区县及首个区县管理员（生产环境首次安装）"

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="6 位行政区划代码（GB/T 2260），如 330211")
        parser.add_argument("--region-name", default="", help="代码不在内置表中时的区县名称，如 镇海区")
        parser.add_argument("--name", required=True, help="教育局名称，如 宁波市镇海区教育局")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-name", required=True, help="管理员姓名")

    def handle(self, *args, **o):
        code = o["region"]
        if len(code) != 6 or not code.isdigit():
            raise CommandError("行政区划代码必须是 6 位数字")
        if District.objects.exists():
            raise CommandError("已存在区县，本安装只服务一个区县。")
        if User.objects.filter(username=o["admin_username"]).exists():
            raise CommandError(f"用户名已存在：{o['admin_username']}")
        password = os.environ.get("ZX_ADMIN_PASSWORD") or _generated_password()
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("ZX_ADMIN_PASSWORD 不符合密码策略：" + " ".join(exc.messages)) from exc
        regions_ensure(Region)
        with transaction.atomic():
            region = Region.objects.filter(code=code).first()
            if region is None:
                if not o["region_name"]:
                    raise CommandError(f"内置行政区划表中没有 {code}，请用 --region-name 提供区县名称")
                province, _ = Region.objects.get_or_create(
                    code=code[:2] + "0000", defaults={"name": code[:2] + "0000", "level": "province"}
                )
                region = Region.objects.create(code=code, name=o["region_name"], level="county", parent=province)
            district = services.district_create(actor=None, region=region, name=o["name"])
            person = Person.objects.create(name=o["admin_name"])
            user = User(username=o["admin_username"], person=person)
            user.set_password(password)
            user.save()
            RoleGrant.objects.create(user=user, role="district_admin", district=district)
            audit_record(actor=None, action="district.setup", obj=district, changes={"admin": [None, user.username]})
        self.stdout.write(self.style.SUCCESS(f"已创建 {district.name}（{code}）及区县管理员 {user.username}。"))
        if "ZX_ADMIN_PASSWORD" not in os.environ:
            self.stdout.write(f"初始密码（只显示这一次，请登录后立即修改）：{password}")
        self.stdout.write("首次登录须绑定 TOTP 动态口令；之后在「学校」中建校、在「角色授权」中授予学校管理员。")
