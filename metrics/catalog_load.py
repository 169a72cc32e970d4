"""Loading the KPI catalog: catalog.yaml (plus a user's own file) read into the definitions of
metrics/catalog.py, with every problem reported at once — keys, words naming two entries, and
the SQL side's structure (metrics/catalog_check.py) and fragments (metrics/fragments.py).

>>> load_catalog().metric("connect rate").format
'percent'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from metrics.catalog import (
    ROLLUP_GRAINS,
    Anchor,
    Catalog,
    DimensionDef,
    MetricDef,
    RecordSetDef,
    Rollup,
)
from metrics.catalog_check import check_sql_side  # the SQL side's structural checks
from metrics.config_yaml import parse_yaml, read_yaml
from metrics.errors import ConfigError
from metrics.fragments import check_catalog  # every SQL fragment parses (DuckDB dialect)

_E = TypeVar("_E", MetricDef, DimensionDef)

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
    "base_one",
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
    "plural",
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
            if k not in (
                "from",
                "anchors",
                "joins",
                "dimensions",
                "needs",
                "rollup",
                "object",
                "keyed",
            ):
                problems.append(
                    f"{where}.{k}: is not a record set key "
                    "(from, anchors, joins, dimensions, needs, rollup, object, keyed)"
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
                keyed=bool(r.get("keyed", False)),
            )
        )
    return out


def _parse_rollup(r: Any, where: str, problems: list[str]) -> Rollup | None:
    if r is None:
        return None
    if not isinstance(r, dict) or not all(r.get(k) for k in ("of", "rows", "zone", "columns")):
        problems.append(f"{where}.rollup: needs of, rows, zone and columns")
        return None
    grain = str(r.get("grain", "day"))
    if grain not in ROLLUP_GRAINS:
        problems.append(f"{where}.rollup.grain: {grain!r} is not one of {', '.join(ROLLUP_GRAINS)}")
    return Rollup(
        str(r["of"]),
        str(r["rows"]),
        str(r["zone"]),
        _strs(r["columns"]),
        present=_strs(r.get("present", [])),
        grain=grain,
        table=str(r.get("table", "")),
    )


_FORMATS = ("count", "percent", "currency", "hours", "days", "minutes", "number")
_DIMENSION_KINDS = ("category", "grain", "datepart", "number")


def _parse(
    data: Any, source: str, problems: list[str]
) -> tuple[list[MetricDef], list[DimensionDef], list[RecordSetDef]]:
    if not isinstance(data, dict):
        problems.append(f"{source}: must be a mapping with metrics: and dimensions:")
        return [], [], []
    for key in data:
        if key not in ("metrics", "dimensions", "records"):
            problems.append(
                f"{source}: {key}: is not a catalog section (metrics, dimensions, records)"
            )
    metrics = _parse_entries(data.get("metrics"), f"{source}: metrics", _parse_metric, problems)
    dims = _parse_entries(
        data.get("dimensions"), f"{source}: dimensions", _parse_dimension, problems
    )
    records = _parse_records(data["records"], source, problems) if "records" in data else []
    return metrics, dims, records


def _parse_entries(
    entries: Any,
    section: str,
    parse: Callable[[dict[str, Any], str, list[str]], _E],
    problems: list[str],
) -> list[_E]:
    """Each named entry of a section parsed by ``parse``, where to say a problem: its index and
    name (``catalog.yaml: metrics[3] (win rate)``)."""
    out: list[_E] = []
    for i, e in enumerate(entries or []):
        if not isinstance(e, dict) or "name" not in e:
            problems.append(f"{section}[{i}]: needs a name")
            continue
        out.append(parse(e, f"{section}[{i}] ({e['name']})", problems))
    return out


def _parse_metric(m: dict[str, Any], where: str, problems: list[str]) -> MetricDef:
    for k in m:
        if k not in _METRIC_KEYS:
            problems.append(f"{where}.{k}: is not a metric key")
    for req in ("records", "format", "better"):
        if req not in m:
            problems.append(f"{where}.{req}: is required")
    if m.get("format") not in (None, *_FORMATS):
        problems.append(
            f"{where}.format: must be count, percent, currency, hours, days, minutes or number"
        )
    if m.get("better") not in (None, "higher", "lower"):
        problems.append(f"{where}.better: must be higher or lower")
    return MetricDef(
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
        base_one=str(m.get("base_one") or ""),
        unsettled=dict(m.get("unsettled") or {}),
        zh_label=str(m.get("zh_label") or ""),
        zh_base=str(m.get("zh_base") or ""),
        zh_definition=str(m.get("zh_definition") or ""),
    )


def _parse_dimension(d: dict[str, Any], where: str, problems: list[str]) -> DimensionDef:
    for k in d:
        if k not in _DIMENSION_KEYS:
            problems.append(f"{where}.{k}: is not a dimension key")
    if d.get("kind") not in _DIMENSION_KINDS:
        problems.append(f"{where}.kind: must be category, grain, datepart or number")
    aliases = d.get("value_aliases") or {}
    if not isinstance(aliases, dict):
        problems.append(f"{where}.value_aliases: must map a phrase to a stored value")
        aliases = {}
    return DimensionDef(
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
        plural=str(d.get("plural") or ""),
    )


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
