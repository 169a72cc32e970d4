"""Which source tables an answer reads, and how old each is.

A KPI over a source table (CAC reads marketing_spend) cannot be answered before `kpibot import`
filled it: the question gets one sentence saying which table to import instead of an empty or
misleading number. When it can, the answer notes each source's date ("data as of" is kept per
source: the snapshot's own date is its Salesforce data's).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from cache import schema
from i18n import Joined, Language, Msg, t
from metrics.catalog import Catalog
from metrics.errors import UserError
from metrics.measures import measure_of
from metrics.query import Query


class SourceMissing(UserError):
    """A KPI needs a source table no import has filled yet."""

    kind = "no_data"


def tables_needed(query: Query, catalog: Catalog) -> tuple[str, ...]:
    """The source tables the query's KPIs read, in first-use order."""
    out: list[str] = []
    for name in query.metrics:
        m = catalog.metric(name)
        if m.kind == "records":
            sets = [m.records]
        else:
            sets = [a.records for a in measure_of(m).atoms]
        for rs in sets:
            out += [t for t in catalog.record_set(rs).needs if t not in out]
    return tuple(out)


def source_notes(
    cur: Any, query: Query, catalog: Catalog, tz: tzinfo, lang: Language = Language.EN
) -> tuple[str, ...]:
    """One note per source table used ("quota as of 2024-06-01 09:00 (source quotas)"), in
    ``lang``; raises SourceMissing for a table no source has brought in (one of
    cache/schema.SOURCE_TABLES, each named in the catalogue's ``source.tables``)."""
    needed = tables_needed(query, catalog)
    if not needed:
        return ()
    rows = cur.execute(
        f"SELECT object, source, refreshed_at FROM {schema.META_OBJECTS} "
        "WHERE list_contains(?, object)",
        [list(needed)],
    ).fetchall()
    found: dict[str, tuple[str, datetime]] = {r[0]: (r[1], r[2]) for r in rows}
    notes = []
    for table in needed:
        if table not in found:
            raise SourceMissing(
                Msg.of(
                    "source.missing",
                    metrics=Joined(tuple(catalog.term(m) for m in query.metrics), "and"),
                    table=Msg(f"source.tables.{table}"),
                    key=table,
                )
            )
        source, when = found[table]
        name = source.removeprefix("source:")
        local = f"{when.astimezone(tz):%Y-%m-%d %H:%M}"
        notes.append(
            t(lang, "source.as_of", table=Msg(f"source.tables.{table}"), when=local, name=name)
        )
    return tuple(notes)
