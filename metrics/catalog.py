"""The KPI catalog: metrics and dimensions read from catalog.yaml (plus a user's own file).

Each entry carries its human side (names, synonyms, format, better direction) and its SQL side
(``records``, ``anchor``, ``sql``); the ``records:`` section says where rows live. The grammar
takes its vocabulary from here; the compiler its SQL. See catalog.yaml and
docs/kpis-and-catalog.md for the keys.

>>> cat = load_catalog()
>>> cat.metric("connect rate").format
'percent'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from i18n import Language, Term
from metrics.config_yaml import parse_yaml, read_yaml
from metrics.errors import ConfigError

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
    # Records whose outcome is not known yet: {open: SQL, of: SQL, says: text} (see measures).
    unsettled: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Field search (metrics/fields.py): the object a generated measure is of; None for a KPI.
    object: str | None = None
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

    def base_in(self, lang: Language) -> str:
        """What a rate's or mean's base counts, in ``lang`` ("closed deals" / "已关闭商机")."""
        return {Language.ZH: self.zh_base}.get(lang) or self.base or "records"

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

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms, *self.zh)

    def said(self, lang: Language) -> str:
        return _said(self.name, self.zh_label, self.zh, lang)


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


@dataclass(frozen=True)
class Rollup:
    """A record set that pre-counts another one's records per day (catalog ``rollup:``)."""

    of: str  # the record set it stands for
    rows: str  # SQL: how many records one row stands for
    zone: str  # SQL: the time zone its days are in
    columns: tuple[str, ...]  # the record columns it keeps (r.<column>)


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

    def term(self, name: str) -> Term:
        """The name in every language, said later in the reader's (error messages)."""
        return Term(tuple((lang, self.said(name, lang)) for lang in Language))

    def has_metric(self, name: str) -> bool:
        return any(m.name == name for m in self.metrics)

    def has_dimension(self, name: str) -> bool:
        return any(d.name == name for d in self.dimensions)


_METRIC_KEYS = {
    "name",
    "synonyms",
    "zh",
    "records",
    "format",
    "better",
    "dimensions",
    "default_window",
    "kind",
    "anchor",
    "future",
    "sql",
    "definition",
    "popularity",
    "base",
    "unsettled",
    "zh_label",
    "zh_base",
    "zh_definition",
}
_DIMENSION_KEYS = {
    "name",
    "synonyms",
    "zh",
    "kind",
    "order",
    "values",
    "sql",
    "value_aliases",
    "popularity",
    "zh_label",
}


def _popularity(v: Any, where: str, problems: list[str]) -> int:
    if v is None:
        return 0
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100:
        problems.append(f"{where}.popularity: must be a whole number from 0 to 100")
        return 0
    return v


def _strs(v: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in (v or ()))


def _parse_records(data: Any, source: str, problems: list[str]) -> list[RecordSetDef]:
    out: list[RecordSetDef] = []
    if not isinstance(data, dict):
        problems.append(f"{source}: records: must be a mapping of record set name to definition")
        return out
    for name, r in data.items():
        where = f"{source}: records.{name}"
        if not isinstance(r, dict):
            problems.append(f"{where}: must be a mapping with from, anchors, joins, dimensions")
            continue
        for k in r:
            if k not in ("from", "anchors", "joins", "dimensions", "needs", "rollup", "object"):
                problems.append(
                    f"{where}.{k}: is not a record set key "
                    "(from, anchors, joins, dimensions, needs, rollup, object)"
                )
        anchors: list[Anchor] = []
        for aname, a in (r.get("anchors") or {}).items():
            if (
                not isinstance(a, dict)
                or a.get("type") not in ("date", "timestamp")
                or not a.get("sql")
            ):
                problems.append(f"{where}.anchors.{aname}: needs sql and type (date or timestamp)")
                continue
            anchors.append(Anchor(str(aname), str(a["sql"]), a["type"]))
        if not r.get("from"):
            problems.append(f"{where}.from: is required")
        if not anchors:
            problems.append(f"{where}.anchors: needs at least one anchor")
        out.append(
            RecordSetDef(
                name=str(name),
                source=str(r.get("from", "")),
                anchors=tuple(anchors),
                joins=tuple((str(k), str(v)) for k, v in (r.get("joins") or {}).items()),
                dimensions=tuple((str(k), str(v)) for k, v in (r.get("dimensions") or {}).items()),
                needs=_strs(r.get("needs")),
                rollup=_parse_rollup(r.get("rollup"), where, problems),
                object=str(r["object"]) if r.get("object") else None,
            )
        )
    return out


def _parse_rollup(r: Any, where: str, problems: list[str]) -> Rollup | None:
    if r is None:
        return None
    if not isinstance(r, dict) or not all(r.get(k) for k in ("of", "rows", "zone", "columns")):
        problems.append(f"{where}.rollup: needs of, rows, zone and columns")
        return None
    return Rollup(str(r["of"]), str(r["rows"]), str(r["zone"]), _strs(r["columns"]))


