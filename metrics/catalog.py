"""The KPI catalog: metrics and dimensions read from catalog.yaml (plus a user's own file).

Each entry carries its human side (names, synonyms, format, better direction) and its SQL side
(``records``, ``anchor``, ``sql``); the ``records:`` section says where rows live. The grammar
takes its vocabulary from here; the compiler its SQL. See catalog.yaml and
docs/kpis-and-catalog.md for the keys.

>>> cat = load_catalog()  # metrics/catalog_load.py
>>> cat.metric("connect rate").format
'percent'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from i18n import Language, Term, t

MetricFormat = Literal["count", "percent", "currency", "hours", "days", "minutes", "number"]
# "date": a date field of the org (field search), which a question counts its records on
# ("by close date") instead of its KPIs' own anchor; generated from the cache, never in YAML.
DimensionKind = Literal["category", "grain", "datepart", "number", "date"]

GRAINS = ("day", "week", "month", "quarter", "year")
DATEPARTS = ("weekday", "hour", "month of year")


@dataclass(frozen=True)
class MetricDef:
    name: str
    synonyms: tuple[str, ...]
    zh: tuple[str, ...]
    records: str
    format: MetricFormat
    better: Literal["higher", "lower"]
    dimensions: tuple[str, ...]
    default_window: str = "this quarter"
    kind: Literal["aggregate", "records"] = "aggregate"
    anchor: str | None = None
    # Whether its records can lie in the future (open pipeline by expected close date); a KPI
    # that cannot answers a window that has not begun with "has not happened yet", not $0.
    future: bool = False
    sql: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    definition: str = ""  # one line: what is counted (kpibot kpis, "what is win rate")
    popularity: int = 0  # 0–100: how often teams ask for it (orders completions)
    # A rate's or mean's base: what its denominator (or its averaged records) counts, as a
    # plural noun ("closed deals"); the compiled SQL counts it per row.
    base: str | None = None
    base_one: str = ""  # ``base`` for a count of one ("new customer"; default: ``base``)
    # Records whose outcome is not known yet: {open: SQL, of: SQL, says: text} (see measures).
    unsettled: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Field search (metrics/fields.py): the object a generated measure is of; None for a KPI.
    object: str | None = None
    object_zh: str = ""  # that object in Chinese replies (商机); default: ``object``
    # What a Chinese reply calls it when the first ``zh`` name is not the best header.
    zh_label: str = ""
    zh_base: str = ""  # ``base`` in Chinese replies ("已关闭商机")
    zh_definition: str = ""  # ``definition`` in Chinese replies

    @property
    def words(self) -> tuple[str, ...]:
        """Every way to name it: canonical name, English synonyms, Chinese names."""
        return (self.name, *self.synonyms, *self.zh)

    def said(self, lang: Language) -> str:
        return _said(self.name, self.zh_label, self.zh, lang)

    def definition_in(self, lang: Language) -> str:
        """What is counted, in ``lang`` (English when the catalog has no Chinese line)."""
        return {Language.ZH: self.zh_definition}.get(lang) or self.definition

    def base_in(self, lang: Language, one: bool = False) -> str:
        """What a rate's or mean's base counts, in ``lang`` ("closed deals" / "已关闭商机");
        ``one``: said of a single record ("closed deal"; Chinese nouns have one form)."""
        own = {Language.ZH: self.zh_base}.get(lang) or (self.base_one if one else "") or self.base
        return own or t(lang, f"text.records.{'one' if one else 'other'}")  # 记录

    def unsettled_says(self, lang: Language) -> str:
        """The tail of "62% of these leads' opportunities are still open", in ``lang``."""
        says = {Language.ZH: self.unsettled.get("says_zh")}.get(lang)
        return str(says or self.unsettled.get("says", "are open"))


@dataclass(frozen=True)
class DimensionDef:
    name: str
    synonyms: tuple[str, ...]
    zh: tuple[str, ...]
    kind: DimensionKind
    order: tuple[str, ...] = ()
    values: str | None = None
    sql: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Other names of stored values (入站 → inbound): (phrase, stored value) pairs.
    value_aliases: tuple[tuple[str, str], ...] = ()
    popularity: int = 0  # 0–100: how often teams group or filter by it (orders completions)
    zh_label: str = ""  # as MetricDef.zh_label
    plural: str = ""  # the English name of several ("industries"); default: english_plural

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms, *self.zh)

    def said(self, lang: Language) -> str:
        return _said(self.name, self.zh_label, self.zh, lang)

    def plural_in(self, lang: Language) -> str:
        """The name of several, in ``lang``: "industries" ("Top 12 of 20 industries"); Chinese
        nouns have one form (行业)."""
        return {Language.ZH: self.said(lang)}.get(lang) or self.plural or english_plural(self.name)


def english_plural(noun: str) -> str:
    """The regular English plural of a noun phrase's last word, for names the catalog gives no
    ``plural`` (generated fields): "billing city" → "billing cities", "status" → "statuses".

    >>> english_plural("lead source"), english_plural("industry"), english_plural("box")
    ('lead sources', 'industries', 'boxes')
    """
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def _said(name: str, zh_label: str, zh: tuple[str, ...], lang: Language) -> str:
    """A catalog entry's name as a reply in ``lang`` shows it: the canonical name in English;
    in Chinese its ``zh_label``, else its first ``zh`` name (a generated field has none: its
    own name)."""
    return {Language.ZH: zh_label or next(iter(zh), name)}.get(lang, name)


@dataclass(frozen=True)
class Anchor:
    name: str
    sql: str
    type: Literal["date", "timestamp"]


# A catalog record set has its owner as r.OwnerId; row-level access keeps the records whose
# owner is in the bound list $scope_owners (a semi-join, never interpolated ids).
SCOPE_FILTER = "r.OwnerId IN (SELECT unnest($scope_owners))"
USER_SCOPE = "r.Id IN (SELECT unnest($scope_owners))"  # User records: the visible users
# A keyed record set (its relation has the owner's key, cache/owner_keys.py: users numbered in
# the role tree's depth-first order) filters on at most two runs of keys instead: a comparison
# the scan applies, with no join to plan or build. The comment says what the numbers are. One
# run (a manager who is their role's last user, a rep) is one range, which DuckDB pushes into
# the scan; an OR of two is a filter after it (+0.3 ms on the 227k opportunities, twice one's).
SCOPE_RANGES = {
    "keys1": (
        "/* row-level access: users numbered in role-hierarchy order, the visible ones one run */ "
        "(r._kpibot_owner_key BETWEEN $scope_from AND $scope_to)"
    ),
    "keys2": (
        "/* row-level access: users numbered in role-hierarchy order, the visible ones two runs */ "
        "(r._kpibot_owner_key BETWEEN $scope_from AND $scope_to "
        "OR r._kpibot_owner_key BETWEEN $scope_from2 AND $scope_to2)"
    ),
}


# The time groupings (natural dimensions) a rollup of each grain can answer: a month's rows
# keep their month, quarter and year, not their day, week, weekday or hour.
ROLLUP_GRAINS: dict[str, frozenset[str] | None] = {
    "day": None,  # every one but those of a time of day (a dimension's sql.needs_time)
    "month": frozenset({"month", "quarter", "year", "month of year"}),
}


@dataclass(frozen=True)
class Rollup:
    """A record set that pre-counts another one's records per day (catalog ``rollup:``)."""

    of: str  # the record set it stands for
    rows: str  # SQL: how many records one row stands for
    zone: str  # SQL: the time zone its days are in
    columns: tuple[str, ...]  # the record columns it keeps (r.<column>)
    # Columns kept only as present or not: a count may test them with IS [NOT] NULL only.
    present: tuple[str, ...] = ()
    grain: str = "day"  # "day" | "month": the time groupings it can answer (ROLLUP_GRAINS)
    table: str = ""  # where its zone is read, when its relation needs the window's values


