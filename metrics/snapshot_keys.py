"""The catalog fitted to a snapshot's owner keys (cache/owner_keys.py, docs/access.md).

A snapshot published by an older kpibot has no owner keys until the upgrade step
(``cache.snapshot.add_missing_derived``) or its next sync or load publishes it again; that step
is skipped while another process writes, or when the cache is not ours to write. Until then the
keyed record sets' relations name ``NULL`` for the key (their SQL still runs) and are no longer
keyed, so a restricted scope filters on the owner list (the semi-join) as before the keys
existed: the same answers, only without the faster filter. Read once per snapshot.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from sqlglot import exp

from cache import owner_keys
from metrics.catalog import Catalog, RecordSetDef
from metrics.fragments import fragment

_known: dict[tuple[Any, int], tuple[Catalog, Catalog]] = {}
_lock = threading.Lock()


def fit(catalog: Catalog, cur: Any, snapshot: Any) -> Catalog:
    """``catalog`` when the snapshot behind ``cur`` keeps owner keys, else the catalog without
    them (:func:`without_owner_keys`). ``snapshot`` names the snapshot for the cache."""
    key = (snapshot, id(catalog))
    hit = _known.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    fitted = catalog if owner_keys.present(cur) else without_owner_keys(catalog)
    with _lock:
        if len(_known) > 64:
            _known.clear()
        _known[key] = (catalog, fitted)
    return fitted


def without_owner_keys(catalog: Catalog) -> Catalog:
    """The catalog for a snapshot without owner keys: every keyed record set unkeyed, its
    relation selecting ``NULL`` where it selected the key."""
    if not any(r.keyed for r in catalog.records):
        return catalog
    return replace(catalog, records=tuple(_unkeyed(r) for r in catalog.records))


def _unkeyed(rs: RecordSetDef) -> RecordSetDef:
    if not rs.keyed:
        return rs
    if owner_keys.COLUMN not in rs.source:
        return replace(rs, keyed=False)
    tree = fragment(rs.source, "relation")

    def null_key(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name == owner_keys.COLUMN:
            if isinstance(node.parent, exp.Select):  # a selected column keeps its name
                null = exp.Cast(this=exp.Null(), to=exp.DataType.build("INT"))
                return exp.Alias(this=null, alias=exp.to_identifier(owner_keys.COLUMN))
            return exp.Null()
        return node

    tree = tree.transform(null_key)
    tree.set("alias", None)  # the compiler aliases the relation itself (AS r)
    return replace(rs, source=tree.sql("duckdb"), keyed=False)
