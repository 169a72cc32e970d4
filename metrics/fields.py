"""Field search: every cached field becomes catalog entries, generated from the cache's own
description (cache.describe) each time a snapshot is opened, never from a hand-written list.

* every object is counted (``accounts``, ``tasks``, ``客户数``);
* a numeric field is measured: sum, average, min, max, median and count (``average amount``);
* a text, picklist, boolean or lookup field is a dimension and a filter (``by industry``,
  ``industry is Banking``, ``by is closed``, ``by account``).

The entries are catalog entries like any other (behaviour as data, fields.yaml names the
aggregates), so the grammar, the compiler, charts, CSV and digests treat them as KPIs. An
object's measures count on the anchor of the catalog's record set of that object (kpis.md),
otherwise on CreatedDate. A catalog word always wins: a generated word that names a KPI or a
dimension already is left out, and remembered (``Catalog.shadowed``) so the answer can say so.

>>> cat = with_fields(load_catalog(), describe_cache(con), settings)  # doctest: +SKIP
>>> cat.metric("average amount").object  # doctest: +SKIP
'Opportunity'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import i18n
from cache import schema
from cache.describe import CachedField, CachedTable
from metrics.catalog import (
    SCOPE_FILTER,
    USER_SCOPE,
    Anchor,
    Catalog,
    DimensionDef,
    DimensionKind,
    MetricDef,
    RecordSetDef,
)
from metrics.config_yaml import packaged_yaml
from metrics.measures import measure_of
from metrics.settings import FieldSetting, OrgSettings

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_MONEY = "DECIMAL"
# A field's name goes into SQL unquoted (the compiler finds r.<column> references by name):
# only plain API names are vocabulary.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@cache
def _rules() -> dict[str, Any]:
    return dict(packaged_yaml("metrics", "fields.yaml"))


def readable(api_name: str) -> str:
    """``ForecastCategoryName`` → "forecast category name", ``Deal_Size__c`` → "deal size"."""
    base = api_name.removesuffix("__c").replace("_", " ")
    return " ".join(_CAMEL.sub(" ", base).split()).lower()


def _lookup_name(f: CachedField) -> str:
    """A lookup's dimension: its label or API name without "ID" ("Account ID" → "account")."""
    text = f.label or readable(f.name)
    words = text.split()
    if words and words[-1].lower() == "id":
        words = words[:-1]
    return " ".join(words) or text


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _is_time(f: CachedField) -> bool:
    t = f.type.upper()
    return "DATE" in t or "TIME" in t


def _is_checkbox(f: CachedField) -> bool:
    return f.type.upper() == "BOOLEAN"


def _key(word: str) -> str:
    return " ".join(word.strip().lower().split())


@dataclass
class _Words:
    """Every word the catalog uses, and which entry owns it: a generated word must be free."""

    owner: dict[str, str] = field(default_factory=dict)
    metric_words: dict[str, str] = field(default_factory=dict)
    shadowed: list[tuple[str, str, str]] = field(default_factory=list)

    def free(
        self, words: list[str], entry: str, what: str, metrics_only: bool = False
    ) -> tuple[str, ...]:
        """The words no other entry has. ``metrics_only``: a word may also name a dimension
        (``accounts``: the count of accounts, and the account grouping); the lexer tells which
        from the context."""
        out: list[str] = []
        for w in words:
            k = _key(w)
            if not k:
                continue
            held = (self.metric_words if metrics_only else self.owner).get(k)
            if held is not None and held != entry:
                self.shadowed.append((k, held, what))
                continue
            self.owner[k] = entry
            if what != "dimension":
                self.metric_words[k] = entry
            if w not in out:
                out.append(w)
        return tuple(out)


def _setting(settings: OrgSettings, key: str) -> FieldSetting:
    return settings.fields.get(key) or FieldSetting()