@dataclass(frozen=True)
class RecordSetDef:
    """Where a metric's rows live: a relation aliased ``r``, its anchors, joins and dimensions."""

    name: str
    source: str  # SQL of the relation (a table or a parenthesised SELECT)
    anchors: tuple[Anchor, ...]
    joins: tuple[tuple[str, str], ...]  # (alias, JOIN clause), added only when the alias is used
    dimensions: tuple[tuple[str, str], ...]  # (dimension name, SQL over r and the joins)
    needs: tuple[str, ...] = ()  # source tables it reads (filled by `kpibot import`)
    rollup: Rollup | None = None
    # Row-level access: the predicate keeping the records whose owner is in $scope_owners, or
    # None when the records have no owner (hidden from restricted askers; docs/access.md).
    scope: str | None = SCOPE_FILTER
    # The relation has r._kpibot_owner_key (catalog ``keyed: true``): a scope that is at most two
    # runs of owner keys filters with SCOPE_RANGES instead of ``scope``.
    keyed: bool = False
    # The Salesforce object one row stands for, ``r.Id`` its Id, when the name does not say it
    # (lead_attempt: a lead at an attempt): the object's custom fields reach it (metrics/fields).
    object: str | None = None

    def anchor(self, name: str | None = None) -> Anchor:
        if name is None:
            return self.anchors[0]
        for a in self.anchors:
            if a.name == name:
                return a
        raise KeyError(name)

    def dimension_sql(self, name: str) -> str | None:
        return dict(self.dimensions).get(name)

    def scope_filter(self, scoping: str) -> str | None:
        """The row filter of row-level access: on owner keys when the scope is one or two runs
        of keys (``scoping`` "keys1", "keys2") and the relation has them, else on the owners'
        ids."""
        ranges = SCOPE_RANGES.get(scoping)
        return ranges if ranges and self.keyed and self.scope else self.scope


