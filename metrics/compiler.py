"""Query → SQL: each KPI aggregated on its own records and anchor, then joined on the grouping.

The SQL is assembled only from catalog snippets (maintainer-written, checked at start-up by
metrics.validate); every user value (filter values, N, thresholds, dates) is a named parameter.
A compiled template depends only on the query's *shape*, so it is cached: asking the same kind
of question again costs a dictionary lookup.

Shape of the SQL (one ``s`` subquery per record set and anchor, a ``p`` twin for comparisons)::

    WITH s0 AS (SELECT <dims> AS d0, count(*) FILTER (WHERE …) AS a0 … FROM <records> AS r
                <joins it needs> WHERE <window> AND <filters> AND <its records> GROUP BY 1),
         keys AS (SELECT d0 FROM s0 UNION SELECT d0 FROM s1),
         cur AS (SELECT keys.d0, coalesce(s0.a0, 0) AS m0 … FROM keys LEFT JOIN s0 ON …)
    SELECT … FROM cur [LEFT JOIN prev ON …] WHERE <metric filters> ORDER BY … LIMIT $rank_n
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import Any

from i18n import Language, t
from metrics.answer import Column
from metrics.catalog import Anchor, Catalog, DimensionDef, MetricDef, RecordSetDef
from metrics.errors import Invalid
from metrics.measures import Atom, Measure, measure_of, record_list_of, sample_atoms
from metrics.query import Filter, Query

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "="}
_NATURAL_KINDS = ("grain", "datepart")
_COLUMN = re.compile(r"r\.\w+")


@dataclass(frozen=True)
class Compiled:
    """SQL with named parameters, the names it uses, and the answer's columns."""

    sql: str
    params: tuple[str, ...]  # every $name in sql
    columns: tuple[Column, ...]
    kind: str  # "table" | "records"
    grouped: bool
    query: Query  # the first query of this shape, as compiled; values come from query_params
    # Counts selected after the columns, one per (KPI, "base" | "open" | "of"): the sample
    # behind each rate or mean and its records whose outcome is still open.
    extras: tuple[tuple[str, str], ...] = ()


def effective_query(query: Query, catalog: Catalog) -> Query:
    """The query plus groupings a metric always has (follow-up rate by attempt: contact attempt)."""
    extra: list[str] = []
    for name in query.metrics:
        m = _metric(catalog, name)
        if m.kind == "records":
            continue
        g = measure_of(m).group_by
        if g and g not in query.groupings and g not in extra:
            extra.append(g)
    if not extra:
        return query

    return replace(query, groupings=(*extra, *query.groupings))


def _metric(catalog: Catalog, name: str) -> MetricDef:
    try:
        return catalog.metric(name)
    except KeyError:
        raise Invalid(f'I do not know the KPI "{name}".') from None


def _dimension(catalog: Catalog, name: str) -> DimensionDef:
    try:
        return catalog.dimension(name)
    except KeyError:
        raise Invalid(f'I do not know the dimension "{name}".') from None


# -- per record set SQL pieces ------------------------------------------------------------------


def local_time(anchor: Anchor) -> str:
    """The anchor in the org time zone (DATE fields have no zone and are used as they are)."""
    return f"timezone($tz, {anchor.sql})" if anchor.type == "timestamp" else anchor.sql


def dimension_sql(
    catalog: Catalog, metric: str, rs: RecordSetDef, anchor: Anchor, dim: DimensionDef
) -> str:
    """The SQL of ``dim`` for a KPI's record set, or Invalid saying why the KPI has none."""
    if dim.kind in _NATURAL_KINDS:
        if dim.sql.get("needs_time") and anchor.type == "date":
            raise Invalid(
                f"{metric} counts on {anchor.sql.removeprefix('r.')}, a date without a time "
                "of day, "
                f"so it cannot be grouped by {dim.name}."
            )
        return str(dim.sql["expr"]).replace("{t}", local_time(anchor))
    sql = rs.dimension_sql(dim.name)
    if sql is None:
        raise Invalid(f"{metric} has no {dim.name}, so it cannot be grouped or filtered by it.")
    return sql