def _hidden(table: str, f: CachedField, settings: OrgSettings) -> bool:
    rules = _rules()
    s = settings.fields.get(f"{table}.{f.name}")
    if s is not None and s.hidden is not None:
        return s.hidden
    if f.name in rules["never"] or not _PLAIN.fullmatch(f.name):
        return True  # keys, bookkeeping, and a column no API name looks like (never SQL)
    low = f.name.lower()
    return any(p in low for p in rules["personal"])


def _record_set_of(catalog: Catalog, table: str) -> RecordSetDef | None:
    """The catalog's record set of exactly this table (lead → "Lead"), if there is one."""
    for rs in catalog.records:
        if rs.source.strip() == f'"{table}"':
            return rs
    return None


def _kin_of(catalog: Catalog, table: str) -> tuple[RecordSetDef, ...]:
    """The catalog's record sets of the object whatever table they read: the one named after
    it (lead) and those saying it is their ``object`` (lead_attempt)."""
    return tuple(
        rs for rs in catalog.records if rs.name == table.lower() or rs.object == table
    )


def _anchors_of(catalog: Catalog, table: str) -> tuple[Anchor, ...]:
    """The anchors of the catalog's record set named after the object (lead, which reads a
    derived table of leads), else CreatedDate."""
    for rs in catalog.records:
        if rs.name == table.lower():
            return rs.anchors
    return (Anchor("created", "r.CreatedDate", "timestamp"),)


def _free_name(catalog: Catalog, table: str) -> str:
    """A record set name for the object's own table that no catalog record set has."""
    taken = {rs.name for rs in catalog.records}
    name = table.lower()
    return name if name not in taken else f"{name} records"


