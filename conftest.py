"""Shared fixtures. Environment setup lives in zx_testenv.py (loaded early with -p)."""

import pytest


@pytest.fixture
def world(db):
    from core.testing import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # argon2 is tested explicitly in test_security; elsewhere a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