def anchor_of(rs: RecordSetDef, own: str | None, asked: str | None, metric: str) -> Anchor:
    """The date a KPI's records count on: the question's date field when it names one (an
    anchor of that name on the record set, metrics/fields.py), else the KPI's own."""
    if asked is None:
        return rs.anchor(own)
    try:
        return rs.anchor(asked)
    except KeyError:
        raise Invalid(t(Language.EN, "field.no_date", metric=metric, date=asked)) from None


def window_sql(anchor: Anchor, prefix: str, has_start: bool, has_end: bool) -> list[str]:
    if anchor.type == "timestamp":
        out = [f"{anchor.sql} >= ${prefix}_start_ts"] if has_start else []
        return out + ([f"{anchor.sql} < ${prefix}_end_ts"] if has_end else [])
    out = [f"{anchor.sql} >= ${prefix}_start"] if has_start else []
    return out + ([f"{anchor.sql} <= ${prefix}_end"] if has_end else [])


def filter_sql(expr: str, f: Filter, i: int, checkbox: bool = False) -> str:
    """A record filter; values are bound as $f<i> (lower-cased, trimmed texts or a number).
    A ``checkbox`` (a boolean field, values "true" / "false") is tested as a boolean: a text
    cast of every record costs several times the filter itself on millions of them."""
    if f.op in _OPS:
        return f"{expr} {_OPS[f.op]} $f{i}"
    has_none = any(v is None for v in f.values)
    has_values = any(v is not None for v in f.values)
    matches = (
        f"(({expr} AND list_contains($f{i}, 'true')) OR (NOT {expr} AND list_contains($f{i}, "
        "'false')))"
        if checkbox
        else f"list_contains($f{i}, lower(trim(CAST({expr} AS VARCHAR))))"
    )
    if f.op == "in":
        parts = ([matches] if has_values else []) + ([f"{expr} IS NULL"] if has_none else [])
        return "(" + " OR ".join(parts) + ")"
    # not in: records whose field is empty are kept, unless "(none)" itself is excluded
    if has_none:
        return f"({expr} IS NOT NULL" + (f" AND NOT {matches})" if has_values else ")")
    return f"({expr} IS NULL OR NOT {matches})"


def scope_sql(rs: RecordSetDef, shape_scoped: bool, what: str) -> list[str]:
    """The row filter of row-level access, when the query is scoped: the record set's predicate
    on the bound owner list $scope_owners (RecordSetDef.scope, never interpolated ids); records
    without an owner are refused rather than shown (docs/access.md)."""
    if not shape_scoped:
        return []
    if rs.scope is None:
        raise Invalid(t(Language.EN, "access.no_owner", what=what))
    return [rs.scope]


def joins_for(rs: RecordSetDef, snippets: list[str]) -> list[str]:
    """The record set's joins whose alias the snippets mention, in catalog order."""
    text = "\n".join(snippets)
    return [clause for alias, clause in rs.joins if re.search(rf"\b{re.escape(alias)}\.", text)]


# -- the compiler ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    metrics: tuple[str, ...]
    groupings: tuple[str, ...]
    filters: tuple[tuple[str, str, bool, bool], ...]  # dimension, op, has values, has none
    metric_filters: tuple[tuple[str, str], ...]
    ranking: tuple[str, str | None] | None
    sort: tuple[str, bool] | None
    compare: bool
    window: tuple[bool, bool]
    compare_window: tuple[bool, bool]
    bucket_shift: str | None  # "months" | "days": how previous time buckets line up with current
    grid: bool = False  # every time bucket of the window is a row ($grid: their first days)
    scoped: bool = False  # row-level access: only records owned by $scope_owners (metrics.scope)
    rollups: frozenset[str] = frozenset()  # rollup record sets this snapshot can answer from
    anchor: str | None = None  # the question's date field (Query.anchor)


_cache: dict[tuple[int, _Shape], tuple[Catalog, Compiled]] = {}
_cache_lock = threading.Lock()


