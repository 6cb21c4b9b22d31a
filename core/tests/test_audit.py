"""The audit log: one hash-chained row per write, masked personal data, append-only at ORM and database
level, tamper detection by ``manage.py audit_verify``, and a gap-free chain under concurrent writers."""

import datetime as dt
import io
import itertools
import json
import re
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from core import audit_triggers, idcard, services
from core.audit import audit_chain_verify, audit_record, diff
from core.models import AuditAppendOnlyError, AuditChainHead, AuditLog
from core.testing import unused_id_number

ID_LIKE = re.compile(r"\d{17}[\dXx]")
PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
TRIGGERS = {
    "sqlite": {"core_auditlog_no_update", "core_auditlog_no_delete"},
    "postgresql": {"core_auditlog_no_change", "core_auditlog_no_truncate"},
}


def vendor() -> str:
    assert connection.vendor in TRIGGERS, f"audit triggers are only defined for {sorted(TRIGGERS)}"
    return connection.vendor


def triggers_present() -> set[str]:
    with connection.cursor() as cur:
        if vendor() == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditlog'")
        else:
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditlog'::regclass AND NOT tgisinternal")
        return {name for (name,) in cur.fetchall()}


def drop_row_triggers() -> None:
    """What an attacker with database access would do first (rolled back with the test transaction)."""
    with connection.cursor() as cur:
        if vendor() == "sqlite":
            cur.execute("DROP TRIGGER core_auditlog_no_update")
            cur.execute("DROP TRIGGER core_auditlog_no_delete")
        else:
            cur.execute("DROP TRIGGER core_auditlog_no_change ON core_auditlog")


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


def run_verify() -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``manage.py audit_verify``."""
    out, err = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("audit_verify", stdout=out, stderr=err)
    except SystemExit as exc:
        status = exc.code
    except CommandError as exc:
        status = exc.returncode
        err.write(str(exc))
    return status, out.getvalue(), err.getvalue()


def some_writes(w) -> None:
    """A handful of audited service writes on top of the world's own rows."""
    services.class_update(actor=w.school_admin_a, klass=w.class_a1, alias="实验班")
    services.class_update(actor=w.school_admin_b, klass=w.class_b1, alias="国际班")
    services.teaching_assignment_set(
        actor=w.school_admin_a, klass=w.class_a2, subject=w.math, teacher=w.math_a, periods_per_week=4
    )
    services.person_reveal(actor=w.district_admin, person=w.parent1_person, field="phone")
    services.role_grant_create(actor=w.school_admin_a, user=w.head_teacher_a2, role="grade_leader", grade=w.grade_a)


def chain():
    return list(AuditLog.objects.order_by("id"))


# --- triggers exist (checked again at the end of the file, after the tampering tests) ----------------


@pytest.mark.django_db
def test_append_only_triggers_are_installed():
    assert triggers_present() >= TRIGGERS[vendor()]


# --- the chain ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_service_write_appends_one_chained_row(world):
    w = world
    writes = [
        ("class.update", lambda: services.class_update(actor=w.school_admin_a, klass=w.class_a1, alias="实验班")),
        (
            "class.create",
            lambda: services.class_create(actor=w.school_admin_a, grade=w.grade_a, number=3, head_teacher=w.math_a),
        ),
        (
            "teachingassignment.update",
            lambda: services.teaching_assignment_set(
                actor=w.school_admin_a, klass=w.class_a1, subject=w.math, teacher=w.head_a1, periods_per_week=5
            ),
        ),
        (
            "guardianship.create",
            lambda: services.guardianship_bind(
                actor=w.head_teacher_a1, student=w.student_a1b, relation="1", guardian=w.parent1_person
            ),
        ),
        (
            "person.update",
            lambda: services.person_update(actor=w.school_admin_a, person=w.parent2_person, name="郑芳芳"),
        ),
        (
            "person.reveal",
            lambda: services.person_reveal(actor=w.district_admin, person=w.parent2_person, field="phone"),
        ),
        (
            "rolegrant.create",
            lambda: services.role_grant_create(
                actor=w.district_admin, user=w.teacher_b, role="school_admin", school=w.school_b
            ),
        ),
        ("user.sessions_revoke", lambda: services.user_sessions_revoke(actor=w.school_admin_a, user=w.teacher_a)),
        (
            "school.update",
            lambda: services.school_update(actor=w.school_admin_b, school=w.school_b, address="骆驼街道"),
        ),
    ]
    for action, write in writes:
        before = chain()
        write()
        after = chain()
        assert len(after) == len(before) + 1, action
        new = after[-1]
        assert new.action == action
        assert new.id == before[-1].id + 1
        assert new.prev_hash == before[-1].hash
        assert new.hash == new.compute_hash()
        assert re.fullmatch(r"[0-9a-f]{64}", new.hash)
    rows = chain()
    assert [r.id for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == "0" * 64
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_id, head.last_hash) == (rows[-1].id, rows[-1].hash)
    assert audit_chain_verify() == (len(rows), None)


