"""The 家校 demo hook: codes, leaves in each state, binding requests and a month of realistic attendance."""

import pytest

from core.demo.generate import seed_demo
from homeschool.models import AttendanceSheet, BindingRequest, InvitationCode, LeaveRequest
from homeschool.selectors import rate

pytestmark = pytest.mark.django_db


def test_demo_hook_makes_every_state(monkeypatch):
    from core.demo import generate
    from homeschool.demo import homeschool_demo_seed

    # only this module's hook: the test does not depend on the other modules' demo data
    monkeypatch.setattr(generate, "DEMO_HOOKS", [homeschool_demo_seed])
    lines = []
    seed_demo(schools=3, students_per_school=200, seed=7, out=lines.append)
    assert any(line.startswith("家校演示数据") for line in lines), lines
    assert InvitationCode.objects.filter(revoked_at__isnull=True).exists()
    assert InvitationCode.objects.filter(revoked_at__isnull=False).count() == 1
    assert BindingRequest.objects.filter(status="pending").count() == 2
    states = set(LeaveRequest.objects.values_list("status", flat=True))
    assert states == {"pending_head", "pending_grade", "approved", "rejected", "cancelled"}
    assert LeaveRequest.objects.filter(returned_at__isnull=False).count() == 1
    sheets = list(AttendanceSheet.objects.all())
    assert len({s.date for s in sheets}) >= 20
    expected = sum(s.expected for s in sheets)
    overall = rate(expected, sum(s.absent for s in sheets), sum(s.leave for s in sheets))
    assert 97.0 <= overall <= 99.0, overall
    # the counts on each sheet are those of its marks
    for s in sheets[:50]:
        kinds = list(s.marks.values_list("kind", flat=True))
        assert (s.late, s.early, s.absent, s.leave) == tuple(
            kinds.count(k) for k in ("late", "early", "absent", "leave")
        )
