"""Double clicks and two people acting at once (PostgreSQL): the request row is locked, so a step is decided once
and the chain advances once. Runs in the PostgreSQL pass (ZX_TEST_DATABASE_URL=postgres://…)."""

import datetime as dt

import pytest
from django.db import connection

from core.testing import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]  # deselected in the SQLite pass


@pytest.fixture
def pg_world(transactional_db, settings, tmp_path):
    assert connection.vendor == "postgresql", "run with ZX_TEST_DATABASE_URL (PostgreSQL)"
    from core.testing import build_world
    from oa.testing import add_leaders

    settings.MEDIA_ROOT = str(tmp_path)
    w = build_world()
    add_leaders(w)
    return w


def test_double_approve_and_approver_vs_delegate(pg_world):
    from oa import services
    from oa.models import ApprovalEvent, ApprovalRequest, ApprovalStep
    from oa.testing import next_monday

    w = pg_world
    monday = next_monday()
    for round_ in range(5):
        req = services.request_submit(
            actor=w.teacher_a,
            school=w.school_a,
            request_type="leave",
            reason="病假",
            start_date=monday + dt.timedelta(days=7 * round_),
            end_date=monday + dt.timedelta(days=7 * round_ + 3),
            details={"leave_type": "sick"},
        )
        # the same approver clicks twice at once
        results = race(
            lambda req=req: services.request_act(actor=w.director_user, request=req, decision="approve"),
            lambda req=req: services.request_act(actor=w.director_user, request=req, decision="approve"),
        )
        assert sorted(results) == ["PermissionDenied", "ok"], results
        steps = list(ApprovalStep.objects.filter(request=req).order_by("order").values_list("status", flat=True))
        assert steps == ["approved", "pending"]
        assert ApprovalEvent.objects.filter(request=req, action="approve").count() == 1

    # approving and withdrawing at the same moment: one of them wins, the request is consistent
    req = ApprovalRequest.objects.filter(status="pending").first()
    results = race(
        lambda: services.request_act(actor=w.school_admin_a, request=req, decision="approve"),
        lambda: services.request_withdraw(actor=w.teacher_a, request=req),
    )
    assert sorted(results) == ["ValidationError", "ok"], results
    req.refresh_from_db()
    statuses = set(req.steps.values_list("status", flat=True))
    if req.status == "approved":
        assert statuses == {"approved"}
    else:
        assert req.status == "withdrawn" and "pending" not in statuses
