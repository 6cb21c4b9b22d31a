"""pytest plugin loaded with ``-p zx_testenv`` before pytest-django reads the settings.

Gives every run throwaway keys (never the developer's .env), selects PostgreSQL/Redis when
ZX_TEST_DATABASE_URL / ZX_TEST_REDIS_URL are set, and lets transactional tests (live server) flush
the append-only audit table at teardown by lifting its triggers for the flush only.
"""

import base64
import os
import secrets

import pytest

os.environ["ZX_SECRET_KEY"] = "test-" + secrets.token_urlsafe(40)
os.environ["ZX_FIELD_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ["ZX_DEBUG"] = "0"
os.environ["ZX_MANIFEST_STATIC"] = "0"
os.environ["ZX_HTTPS"] = "0"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["ZX_JOBS_IN_THREAD"] = "0"  # jobs run inline: a test sees their outcome when the request returns
if os.environ.get("ZX_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["ZX_TEST_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
if os.environ.get("ZX_TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["ZX_TEST_REDIS_URL"]
else:
    os.environ.pop("REDIS_URL", None)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` need real parallel connections: they belong to the PostgreSQL pass of the
    suite (``.ci/run`` runs both passes) and are deselected, not skipped, in the SQLite pass."""
    if os.environ.get("ZX_TEST_DATABASE_URL"):
        return
    kept = [i for i in items if i.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker("postgresql") is not None])
        items[:] = kept


TRANSACTIONAL = {"transactional_db", "live_server", "django_db_serialized_rollback"}


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback")):
        return True
    return bool(TRANSACTIONAL & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if not _is_transactional(item):
        yield
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    from core import audit_triggers

    blocker = item.config.stash[blocking_manager_key]
    with blocker.unblock():
        audit_triggers.uninstall(connection)
    yield
    if nextitem is None:
        return  # the session is ending: the test database is already gone, nothing to restore
    from core.data.loaders import reference_data_ensure

    with blocker.unblock():
        audit_triggers.install(connection)
        reference_data_ensure()  # the flush removed the rows data migrations had loaded
