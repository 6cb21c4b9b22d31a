"""Test bootstrap: throwaway keys for the run, and PostgreSQL when ZX_TEST_DATABASE_URL is set."""

import base64
import os
import secrets

os.environ.setdefault("ZX_SECRET_KEY", "test-" + secrets.token_urlsafe(40))
os.environ.setdefault("ZX_FIELD_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
os.environ["ZX_MANIFEST_STATIC"] = "0"
if os.environ.get("ZX_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["ZX_TEST_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
if os.environ.get("ZX_TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["ZX_TEST_REDIS_URL"]

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
