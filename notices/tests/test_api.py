"""/api/v1/notices: inbox, detail, mark read (once), 回执, sender statistics; the scope matrix of the router."""

import json

import pytest
from django.test import Client

from core.testing import check_api_scope_case, login
from notices.api import notices_api_scope_cases
from notices.models import NoticeRecipient

pytestmark = pytest.mark.django_db
API = "/api/v1/notices"


def client_for(user):
    c = Client()
    login(c, user)
    return c


def test_notices_api_scope_matrix(world):
    cases = notices_api_scope_cases(world)
    for case in cases:
        check_api_scope_case(world, case, expected_id=case.id_expected if case.kind == "detail" else None)


def test_parent_reads_and_signs_through_the_api(world, send):
    notice = send(receipt_kind="choice", receipt_options=["同意参加", "不参加"])
    c = client_for(world.parent1)
    items = c.get(f"{API}/inbox").json()["items"]
    assert [(i["id"], i["read_at"], i["receipt_kind"], i["student_id"]) for i in items] == [
        (notice.pk, None, "choice", world.student_a1.pk)
    ]
    detail = c.get(f"{API}/{notice.pk}").json()
    assert detail["is_recipient"] is True and detail["receipt_options"] == ["同意参加", "不参加"]
    assert detail["read_at"] is None  # GET does not record a read

    first = c.post(f"{API}/{notice.pk}/read").json()
    again = c.post(f"{API}/{notice.pk}/read").json()
    assert first["recorded"] is True and again["recorded"] is False
    assert first["read_at"] == again["read_at"]

    bad = c.post(f"{API}/{notice.pk}/receipt", json.dumps({"choice": "随便"}), content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"choice": ["请选择一项"]}
    ok = c.post(f"{API}/{notice.pk}/receipt", json.dumps({"choice": "不参加"}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["receipt_choice"] == "不参加"
    assert NoticeRecipient.objects.get(notice=notice).receipt_choice == "不参加"

    # parent2 is not a recipient: neither read nor sign
    other = client_for(world.parent2)
    assert other.post(f"{API}/{notice.pk}/read").status_code == 404
    assert (
        other.post(f"{API}/{notice.pk}/receipt", json.dumps({"choice": "同意参加"}), content_type="application/json")
    ).status_code == 404

    stats = client_for(world.head_teacher_a1).get(f"{API}/{notice.pk}/stats").json()
    assert (stats["total"], stats["read"], stats["signed"], stats["unread"]) == (1, 1, 1, 0)
    assert stats["groups"][0]["label"] == world.class_a1.name
