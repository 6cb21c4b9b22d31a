"""The notices demo hook: the demo school's class notice with 回执 reaches the demo parent (unread, to sign in
the demo) and the demo 班主任 follows it up."""

import pytest

from core.demo import generate
from core.models import User
from notices.demo import notices_demo_seed
from notices.models import Notice, NoticeRecipient

pytestmark = pytest.mark.django_db


def test_demo_has_district_school_and_class_notices(monkeypatch):
    monkeypatch.setattr(generate, "DEMO_HOOKS", [notices_demo_seed])
    lines = []
    generate.seed_demo(schools=3, students_per_school=60, seed=7, out=lines.append)
    assert any(line.startswith("通知演示数据：4 条通知") for line in lines), lines
    assert set(Notice.objects.values_list("level", flat=True)) == {"district", "school", "class"}
    survey = Notice.objects.get(title="秋季研学活动家长意见征询")
    parent = User.objects.get(username="parent")
    row = NoticeRecipient.objects.get(notice=survey, user=parent)
    assert row.read_at is None and row.receipt_at is None
    # the demo 班主任 is the sender; some parents have read and signed, not all
    assert survey.sender == User.objects.get(username="head_teacher")
    rows = NoticeRecipient.objects.filter(notice=survey)
    assert 0 < rows.filter(receipt_at__isnull=False).count() < rows.count()
    assert rows.filter(read_at__isnull=True).exists()
    assert Notice.objects.get(title="期末家长会通知").is_scheduled
    district = Notice.objects.get(level="district")
    assert district.pinned and district.recipients_total > 0
