"""The OA demo hook on a small demo district: chains everywhere, requests in each state, payslips and 公文, and
the demo logins find their part of it."""

import time

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(monkeypatch, settings, tmp_path):
    from core.demo import generate
    from oa.demo import oa_demo_seed

    settings.MEDIA_ROOT = str(tmp_path)
    timing = {}

    def timed(**kwargs):
        started = time.monotonic()
        oa_demo_seed(**kwargs)
        timing["oa"] = time.monotonic() - started

    # only this module's hook: the other modules' demo data is theirs to test
    monkeypatch.setattr(generate, "DEMO_HOOKS", [timed])
    result = generate.seed_demo(schools=3, students_per_school=60, seed=7)
    return result, timing["oa"]


def test_demo_shows_oa_in_every_state(seeded):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core.models import School
    from core.testing import login
    from oa.models import ApprovalChain, ApprovalRequest, Document, PayrollBatch, Payslip, RequestStatus

    _result, elapsed = seeded
    assert elapsed < 5, elapsed  # the hook stays fast
    assert ApprovalChain.objects.count() == 4 * School.objects.count()
    statuses = set(ApprovalRequest.objects.values_list("status", flat=True))
    assert statuses >= {s.value for s in RequestStatus}
    batch = PayrollBatch.objects.get()
    assert batch.status == "released" and batch.slips.count() > 5
    assert Payslip.objects.filter(status="confirmed").exists() and Payslip.objects.filter(status="questioned").exists()
    assert Document.objects.filter(direction="in").count() == School.objects.count()

    User = get_user_model()
    principal = User.objects.get(username="school_admin")
    c = Client()
    login(c, principal)
    inbox = c.get("/oa/").content.decode()
    assert "的请假申请（事假 4 天）" in inbox  # the two-step leave waits for the principal
    assert "的采购申请（¥12,800.00）" in inbox  # over the 5,000 元 threshold
    head = User.objects.get(username="head_teacher")
    c = Client()
    login(c, head)
    mine = c.get("/oa/?tab=mine").content.decode()
    assert "事假 4 天" in mine
    assert "关于开展2026年冬季校园安全大检查的通知" in c.get("/oa/docs/").content.decode()
    two_step = ApprovalRequest.objects.get(status="approved", details__leave_type="marriage")
    assert [s.status for s in two_step.steps.all()] == ["approved", "approved"]
    assert "代" in " ".join(ApprovalRequest.objects.get(request_type="trip").events.values_list("text", flat=True))
