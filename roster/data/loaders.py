def code_tables_ensure(CodeTable=None) -> None:
    """Idempotently load the shipped code tables (migration and tests after a flush)."""
    from . import CODE_TABLES

    if CodeTable is None:
        from roster.models import CodeTable
    existing = set(CodeTable.objects.values_list("kind", "code"))
    CodeTable.objects.bulk_create(
        [
            CodeTable(kind=kind, code=code, label=label, sort_order=i)
            for kind, rows in CODE_TABLES.items()
            for i, (code, label) in enumerate(rows)
            if (kind, code) not in existing
        ]
    )
