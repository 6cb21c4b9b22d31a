"""Fast bulk inserts for large imports.

``bulk_insert(model, objs)`` behaves like ``Model.objects.bulk_create(objs)`` for plain models (primary keys are
set on the objects afterwards, ``auto_now``/``auto_now_add`` fields are filled, signals are not sent), but on
PostgreSQL it streams the rows with ``COPY … FROM STDIN`` after reserving the primary keys from the table's
sequence in one query. That skips Django's per-value SQL compilation, which dominates a 100,000-row import.
Other databases use ``bulk_create``.

Field values are converted with the field's own ``get_db_prep_save`` (so encrypted and JSON fields are stored
exactly as the ORM would store them), except for the built-in scalar fields whose Python value psycopg adapts
directly.
"""

from __future__ import annotations

from django.db import connections, models, router

# Exact classes (not subclasses: an encrypted CharField subclass must go through get_db_prep_save).
_RAW_FIELDS = {
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.CharField,
    models.TextField,
    models.EmailField,
    models.SlugField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.BooleanField,
    models.DateField,
    models.DateTimeField,
    models.DecimalField,
    models.FloatField,
    models.UUIDField,
    models.ForeignKey,
    models.OneToOneField,
}


def _reserve_ids(connection, cursor, table: str, pk_column: str, n: int) -> list[int]:
    """n fresh primary keys from the table's sequence (serial or identity column)."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [connection.ops.quote_name(table), pk_column, n],
    )
    return [row[0] for row in cursor.fetchall()]


def bulk_insert(model: type[models.Model], objs: list, *, batch_size: int = 2000, using: str | None = None) -> list:
    if not objs:
        return objs
    using = using or router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.concrete_fields if not f.generated]
    auto_time = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    converters = []
    for f in fields:
        if type(f) in _RAW_FIELDS:
            converters.append((f.attname, None))
        else:
            converters.append((f.attname, f))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(opts.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        missing = [o for o in objs if o.pk is None]
        if missing:
            for o, new_id in zip(
                missing, _reserve_ids(connection, cursor, opts.db_table, pk.column, len(missing)), strict=True
            ):
                setattr(o, pk.attname, new_id)
        raw_cursor = cursor.cursor  # the psycopg cursor under Django's wrapper
        for start in range(0, len(objs), batch_size):
            with raw_cursor.copy(sql) as copy:
                for o in objs[start : start + batch_size]:
                    for f in auto_time:
                        f.pre_save(o, add=True)
                    copy.write_row(
                        [
                            getattr(o, name) if f is None else f.get_db_prep_save(getattr(o, name), connection)
                            for name, f in converters
                        ]
                    )
    for o in objs:
        o._state.adding = False
        o._state.db = using
    return objs


_MISSING = object()


def _converter(field, connection):
    """None when psycopg takes the Python value as it is, else a function giving the database value."""
    from core.crypto import EncryptedCharField, encrypt

    if type(field) in _RAW_FIELDS:
        return None
    if type(field) is EncryptedCharField:
        return lambda value: encrypt(value) if value else value
    return lambda value: field.get_db_prep_save(value, connection)


def bulk_insert_rows(model: type[models.Model], rows: list[dict], *, using: str | None = None) -> list[int]:
    """Insert rows given as ``{attname: value}`` dicts (``klass_id``, not ``klass``) without building model
    instances; fields not in a row get their default (``auto_now``/``auto_now_add`` get the current time).
    Returns the new primary keys in row order. Like ``bulk_insert``, COPY on PostgreSQL, ``bulk_create``
    elsewhere."""
    if not rows:
        return []
    using = using or router.db_for_write(model)
    connection = connections[using]
    opts = model._meta
    if connection.vendor != "postgresql":
        objs = model._default_manager.using(using).bulk_create([model(**row) for row in rows], batch_size=2000)
        return [o.pk for o in objs]
    from django.utils import timezone

    pk = opts.pk
    now = timezone.now()
    plan = []  # (attname, default factory or constant, field to prep or None)
    for f in opts.concrete_fields:
        if f.generated or f is pk:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default, call = (now.date() if type(f) is models.DateField else now), False
        elif f.default is timezone.now:
            default, call = now, False
        elif f.has_default():
            default, call = (f.default, True) if callable(f.default) else (f.get_default(), False)
        else:
            default, call = f.get_default(), False  # "" for non-null text fields, else None
        plan.append((f.attname, f.name, default, call, _converter(f, connection)))
    quote = connection.ops.quote_name
    columns = ", ".join([quote(pk.column)] + [quote(opts.get_field(name).column) for _a, name, *_ in plan])
    sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        ids = _reserve_ids(connection, cursor, opts.db_table, pk.column, len(rows))
        with cursor.cursor.copy(sql) as copy:
            for new_id, row in zip(ids, rows, strict=True):
                values = [new_id]
                for attname, name, default, call, prep in plan:
                    value = row.get(attname, _MISSING)
                    if value is _MISSING:
                        value = row.get(name, _MISSING)
                        if value is _MISSING:
                            value = default() if call else default
                    values.append(value if prep is None else prep(value))
                copy.write_row(values)
    return ids