@dataclass
class _Builder:
    catalog: Catalog
    settings: OrgSettings
    tables: dict[str, CachedTable]
    words: _Words
    metrics: list[MetricDef] = field(default_factory=list)
    dims: dict[str, DimensionDef] = field(default_factory=dict)
    # Picklist labels of the catalog's own dimensions (stage): (label, stored value) pairs.
    aliases: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def dimension(
        self,
        name: str,
        en: list[str],
        zh: list[str],
        match: bool = True,
        kind: DimensionKind = "category",
        sql: dict[str, Any] | None = None,
        aliases: tuple[tuple[str, str], ...] = (),
    ) -> str:
        """The dimension named ``name``: the catalog's own when a catalog word names it."""
        held = self.words.owner.get(_key(name))
        if held is not None and self.catalog.has_dimension(held):
            return held
        if name in self.dims:
            return name
        words = self.words.free([name, *en, *zh], f"dim:{name}", "dimension")
        if _key(name) not in {_key(w) for w in words}:
            return ""
        d = DimensionDef(
            name=name,
            synonyms=tuple(w for w in words if w != name and w not in zh),
            zh=tuple(w for w in words if w in zh),
            kind=kind,
            # match: its values are offered for matching (a picklist), not a record's name
            sql={"generated": True, "match_values": match and kind == "category", **(sql or {})},
            value_aliases=aliases,
        )
        self.dims[name] = d
        return name

    def table(self, t: CachedTable) -> None:
        rs = _record_set_of(self.catalog, t.name)
        own = self._extend(
            t,
            name=rs.name if rs else _free_name(self.catalog, t.name),
            source=rs.source if rs else f'"{t.name}"',
            base=rs,
            column=lambda c: f"r.{c}",
        )
        self.records[own.name] = own
        self.measures(t, own)
        # The catalog's records of this object on a table derived from it (lead: leads with
        # their activity facts; lead_attempt) hold the registry's columns; any other field (a
        # custom Lead field) is read through the object's own row, one per record (no fan-out).
        stored = (
            {f.name for f in schema.BY_NAME[t.name].fields} if t.name in schema.BY_NAME else set()
        )
        for kin in _kin_of(self.catalog, t.name):
            if kin is rs:
                continue
            self.records[kin.name] = self._extend(
                t,
                name=kin.name,
                source=kin.source,
                base=kin,
                column=lambda c: f"r.{c}" if c in stored else f"obj.{c}",
                extra_join=("obj", f'LEFT JOIN "{t.name}" AS obj ON obj.Id = r.Id'),
            )

    def _extend(
        self,
        t: CachedTable,
        *,
        name: str,
        source: str,
        base: RecordSetDef | None,
        column: Callable[[str], str],
        extra_join: tuple[str, str] | None = None,
    ) -> RecordSetDef:
        """``base`` (or a new record set of ``t``) with a dimension for each visible text,
        picklist, checkbox and lookup field of ``t`` and an anchor for each date field; a
        field's column is ``column(api name)``."""
        dims = dict(base.dimensions) if base else {}
        joins = dict(base.joins) if base else {}
        if extra_join is not None:
            joins.setdefault(*extra_join)
        taken_sql = set(dims.values())
        for f in t.fields:
            self._add_field(t, f, column, dims, joins, taken_sql)
        anchors = list(base.anchors if base else _anchors_of(self.catalog, t.name))
        for f, date_dim in self.dates(t):
            if all(a.name != date_dim for a in anchors):
                kind = "date" if f.type.upper() == "DATE" else "timestamp"
                anchors.append(Anchor(date_dim, column(f.name), kind))  # type: ignore[arg-type]
        return RecordSetDef(
            name=name,
            source=source,
            anchors=tuple(anchors),
            joins=tuple(joins.items()),
            dimensions=tuple(dims.items()),
            needs=base.needs if base else (),
            scope=base.scope if base else self.owner_scope(t),
            keyed=base.keyed if base else False,
        )

    def _add_field(
        self,
        t: CachedTable,
        f: CachedField,
        column: Callable[[str], str],
        dims: dict[str, str],
        joins: dict[str, str],
        taken_sql: set[str],
    ) -> None:
        """The dimension of one field of ``t`` (a lookup by its target's Name, through a join)
        into ``dims``, unless hidden, numeric, a time, or its SQL is already a dimension (then
        its picklist labels name that one's values)."""
        if _hidden(t.name, f, self.settings) or f.numeric or _is_time(f):
            return
        if f.name.endswith("Id") and not f.reference:
            return  # a polymorphic lookup (WhoId, WhatId): no one object to name it by
        fs = _setting(self.settings, f"{t.name}.{f.name}")
        if f.reference:
            target = self.tables.get(f.reference)
            if target is None or not any(x.name == "Name" for x in target.fields):
                return
            alias = "owner" if f.name == "OwnerId" and "owner" in joins else f"l_{f.name}"
            joins.setdefault(
                alias,
                f'LEFT JOIN "{f.reference}" AS {alias} ON {alias}.Id = {column(f.name)}',
            )
            expr = f"{alias}.Name"
            dim_name = "rep" if f.name == "OwnerId" else _lookup_name(f)
        else:
            expr = column(f.name)
            dim_name = (f.label or readable(f.name)).lower()
        if _is_checkbox(f):
            dim = self.checkbox(dim_name, fs)
            if dim and dim not in dims and expr not in taken_sql:
                dims[dim] = expr
                taken_sql.add(expr)
            return
        if expr in taken_sql or f"r.{f.name}" in taken_sql:
            held = next((d for d, e in dims.items() if e in (expr, f"r.{f.name}")), "")
            self.alias_values(held, f)  # the catalog's own (stage): its values' labels
            return
        default_zh = list(_rules()["zh"].get(f.name, []))
        # Records' names (a lookup, Name, Subject) are grouped by, never matched as values:
        # a deal named "Calls Inc" must not take the word "calls".
        match = not f.reference and f.name not in _rules()["record_names"]
        dim = self.dimension(dim_name, list(fs.names), [*fs.zh, *default_zh], match)
        if dim and dim not in dims:
            dims[dim] = expr
            taken_sql.add(expr)
        self.alias_values(next((d for d, e in dims.items() if e == expr), ""), f)

    def alias_values(self, dim: str, f: CachedField) -> None:
        """A picklist's labels (a Chinese org's 已赢单 for Closed Won) name its stored values,
        on the generated dimension or on the catalog's own (``aliases``)."""
        if not dim or not f.values:
            return
        pairs = tuple((label, value) for value, label in f.values)
        if dim in self.dims:
            d = self.dims[dim]
            merged = tuple(dict.fromkeys((*d.value_aliases, *pairs)))
            self.dims[dim] = replace(d, value_aliases=merged)
        else:
            self.aliases[dim] = tuple(dict.fromkeys((*self.aliases.get(dim, ()), *pairs)))

    def checkbox(self, label: str, fs: FieldSetting) -> str:
        """A checkbox's dimension, ``is closed``: grouped by ("by is closed"), or on its own a
        filter on true; "not closed", "is not closed" (fields.yaml ``checkbox:``) filter on
        false."""
        rules = _rules()["checkbox"]
        stem = label.removeprefix("is ").strip()
        name = label if _is_cjk(label) or label.startswith("is ") else f"is {label}"
        patterns = rules["zh_not"] if _is_cjk(stem) else rules["not"]
        aliases = tuple((p.format(f=stem), "false") for p in patterns)
        dim = self.dimension(
            name,
            list(fs.names),
            list(fs.zh),
            kind="category",
            sql={"checkbox": True},
            aliases=aliases,
        )
        return dim

    def dates(self, t: CachedTable) -> list[tuple[CachedField, str]]:
        """Each visible date or datetime field of ``t`` with the date dimension naming it
        (``close date``, ``created``): a question's date to count records on."""
        out: list[tuple[CachedField, str]] = []
        for f in t.fields:
            if not _is_time(f) or _hidden(t.name, f, self.settings):
                continue
            fs = _setting(self.settings, f"{t.name}.{f.name}")
            words = _rules()["dates"].get(f.name, {})
            name = (f.label or readable(f.name)).lower()
            en = [*words.get("en", []), *fs.names]
            zh = [*words.get("zh", []), *fs.zh]
            # Shared by name across objects (created date); each record set's anchor of that
            # name says which column it is there.
            dim = self.dimension(name, en, zh, kind="date")
            if dim in self.dims and self.dims[dim].kind == "date":
                out.append((f, dim))
        return out

    records: dict[str, RecordSetDef] = field(default_factory=dict)

    def owner_scope(self, t: CachedTable) -> str | None:
        """Whose records these are under row-level access (docs/access.md, field search): the
        owner's; a user is visible to whoever sees their records; a record without an owner
        (OpportunityHistory) follows its parent's owner, as Salesforce's "controlled by parent"
        sharing does; None when there is neither (hidden from restricted askers)."""
        names = {f.name for f in t.fields}
        if "OwnerId" in names:
            return SCOPE_FILTER
        if t.name == "User":
            return USER_SCOPE
        for f in t.fields:
            parent = self.tables.get(f.reference) if f.reference else None
            if parent is not None and any(x.name == "OwnerId" for x in parent.fields):
                return (
                    f'r.{f.name} IN (SELECT Id FROM "{parent.name}" '
                    "WHERE OwnerId IN (SELECT unnest($scope_owners)))"
                )
        return None

    def measures(self, t: CachedTable, rs: RecordSetDef) -> None:
        rules = _rules()
        label = t.label or t.name
        dims = tuple(n for n, _ in rs.dimensions)
        obj = _setting(self.settings, t.name)
        std = rules["objects"].get(t.name, {})
        plural = readable(t.name) + "s"
        en = [*std.get("en", [plural]), *obj.names]
        zh = [*std.get("zh", []), *obj.zh]
        if t.label and _is_cjk(t.label):  # a Chinese org's label: 业务机会 → 业务机会数
            zh += [p.format(o=t.label) for p in rules["zh_object"]]
        # the object in a Chinese restatement: the catalog's word, else its label (data)
        of = (label, str(std.get("name_zh") or ""))
        words = self.words.free(en + zh, f"count:{t.name}", "object", metrics_only=True)
        if words:
            self._metric(words[0], words, zh, rs, dims, of, "count", {"agg": "count"})
        for f in t.fields:
            if not f.numeric or _hidden(t.name, f, self.settings):
                continue
            fs = _setting(self.settings, f"{t.name}.{f.name}")
            fname = f.label or readable(f.name)
            # Also by object ("opportunity history amount"): the only name left when another
            # object has the same field (Opportunity.Amount keeps "average amount").
            en_names = [fname.lower(), f"{readable(t.name)} {fname.lower()}", *fs.names]
            zh_names = [*fs.zh, *rules["zh"].get(f.name, [])]
            if _is_cjk(fname):  # a Chinese org's label reads like the Chinese names
                zh_names.insert(0, fname)
            col = f"r.{f.name}"
            fmt = "currency" if f.type.upper().startswith(_MONEY) else "number"
            # Said through the message catalogue's templates (field.measure.<agg>): "sum of
            # amount" / "金额合计"; a field without a Chinese name keeps its label there (data).
            zh_field = zh_names[0] if zh_names else fname
            for agg, spec in rules["aggregates"].items():
                canonical = i18n.t(i18n.DEFAULT, f"field.measure.{agg}", field=fname)
                zh_label = i18n.t(i18n.Language.ZH, f"field.measure.{agg}", field=zh_field)
                agg_en = [p.format(f=n) for p in spec["en"] for n in en_names]
                agg_zh = [p.format(f=n) for p in spec["zh"] for n in zh_names]
                entry = f"{agg}:{t.name}.{f.name}"
                free = self.words.free([canonical, *agg_en, *agg_zh], entry, f"field {fname}")
                if not free:
                    continue
                name = canonical if canonical in free else f"{canonical} ({label})"
                sql = (
                    {"agg": "count", "where": f"{col} IS NOT NULL"}
                    if agg == "count"
                    else {"agg": agg, "expr": col}
                )
                fmt_of = "count" if agg == "count" else fmt
                self._metric(name, free, agg_zh, rs, dims, of, fmt_of, sql, zh_label)

    def _metric(
        self,
        name: str,
        words: tuple[str, ...],
        zh: list[str],
        rs: RecordSetDef,
        dims: tuple[str, ...],
        of: tuple[str, str],
        fmt: str,
        sql: dict[str, Any],
        zh_label: str = "",
    ) -> None:
        self.metrics.append(
            MetricDef(
                name=name,
                synonyms=tuple(w for w in words if w != name and w not in zh),
                zh=tuple(w for w in words if w in zh),
                records=rs.name,
                format=fmt,  # type: ignore[arg-type]
                better="higher",
                dimensions=dims,
                sql=sql,
                object=of[0],
                object_zh=of[1],
                zh_label=zh_label,
            )
        )