def _parse(
    data: Any, source: str, problems: list[str]
) -> tuple[list[MetricDef], list[DimensionDef], list[RecordSetDef]]:
    metrics: list[MetricDef] = []
    dims: list[DimensionDef] = []
    if not isinstance(data, dict):
        problems.append(f"{source}: must be a mapping with metrics: and dimensions:")
        return metrics, dims, []
    for key in data:
        if key not in ("metrics", "dimensions", "records"):
            problems.append(
                f"{source}: {key}: is not a catalog section (metrics, dimensions, records)"
            )
    for i, m in enumerate(data.get("metrics") or []):
        where = f"{source}: metrics[{i}]"
        if not isinstance(m, dict) or "name" not in m:
            problems.append(f"{where}: needs a name")
            continue
        where = f"{source}: metrics[{i}] ({m['name']})"
        for k in m:
            if k not in _METRIC_KEYS:
                problems.append(f"{where}.{k}: is not a metric key")
        for req in ("records", "format", "better"):
            if req not in m:
                problems.append(f"{where}.{req}: is required")
        if m.get("format") not in (
            None,
            "count",
            "percent",
            "currency",
            "hours",
            "days",
            "minutes",
            "number",
        ):
            problems.append(
                f"{where}.format: must be count, percent, currency, hours, days, minutes or number"
            )
        if m.get("better") not in (None, "higher", "lower"):
            problems.append(f"{where}.better: must be higher or lower")
        metrics.append(
            MetricDef(
                name=str(m["name"]),
                synonyms=_strs(m.get("synonyms")),
                zh=_strs(m.get("zh")),
                records=str(m.get("records", "")),
                format=m.get("format", "count"),
                better=m.get("better", "higher"),
                dimensions=_strs(m.get("dimensions")),
                default_window=str(m.get("default_window", "this quarter")),
                kind=m.get("kind", "aggregate"),
                anchor=m.get("anchor"),
                future=bool(m.get("future", False)),
                sql=dict(m.get("sql") or {}),
                definition=str(m.get("definition") or ""),
                popularity=_popularity(m.get("popularity"), where, problems),
                base=str(m["base"]) if m.get("base") else None,
                unsettled=dict(m.get("unsettled") or {}),
                zh_label=str(m.get("zh_label") or ""),
                zh_base=str(m.get("zh_base") or ""),
                zh_definition=str(m.get("zh_definition") or ""),
            )
        )
    for i, d in enumerate(data.get("dimensions") or []):
        where = f"{source}: dimensions[{i}]"
        if not isinstance(d, dict) or "name" not in d:
            problems.append(f"{where}: needs a name")
            continue
        where = f"{source}: dimensions[{i}] ({d['name']})"
        for k in d:
            if k not in _DIMENSION_KEYS:
                problems.append(f"{where}.{k}: is not a dimension key")
        if d.get("kind") not in ("category", "grain", "datepart", "number"):
            problems.append(f"{where}.kind: must be category, grain, datepart or number")
        aliases = d.get("value_aliases") or {}
        if not isinstance(aliases, dict):
            problems.append(f"{where}.value_aliases: must map a phrase to a stored value")
            aliases = {}
        dims.append(
            DimensionDef(
                name=str(d["name"]),
                synonyms=_strs(d.get("synonyms")),
                zh=_strs(d.get("zh")),
                kind=d.get("kind", "category"),
                order=_strs(d.get("order")),
                values=d.get("values"),
                sql=dict(d.get("sql") or {}),
                value_aliases=tuple((str(k), str(v)) for k, v in aliases.items()),
                popularity=_popularity(d.get("popularity"), where, problems),
                zh_label=str(d.get("zh_label") or ""),
            )
        )
    records = _parse_records(data["records"], source, problems) if "records" in data else []
    return metrics, dims, records


def _check(
    metrics: list[MetricDef],
    dims: list[DimensionDef],
    records: list[RecordSetDef],
    problems: list[str],
) -> None:
    dim_names = {d.name for d in dims}
    owner: dict[str, str] = {}
    entries: list[MetricDef | DimensionDef] = [*metrics, *dims]
    for entry in entries:
        for w in entry.words:
            key = w.strip().lower()
            if key in owner and owner[key] != entry.name:
                problems.append(f'"{w}" names both {owner[key]} and {entry.name}')
            owner.setdefault(key, entry.name)
    for m in metrics:
        for d in m.dimensions:
            if d not in dim_names:
                problems.append(f"metric {m.name}: dimension {d!r} is not in the catalog")
    names = {r.name for r in records}
    for r in records:
        if r.rollup is not None and r.rollup.of not in names:
            problems.append(f"records.{r.name}.rollup.of: {r.rollup.of!r} is not a record set")
    from metrics.catalog_check import check_sql_side  # the SQL side's structural checks
    from metrics.fragments import check_catalog  # every SQL fragment parses (DuckDB dialect)

    check_sql_side(metrics, dims, records, problems)
    check_catalog(metrics, dims, records, problems)


def load_catalog(extra: Path | None = None) -> Catalog:
    """The built-in catalog, merged with ``extra`` (entries with a known name replace it)."""
    problems: list[str] = []
    text = resources.files("metrics").joinpath("catalog.yaml").read_text(encoding="utf-8")
    metrics, dims, records = _parse(parse_yaml(text, "catalog.yaml"), "catalog.yaml", problems)
    if extra is not None:
        data = read_yaml(Path(extra))
        more_m, more_d, more_r = _parse(data, str(extra), problems)
        rnames = {r.name for r in more_r}
        records = [r for r in records if r.name not in rnames] + more_r
        names = {m.name for m in more_m}
        metrics = [m for m in metrics if m.name not in names] + more_m
        dnames = {d.name for d in more_d}
        dims = [d for d in dims if d.name not in dnames] + more_d
    _check(metrics, dims, records, problems)
    if problems:
        raise ConfigError(problems, "catalog")
    return Catalog(tuple(metrics), tuple(dims), tuple(records))


@lru_cache(maxsize=8)
def cached_catalog(extra: Path | None = None) -> Catalog:
    """load_catalog, parsed once per process and file (the compiler caches SQL per catalog)."""
    return load_catalog(extra)
