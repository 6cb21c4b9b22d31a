"""Security controls as a user (or attacker) meets them: lockout, MFA, sessions, links, headers."""

import datetime as dt
import time

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import services
from core.models import AuditLog, User
from core.testing import PASSWORD, login

LOGIN = "/account/login/"


def _post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = world.teacher_a
    user.set_password("Another#Pass2026")
    user.save()
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("Another#Pass2026")


@pytest.mark.django_db
def test_teacher_logs_in_and_reaches_home(world):
    client = Client()
    response = _post_login(client, "teacher_a", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert "陈老师" in home.content.decode()
    assert AuditLog.objects.filter(action="login", actor=world.teacher_a).exists()


@pytest.mark.django_db
def test_session_key_rotates_at_login(world):
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    _post_login(client, "teacher_a", PASSWORD)
    assert client.session.session_key != before


@pytest.mark.django_db
def test_lockout_after_repeated_failures_refuses_the_right_password(world):
    client = Client()
    for _ in range(5):
        response = _post_login(client, "teacher_a", "wrong-password")
    response = _post_login(client, "teacher_a", PASSWORD)
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action="login_failed", result="denied").count() >= 5
    assert AuditLog.objects.filter(action="login_locked", object_repr="teacher_a").exists()
    # another user on the same machine is not locked out
    assert _post_login(Client(), "head_a1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_must_enrol_and_verify_totp_before_using_the_system(world):
    client = Client()
    response = _post_login(client, "dadmin", PASSWORD)
    assert response["Location"].startswith("/account/otp/")
    # with only a password, admin pages are refused (redirect to the second factor)
    response = client.get("/people/students/")
    assert response.status_code == 302 and response["Location"].startswith("/account/otp/")
    page = client.get("/account/otp/")
    assert "绑定动态口令" in page.content.decode()
    assert 'data-testid="side-menu"' not in page.content.decode()  # nothing to navigate to before the code
    device = TOTPDevice.objects.get(user=world.district_admin, confirmed=False)
    bad = client.post("/account/otp/", {"token": "000000" if TOTP(device.bin_key).token() != 0 else "111111"})
    assert "动态口令错误" in bad.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    code = f"{TOTP(device.bin_key).token():06d}"
    ok = client.post("/account/otp/?next=/people/students/", {"token": code})
    assert ok.status_code == 302 and ok["Location"] == "/people/students/"
    assert client.get("/people/students/").status_code == 200
    assert TOTPDevice.objects.get(user=world.district_admin).confirmed


@pytest.mark.django_db
def test_replayed_totp_code_is_rejected(world):
    device = TOTPDevice.objects.create(user=world.school_admin_a, name="app", confirmed=True)
    code = f"{TOTP(device.bin_key).token():06d}"
    first = Client()
    _post_login(first, "sadmin_a", PASSWORD)
    assert first.post("/account/otp/", {"token": code}).status_code == 302
    second = Client()
    _post_login(second, "sadmin_a", PASSWORD)
    replay = second.post("/account/otp/", {"token": code})
    assert replay.status_code == 200
    assert second.get("/org/schools/").status_code == 302


@pytest.mark.django_db
def test_idle_session_is_logged_out(world, settings):
    settings.ZX_IDLE_TIMEOUT_SECONDS = 60
    client = Client()
    login(client, world.teacher_a)
    session = client.session
    session["zx_last_seen"] = int(time.time()) - 61
    session.save()
    response = client.get("/org/classes/")
    assert response.status_code == 302 and "timeout=1" in response["Location"]
    assert client.get("/org/classes/").status_code == 302


@pytest.mark.django_db
def test_logout_everywhere_kills_other_sessions(world):
    laptop, phone = Client(), Client()
    assert _post_login(laptop, "teacher_a", PASSWORD).status_code == 302
    assert _post_login(phone, "teacher_a", PASSWORD).status_code == 302
    assert phone.get("/org/classes/").status_code == 200
    laptop.post(reverse("core:logout_everywhere"))
    response = phone.get("/org/classes/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_old_cookie_is_dead_after_logout(world):
    client = Client()
    _post_login(client, "teacher_a", PASSWORD)
    cookie = client.cookies["sessionid"].value
    client.post(reverse("core:logout"))
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get("/org/classes/").status_code == 302


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_sessions(world):
    client = Client()
    _post_login(client, "teacher_a", PASSWORD)
    services.user_set_active(actor=world.school_admin_a, user=world.teacher_a, active=False)
    assert client.get("/org/classes/").status_code == 302
    assert _post_login(Client(), "teacher_a", PASSWORD).status_code == 200  # form shown again, no login


@pytest.mark.django_db
def test_activation_link_sets_password_once(world):
    student_user = world.student_user_a1
    student_user.set_unusable_password()
    student_user.save()
    path = services.user_activation_link_issue(actor=world.head_teacher_a1, user=student_user)
    client = Client()
    form_page = client.get(path, follow=True)
    assert "设置密码" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "abc12345", "new_password2": "abc12345"})
    assert "至少三类" in weak.content.decode() or "太短" in weak.content.decode()
    done = client.post(set_url, {"new_password1": "Student#2026ok", "new_password2": "Student#2026ok"})
    assert done.status_code == 302
    assert _post_login(Client(), student_user.username, "Student#2026ok").status_code == 302
    again = Client().get(path, follow=True)
    assert "链接无效" in again.content.decode()


@pytest.mark.django_db
def test_login_form_requires_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "teacher_a", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db
def test_security_headers(world):
    client = Client()
    response = client.get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=False)
def test_hsts_sent_over_https(world):
    response = Client().get(LOGIN, secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_user_without_roles_sees_no_data(world):
    User.objects.create_user(username="nobody", password=PASSWORD)
    client = Client()
    _post_login(client, "nobody", PASSWORD)
    assert client.get("/people/students/").status_code == 403
    assert client.get(f"/people/students/{world.student_a1.pk}/").status_code == 404


def test_production_settings_pass_deploy_checks(tmp_path):
    """`manage.py check --deploy` with the production settings of the README reports nothing."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZX_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        ZX_HTTPS="1",
        ZX_DEBUG="0",
        ZX_SECRET_KEY="p" * 20 + "-Qx7!kL2#vN9@mR4$tW8%zY1^aB6&cD3*eF5",
        ZX_FIELD_KEY=os.environ["ZX_FIELD_KEY"],
        ZX_ALLOWED_HOSTS="edu.example.cn",
        DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.django_db
def test_a_parent_logs_in_with_the_mobile_number(world):
    from core.models import Person
    from core.testing import make_person

    client = Client()
    response = _post_login(client, "13800138001", PASSWORD)  # world.parent1's phone
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == world.parent1.pk
    assert _post_login(Client(), "13800138001", "wrong-password").status_code == 200
    assert _post_login(Client(), "13800138009", PASSWORD).status_code == 200  # nobody has that number
    # a number shared by two people logs nobody in: they must use their usernames
    other = make_person("周建军", born=dt.date(1983, 5, 5), phone="13800138002")
    assert Person.objects.filter(phone_index=other.phone_index).count() == 2
    from core.testing import make_user

    make_user(other, "parent_shared")
    assert _post_login(Client(), "13800138002", PASSWORD).status_code == 200