def _on_one_record_set(m: MetricDef) -> bool:
    """An aggregate KPI whose records all lie in its own record set (not calls per deal, whose
    deals are opportunities; not a list of single deals)."""
    if m.kind != "aggregate":
        return False
    return all(a.records == m.records for a in measure_of(m).atoms)


def with_fields(
    catalog: Catalog, tables: tuple[CachedTable, ...], settings: OrgSettings
) -> Catalog:
    """The catalog plus an entry for every visible field of ``tables``; its own entries win."""
    words = _Words()
    entries: list[MetricDef | DimensionDef] = [*catalog.metrics, *catalog.dimensions]
    for entry in entries:
        for w in entry.words:
            words.owner.setdefault(_key(w), entry.name)
    for m in catalog.metrics:
        for w in m.words:
            words.metric_words.setdefault(_key(w), m.name)
    b = _Builder(catalog, settings, {t.name: t for t in tables}, words)
    for t in tables:
        b.table(t)
    records = [b.records.get(r.name, r) for r in catalog.records]
    records += [r for name, r in b.records.items() if name not in {x.name for x in records}]
    by_rs = {r.name: tuple(n for n, _ in r.dimensions) for r in records}
    # A KPI can be grouped by the new dimensions of its own record set too (win rate by region).
    kpis = [
        replace(
            m,
            dimensions=(*m.dimensions, *(d for d in by_rs.get(m.records, ()) if d in b.dims)),
        )
        if _on_one_record_set(m)
        else m
        for m in catalog.metrics
    ]
    own_dims = [
        replace(d, value_aliases=tuple(dict.fromkeys((*d.value_aliases, *b.aliases[d.name]))))
        if d.name in b.aliases
        else d
        for d in catalog.dimensions
    ]
    return Catalog(
        metrics=(*kpis, *b.metrics),
        dimensions=(*own_dims, *b.dims.values()),
        records=tuple(records),
        shadowed=tuple(words.shadowed),
    )


