"""What a snapshot holds, column by column: the registry's tables as they really are.

A table may have more columns than the registry lists (a Data Export's custom fields such as
``Region__c``); its labels (``_kpibot_labels``, written by a writer that knows them, e.g. the
sync from Salesforce's describe, in the org's language) name its fields for people. Field search
(docs/field-search.md) turns this description into vocabulary.

>>> describe_cache(con)[0].name  # doctest: +SKIP
'User'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from cache import owner_keys, schema

NUMERIC_PREFIXES = ("DECIMAL", "INTEGER", "BIGINT", "DOUBLE", "FLOAT", "SMALLINT", "HUGEINT")


@dataclass(frozen=True)
class CachedField:
    name: str  # the column, the field's API name
    type: str  # the DuckDB column type
    label: str | None = None  # the org's label for it, when a writer recorded one
    reference: str | None = None  # the table a lookup field points to
    # A picklist's (stored value, label) pairs whose label differs, in the org's language.
    values: tuple[tuple[str, str], ...] = ()

    @property
    def numeric(self) -> bool:
        return self.type.upper().startswith(NUMERIC_PREFIXES)


@dataclass(frozen=True)
class CachedTable:
    name: str
    owner: str
    fields: tuple[CachedField, ...]
    label: str | None = None


def _reference(table: str, name: str, tables: set[str]) -> str | None:
    """The table a standard lookup points to, by Salesforce's naming: OwnerId → User,
    AccountId / ConvertedAccountId → Account. Polymorphic ones (WhoId, WhatId) have none."""
    if name == "OwnerId":
        return "User"
    if not name.endswith("Id") or name == "Id":
        return None
    target = name[: -len("Id")].removeprefix("Converted")
    return target if target in tables and target != table else None


def _labels(con: Any) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    try:
        rows = con.execute(
            f"SELECT object, field, label, reference FROM {schema.META_LABELS}"
        ).fetchall()
    except duckdb.Error:
        return {}
    return {(str(o), str(f or "")): (lbl, ref) for o, f, lbl, ref in rows}


def _picklists(con: Any) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    try:
        rows = con.execute(
            f"SELECT object, field, value, label FROM {schema.META_PICKLISTS} "
            "ORDER BY object, field, value"
        ).fetchall()
    except duckdb.Error:
        return {}  # a snapshot written before picklist labels were kept
    out: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for o, f, v, lbl in rows:
        out[(str(o), str(f))] = (*out.get((str(o), str(f)), ()), (str(v), str(lbl)))
    return out


def describe_cache(con: Any) -> tuple[CachedTable, ...]:
    """Every registry table present in the snapshot, with all its columns, in registry order."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        columns.setdefault(str(table), []).append((str(column), str(dtype)))
    labels = _labels(con)
    picklists = _picklists(con)
    names = {o.name for o in schema.OBJECTS}
    out: list[CachedTable] = []
    for obj in schema.OBJECTS:
        if obj.name not in columns:
            continue
        fields = []
        for column, dtype in columns[obj.name]:
            if column == owner_keys.COLUMN:  # kpibot's own (row-level access), not a field
                continue
            label, ref = labels.get((obj.name, column), (None, None))
            label = None if label == column else label  # an API name is no label
            ref = ref or _reference(obj.name, column, names)
            values = picklists.get((obj.name, column), ())
            fields.append(CachedField(column, dtype, label, ref, values))
        table_label = labels.get((obj.name, ""), (None, None))[0]
        table_label = None if table_label == obj.name else table_label
        out.append(CachedTable(obj.name, obj.owner, tuple(fields), table_label))
    return tuple(out)
