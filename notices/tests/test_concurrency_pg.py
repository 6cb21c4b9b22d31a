"""2,000 parents opening the same notice at once, on PostgreSQL with real threads and connections: every read
is recorded exactly once and nothing fails. Runs only with ZX_TEST_DATABASE_URL (PostgreSQL), e.g.

    ZX_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zx_notices .venv/bin/python -m pytest \
        notices/tests/test_concurrency_pg.py -q
"""

import queue
import threading

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.postgresql,  # deselected in the SQLite pass (zx_testenv)
    pytest.mark.django_db(transaction=True),
]

PARENTS, THREADS, HOT, HOT_READERS = 2000, 32, 20, 8


def _class_of_2000(w):
    """Class a1 gets 2,000 more students, each with one parent who has an account."""
    from core.models import Guardianship, Person, Student, User

    persons = Person.objects.bulk_create([Person(name=f"学生{i:04d}") for i in range(PARENTS)])
    students = Student.objects.bulk_create(
        [
            Student(
                person=p,
                district=w.district,
                school=w.school_a,
                klass=w.class_a1,
                student_no=f"T{i:08d}",
                class_no=100 + i,
            )
            for i, p in enumerate(persons)
        ]
    )
    parents = Person.objects.bulk_create([Person(name=f"家长{i:04d}") for i in range(PARENTS)])
    users = User.objects.bulk_create(
        [User(username=f"cp{i:04d}", person=p, password="!") for i, p in enumerate(parents)]
    )
    Guardianship.objects.bulk_create(
        [Guardianship(guardian=p, student=s, relation="2") for p, s in zip(parents, students, strict=True)]
    )
    return users


def test_two_thousand_parents_read_concurrently_each_recorded_once(bworld_pg):
    from notices import services
    from notices.models import NoticeRecipient

    assert connection.vendor == "postgresql"
    w = bworld_pg
    users = _class_of_2000(w)
    notice = services.notice_send(
        actor=w.head_teacher_a1,
        level="class",
        node=w.class_a1,
        title="期末考试安排",
        audience={"targets": ["parents"]},
    )
    services.notice_fanout(notice_id=notice.pk)
    assert NoticeRecipient.objects.filter(notice=notice).count() == PARENTS + 1  # + parent1

    # first the hot parents, each one's readings consecutive (so they are taken by different threads at the
    # same moment and meet at a barrier: several devices at once), then everyone else
    work: queue.Queue = queue.Queue()
    hot = users[:HOT]
    barriers = {u.pk: threading.Barrier(HOT_READERS) for u in hot}
    for u in hot:
        for _ in range(HOT_READERS):
            work.put(("hot", u))
    for u in users:
        work.put(("one", u))
    recorded: list = []
    errors: list = []
    lock = threading.Lock()

    def reader():
        try:
            while True:
                try:
                    kind, user = work.get_nowait()
                except queue.Empty:
                    return
                if kind == "hot":
                    barriers[user.pk].wait(timeout=60)
                ok = services.notice_read(user=user, notice_id=notice.pk)
                with lock:
                    recorded.append((user.pk, ok))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(recorded) == PARENTS + HOT * HOT_READERS
    firsts = [pk for pk, ok in recorded if ok]
    assert sorted(firsts) == sorted(u.pk for u in users)  # each parent's read recorded exactly once
    rows = NoticeRecipient.objects.filter(notice=notice, user__in=users)
    assert rows.filter(read_at__isnull=True).count() == 0
    assert rows.count() == PARENTS


@pytest.fixture
def bworld_pg(transactional_db):
    from core.testing import build_world

    return build_world()