@pytest.mark.django_db
def test_audit_row_records_actor_ip_and_scope(world):
    from core.audit import current_ip

    token = current_ip.set("10.1.2.3")
    try:
        services.class_update(actor=world.school_admin_a, klass=world.class_a1, alias="实验班")
    finally:
        current_ip.reset(token)
    row = AuditLog.objects.order_by("-id").first()
    assert (row.actor_id, row.actor_name, row.ip) == (world.school_admin_a.pk, "sadmin_a", "10.1.2.3")
    assert (row.object_type, row.object_id, row.object_repr) == (
        "core.class",
        str(world.class_a1.pk),
        str(world.class_a1),
    )
    assert (row.district_id, row.school_id) == (world.district.pk, world.school_a.pk)
    assert row.changes == {"alias": ["", "实验班"]}


@pytest.mark.django_db
def test_failed_service_writes_leave_no_audit_row(world):
    n = AuditLog.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied / ValidationError, both roll back
        services.class_create(actor=world.school_admin_b, grade=world.grade_a, number=3)
    with pytest.raises(Exception):  # noqa: B017
        services.class_create(actor=world.school_admin_a, grade=world.grade_a, number=1)
    assert AuditLog.objects.count() == n
    assert audit_chain_verify() == (n, None)


# --- masking -----------------------------------------------------------------------------------------


def audit_text() -> str:
    """Everything the audit table holds in changes/object_repr, as stored by the database."""
    with connection.cursor() as cur:
        cur.execute("SELECT changes, object_repr, actor_name FROM core_auditlog ORDER BY id")
        rows = cur.fetchall()
    parts = []
    for changes, repr_, actor in rows:
        parts.append(changes if isinstance(changes, str) else json.dumps(changes, ensure_ascii=False))
        parts += [repr_, actor]
    return "\n".join(parts)


def test_diff_masks_sensitive_fields():
    before = {"id_number": "11010519491231002X", "phone": "", "name": "甲"}
    after = {"id_number": "440524188001010014", "phone": "13800138000", "name": "甲"}
    assert diff(before, after) == {
        "id_number": ["110105********002X", "440524********0014"],
        "phone": ["", "138****8000"],
    }


@pytest.mark.django_db
def test_audit_rows_mask_id_numbers_and_phones(world):
    w = world
    person = w.student_a1.person
    old_number = person.id_number
    new_number = unused_id_number(person.birth_date)
    services.person_update(actor=w.school_admin_a, person=person, id_number=new_number, phone="13912345678")
    services.guardianship_bind(
        actor=w.head_teacher_a1,
        student=w.student_a1b,
        relation="2",
        guardian_data={
            "name": "吴妈妈",
            "id_number": idcard.make("330211", dt.date(1986, 6, 6), 20),
            "phone": "13700001111",
        },
    )
    services.staff_post_create(
        actor=w.school_admin_a,
        school=w.school_a,
        person_data={
            "name": "新老师",
            "id_number": idcard.make("330211", dt.date(1992, 2, 2), 22),
            "phone": "13600002222",
        },
    )
    services.person_reveal(actor=w.district_admin, person=person, field="id_number")
    services.person_update(actor=w.school_admin_a, person=w.parent2_person, phone="13511112222")

    row = AuditLog.objects.filter(action="person.update", object_id=str(person.pk)).get()
    assert row.changes["id_number"] == [
        old_number[:6] + "********" + old_number[-4:],
        new_number[:6] + "********" + new_number[-4:],
    ]
    assert row.changes["phone"] == ["", "139****5678"]
    text = audit_text()
    assert not ID_LIKE.search(text), ID_LIKE.search(text)
    assert not PHONE_LIKE.search(text), PHONE_LIKE.search(text)
    for secret in [old_number, new_number, "13912345678", "13700001111", "13600002222", "13511112222", "13800138002"]:
        assert secret not in text


@pytest.mark.django_db
def test_student_number_embedding_id_number_is_not_logged_in_clear(world):
    """The national 学籍号 is "G" + 身份证号; the append-only audit log must not keep it in clear."""
    number = idcard.make("330211", dt.date(2013, 5, 5), 41)
    services.student_create(
        actor=world.school_admin_a,
        klass=world.class_a2,
        student_no=f"G{number}",
        person_data={"name": "钱小多", "id_number": number},
    )
    row = AuditLog.objects.get(action="student.create")
    assert number not in json.dumps(row.changes, ensure_ascii=False)
    assert not ID_LIKE.search(audit_text())