def compile_query(
    query: Query,
    catalog: Catalog,
    *,
    window: tuple[bool, bool] = (True, True),
    compare_window: tuple[bool, bool] = (True, True),
    bucket_shift: str | None = None,
    grid: bool = False,
    scoped: bool = False,
    rollups: frozenset[str] = frozenset(),
) -> Compiled:
    """SQL for ``query``. ``window`` says whether the window has a start and an end;
    ``bucket_shift`` how a comparison's time buckets line up ($bucket_shift months or days);
    ``grid`` that the time grouping's keys are ``$grid`` (every bucket of the window: a bucket
    without records is a row, 0 for counts and sums, empty for rates and means).
    ``scoped`` adds the row filter of row-level access to every record set it reads.
    ``rollups``: the rollup record sets (catalog ``rollup:``) the snapshot holds in the org's
    zone; counts that need only their columns are read from them."""
    q = effective_query(query, catalog)
    shape = _Shape(
        metrics=q.metrics,
        groupings=q.groupings,
        filters=tuple(
            (
                f.dimension,
                f.op,
                any(v is not None for v in f.values),
                any(v is None for v in f.values),
            )
            for f in q.filters
        ),
        metric_filters=tuple((mf.metric, mf.op) for mf in q.metric_filters),
        ranking=(q.ranking.direction, q.ranking.metric) if q.ranking else None,
        sort=(q.sort.key, q.sort.descending) if q.sort else None,
        compare=q.comparison is not None,
        window=window,
        compare_window=compare_window if q.comparison is not None else (False, False),
        bucket_shift=bucket_shift if q.comparison is not None else None,
        grid=grid and any(catalog.dimension(g).kind == "grain" for g in q.groupings),
        scoped=scoped,
        rollups=rollups,
        anchor=q.anchor,
    )
    key = (id(catalog), shape)
    hit = _cache.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    compiled = _compile(q, catalog, shape)
    with _cache_lock:
        if len(_cache) > 2000:
            _cache.clear()
        _cache[key] = (catalog, compiled)
    return compiled


def _finish(
    sql: str,
    columns: list[Column],
    kind: str,
    grouped: bool,
    q: Query,
    extras: tuple[tuple[str, str], ...] = (),
) -> Compiled:
    names = tuple(dict.fromkeys(_PARAM.findall(sql)))
    return Compiled(sql, names, tuple(columns), kind, grouped, q, extras)


