"""Fixtures of the notices tests: a notice helper that sends and fans out at once (the fan-out task runs after
commit, which plain ``django_db`` tests never reach)."""

import pytest


@pytest.fixture
def send(world):
    from notices import services

    def _send(actor=None, *, level="class", node=None, audience=None, **kwargs):
        actor = actor or world.head_teacher_a1
        node = node or world.class_a1
        kwargs.setdefault("title", "期中家长会通知")
        kwargs.setdefault("body", "<p>本周六上午 9:00 召开家长会。</p>")
        notice = services.notice_send(
            actor=actor, level=level, node=node, audience=audience or {"targets": ["parents"]}, **kwargs
        )
        services.notice_fanout(notice_id=notice.pk)
        notice.refresh_from_db()
        return notice

    return _send
