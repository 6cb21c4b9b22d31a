"""External delivery channels behind one interface.

A channel has a ``name``, says whether it is configured (``enabled()``), finds a user's address
(``addresses(user_ids)``: e-mail for mail, the mobile number for SMS and for the @mention of a robot) and sends
one delivery (``send(delivery)``), raising ``DeliveryError`` (or any exception) when the message did not go out.

* ``email`` — Django's mail: SMTP when ``settings.EMAIL_HOST`` is set, the console backend otherwise;
* ``sms`` — an SMS gateway reached by a JSON webhook (``ZX_SMS_WEBHOOK_URL``): ``{"phone", "content"}``;
* ``wecom`` — a 企业微信 group robot (``ZX_WECOM_WEBHOOK_URL``): ``msgtype=text`` with ``mentioned_mobile_list``;
* ``dingtalk`` — a 钉钉 group robot (``ZX_DINGTALK_WEBHOOK_URL``): ``msgtype=text`` with ``at.atMobiles``.

Robots answer ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure. Tests and deployments may
``register_channel`` their own channel (same interface).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail

TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The channel refused or could not take the message (the text is stored as the delivery's last error)."""


class Channel:
    name = ""
    label = ""

    def enabled(self) -> bool:
        raise NotImplementedError

    def addresses(self, user_ids: list[int]) -> dict[int, str]:
        """{user id: address} for the users this channel can reach."""
        raise NotImplementedError

    def send(self, delivery) -> None:
        raise NotImplementedError


def text_of(delivery) -> str:
    """Title, body and link as one plain text message (robots and SMS)."""
    parts = [f"【{delivery.title}】"]
    if delivery.body:
        parts.append(delivery.body)
    if delivery.url:
        parts.append(absolute_url(delivery.url))
    return "\n".join(parts)


def absolute_url(url: str) -> str:
    base = getattr(settings, "ZX_SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") else url


def _chunks(ids: list[int], size: int = 5000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def phones_of(user_ids: list[int]) -> dict[int, str]:
    """Mobile numbers (decrypted) of the users whose person has one."""
    from core.models import User

    out = {}
    for chunk in _chunks(user_ids):
        rows = User.objects.filter(pk__in=chunk, person__isnull=False).exclude(person__phone="")
        out.update((uid, phone) for uid, phone in rows.values_list("pk", "person__phone") if phone)
    return out


def post_json(url: str, payload: dict) -> dict:
    """POST ``payload`` as UTF-8 JSON; the parsed JSON answer ({} when the answer is not JSON)."""
    if not url.lower().startswith(("https://", "http://")):
        raise DeliveryError(f"Webhook 地址无效：{url[:60]}")
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}：{exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"连接失败：{getattr(exc, 'reason', exc)}") from exc
    try:
        return json.loads(raw.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}


class EmailChannel(Channel):
    name = "email"
    label = "电子邮件"

    def enabled(self) -> bool:
        return True  # SMTP when EMAIL_HOST is set, else the console backend (development)

    def addresses(self, user_ids):
        from core.models import User

        out = {}
        for chunk in _chunks(user_ids):
            out.update(User.objects.filter(pk__in=chunk).exclude(email="").values_list("pk", "email"))
        return out

    def send(self, delivery) -> None:
        body = delivery.body
        if delivery.url:
            body = f"{body}\n\n{absolute_url(delivery.url)}".strip()
        sent = send_mail(delivery.title, body, None, [delivery.address], fail_silently=False)
        if not sent:
            raise DeliveryError("邮件服务器未接受该邮件")


class SmsWebhookChannel(Channel):
    name = "sms"
    label = "短信"
    setting = "ZX_SMS_WEBHOOK_URL"

    def url(self) -> str:
        return getattr(settings, self.setting, "") or ""

    def enabled(self) -> bool:
        return bool(self.url())

    def addresses(self, user_ids):
        return phones_of(user_ids)

    def payload(self, delivery) -> dict:
        return {"phone": delivery.address, "content": text_of(delivery)}

    def send(self, delivery) -> None:
        answer = post_json(self.url(), self.payload(delivery))
        code = answer.get("errcode", answer.get("code", 0))
        if code not in (0, "0", "OK", None):
            raise DeliveryError(f"{self.label}接口返回错误 {code}：{answer.get('errmsg') or answer.get('message', '')}")


class WeComRobotChannel(SmsWebhookChannel):
    name = "wecom"
    label = "企业微信"
    setting = "ZX_WECOM_WEBHOOK_URL"

    def payload(self, delivery) -> dict:
        return {"msgtype": "text", "text": {"content": text_of(delivery), "mentioned_mobile_list": [delivery.address]}}


class DingTalkRobotChannel(SmsWebhookChannel):
    name = "dingtalk"
    label = "钉钉"
    setting = "ZX_DINGTALK_WEBHOOK_URL"

    def payload(self, delivery) -> dict:
        return {
            "msgtype": "text",
            "text": {"content": text_of(delivery)},
            "at": {"atMobiles": [delivery.address], "isAtAll": False},
        }


CHANNELS: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


def unregister_channel(name: str) -> None:
    CHANNELS.pop(name, None)


for _channel in (EmailChannel(), SmsWebhookChannel(), WeComRobotChannel(), DingTalkRobotChannel()):
    register_channel(_channel)


def active_channels(names: Iterable[str] | None = None) -> list[Channel]:
    """The configured channels (restricted to ``names`` when given)."""
    wanted = None if names is None else set(names)
    return [c for c in CHANNELS.values() if (wanted is None or c.name in wanted) and c.enabled()]


def channel_label(name: str) -> str:
    channel = CHANNELS.get(name)
    return channel.label if channel else name