def _compile(q: Query, catalog: Catalog, shape: _Shape) -> Compiled:
    if not q.metrics:
        raise Invalid("Which KPI? Name at least one, e.g. calls or win rate.")
    metrics = [_metric(catalog, n) for n in q.metrics]
    if any(m.kind == "records" for m in metrics):
        if len(metrics) > 1:
            raise Invalid(f"{q.metrics[0]} lists records; ask it on its own, without other KPIs.")
        return _compile_records(q, catalog, metrics[0], shape)
    if len(q.groupings) > 2:
        raise Invalid("Group by at most two things, e.g. win rate by rep quarterly.")
    dims = [_dimension(catalog, g) for g in q.groupings]
    for m in metrics:
        for d in dims:
            if d.kind not in _NATURAL_KINDS and d.name not in m.dimensions:
                raise Invalid(f"{m.name} has no {d.name}, so it cannot be grouped by it.")
    if (
        q.comparison is not None
        and shape.bucket_shift is None
        and any(d.kind == "grain" for d in dims)
    ):
        raise Invalid(
            "The two windows' time buckets "
            f"(by {', '.join(d.name for d in dims if d.kind == 'grain')}) do not line up; compare "
            "whole periods (e.g. this year by month vs last year) or drop the time grouping."
        )
    hidden = [
        n
        for n in [
            *(mf.metric for mf in q.metric_filters),
            q.ranking.metric if q.ranking else None,
            q.sort.key if q.sort else None,
        ]
        if n and n not in q.metrics and not (q.sort and n == q.sort.key and n in q.groupings)
    ]
    hidden = list(dict.fromkeys(hidden))
    all_metrics = [*metrics, *(_metric(catalog, n) for n in hidden)]
    measures = [measure_of(m) for m in all_metrics]
    # (metric index, what, atom index) of each count selected after the columns.
    extras: list[tuple[int, str, int]] = []
    core = [len(ms.atoms) for ms in measures]  # extras count within these records: no WHERE
    for mi, m in enumerate(metrics):
        ms = measures[mi]
        atoms = list(ms.atoms)
        for what, atom in sample_atoms(m, ms):
            if atom in atoms:
                extras.append((mi, what, atoms.index(atom)))
            else:
                atoms.append(atom)
                extras.append((mi, what, len(atoms) - 1))
        measures[mi] = replace(ms, atoms=tuple(atoms))
    for f in q.filters:
        _dimension(catalog, f.dimension)

    grouped = bool(dims)
    nd = len(dims)
    dcols = [f"d{i}" for i in range(nd)]

    def build(prefix: str, win: tuple[bool, bool]) -> tuple[list[str], str]:
        """CTEs for one window: the s-subqueries, the keys and the combined metric values."""
        groups: dict[tuple[str, str, bool], list[tuple[int, int, Atom]]] = {}
        for mi, ms in enumerate(measures):
            for ai, atom in enumerate(ms.atoms):
                rs = catalog.record_set(atom.records)
                anchor = anchor_of(rs, atom.anchor, q.anchor, all_metrics[mi].name)
                groups.setdefault((rs.name, anchor.name, mi >= len(metrics)), []).append(
                    (mi, ai, atom)
                )
        ctes: list[str] = []
        refs: dict[tuple[int, int], str] = {}
        shown: list[str] = []
        letter = "s" if prefix == "cur" else "p"
        for gi, ((rs_name, anchor_name, is_hidden), atoms) in enumerate(groups.items()):
            rs = catalog.record_set(rs_name)
            rolled = _rollup_for(catalog, shape, rs, anchor_name, atoms, dims, q.filters)
            if rolled is not None:
                rs, atoms = rolled
            anchor = rs.anchor(anchor_name)
            metric_name = all_metrics[atoms[0][0]].name
            dim_exprs = [dimension_sql(catalog, metric_name, rs, anchor, d) for d in dims]
            where = window_sql(anchor, prefix, *win) + scope_sql(rs, shape.scoped, metric_name)
            for fi, f in enumerate(q.filters):
                fdim = catalog.dimension(f.dimension)
                if fdim.kind not in _NATURAL_KINDS and rs.dimension_sql(f.dimension) is None:
                    raise Invalid(
                        f"{metric_name} has no {f.dimension}, so it cannot be filtered by it."
                    )
                where.append(
                    filter_sql(
                        dimension_sql(catalog, metric_name, rs, anchor, fdim),
                        f,
                        fi,
                        bool(fdim.sql.get("checkbox")),
                    )
                )
            conds = list(
                dict.fromkeys(a.record_condition for mi, ai, a in atoms if ai < core[mi])
            )
            if all(conds):
                where.append("(" + " OR ".join(str(c) for c in conds) + ")")
            name = f"{letter}{gi}"
            for mi, ai, _ in atoms:
                refs[(mi, ai)] = f"{name}.a{mi}_{ai}"
            aggs = [f"{_agg_sql(atom)} AS a{mi}_{ai}" for mi, ai, atom in atoms]
            time_filter = any(
                catalog.dimension(f.dimension).kind in _NATURAL_KINDS for f in q.filters
            )
            bucket = (
                anchor.type == "timestamp"
                and not time_filter
                and any(d.kind in _NATURAL_KINDS for d in dims)
            )
            inner_joins = set(joins_for(rs, [*where, *aggs]))
            # Late: named through a join only they need (rep names), or computed from record
            # columns (channel): grouped first by the columns, named or computed per group.
            late = {
                i
                for i, (d, e) in enumerate(zip(dims, dim_exprs, strict=True))
                if d.kind not in _NATURAL_KINDS
                and (
                    (joins_for(rs, [e]) and not inner_joins & set(joins_for(rs, [e])))
                    or (not joins_for(rs, [e]) and not _COLUMN.fullmatch(e.strip()))
                )
            }
            # A median is not made of partial aggregates: it reads every record at once.
            if (bucket or late) and all(a.agg != "median" for _, _, a in atoms):
                body = _two_level(rs, anchor, dims, dim_exprs, bucket, late, where, atoms)
            else:
                select = [f"{e} AS d{i}" for i, e in enumerate(dim_exprs)] + aggs
                body = _select(rs, select, where, nd, [*dim_exprs, *where, *aggs])
            ctes.append(f"{name} AS (\n  {body}\n)")
            if not is_hidden:
                shown.append(name)
        names = [f"{letter}{gi}" for gi in range(len(groups))]
        values = [
            f"{_value_sql(ms, [refs[(mi, ai)] for ai in range(len(ms.atoms))])} AS m{mi}"
            for mi, ms in enumerate(measures)
        ]
        if prefix == "cur":
            values += [f"coalesce({refs[(mi, ai)]}, 0) AS x{k}" for k, (mi, _, ai) in
                       enumerate(extras)]
        grid = shape.grid and prefix == "cur"
        if not grouped:
            combined = f"SELECT {', '.join(values)} FROM {' CROSS JOIN '.join(names)}"
        elif len(names) == 1 and not grid:
            keys = ", ".join(f"{names[0]}.{d}" for d in dcols)
            combined = f"SELECT {keys}, {', '.join(values)} FROM {names[0]}"
        else:
            kname = f"{prefix}_keys"
            ctes.append(f"{kname} AS ({_keys_sql(dims, dcols, shown, grid)})")
            joins = "".join(
                f" LEFT JOIN {n} ON "
                + " AND ".join(f"{kname}.{d} IS NOT DISTINCT FROM {n}.{d}" for d in dcols)
                for n in names
            )
            keys = ", ".join(f"{kname}.{d}" for d in dcols)
            combined = f"SELECT {keys}, {', '.join(values)} FROM {kname}{joins}"
        return ctes, combined

    ctes, cur = build("cur", shape.window)
    ctes.append(f"cur AS ({cur})")
    select = [f"cur.{d}" for d in dcols]
    columns: list[Column] = [_dim_column(d) for d in dims]
    frm = "cur"
    if q.comparison is not None:
        pctes, prev = build("prev", shape.compare_window)
        ctes += [*pctes, f"prev AS ({prev})"]
        frm = "cur " + (
            "LEFT JOIN prev ON "
            + " AND ".join(_lookup(d, i, shape.bucket_shift) for i, d in enumerate(dims))
            if grouped
            else "CROSS JOIN prev"
        )
    for mi, m in enumerate(metrics):
        select.append(f"cur.m{mi}")  # (the extras follow every column, below)
        columns.append(Column(m.name, "metric", m.format, m.name, m.better))
        if q.comparison is not None:
            additive = measures[mi].kind in ("count", "sum")
            prev_v = f"coalesce(prev.m{mi}, 0)" if additive else f"prev.m{mi}"
            select.append(f"{prev_v} AS m{mi}_prev")
            select.append(f"(cur.m{mi} - {prev_v}) / NULLIF({prev_v}, 0) AS m{mi}_growth")
            columns.append(Column(f"{m.name} (previous)", "previous", m.format, m.name, m.better))
            columns.append(Column(f"{m.name} growth", "growth", "percent", m.name, m.better))
    index = {m.name: i for i, m in enumerate(all_metrics)}
    where = [
        f"cur.m{index[mf.metric]} {_OPS[mf.op]} $mf{i}" for i, mf in enumerate(q.metric_filters)
    ]
    order, limit = _order(q, catalog, dims, all_metrics, index)
    select += [f"cur.x{k}" for k in range(len(extras))]
    sql = (
        "WITH "
        + ",\n".join(ctes)
        + f"\nSELECT {', '.join(select)}\nFROM {frm}"
        + (f"\nWHERE {' AND '.join(where)}" if where else "")
        + (f"\nORDER BY {', '.join(order)}" if order else "")
        + ("\nLIMIT $rank_n" if limit else "")
    )
    named = tuple((metrics[mi].name, what) for mi, what, _ in extras)
    return _finish(sql, columns, "table", grouped, q, named)


