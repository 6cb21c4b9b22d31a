"""The knowledge API: the scope cases (teachers and students of the district yes, parents and other districts
no), the tree in display order with parent ids, search and node detail."""

import pytest
from django.test import Client

from core.testing import check_api_scope_case, login
from knowledge.api import knowledge_api_scope_cases

from .conftest import node

pytestmark = [pytest.mark.django_db]
API = "/api/v1/knowledge"


def client_for(user) -> Client:
    c = Client()
    login(c, user)
    return c


def test_api_scope_cases(world, other):
    for case in knowledge_api_scope_cases(world):
        check_api_scope_case(world, case, also_outside=[other.teacher])  # and a user of another district


def test_tree_search_and_detail(demo_tree):
    w = demo_tree
    c = client_for(w.student_user_a1)
    tree = c.get(f"{API}/tree", {"stage": "junior", "subject": w.math.pk}).json()
    items = tree["items"]
    assert tree["count"] == len(items) > 100
    assert [i["code"] for i in items[:3]] == ["M7A-1", "M7A-1-1", "M7A-1-1-1"]
    by_id = {i["id"]: i for i in items}
    point = next(i for i in items if i["code"] == "M7A-1-2-3")
    assert by_id[point["parent_id"]]["code"] == "M7A-1-2" and point["depth"] == 2
    editions = c.get(f"{API}/editions", {"stage": "junior", "subject": w.math.pk}).json()
    bs = next(e for e in editions["items"] if e["code"] == "BS-M7A")
    assert bs["label"] == "北师大版 七年级上册"
    small = c.get(f"{API}/tree", {"stage": "junior", "subject": w.math.pk, "edition": bs["id"]}).json()
    assert 7 < small["count"] < 20
    found = c.get(f"{API}/nodes", {"q": "绝对值"}).json()["items"]
    assert "M7A-1-2-4" in [i["code"] for i in found]
    assert all("绝对值" in i["name"] + i["description"] for i in found)
    assert c.get(f"{API}/nodes", {"q": "M7B-6-1"}).json()["count"] == 4  # the section and its three points
    detail = c.get(f"{API}/nodes/{node(w, 'M7A-1-2-4').pk}").json()
    assert [a["code"] for a in detail["ancestors"]] == ["M7A-1", "M7A-1-2"]
    assert {p["name"] for p in detail["prerequisites"]} == {"数轴", "相反数"}
    assert "有理数的大小比较" in {u["name"] for u in detail["unlocks"]}
    assert sorted(e["code"] for e in detail["editions"]) == ["BS-M7A", "RJ-M7A"]
    assert c.get(f"{API}/tree", {"stage": "junior", "subject": w.math.pk, "edition": 999999}).status_code == 404
