"""The KPI catalog: metrics and dimensions read from catalog.yaml (plus a user's own file).

Each entry carries its human side (names, synonyms, format, better direction) and its SQL side
(``records``, ``anchor``, ``sql``). The grammar takes its vocabulary from here; the compiler its
SQL. See catalog.yaml for the keys.

>>> cat = load_catalog()
>>> cat.metric("connect rate").format
'percent'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from metrics.errors import ConfigError

MetricFormat = Literal["count", "percent", "currency", "hours", "days", "minutes", "number"]
DimensionKind = Literal["category", "grain", "datepart", "number"]

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
    sql: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def words(self) -> tuple[str, ...]:
        """Every way to name it: canonical name, English synonyms, Chinese names."""
        return (self.name, *self.synonyms, *self.zh)


@dataclass(frozen=True)
class DimensionDef:
    name: str
    synonyms: tuple[str, ...]
    zh: tuple[str, ...]
    kind: DimensionKind
    order: tuple[str, ...] = ()
    values: str | None = None
    sql: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms, *self.zh)


@dataclass(frozen=True)
class Catalog:
    metrics: tuple[MetricDef, ...]
    dimensions: tuple[DimensionDef, ...]

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

    def has_metric(self, name: str) -> bool:
        return any(m.name == name for m in self.metrics)

    def has_dimension(self, name: str) -> bool:
        return any(d.name == name for d in self.dimensions)


_METRIC_KEYS = {
    "name", "synonyms", "zh", "records", "format", "better", "dimensions", "default_window",
    "kind", "anchor", "sql",
}
_DIMENSION_KEYS = {"name", "synonyms", "zh", "kind", "order", "values", "sql"}


def _strs(v: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in (v or ()))


def _parse(data: Any, source: str, problems: list[str]) -> tuple[list[MetricDef], list[DimensionDef]]:
    metrics: list[MetricDef] = []
    dims: list[DimensionDef] = []
    if not isinstance(data, dict):
        problems.append(f"{source}: must be a mapping with metrics: and dimensions:")
        return metrics, dims
    for key in data:
        if key not in ("metrics", "dimensions"):
            problems.append(f"{source}: {key}: is not a catalog section (metrics, dimensions)")
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
        if m.get("format") not in (None, "count", "percent", "currency", "hours", "days", "minutes", "number"):
            problems.append(f"{where}.format: must be count, percent, currency, hours, days, minutes or number")
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
                sql=dict(m.get("sql") or {}),
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
        dims.append(
            DimensionDef(
                name=str(d["name"]),
                synonyms=_strs(d.get("synonyms")),
                zh=_strs(d.get("zh")),
                kind=d.get("kind", "category"),
                order=_strs(d.get("order")),
                values=d.get("values"),
                sql=dict(d.get("sql") or {}),
            )
        )
    return metrics, dims


def _check(metrics: list[MetricDef], dims: list[DimensionDef], problems: list[str]) -> None:
    dim_names = {d.name for d in dims}
    owner: dict[str, str] = {}
    for entry in [*metrics, *dims]:
        for w in entry.words:
            key = w.strip().lower()
            if key in owner and owner[key] != entry.name:
                problems.append(f'"{w}" names both {owner[key]} and {entry.name}')
            owner.setdefault(key, entry.name)
    for m in metrics:
        for d in m.dimensions:
            if d not in dim_names:
                problems.append(f"metric {m.name}: dimension {d!r} is not in the catalog")


def load_catalog(extra: Path | None = None) -> Catalog:
    """The built-in catalog, merged with ``extra`` (entries with a known name replace it)."""
    problems: list[str] = []
    text = resources.files("metrics").joinpath("catalog.yaml").read_text(encoding="utf-8")
    metrics, dims = _parse(yaml.safe_load(text), "catalog.yaml", problems)
    if extra is not None:
        try:
            data = yaml.safe_load(Path(extra).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError([f"{extra}: cannot be read ({e})"], str(extra)) from None
        more_m, more_d = _parse(data, str(extra), problems)
        names = {m.name for m in more_m}
        metrics = [m for m in metrics if m.name not in names] + more_m
        dnames = {d.name for d in more_d}
        dims = [d for d in dims if d.name not in dnames] + more_d
    _check(metrics, dims, problems)
    if problems:
        raise ConfigError(problems, "catalog")
    return Catalog(tuple(metrics), tuple(dims))