def _keys_sql(dims: list[DimensionDef], dcols: list[str], shown: list[str], grid: bool) -> str:
    """Every group of the answer: the keys any shown KPI has, or with a ``grid`` every time
    bucket of the window ($grid) times the values the other grouping has."""
    if not grid:
        return " UNION ".join(f"SELECT {', '.join(dcols)} FROM {n}" for n in shown)
    gi = next(i for i, d in enumerate(dims) if d.kind == "grain")
    parts = [
        f"(SELECT unnest($grid) AS {d})"
        if i == gi
        else "(" + " UNION ".join(f"SELECT {d} FROM {n}" for n in shown) + ")"
        for i, d in enumerate(dcols)
    ]
    return "SELECT * FROM " + " CROSS JOIN ".join(f"{p} AS k{i}" for i, p in enumerate(parts))


def _select(
    rs: RecordSetDef, select: list[str], where: list[str], n_keys: int, snippets: list[str]
) -> str:
    """``SELECT … FROM <records> AS r <joins it needs> WHERE … GROUP BY <the first n_keys>``."""
    return (
        f"SELECT {', '.join(select)}\n  FROM {rs.source.strip()} AS r"
        + "".join(f"\n  {j.strip()}" for j in joins_for(rs, [*select, *snippets]))
        + (f"\n  WHERE {' AND '.join(where)}" if where else "")
        + (f"\n  GROUP BY {', '.join(str(i + 1) for i in range(n_keys))}" if n_keys else "")
    )


