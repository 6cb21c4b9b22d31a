"""Walk every registered page and form endpoint as anonymous, out-of-scope and in-scope users."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.scope_matrix import CASES, PUBLIC, SELF_SERVICE
from core.testing import login


def _all_url_names(patterns=None, namespace=""):
    names = set()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            if p.namespace == "api":
                continue  # the API has its own matrix (core/tests/test_api.py)
            names |= _all_url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}{p.name}")
    return names


def test_every_url_is_in_the_matrix():
    covered = {c.url_name for c in CASES} | PUBLIC | SELF_SERVICE
    missing = sorted(_all_url_names() - covered)
    assert not missing, f"URLs without scope-matrix cases: {missing}"


def _ids(case):
    return f"{case.method}:{case.url_name}"


def _request(client, case, world):
    url = reverse(case.url_name, args=case.args(world))
    if case.method == "post":
        return client.post(url, case.data(world))
    return client.get(url, case.query(world))


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_anonymous_is_sent_to_login(case, world):
    response = _request(Client(), case, world)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_out_of_scope_user_is_refused(case, world):
    client = Client()
    login(client, getattr(world, case.out_of_scope))
    response = _request(client, case, world)
    if case.kind == "list" and case.method == "get":
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert case.marker(world) not in response.content.decode()
    else:
        assert response.status_code in (403, 404), response.status_code
        if case.marker and case.kind != "download":
            assert case.marker(world) not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_in_scope_user_gets_through(case, world):
    client = Client()
    login(client, getattr(world, case.in_scope))
    response = _request(client, case, world)
    if case.kind == "download":
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
    elif case.method == "get":
        assert response.status_code == 200
        assert case.marker(world) in response.content.decode()
    else:
        assert response.status_code in (200, 204, 302), response.status_code
        if case.marker:
            assert case.marker(world) in response.content.decode()