# --- append-only -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_orm_update_and_delete_of_a_row_raise(world):
    row = AuditLog.objects.order_by("id").first()
    row.object_repr = "改过的"
    with pytest.raises(AuditAppendOnlyError):
        row.save()
    with pytest.raises(AuditAppendOnlyError):
        row.delete()
    stored = AuditLog.objects.get(pk=row.pk)
    assert stored.object_repr != "改过的"
    assert audit_chain_verify()[1] is None


@pytest.mark.django_db
def test_queryset_update_and_delete_are_refused_by_the_database(world):
    n = AuditLog.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=1).update(object_repr="改过的")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=1).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.all().delete()
    assert AuditLog.objects.count() == n
    assert AuditLog.objects.get(pk=1).object_repr != "改过的"
    assert audit_chain_verify() == (n, None)


@pytest.mark.django_db
def test_raw_sql_update_and_delete_are_refused_by_trigger(world):
    n = AuditLog.objects.count()
    original = AuditLog.objects.get(pk=1).object_repr
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        raw("UPDATE core_auditlog SET object_repr = %s WHERE id = %s", ["改过的", 1])
    assert "append-only" in str(exc.value)
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        raw("DELETE FROM core_auditlog WHERE id = %s", [1])
    assert "append-only" in str(exc.value)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("DELETE FROM core_auditlog")
    assert AuditLog.objects.count() == n
    assert AuditLog.objects.get(pk=1).object_repr == original


@pytest.mark.django_db
def test_truncate_is_refused_on_postgresql(world):
    """PostgreSQL TRUNCATE bypasses row triggers; a statement trigger refuses it. (SQLite has no TRUNCATE.)"""
    n = AuditLog.objects.count()
    if vendor() == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            raw("TRUNCATE core_auditlog")
    else:
        with pytest.raises(DatabaseError), transaction.atomic():
            raw("DELETE FROM core_auditlog WHERE 1 = 1")
    assert AuditLog.objects.count() == n


# --- tamper detection --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_verify_reports_intact_chain(world):
    some_writes(world)
    n = AuditLog.objects.count()
    assert n >= 7
    status, out, err = run_verify()
    assert status == 0
    assert f"审计链完整：{n} 条记录" in out
    assert err == ""


@pytest.mark.django_db
def test_audit_verify_on_empty_log():
    assert not AuditLog.objects.exists()
    status, out, _ = run_verify()
    assert status == 0
    assert "审计链完整：0 条记录" in out


@pytest.mark.django_db
def test_audit_verify_detects_changed_content(world):
    some_writes(world)
    k = 4
    drop_row_triggers()
    raw("UPDATE core_auditlog SET object_repr = %s WHERE id = %s", ["无害的记录", k])
    assert AuditLog.objects.get(pk=k).object_repr == "无害的记录"
    status, out, err = run_verify()
    assert status == 1
    assert f"#{k} " in err and "篡改" in err
    assert "审计链完整" not in out
    checked, problem = audit_chain_verify()
    assert checked == k - 1
    assert problem.startswith(f"审计日志 #{k} ")


@pytest.mark.django_db
def test_audit_verify_detects_changed_result_field(world):
    some_writes(world)
    k = AuditLog.objects.get(action="person.reveal").pk
    drop_row_triggers()
    raw("UPDATE core_auditlog SET result = %s, actor_name = %s WHERE id = %s", ["denied", "someone_else", k])
    status, _, err = run_verify()
    assert status == 1
    assert f"#{k} " in err


@pytest.mark.django_db
def test_audit_verify_detects_rewritten_row_with_recomputed_hash(world):
    """Recomputing the tampered row's own hash does not help: the next row's prev_hash no longer matches."""
    some_writes(world)
    k = 3
    drop_row_triggers()
    row = AuditLog.objects.get(pk=k)
    row.object_repr = "伪造"
    raw("UPDATE core_auditlog SET object_repr = %s, hash = %s WHERE id = %s", ["伪造", row.compute_hash(), k])
    status, _, err = run_verify()
    assert status == 1
    assert f"#{k + 1} " in err
    assert audit_chain_verify()[0] == k


@pytest.mark.django_db
def test_audit_verify_detects_deleted_middle_row(world):
    some_writes(world)
    n = AuditLog.objects.count()
    k = n // 2
    drop_row_triggers()
    raw("DELETE FROM core_auditlog WHERE id = %s", [k])
    status, _, err = run_verify()
    assert status == 1
    assert f"#{k} " in err and "缺失" in err


