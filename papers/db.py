"""Set-based SQL: thousands of rows read or written in one statement whose values travel as arrays.

One statement per table and kind of change, however many rows: each column travels as one array parameter
(in binary, apart from the SQL text) and PostgreSQL unnests the arrays into rows. Django's bulk_create
builds a model instance per row and quotes every value into the SQL text, and bulk_update builds a CASE
per column; for thousands of rows that, not the database, was most of an import's time.

``history`` arguments are ``(user, reason)``: the statement also writes one django-simple-history record
per row, as the ORM's save and delete would one row at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import F, Lookup
from django.utils import timezone


def array_cursor():
    """A cursor on Django's connection (the same transaction; query logging and execute wrappers still
    see its statements) that sends parameters apart from the SQL text, and ``%b`` ones in binary: for
    arrays of thousands of values several times cheaper than the quoted literals of Django's cursor."""
    connection.ensure_connection()
    cursor = ServerBindingCursor(connection.connection)
    return (
        connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    )


class AnyOf(Lookup):
    """``filter(AnyOf("paper_id", ids))``: ``paper_id = ANY(array)``, the values as one parameter instead of
    a placeholder each (psycopg reads every placeholder of a statement in Python; thousands of them cost
    more than the query). The planner treats it as ``IN (…)``, indexes and all."""

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, field: str, values: Iterable) -> None:
        super().__init__(F(field), list(values))

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection) for value in self.rhs]
        array_type = field.db_type(connection).split("(")[0]
        return f"{lhs} = ANY(%s::{array_type}[])", [*params, values]


def as_columns(names: tuple[str, ...], rows: list[tuple]) -> dict[str, list]:
    """Row tuples as one list per field name, the shape ``insert_rows`` takes."""
    return {name: [row[index] for row in rows] for index, name in enumerate(names)}


def insert_rows(
    model, columns: dict[str, list], *, returning: tuple[str, ...] = (), conflicts: str = "", history=None
) -> list[tuple]:
    """INSERT the rows given as one list per field; every other field gets its default (now for
    auto_now fields), as bulk_create would. ``history`` adds a "+" record per row in the same
    statement. Returns the ``returning`` columns of the rows written."""
    count = len(next(iter(columns.values())))
    if not count:
        return []
    meta, quote, now = model._meta, connection.ops.quote_name, timezone.now()
    given = [meta.get_field(name) for name in columns]
    defaults = {
        field: now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in meta.concrete_fields
        if not field.primary_key and field not in given
    }
    names = ", ".join(quote(field.column) for field in [*given, *defaults])
    aliases = [f"c{index}" for index in range(len(given))]
    values = ", ".join(
        [*(f"d.{alias}" for alias in aliases), *(f"%s::{f.db_type(connection)}" for f in defaults)]
    )
    arrays = ", ".join(f"%b::{_array_type(field)}" for field in given)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT {values}"
        f" FROM unnest({arrays}) AS d({', '.join(aliases)}) {conflicts and f'ON CONFLICT {conflicts}'}"
    )
    params = [field.get_db_prep_save(value, connection) for field, value in defaults.items()]
    params += [_prepared(field, columns[field.name]) for field in given]
    wanted = ", ".join(map(quote, returning))
    if history:
        records = _history_sql(model, "new", "+")
        sql = (
            f"WITH new AS ({sql} RETURNING *), records AS ({records}) SELECT {wanted or 'count(*)'} FROM new"
        )
        params += _history_params(history)
    elif returning:
        sql += f" RETURNING {wanted}"
    with array_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def get_or_create_ids(
    model, key: str, values: list, other_columns: Callable[[list], dict[str, list]]
) -> dict:
    """Ids by ``key`` (a unique field) of the rows with those values, inserting the missing ones
    (``other_columns`` gives their other fields): one query when all exist, two or three otherwise."""
    ids = dict(model.objects.filter(AnyOf(key, values)).values_list(key, "id"))
    missing = [value for value in values if value not in ids]
    if missing:
        columns = {key: missing, **other_columns(missing)}
        ids.update(insert_rows(model, columns, returning=(key, "id"), conflicts="DO NOTHING"))
        if len(ids) < len(values):  # another transaction inserted some of them meanwhile
            ids.update(model.objects.filter(AnyOf(key, missing)).values_list(key, "id"))
    return ids


def update_rows(model, fields: list[str], objs: list, *, history=None) -> None:
    """One ``UPDATE … FROM unnest(arrays)`` setting ``fields`` of all ``objs`` (anything with ``pk`` and
    the fields' attnames) to their values. ``history`` adds a "~" record per row."""
    if not objs:
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    aliases = [f"c{index}" for index in range(len(columns))]
    assignments = ", ".join(f"{quote(column.column)} = d.c{index}" for index, column in enumerate(columns))
    arrays = ", ".join(f"%b::{_array_type(field)}" for field in [pk, *columns])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments}"
        f" FROM unnest({arrays}) AS d(id, {', '.join(aliases)}) WHERE t.{quote(pk.column)} = d.id"
    )
    params = [[obj.pk for obj in objs]]
    params += [_prepared(column, [getattr(obj, column.attname) for obj in objs]) for column in columns]
    if history:
        sql = f"WITH changed AS ({sql} RETURNING t.*) {_history_sql(model, 'changed', '~')}"
        params += _history_params(history)
    with array_cursor() as cursor:
        cursor.execute(sql, params)


def delete_rows(model, pks: list[int], *, history) -> None:
    """DELETE rows by id, with a "-" history record each. Only for models nothing else points to: no
    cascade runs."""
    if not pks:
        return
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    gone = f"DELETE FROM {table} WHERE {pk} = ANY(%b::bigint[]) RETURNING *"
    sql = f"WITH gone AS ({gone}) {_history_sql(model, 'gone', '-')}"
    with array_cursor() as cursor:
        cursor.execute(sql, [pks, *_history_params(history)])


def _array_type(field) -> str:
    """The array type a column's values travel in (``varchar(500)`` -> ``varchar[]``: the column checks
    the length)."""
    target = field.target_field if field.is_relation else field
    return target.db_type(connection).split("(")[0] + "[]"


# Fields whose Python values psycopg takes as they are (get_db_prep_save would only check them, one call
# per value); values of any other field go through the field.
_PLAIN_FIELDS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def _prepared(field, values: list) -> list:
    if field.get_internal_type() in _PLAIN_FIELDS:
        return values
    return [field.get_db_prep_save(value, connection) for value in values]


_HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type", "history_user")


def _history_sql(model, rows: str, history_type: str) -> str:
    """An INSERT of one django-simple-history record per row of ``rows`` (a CTE of ``model``'s rows),
    with the date, reason and user as the three parameters it leaves open."""
    record = model.history.model
    tracked = [field.column for field in record.tracked_fields]
    expected = {*tracked, *(record._meta.get_field(name).column for name in _HISTORY_FIELDS)}
    if {field.column for field in record._meta.concrete_fields} != expected:
        raise RuntimeError(f"{record.__name__} has columns these statements do not fill")
    quote = connection.ops.quote_name
    columns = ", ".join(map(quote, tracked))
    return (
        f"INSERT INTO {quote(record._meta.db_table)} ({columns}, history_date, history_change_reason,"
        f" history_type, history_user_id) SELECT {columns}, %s, %s, '{history_type}', %s FROM {rows}"
    )


def _history_params(history: tuple) -> list:
    user, reason = history
    return [timezone.now(), reason, user.pk if user is not None else None]
