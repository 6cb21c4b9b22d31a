"""Full-text index of the resource library (see resources/search.py).

SQLite: an external-content FTS5 table over (search_title, search_text) kept in step by triggers.
PostgreSQL: a stored generated tsvector ('simple' config, title weight A, body B) with a GIN index.
Other databases: nothing (search falls back to no full-text ranking there)."""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE resources_fts USING fts5("
    "search_title, search_text, content='resources_resource', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER resources_fts_ai AFTER INSERT ON resources_resource BEGIN "
    "INSERT INTO resources_fts(rowid, search_title, search_text) VALUES (new.id, new.search_title, new.search_text); END",
    "CREATE TRIGGER resources_fts_ad AFTER DELETE ON resources_resource BEGIN "
    "INSERT INTO resources_fts(resources_fts, rowid, search_title, search_text) "
    "VALUES ('delete', old.id, old.search_title, old.search_text); END",
    "CREATE TRIGGER resources_fts_au AFTER UPDATE OF search_title, search_text ON resources_resource BEGIN "
    "INSERT INTO resources_fts(resources_fts, rowid, search_title, search_text) "
    "VALUES ('delete', old.id, old.search_title, old.search_text); "
    "INSERT INTO resources_fts(rowid, search_title, search_text) VALUES (new.id, new.search_title, new.search_text); END",
    "INSERT INTO resources_fts(resources_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS resources_fts_au",
    "DROP TRIGGER IF EXISTS resources_fts_ad",
    "DROP TRIGGER IF EXISTS resources_fts_ai",
    "DROP TABLE IF EXISTS resources_fts",
]
PG_UP = [
    "ALTER TABLE resources_resource ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, coalesce(search_title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(search_text, '')), 'B')) STORED",
    "CREATE INDEX resources_resource_tsv_gin ON resources_resource USING GIN (search_tsv)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS resources_resource_tsv_gin",
    "ALTER TABLE resources_resource DROP COLUMN IF EXISTS search_tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
