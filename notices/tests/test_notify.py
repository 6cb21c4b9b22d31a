"""core.notify: the in-app store, unread counts, channels (email, SMS/WeCom/DingTalk webhooks), deliveries
with retries and back-off, and the 消息投递 page."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import AuditLog, Delivery, Notification
from core.notify import notification_mark_read, notifications_mark_all_read, notify, unread_count
from core.notify.channels import Channel, DeliveryError, register_channel, unregister_channel
from core.notify.delivery import MAX_ATTEMPTS, deliver, deliveries_retry_due
from core.testing import login

pytestmark = pytest.mark.django_db


def test_notify_stores_one_row_per_distinct_user_and_counts_unread(world):
    n = notify(
        users=[world.parent1, world.parent1.pk, world.parent2],
        title="请查看期中成绩",
        body="成绩已发布",
        url="/exams/my/",
        kind="exams.published",
        actor=world.teacher_a,
    )
    assert n == 2
    rows = Notification.objects.filter(title="请查看期中成绩")
    assert sorted(rows.values_list("user_id", flat=True)) == sorted([world.parent1.pk, world.parent2.pk])
    assert {r.actor_id for r in rows} == {world.teacher_a.pk}
    assert unread_count(world.parent1) == 1
    assert unread_count(world.teacher_a) == 0


def test_notify_drops_links_to_other_sites(world):
    notify(users=[world.parent1], title="钓鱼", url="//evil.example/x")
    notify(users=[world.parent1], title="外站", url="https://evil.example/")
    assert set(Notification.objects.filter(user=world.parent1).values_list("url", flat=True)) == {""}


def test_mark_read_is_idempotent_and_only_for_the_owner(world):
    notify(users=[world.parent1, world.parent2], title="通知")
    mine = Notification.objects.get(user=world.parent1)
    other = Notification.objects.get(user=world.parent2)
    assert notification_mark_read(actor=world.parent1, notification_id=mine.pk) is True
    first = Notification.objects.get(pk=mine.pk).read_at
    assert notification_mark_read(actor=world.parent1, notification_id=mine.pk) is False
    assert Notification.objects.get(pk=mine.pk).read_at == first
    # another family's message cannot be marked
    assert notification_mark_read(actor=world.parent1, notification_id=other.pk) is False
    assert Notification.objects.get(pk=other.pk).read_at is None
    notify(users=[world.parent1], title="再一条")
    assert notifications_mark_all_read(actor=world.parent1) == 1
    assert unread_count(world.parent1) == 0


def test_inbox_page_shows_own_messages_and_marks_read_when_opened(world):
    notify(users=[world.parent1], title="家长会提醒", body="周六上午 9 点", url="/notices/")
    notify(users=[world.parent2], title="别人的消息")
    c = Client()
    login(c, world.parent1)
    page = c.get("/notices/messages/").content.decode()
    assert "家长会提醒" in page and "1 条未读" in page
    assert "别人的消息" not in page
    item = Notification.objects.get(user=world.parent1)
    page = c.get(f"/notices/messages/{item.pk}/").content.decode()
    assert "周六上午 9 点" in page and 'href="/notices/"' in page
    assert Notification.objects.get(pk=item.pk).read_at is not None
    other = Notification.objects.get(user=world.parent2)
    assert c.get(f"/notices/messages/{other.pk}/").status_code == 404


def test_email_goes_to_users_with_an_address(world, django_capture_on_commit_callbacks):
    world.parent1.email = "zhou@example.cn"
    world.parent1.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[world.parent1, world.parent2], title="研学回执提醒", body="请于周五前回执", url="/notices/1/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhou@example.cn"]
    assert mail.outbox[0].subject == "研学回执提醒"
    assert "请于周五前回执" in mail.outbox[0].body and "/notices/1/" in mail.outbox[0].body
    d = Delivery.objects.get(channel="email")
    assert (d.status, d.attempts, d.user_id) == ("sent", 1, world.parent1.pk)


class _Flaky(Channel):
    """Fails ``failures`` times, then succeeds."""

    name = "flaky"
    label = "测试渠道"

    def __init__(self, failures):
        self.failures = failures
        self.sent = []

    def enabled(self):
        return True

    def addresses(self, user_ids):
        return {uid: f"addr-{uid}" for uid in user_ids}

    def send(self, delivery):
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError("网关超时")
        self.sent.append(delivery.address)


@pytest.fixture
def flaky():
    channel = _Flaky(failures=1)
    register_channel(channel)
    yield channel
    unregister_channel("flaky")


def test_failed_delivery_is_retried_with_backoff_then_succeeds(world, flaky, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[world.parent1], title="请回执", channels=["flaky"], actor=world.head_teacher_a1)
    d = Delivery.objects.get(channel="flaky")
    assert (d.status, d.attempts, d.last_error) == ("pending", 1, "网关超时")
    assert d.next_retry_at > timezone.now() + dt.timedelta(seconds=50)
    assert d.district_id == world.district.pk
    # not due yet: nothing happens
    assert deliveries_retry_due() == {}
    # a minute later the sweep retries and it goes out
    assert deliveries_retry_due(now=timezone.now() + dt.timedelta(minutes=2)) == {"sent": 1}
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error, d.next_retry_at) == ("sent", 2, "", None)
    assert flaky.sent == [f"addr-{world.parent1.pk}"]


def test_delivery_fails_for_good_after_max_attempts_and_admin_retries(world, flaky):
    flaky.failures = 99
    notify(users=[world.parent2], title="缴费提醒", channels=["flaky"], actor=world.school_admin_a)
    d = Delivery.objects.get(channel="flaky")
    for _ in range(MAX_ATTEMPTS):
        deliver(d.pk)
        Delivery.objects.filter(pk=d.pk).update(next_retry_at=timezone.now())
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("failed", MAX_ATTEMPTS)
    assert deliver(d.pk) == ""  # failed deliveries are not picked up again by themselves

    # the district admin sees it on 消息投递; a school admin may not open the page
    admin = Client()
    login(admin, world.district_admin)
    page = admin.get("/notices/deliveries/").content.decode()
    assert "缴费提醒" in page and "网关超时" in page
    school = Client()
    login(school, world.school_admin_a)
    assert school.get("/notices/deliveries/").status_code == 403
    assert school.post(f"/notices/deliveries/{d.pk}/retry/").status_code == 404

    flaky.failures = 0
    response = admin.post(f"/notices/deliveries/{d.pk}/retry/", {"status": "problem"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("sent", 1)
    assert AuditLog.objects.filter(action="notify.delivery_retry", object_id=str(d.pk)).exists()


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    answer = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Hook.received.append((self.path, self.headers["Content-Type"], json.loads(self.rfile.read(length))))
        body = json.dumps(_Hook.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    _Hook.received = []
    _Hook.answer = {"errcode": 0, "errmsg": "ok"}
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_webhooks_post_the_robot_formats(world, settings, hook_server, django_capture_on_commit_callbacks):
    settings.ZX_WECOM_WEBHOOK_URL = f"{hook_server}/wecom?key=k1"
    settings.ZX_DINGTALK_WEBHOOK_URL = f"{hook_server}/dingtalk?access_token=t1"
    settings.ZX_SMS_WEBHOOK_URL = f"{hook_server}/sms"
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[world.parent1, world.teacher_a], title="秋季运动会通知", body="10 月 28 日举行", url="/notices/5/"
        )
    by_path = {path.split("?")[0]: payload for path, _ct, payload in _Hook.received}
    # only parent1 has a phone number in the test world
    assert len(_Hook.received) == 3
    assert all(ct.startswith("application/json") for _p, ct, _b in _Hook.received)
    assert by_path["/wecom"]["msgtype"] == "text"
    assert by_path["/wecom"]["text"]["mentioned_mobile_list"] == ["13800138001"]
    assert "【秋季运动会通知】" in by_path["/wecom"]["text"]["content"]
    assert by_path["/dingtalk"]["at"] == {"atMobiles": ["13800138001"], "isAtAll": False}
    assert "10 月 28 日举行" in by_path["/dingtalk"]["text"]["content"]
    assert by_path["/sms"]["phone"] == "13800138001"
    assert "/notices/5/" in by_path["/sms"]["content"]
    assert set(Delivery.objects.values_list("channel", "status")) == {
        ("sms", "sent"),
        ("wecom", "sent"),
        ("dingtalk", "sent"),
    }


def test_robot_error_code_is_a_failure_with_the_message(world, settings, hook_server):
    settings.ZX_DINGTALK_WEBHOOK_URL = f"{hook_server}/dingtalk"
    _Hook.answer = {"errcode": 310000, "errmsg": "keywords not in content"}
    notify(users=[world.parent1], title="测试", channels=["dingtalk"])
    d = Delivery.objects.get(channel="dingtalk")
    assert deliver(d.pk) == "pending"
    d.refresh_from_db()
    assert "310000" in d.last_error and "keywords not in content" in d.last_error


def test_unreachable_webhook_is_recorded_not_raised(world, settings):
    settings.ZX_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"  # discard port: connection refused
    notify(users=[world.parent1], title="测试", channels=["sms"])
    d = Delivery.objects.get(channel="sms")
    assert deliver(d.pk) == "pending"
    d.refresh_from_db()
    assert d.last_error.startswith("连接失败")


def test_retry_command_sends_what_is_due(world, flaky):
    import io

    from django.core.management import call_command

    notify(users=[world.parent1], title="请回执", channels=["flaky"])
    d = Delivery.objects.get(channel="flaky")
    deliver(d.pk)  # fails once
    Delivery.objects.filter(pk=d.pk).update(next_retry_at=timezone.now() - dt.timedelta(seconds=1))
    out = io.StringIO()
    call_command("notify_retry", stdout=out)
    assert out.getvalue().strip() == "重试 1 条：送达 1，待再试 0，失败 0"
    assert Delivery.objects.get(pk=d.pk).status == "sent"


def test_channels_are_chosen_per_kind_by_settings(world, settings, flaky):
    world.parent1.email = "zhou@example.cn"
    world.parent1.save()
    settings.ZX_NOTIFY_KIND_CHANNELS = {"notices.remind": ["flaky"], "homeschool.": []}
    notify(users=[world.parent1], title="提醒", kind="notices.remind")
    notify(users=[world.parent1], title="请假已批准", kind="homeschool.leave")
    notify(users=[world.parent1], title="成绩发布", kind="exams.published")
    assert sorted(Delivery.objects.values_list("title", "channel")) == [
        ("成绩发布", "email"),
        ("成绩发布", "flaky"),
        ("提醒", "flaky"),
    ]
    # the in-app message is stored whatever the channels
    assert Notification.objects.filter(user=world.parent1).count() == 3