# Grouped queries aggregate in two levels when that saves work on millions of records:
# * time parts: every UTC offset in use is a multiple of 15 minutes, so records pre-aggregated per
#   15-minute UTC bucket keep their local date, weekday and hour; ~100 buckets a day are converted
#   to the org zone instead of every record;
# * looked-up names (rep = User.Name via OwnerId): records are aggregated on the key first and the
#   lookup joined to the few aggregated rows (many-to-one on a unique key: no fan-out).
_BUCKET_SECONDS = 900


def _two_level(
    rs: RecordSetDef,
    anchor: Anchor,
    dims: list[DimensionDef],
    dim_exprs: list[str],
    bucket: bool,
    late: set[int],
    where: list[str],
    atoms: list[tuple[int, int, Atom]],
) -> str:
    """Partial aggregates on record columns (and time bucket), then names and time parts."""
    time_idx = {i for i, d in enumerate(dims) if d.kind in _NATURAL_KINDS} if bucket else set()
    keys = [f"{e} AS d{i}" for i, e in enumerate(dim_exprs) if i not in time_idx | late]
    late_sql = [dim_exprs[i] for i in sorted(late)]
    late_joins = joins_for(rs, late_sql)
    for col in sorted(set(re.findall(r"\br\.(\w+)", "\n".join([*late_sql, *late_joins])))):
        keys.append(f"r.{col} AS {col}")
    if bucket:
        keys.append(f"epoch_us({anchor.sql}) // {_BUCKET_SECONDS * 1_000_000} AS bucket")
    partial: list[str] = []
    final: list[str] = []
    for mi, ai, atom in atoms:
        col = f"a{mi}_{ai}"
        flt = f" FILTER (WHERE {atom.where})" if atom.where else ""
        if atom.agg in ("count", "rows"):
            partial.append(f"{_agg_sql(atom)} AS {col}")
            final.append(f"CAST(sum(r.{col}) AS BIGINT) AS {col}")
        elif atom.agg == "sum":
            partial.append(f"sum({atom.expr}){flt} AS {col}")
            final.append(f"CAST(sum(r.{col}) AS DOUBLE) AS {col}")
        elif atom.agg in ("min", "max"):
            partial.append(f"{atom.agg}({atom.expr}){flt} AS {col}")
            final.append(f"CAST({atom.agg}(r.{col}) AS DOUBLE) AS {col}")
        else:
            partial.append(f"sum({atom.expr}){flt} AS {col}_s, count({atom.expr}){flt} AS {col}_n")
            final.append(f"CAST(sum(r.{col}_s) AS DOUBLE) / NULLIF(sum(r.{col}_n), 0) AS {col}")
    inner = _select(rs, keys + partial, where, len(keys), where)
    local = f"timezone($tz, to_timestamp(r.bucket * {_BUCKET_SECONDS}))"
    outer = []
    for i, d in enumerate(dims):
        if i in time_idx:
            expr = str(d.sql["expr"]).replace("{t}", local)
        elif i in late:
            expr = dim_exprs[i]
        else:
            expr = f"r.d{i}"
        outer.append(f"{expr} AS d{i}")
    return (
        f"SELECT {', '.join(outer + final)}\n  FROM (\n  {inner}\n  ) AS r"
        + "".join(f"\n  {j.strip()}" for j in late_joins)
        + f"\n  GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}"
    )


