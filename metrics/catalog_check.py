"""Structural checks of the catalog's SQL side, run by metrics.catalog_load (every problem at once).

The SQL itself is checked separately by metrics.validate (an EXPLAIN of every metric with each
allowed dimension on an empty cache).
"""

from __future__ import annotations

from metrics.catalog import DimensionDef, MetricDef, RecordSetDef
from metrics.measures import measure_of, record_list_of


def check_sql_side(
    metrics: list[MetricDef],
    dims: list[DimensionDef],
    records: list[RecordSetDef],
    problems: list[str],
) -> None:
    by_name = {r.name: r for r in records}
    dim_by_name = {d.name: d for d in dims}
    for d in dims:
        if d.kind in ("grain", "datepart") and not d.sql.get("expr"):
            problems.append(
                f"dimension {d.name}: a {d.kind} needs sql.expr over {{t}} (the anchor)"
            )
    for r in records:
        for dname, _ in r.dimensions:
            if dname not in dim_by_name:
                problems.append(
                    f"records.{r.name}.dimensions: {dname!r} is not a catalog dimension"
                )
    for m in metrics:
        where = f"metric {m.name}"
        if m.records not in by_name:
            problems.append(
                f"{where}: records {m.records!r} is not a record set ({', '.join(by_name)})"
            )
            continue
        try:
            if m.kind == "records":
                record_list_of(m)
                atoms_records = [m.records]
            else:
                ms = measure_of(m)
                atoms_records = [a.records for a in ms.atoms]
                for a in ms.atoms:
                    if a.records not in by_name:
                        problems.append(f"{where}: records {a.records!r} is not a record set")
                        continue
                    if a.anchor is not None and a.anchor not in {
                        x.name for x in by_name[a.records].anchors
                    }:
                        problems.append(
                            f"{where}: anchor {a.anchor!r} is not an anchor of {a.records}"
                        )
                if ms.group_by and ms.group_by not in m.dimensions:
                    problems.append(
                        f"{where}: sql.group_by {ms.group_by!r} is not one of its dimensions"
                    )
        except ValueError as e:
            problems.append(f"{where}.sql: {e}")
            continue
        for dname in m.dimensions:
            dim = dim_by_name.get(dname)
            if dim is None or dim.kind in ("grain", "datepart"):
                continue
            for rec in atoms_records:
                if rec in by_name and by_name[rec].dimension_sql(dname) is None:
                    problems.append(
                        f"{where}: dimension {dname!r} has no SQL in records.{rec}.dimensions"
                    )
