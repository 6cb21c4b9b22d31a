import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from core.models import AuditLog, District, RoleGrant, Subject, Term, User
from core.scope import roles_of


@pytest.mark.django_db
def test_setup_district_creates_district_admin_and_calendar(monkeypatch):
    monkeypatch.setenv("ZX_ADMIN_PASSWORD", "Setup#Admin2026")
    out = io.StringIO()
    call_command(
        "setup_district",
        region="330211",
        name="宁波市镇海区教育局",
        admin_username="zh_admin",
        admin_name="张三",
        stdout=out,
    )
    district = District.objects.get()
    assert district.region.code == "330211" and district.name == "宁波市镇海区教育局"
    user = User.objects.get(username="zh_admin")
    assert RoleGrant.objects.filter(user=user, role="district_admin", district=district).exists()
    assert roles_of(user) == {"district_admin"}
    assert Subject.objects.filter(district=district, name="语文").exists()
    assert Term.objects.filter(district=district, is_current=True).count() == 1
    request = RequestFactory().post("/account/login/")
    assert authenticate(request=request, username="zh_admin", password="Setup#Admin2026") == user
    assert "初始密码" not in out.getvalue()  # the operator chose it
    assert AuditLog.objects.filter(action="district.setup").exists()
    with pytest.raises(CommandError, match="已存在区县"):
        call_command(
            "setup_district", region="330211", name="x", admin_username="y", admin_name="z", stdout=io.StringIO()
        )


@pytest.mark.django_db
def test_setup_district_generates_a_policy_compliant_password_and_handles_unknown_regions(monkeypatch):
    monkeypatch.delenv("ZX_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="region-name"):
        call_command(
            "setup_district",
            region="450102",
            name="南宁市兴宁区教育局",
            admin_username="a1",
            admin_name="李四",
            stdout=io.StringIO(),
        )
    assert not District.objects.exists()
    out = io.StringIO()
    call_command(
        "setup_district",
        region="450102",
        region_name="兴宁区",
        name="南宁市兴宁区教育局",
        admin_username="a1",
        admin_name="李四",
        stdout=out,
    )
    password = out.getvalue().split("初始密码（只显示这一次，请登录后立即修改）：")[1].split()[0]
    request = RequestFactory().post("/account/login/")
    assert authenticate(request=request, username="a1", password=password) is not None


@pytest.mark.django_db
def test_setup_district_refuses_weak_password(monkeypatch):
    monkeypatch.setenv("ZX_ADMIN_PASSWORD", "123456")
    with pytest.raises(CommandError, match="密码策略"):
        call_command(
            "setup_district", region="330211", name="x", admin_username="a", admin_name="b", stdout=io.StringIO()
        )
    assert not District.objects.exists()