def _rollup_for(
    catalog: Catalog,
    shape: _Shape,
    rs: RecordSetDef,
    anchor_name: str,
    atoms: list[tuple[int, int, Atom]],
    dims: list[DimensionDef],
    filters: tuple[Filter, ...],
) -> tuple[RecordSetDef, list[tuple[int, int, Atom]]] | None:
    """A rollup of ``rs`` that gives the same counts (catalog ``rollup:``), with the atoms as
    sums of its rows; None when none is usable: one of them must be in the snapshot in the
    org's zone, have the anchor, and every count, grouping and filter must need only its columns
    and whole days (no hour of day)."""
    if not shape.rollups or any(a.agg != "count" for _, _, a in atoms):
        return None
    used = [*dims, *(catalog.dimension(f.dimension) for f in filters)]
    if any(d.sql.get("needs_time") for d in used if d.kind in _NATURAL_KINDS):
        return None
    wheres = " ".join(a.where or "" for _, _, a in atoms)
    for roll in catalog.records:
        r = roll.rollup
        if r is None or r.of != rs.name or roll.name not in shape.rollups:
            continue
        if anchor_name not in {a.name for a in roll.anchors}:
            continue
        if any(d.kind not in _NATURAL_KINDS and roll.dimension_sql(d.name) is None for d in used):
            continue
        needed = set(re.findall(r"\br\.(\w+)", wheres)) | ({"OwnerId"} if shape.scoped else set())
        if not needed <= set(r.columns):
            continue
        return roll, [(mi, ai, replace(a, records=roll.name, agg="rows", expr=r.rows))
                      for mi, ai, a in atoms]
    return None


def _lookup(d: DimensionDef, i: int, shift: str | None) -> str:
    """How a current group finds its previous value: the same key, or the time bucket that
    lies one comparison shift earlier (May 2024 ← May 2023 for vs last year)."""
    if d.kind == "grain" and shift is not None:
        return f"cur.d{i} = CAST(prev.d{i} + to_{shift}($bucket_shift) AS DATE)"
    return f"cur.d{i} IS NOT DISTINCT FROM prev.d{i}"


def _agg_sql(atom: Atom) -> str:
    flt = f" FILTER (WHERE {atom.where})" if atom.where else ""
    if atom.agg == "count":
        return f"count(*){flt}"
    if atom.agg == "rows":  # a count over a rollup: as count(*), 0 when no row matches
        return f"CAST(coalesce(sum({atom.expr}){flt}, 0) AS BIGINT)"
    return f"CAST({atom.agg}({atom.expr}){flt} AS DOUBLE)"


def _value_sql(ms: Measure, refs: list[str]) -> str:
    """A KPI's value from its atoms: a missing group is 0 for counts and sums, null otherwise."""
    if ms.kind in ("count", "sum"):
        return f"coalesce({refs[0]}, 0)"
    if ms.kind in ("avg", "min", "max", "median"):
        return refs[0]
    den = f"CASE WHEN {refs[1]} > 0 THEN {refs[1]} END" if ms.positive_only else refs[1]
    num = refs[0] if ms.unrecorded else f"coalesce({refs[0]}, 0)"  # unrecorded: no value
    return f"CAST({num} AS DOUBLE) / NULLIF({den}, 0)"


def _dim_column(d: DimensionDef) -> Column:
    return Column(d.name, "dimension", "date" if d.kind == "grain" else "text")


def _natural(d: DimensionDef, i: int) -> list[str]:
    if d.order:
        return [f"list_position($order_{i}, cur.d{i}) NULLS LAST", f"cur.d{i} NULLS LAST"]
    return [f"cur.d{i} NULLS LAST"]