@pytest.mark.django_db
def test_audit_verify_detects_deleted_last_row(world):
    some_writes(world)
    n = AuditLog.objects.count()
    drop_row_triggers()
    raw("DELETE FROM core_auditlog WHERE id = %s", [n])
    assert AuditLog.objects.count() == n - 1
    status, _, err = run_verify()
    assert status == 1
    assert f"#{n}" in err
    assert audit_chain_verify() == (n - 1, f"审计日志链尾应为 #{n}，实际为 #{n - 1}：末尾记录被删除或篡改")


@pytest.mark.django_db
def test_audit_verify_detects_row_appended_outside_audit_record(world):
    """A forged row appended directly (chain head not advanced) does not pass either."""
    last = AuditLog.objects.order_by("-id").first()
    forged = AuditLog(
        id=last.id + 1,
        occurred_at=last.occurred_at,
        action="login",
        object_type="core.user",
        prev_hash=last.hash,
    )
    forged.hash = forged.compute_hash()
    forged.save()
    status, _, err = run_verify()
    assert status == 1
    assert f"#{last.id}" in err


@pytest.mark.django_db
def test_append_only_triggers_are_back_after_tampering_tests():
    """The tampering tests dropped the triggers inside their test transaction; the rollback restored them."""
    assert triggers_present() >= TRIGGERS[vendor()]
    with pytest.raises(DatabaseError), transaction.atomic():
        audit_record(actor=None, action="probe")
        raw("UPDATE core_auditlog SET action = 'x'")


# --- concurrent writers ------------------------------------------------------------------------------


@pytest.fixture
def _audit_db_restored_after_flush(django_db_blocker):
    """Set up before ``transactional_db`` (first in the test's arguments), so torn down after the flush that
    ends a transactional test: put the append-only triggers back and reload the data the migrations created
    (regions, content types), leaving the database as the next test expects it."""
    yield
    with django_db_blocker.unblock():
        audit_triggers.uninstall(connection)
        audit_triggers.install(connection)
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


def _drop_all_audit_triggers() -> None:
    """The flush at the end of a transactional test truncates every table; the triggers would refuse it."""
    audit_triggers.uninstall(connection)


THREADS, ROWS_PER_THREAD = 8, 10


def _writer(n: int, start: threading.Barrier | None, errors: list) -> None:
    try:
        if start is not None:
            start.wait(timeout=30)
        for i in range(ROWS_PER_THREAD):
            with transaction.atomic():
                audit_record(actor=None, action="test.concurrent", object_type="test", object_repr=f"t{n}-{i}")
    except Exception as exc:
        errors.append(exc)
    finally:
        connections.close_all()


def test_concurrent_writers_keep_the_chain_gap_free(
    _audit_db_restored_after_flush, django_db_serialized_rollback, transactional_db
):
    """8 threads, each with its own connection, append 10 audit rows each. The chain-head row lock must
    serialise them into ids 1..80 with no gap, fork or duplicate id.

    Real transactions: ``transactional_db`` + ``django_db_serialized_rollback`` is
    ``django_db(transaction=True, serialized_rollback=True)`` as fixtures, so that the restoring fixture
    listed first is torn down after the closing flush. On PostgreSQL the threads really race. SQLite's
    in-memory test database is shared between threads but answers concurrent writers with "database table
    is locked" instead of waiting, so there the threads (still one connection each) run one after another."""
    try:
        assert not AuditLog.objects.exists()
        errors: list = []
        if connection.vendor == "postgresql":
            start = threading.Barrier(THREADS)
            threads = [threading.Thread(target=_writer, args=(n, start, errors)) for n in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert not any(t.is_alive() for t in threads)
        else:
            for n in range(THREADS):
                t = threading.Thread(target=_writer, args=(n, None, errors))
                t.start()
                t.join(timeout=60)
        assert errors == []
        total = THREADS * ROWS_PER_THREAD
        ids = list(AuditLog.objects.order_by("id").values_list("id", flat=True))
        assert ids == list(range(1, total + 1))
        assert audit_chain_verify() == (total, None)
        # every thread's rows all arrived, in its own order
        reprs = list(AuditLog.objects.order_by("id").values_list("object_repr", flat=True))
        for n in range(THREADS):
            mine = [r for r in reprs if r.startswith(f"t{n}-")]
            assert mine == [f"t{n}-{i}" for i in range(ROWS_PER_THREAD)]
        status, out, _ = run_verify()
        assert status == 0 and f"审计链完整：{total} 条记录" in out
    finally:
        _drop_all_audit_triggers()