def subject(
    metrics: tuple[str, ...],
    catalog: Catalog,
    question: str,
    anchor: str | None = None,
    lang: i18n.Language = i18n.DEFAULT,
) -> str:
    """What the restatement adds after the measures, in ``lang``: the object and the date it
    counts on (``of [Opportunity] on [close date]``, ``（[商机]，以 [关闭日期] 为准）``) for field
    measures; the question's date field when it names one (``on [close date]``); for a KPI
    asked by a word a field also has, that the KPI was used (``(the catalog KPI, not the field
    Deal Size)``)."""
    asked = _key(question)
    parts: list[str] = []
    for name in metrics:
        if not catalog.has_metric(name):
            continue
        m = catalog.metric(name)
        date = catalog.said(anchor, lang) if anchor is not None else ""
        if m.object is not None:
            if not date:
                date = _date_said(catalog, catalog.record_set(m.records).anchor(m.anchor).sql, lang)
            obj = i18n.Term(((i18n.DEFAULT, m.object), (i18n.Language.ZH, m.object_zh or m.object)))
            part = i18n.t(lang, "restate.subject.of", object=obj, date=date)
        else:
            lost = sorted(
                (w, what.removeprefix("field "))
                for w, kept, what in catalog.shadowed
                if kept == name and what.startswith("field ")
            )
            hit = [f for w, f in lost if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", asked)]
            kpi = i18n.t(lang, "restate.subject.not_field", field=hit[0]) if hit else ""
            on = i18n.t(lang, "restate.subject.dated", date=date) if date else ""
            part = " ".join(p for p in (kpi, on) if p)
        if part and part not in parts:
            parts.append(part)
    return " ".join(parts)


def _date_said(catalog: Catalog, sql: str, lang: i18n.Language) -> str:
    """A record set's date column (``r.CloseDate``) as its date dimension is said (close date /
    关闭日期); the API name when no dimension names it."""
    column = sql.split(".", 1)[-1]
    dim = readable(column).lower()
    return catalog.said(dim, lang) if catalog.has_dimension(dim) else column


def may_lie_ahead(catalog: Catalog, metric: MetricDef, anchor: str | None = None) -> bool:
    """Whether ``metric``'s records counted on ``anchor`` (a date field; default its own) can
    lie in the future: when a catalog KPI that looks ahead (``future: true``, open pipeline on
    CloseDate) counts on the same date of the same records. Created dates never lie ahead."""
    if anchor is None and metric.object is None:
        return metric.future
    ahead = {
        (catalog.record_set(a.records).source, _anchor_sql(catalog, a.records, a.anchor))
        for m in catalog.metrics
        if m.future and m.kind == "aggregate"
        for a in measure_of(m).atoms
    }
    atoms = measure_of(metric).atoms if metric.kind == "aggregate" else ()
    return bool(atoms) and all(
        (catalog.record_set(a.records).source, _anchor_sql(catalog, a.records, anchor or a.anchor))
        in ahead
        for a in atoms
    )


def _anchor_sql(catalog: Catalog, records: str, anchor: str | None) -> str | None:
    try:
        return catalog.record_set(records).anchor(anchor).sql
    except KeyError:
        return None
