"""Database triggers that make the audit table append-only (used by the migration and by test teardown)."""

SQL = {
    "sqlite": {
        "install": [
            "CREATE TRIGGER IF NOT EXISTS core_auditlog_no_update BEFORE UPDATE ON core_auditlog "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
            "CREATE TRIGGER IF NOT EXISTS core_auditlog_no_delete BEFORE DELETE ON core_auditlog "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
        ],
        "uninstall": [
            "DROP TRIGGER IF EXISTS core_auditlog_no_update;",
            "DROP TRIGGER IF EXISTS core_auditlog_no_delete;",
        ],
    },
    "postgresql": {
        "install": [
            """CREATE OR REPLACE FUNCTION core_auditlog_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
            "DROP TRIGGER IF EXISTS core_auditlog_no_change ON core_auditlog;",
            "CREATE TRIGGER core_auditlog_no_change BEFORE UPDATE OR DELETE ON core_auditlog "
            "FOR EACH ROW EXECUTE FUNCTION core_auditlog_append_only();",
            "DROP TRIGGER IF EXISTS core_auditlog_no_truncate ON core_auditlog;",
            "CREATE TRIGGER core_auditlog_no_truncate BEFORE TRUNCATE ON core_auditlog "
            "FOR EACH STATEMENT EXECUTE FUNCTION core_auditlog_append_only();",
        ],
        "uninstall": [
            "DROP TRIGGER IF EXISTS core_auditlog_no_change ON core_auditlog;",
            "DROP TRIGGER IF EXISTS core_auditlog_no_truncate ON core_auditlog;",
            "DROP FUNCTION IF EXISTS core_auditlog_append_only();",
        ],
    },
}


def _run(execute, vendor: str, which: str) -> None:
    for sql in SQL.get(vendor, {}).get(which, []):
        execute(sql)


def install(connection) -> None:
    with connection.cursor() as cur:
        _run(cur.execute, connection.vendor, "install")


def uninstall(connection) -> None:
    with connection.cursor() as cur:
        _run(cur.execute, connection.vendor, "uninstall")
