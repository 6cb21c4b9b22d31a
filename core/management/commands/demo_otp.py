"""Print the current TOTP code of a user's authenticator (demo/development only, refused unless ZX_DEBUG=1).

Lets someone trying the demo without an authenticator app pass the admin second factor:
log in, open the 动态口令 page (it creates the device), then run this command.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "打印用户当前的动态口令（仅演示/开发模式可用）"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **opts):
        if not settings.DEBUG:
            raise CommandError("仅在演示/开发模式（ZX_DEBUG=1）下可用。")
        device = TOTPDevice.objects.filter(user__username=username).order_by("-confirmed", "-id").first()
        if device is None:
            raise CommandError(f"{username} 还没有动态口令设备：请先用该账号登录，打开动态口令页面。")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