@dataclass(frozen=True)
class Catalog:
    metrics: tuple[MetricDef, ...]
    dimensions: tuple[DimensionDef, ...]
    records: tuple[RecordSetDef, ...] = ()
    # Field search: (word, catalog entry that kept it, "field <label>" | "object" | "dimension")
    # for each generated word a catalog entry already had.
    shadowed: tuple[tuple[str, str, str], ...] = ()

    def record_set(self, name: str) -> RecordSetDef:
        for r in self.records:
            if r.name == name:
                return r
        raise KeyError(name)

    def metric(self, name: str) -> MetricDef:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(name)

    def dimension(self, name: str) -> DimensionDef:
        for d in self.dimensions:
            if d.name == name:
                return d
        raise KeyError(name)

    def said(self, name: str, lang: Language) -> str:
        """A KPI's or dimension's name in ``lang`` ("win rate" → 赢单率); an unknown name
        (a column the engine made) as it is."""
        entries: tuple[MetricDef | DimensionDef, ...] = (*self.metrics, *self.dimensions)
        for entry in entries:
            if entry.name == name:
                return entry.said(lang)
        return name

    def plural(self, name: str, lang: Language) -> str:
        """A dimension's name for several in ``lang`` ("industries"; 行业), a name the catalog
        does not hold (a generated field) by the regular rule."""
        if self.has_dimension(name):
            return self.dimension(name).plural_in(lang)
        return DimensionDef(name, (), (name,), "category").plural_in(lang)

    def field_said(self, metric: str, name: str, lang: Language) -> str:
        """A record list's column (top deals: name, cycle length) in ``lang``: its ``zh:``
        label in the KPI's ``sql.fields`` in Chinese, else as any other name."""
        for m in self.metrics:
            if m.name == metric:
                for f in m.sql.get("fields") or ():
                    if isinstance(f, dict) and f.get("name") == name and f.get("zh"):
                        return {Language.ZH: str(f["zh"])}.get(lang, name)
        return self.said(name, lang)

    def term(self, name: str) -> Term:
        """The name in every language, said later in the reader's (error messages)."""
        return Term(tuple((lang, self.said(name, lang)) for lang in Language))

    def has_metric(self, name: str) -> bool:
        return any(m.name == name for m in self.metrics)

    def has_dimension(self, name: str) -> bool:
        return any(d.name == name for d in self.dimensions)