def _order(
    q: Query,
    catalog: Catalog,
    dims: list[DimensionDef],
    metrics: list[MetricDef],
    index: dict[str, int],
) -> tuple[list[str], bool]:
    dim_order = [x for i, d in enumerate(dims) for x in _natural(d, i)]

    def by_metric(name: str, descending: bool) -> str:
        return f"cur.m{index[name]} {'DESC' if descending else 'ASC'} NULLS LAST"

    if q.ranking is not None:
        name = q.ranking.metric or q.metrics[0]
        return [by_metric(name, q.ranking.direction == "top"), *dim_order], True
    if q.sort is not None:
        if q.sort.key in q.groupings:
            i = q.groupings.index(q.sort.key)
            first = [
                x.replace(" NULLS LAST", " DESC NULLS LAST") if q.sort.descending else x
                for x in _natural(dims[i], i)
            ]
            return [*first, *dim_order], False
        return [by_metric(q.sort.key, q.sort.descending), *dim_order], False
    if not dims:
        return [], False
    if any(d.kind in _NATURAL_KINDS or d.order for d in dims):
        return dim_order, False
    lead = metrics[0]
    return [by_metric(lead.name, lead.better == "higher"), *dim_order], False


def _compile_records(q: Query, catalog: Catalog, m: MetricDef, shape: _Shape) -> Compiled:
    if q.groupings:
        raise Invalid(f"{m.name} lists single deals, so it cannot be grouped by {q.groupings[0]}.")
    if q.comparison is not None:
        raise Invalid(
            f"{m.name} lists single deals; it has nothing to compare. Ask revenue won vs … instead."
        )
    spec = record_list_of(m)
    rs = catalog.record_set(m.records)
    anchor = anchor_of(rs, m.anchor, q.anchor, m.name)
    where = window_sql(anchor, "cur", *shape.window) + scope_sql(rs, shape.scoped, m.name)
    for fi, f in enumerate(q.filters):
        fdim = _dimension(catalog, f.dimension)
        if fdim.kind not in _NATURAL_KINDS and rs.dimension_sql(f.dimension) is None:
            raise Invalid(f"{m.name} has no {f.dimension}, so it cannot be filtered by it.")
        expr = dimension_sql(catalog, m.name, rs, anchor, fdim)
        where.append(filter_sql(expr, f, fi, bool(fdim.sql.get("checkbox"))))
    if spec.where:
        where.append(f"({spec.where})")
    select = [f"{fld.sql} AS c{i}" for i, fld in enumerate(spec.fields)]
    snippets = [*select, *where, spec.order]
    sql = (
        f"SELECT {', '.join(select)}\nFROM {rs.source.strip()} AS r"
        + "".join(f"\n{j.strip()}" for j in joins_for(rs, snippets))
        + (f"\nWHERE {' AND '.join(where)}" if where else "")
        + f"\nORDER BY {spec.order}\nLIMIT $rank_n"
    )
    columns = [Column(f.name, "field", f.format, m.name) for f in spec.fields]  # type: ignore[arg-type]
    return _finish(sql, columns, "records", False, q)


def query_params(query: Query, catalog: Catalog, compiled: Compiled) -> dict[str, Any]:
    """The user's values of a query, as the compiled SQL names them."""
    # The compiled template is shared by every query of this shape: take values from this one.
    q = effective_query(query, catalog)
    out: dict[str, Any] = {}
    for i, f in enumerate(q.filters):
        if f.op in _OPS:
            out[f"f{i}"] = float(f.values[0])  # type: ignore[arg-type]
        else:
            out[f"f{i}"] = [str(v).strip().lower() for v in f.values if v is not None]
    for i, mf in enumerate(q.metric_filters):
        out[f"mf{i}"] = float(mf.value)
    if compiled.kind == "records":
        m = catalog.metric(q.metrics[0])
        out["rank_n"] = q.ranking.n if q.ranking else record_list_of(m).n
    elif q.ranking is not None:
        out["rank_n"] = q.ranking.n
    for i, g in enumerate(q.groupings):
        d = catalog.dimension(g)
        if d.order:
            out[f"order_{i}"] = list(d.order)
    return out
