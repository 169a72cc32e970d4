"""Query → SQL tree: each KPI aggregated on its own records and anchor, then joined on the grouping.

The question is built as one sqlglot expression tree (DuckDB dialect) from the catalog's
fragments, parsed once when the catalog loaded (metrics.fragments), and the compiler's own
templates (metrics.sqltree); every user value (filter values, N, thresholds, dates) is a bound
parameter, never text in the SQL. ``Compiled.tree`` is rendered for each engine by
metrics.dialects; ``Compiled.sql`` is its DuckDB rendering. A compiled template depends only on
the query's *shape*, so it is cached: asking the same kind of question again costs a lookup.

Shape of the SQL (one ``s`` subquery per record set and anchor, a ``p`` twin for comparisons)::

    WITH s0 AS (SELECT <dims> AS d0, count(*) FILTER (WHERE …) AS a0 … FROM <records> AS r
                <joins it needs> WHERE <window> AND <filters> AND <its records> GROUP BY 1),
         keys AS (SELECT d0 FROM s0 UNION SELECT d0 FROM s1),
         cur AS (SELECT keys.d0, coalesce(s0.a0, 0) AS m0 … FROM keys LEFT JOIN s0 ON …)
    SELECT … FROM cur [LEFT JOIN prev ON …] WHERE <metric filters> ORDER BY … LIMIT $rank_n

The steps, in order: ``_check`` (what can be asked), ``_plan`` (the KPIs' atoms and the counts
shown beside rates), ``_record_groups`` (the atoms per record set and anchor — the question's
date field when it names one — read from a per-day rollup when it gives the same counts),
``_window_ctes`` (per window: one subquery per group, built by metrics.record_sql, then
``_combine`` them on the grouping keys), ``_final`` (the comparison, metric filters, order and
limit).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from i18n import Joined, Msg
from metrics.answer import Column
from metrics.catalog import ROLLUP_GRAINS, Catalog, DimensionDef, MetricDef, RecordSetDef, Rollup
from metrics.errors import Invalid
from metrics.fragments import fragment, order_fragment
from metrics.measures import Atom, Measure, measure_of, record_list_of, sample_atoms
from metrics.query import Filter, Query
from metrics.record_sql import (
    NATURAL_KINDS,
    OPS,
    RecordGroup,
    anchor_of,
    dimension_sql,
    filter_sql,
    group_subquery,
    joins_for,
    scope_sql,
    window_sql,
)
from metrics.sqltree import (
    DIALECT,
    alias,
    all_of,
    col,
    join,
    ordered,
    param,
    paren,
    placeholders,
    select,
    subquery,
    table,
    tmpl,
    union,
)

__all__ = [
    "Compiled",
    "compile_query",
    "dimension_sql",
    "effective_query",
    "joins_for",
    "query_params",
]


@dataclass(frozen=True)
class Compiled:
    """SQL with named parameters, the names it uses, and the answer's columns."""

    sql: str  # the tree rendered for DuckDB
    params: tuple[str, ...]  # every $name in sql
    columns: tuple[Column, ...]
    kind: str  # "table" | "records"
    grouped: bool
    query: Query  # the first query of this shape, as compiled; values come from query_params
    # Counts selected after the columns, one per (KPI, "base" | "open" | "of"): the sample
    # behind each rate or mean and its records whose outcome is still open.
    extras: tuple[tuple[str, str], ...] = ()
    # The statement as a sqlglot tree (DuckDB dialect); engines render copies of it.
    tree: exp.Expression = field(default_factory=exp.Select, compare=False, hash=False, repr=False)


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
        raise Invalid(Msg.of("compile.unknown_kpi", name=name)) from None


def _lacks(key: str, catalog: Catalog, metric: str, dimension: str) -> Msg:
    """A refusal naming a KPI and a dimension, both said in the reader's language."""
    return Msg.of(key, metric=catalog.term(metric), dimension=catalog.term(dimension))


def _dimension(catalog: Catalog, name: str) -> DimensionDef:
    try:
        return catalog.dimension(name)
    except KeyError:
        raise Invalid(Msg.of("compile.unknown_dimension", name=name)) from None


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
    ranged: int = 0  # … and those owners are this many runs of owner keys ($scope_from …): 1, 2
    rollups: frozenset[str] = frozenset()  # rollup record sets this snapshot can answer from
    anchor: str | None = None  # the question's date field (Query.anchor)

    @property
    def scoping(self) -> str:
        """How records are filtered for row-level access: "" not, "owners" on the owner list,
        "keys1" / "keys2" on one or two runs of owner keys where the record set has them."""
        return (f"keys{self.ranged}" if self.ranged else "owners") if self.scoped else ""


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
    ranged: int = 0,
    rollups: frozenset[str] = frozenset(),
) -> Compiled:
    """SQL for ``query``. ``window`` says whether the window has a start and an end;
    ``bucket_shift`` how a comparison's time buckets line up ($bucket_shift months or days);
    ``grid`` that the time grouping's keys are ``$grid`` (every bucket of the window: a bucket
    without records is a row, 0 for counts and sums, empty for rates and means).
    ``scoped`` adds the row filter of row-level access to every record set it reads; ``ranged``
    says the scope is that many runs of owner keys (1: $scope_from/$scope_to; 2: and …2), so a
    record set keeping owner keys filters on those.
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
        ranged=ranged if scoped else 0,
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
    tree: exp.Expression,
    columns: list[Column],
    kind: str,
    grouped: bool,
    q: Query,
    extras: tuple[tuple[str, str], ...] = (),
) -> Compiled:
    # Rendered in place (no defensive copy of the whole tree: a third of compile time); the
    # DuckDB generator leaves our trees as they are (checked over the catalog's queries).
    sql = Dialect.get_or_raise(DIALECT).generate(tree, copy=False, pretty=True)
    return Compiled(sql, placeholders(tree), tuple(columns), kind, grouped, q, extras, tree)


# -- the steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What one question aggregates: its KPIs (shown, then hidden ones a filter, ranking or
    sort needs), their measures with the sample counts appended, and the groupings."""

    q: Query
    shape: _Shape
    metrics: list[MetricDef]  # shown
    all_metrics: list[MetricDef]  # shown + hidden
    measures: list[Measure]
    extras: list[tuple[int, str, int]]  # (metric index, what, atom index) selected after columns
    core: list[int]  # per measure, how many atoms are its own (the rest are sample counts)
    dims: list[DimensionDef]

    @property
    def dcols(self) -> list[str]:
        return [f"d{i}" for i in range(len(self.dims))]


def _compile(q: Query, catalog: Catalog, shape: _Shape) -> Compiled:
    if not q.metrics:
        raise Invalid(Msg("compile.no_kpi"))
    metrics = [_metric(catalog, n) for n in q.metrics]
    if any(m.kind == "records" for m in metrics):
        if len(metrics) > 1:
            raise Invalid(Msg.of("compile.records_alone", metric=catalog.term(q.metrics[0])))
        return _compile_records(q, catalog, metrics[0], shape)
    dims = _check(q, catalog, shape, metrics)
    plan = _plan(q, catalog, shape, metrics, dims)
    ctes, cur = _window_ctes(plan, catalog, "cur", shape.window)
    ctes.append(("cur", cur))
    if q.comparison is not None:
        pctes, prev = _window_ctes(plan, catalog, "prev", shape.compare_window)
        ctes += [*pctes, ("prev", prev)]
    tree, columns = _final(plan, catalog)
    for name, body in ctes:
        tree = tree.with_(name, as_=body, copy=False)
    named = tuple((metrics[mi].name, what) for mi, what, _ in plan.extras)
    if q.comparison is not None:
        named += tuple((metrics[plan.extras[k][0]].name, "previous") for k in _previous_bases(plan))
    return _finish(tree, columns, "table", bool(dims), q, named)


def _check(
    q: Query, catalog: Catalog, shape: _Shape, metrics: list[MetricDef]
) -> list[DimensionDef]:
    """The question's groupings, or Invalid saying why it cannot be asked."""
    if len(q.groupings) > 2:
        raise Invalid(Msg("compile.two_groupings"))
    dims = [_dimension(catalog, g) for g in q.groupings]
    for m in metrics:
        for d in dims:
            if d.kind not in NATURAL_KINDS and d.name not in m.dimensions:
                raise Invalid(_lacks("compile.not_grouped", catalog, m.name, d.name))
    if (
        q.comparison is not None
        and shape.bucket_shift is None
        and any(d.kind == "grain" for d in dims)
    ):
        grains = [catalog.term(d.name) for d in dims if d.kind == "grain"]
        raise Invalid(Msg.of("compile.buckets_misaligned", grains=Joined(tuple(grains), "and")))
    for f in q.filters:
        _dimension(catalog, f.dimension)
    return dims


def _plan(
    q: Query, catalog: Catalog, shape: _Shape, metrics: list[MetricDef], dims: list[DimensionDef]
) -> _Plan:
    """The shown and hidden KPIs' measures, each followed by the sample counts it shows."""
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
    return _Plan(q, shape, metrics, all_metrics, measures, extras, core, dims)


def _record_groups(plan: _Plan, catalog: Catalog) -> list[RecordGroup]:
    """The atoms grouped by record set, anchor (the question's date field when it names one)
    and hidden-ness: one subquery each, read from a rollup of its record set when one gives
    the same counts."""
    groups: dict[tuple[str, str, bool, bool], list[tuple[int, int, Atom]]] = {}
    for mi, ms in enumerate(plan.measures):
        for ai, atom in enumerate(ms.atoms):
            rs = catalog.record_set(atom.records)
            anchor = anchor_of(
                rs, atom.anchor, plan.q.anchor, catalog.term(plan.all_metrics[mi].name)
            )
            # Records that can lie ahead end with the running period, the others today: a
            # subquery of their own (open pipeline beside revenue won this quarter).
            ahead = atom.future and plan.q.anchor is None
            key = (rs.name, anchor.name, mi >= len(plan.metrics), ahead)
            groups.setdefault(key, []).append((mi, ai, atom))
    out = []
    for (rs_name, anchor_name, is_hidden, ahead), atoms in groups.items():
        rs = catalog.record_set(rs_name)
        rolled = _rollup_for(catalog, plan.shape, rs, anchor_name, atoms, plan.dims, plan.q.filters)
        if rolled is not None:
            rs, atoms = rolled
        out.append(
            RecordGroup(
                rs,
                rs.anchor(anchor_name),
                is_hidden,
                tuple(atoms),
                plan.all_metrics[atoms[0][0]].name,
                ahead,
            )
        )
    return out


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
    org's zone, have the anchor, and every count, grouping, filter and row-level scope must need
    only its columns (tested as it keeps them) and its grain (no hour of day; a month rollup no
    day or week)."""
    if not shape.rollups or any(a.agg != "count" for _, _, a in atoms):
        return None
    used = [*dims, *(catalog.dimension(f.dimension) for f in filters)]
    if any(d.sql.get("needs_time") for d in used if d.kind in NATURAL_KINDS):
        return None
    wheres = " ".join(a.where or "" for _, _, a in atoms)
    for roll in catalog.records:
        r = roll.rollup
        if r is None or r.of != rs.name or roll.name not in shape.rollups:
            continue
        if anchor_name not in {a.name for a in roll.anchors}:
            continue
        if any(d.kind not in NATURAL_KINDS and roll.dimension_sql(d.name) is None for d in used):
            continue
        answers = ROLLUP_GRAINS[r.grain]
        times = [d.name for d in used if d.kind in NATURAL_KINDS]
        if answers is not None and not set(times) <= answers:
            continue
        # Under row-level access the rollup keeps the same owners: the record set's own scope
        # predicate, on columns it kept (a record set without an owner is refused, not rolled).
        mine = rs.scope_filter(shape.scoping)
        if shape.scoped and (mine is None or roll.scope_filter(shape.scoping) != mine):
            continue
        scope_text = (mine or "") if shape.scoped else ""
        if not _counts_within(f"{wheres} {scope_text}", r, {a for a, _ in roll.joins}):
            continue
        return roll, [
            (mi, ai, replace(a, records=roll.name, agg="rows", expr=r.rows)) for mi, ai, a in atoms
        ]
    return None


def _counts_within(wheres: str, r: Rollup, joins: set[str]) -> bool:
    """The counts' conditions (``wheres``) read only the record columns the rollup keeps, its
    present-or-not columns only as IS [NOT] NULL, and no lookup it does not have."""
    kept = re.sub(
        rf"\br\.({'|'.join(map(re.escape, r.present))})\s+IS\s+(NOT\s+)?NULL\b",
        "TRUE",
        wheres,
        flags=re.I,
    ) if r.present else wheres
    needed = set(re.findall(r"\br\.(\w+)", kept))
    aliases = set(re.findall(r"\b([A-Za-z_]\w*)\.[A-Za-z_]", kept)) - {"r"}
    return needed <= set(r.columns) and aliases <= joins


def _window_ctes(
    plan: _Plan, catalog: Catalog, prefix: str, win: tuple[bool, bool]
) -> tuple[list[tuple[str, exp.Expression]], exp.Select]:
    """CTEs for one window: the s-subqueries, the keys, and the combined metric values."""
    letter = "s" if prefix == "cur" else "p"
    ctes: list[tuple[str, exp.Expression]] = []
    refs: dict[tuple[int, int], exp.Column] = {}
    shown: list[str] = []
    for gi, group in enumerate(_record_groups(plan, catalog)):
        name = f"{letter}{gi}"
        body = group_subquery(
            catalog, group, plan.dims, plan.q.filters, prefix, win, plan.shape.scoping, plan.core
        )
        ctes.append((name, body))
        for mi, ai, _ in group.atoms:
            refs[(mi, ai)] = col(f"a{mi}_{ai}", name)
        if not group.hidden:
            shown.append(name)
    names = [n for n, _ in ctes]
    values = [
        alias(_value_sql(ms, [refs[(mi, ai)] for ai in range(len(ms.atoms))]), f"m{mi}")
        for mi, ms in enumerate(plan.measures)
    ]
    # The counts beside the values: every one for the current window, the bases for the
    # compared one (a change from a small previous base is marked too).
    values += [
        alias(tmpl("coalesce(_a, 0)", a=refs[(mi, ai)].copy()), f"x{k}")
        for k, (mi, what, ai) in enumerate(plan.extras)
        if prefix == "cur" or what == "base"
    ]
    combined, keys_cte = _combine(plan, prefix, names, shown, values)
    if keys_cte is not None:
        ctes.append(keys_cte)
    return ctes, combined


def _combine(
    plan: _Plan, prefix: str, names: list[str], shown: list[str], values: Sequence[exp.Expression]
) -> tuple[exp.Select, tuple[str, exp.Expression] | None]:
    """The metric values of one window, joined on the grouping keys (and the keys CTE)."""
    grid = plan.shape.grid and prefix == "cur"
    dcols = plan.dcols
    if not plan.dims:
        return select(values, table(names[0]), joins=[join(n, None) for n in names[1:]]), None
    if len(names) == 1 and not grid:
        keys = [col(d, names[0]) for d in dcols]
        return select([*keys, *values], table(names[0])), None
    kname = f"{prefix}_keys"
    joins = [
        join(
            n,
            all_of(tmpl("_a IS NOT DISTINCT FROM _b", a=col(d, kname), b=col(d, n)) for d in dcols),
        )
        for n in names
    ]
    keys = [col(d, kname) for d in dcols]
    combined = select([*keys, *values], table(kname), joins=joins)
    return combined, (kname, _keys_sql(plan.dims, dcols, shown, grid))


def _keys_sql(
    dims: list[DimensionDef], dcols: list[str], shown: list[str], grid: bool
) -> exp.Expression:
    """Every group of the answer: the keys any shown KPI has, or with a ``grid`` every time
    bucket of the window ($grid) times the values the other grouping has."""
    if not grid:
        return union([select([col(d) for d in dcols], table(n)) for n in shown])
    gi = next(i for i, d in enumerate(dims) if d.kind == "grain")
    # The other grouping's values, each once: a KPI's table has a row per (bucket, value), and
    # a UNION of one SELECT is no DISTINCT ("deals won by month by rep" listed a rep per month).
    parts: list[exp.Expression] = [
        select([alias(tmpl("unnest($grid)"), d)], None)
        if i == gi
        else union([select([col(d)], table(n)).distinct() for n in shown])
        for i, d in enumerate(dcols)
    ]
    subs = [subquery(p, f"k{i}") for i, p in enumerate(parts)]
    return select(
        [exp.Star()],
        subs[0],
        joins=[exp.Join(this=s, kind="CROSS") for s in subs[1:]],
    )


def _final(plan: _Plan, catalog: Catalog) -> tuple[exp.Select, list[Column]]:
    """The answer's SELECT over cur (and prev): columns, metric filters, order, limit."""
    q, dims = plan.q, plan.dims
    select_list: list[exp.Expression] = [col(d, "cur") for d in plan.dcols]
    columns: list[Column] = [_dim_column(d) for d in dims]
    joins: list[exp.Expression] = []
    if q.comparison is not None:
        on = (
            all_of(_lookup(d, i, plan.shape.bucket_shift) for i, d in enumerate(dims))
            if dims
            else None
        )
        joins.append(join("prev", on))
    for mi, m in enumerate(plan.metrics):
        select_list.append(col(f"m{mi}", "cur"))  # (the extras follow every column, below)
        columns.append(Column(m.name, "metric", m.format, m.name, m.better))
        if q.comparison is not None:
            additive = plan.measures[mi].kind in ("count", "sum")
            prev_v = (
                tmpl("coalesce(_a, 0)", a=col(f"m{mi}", "prev"))
                if additive
                else col(f"m{mi}", "prev")
            )
            select_list.append(alias(prev_v, f"m{mi}_prev"))
            growth = tmpl("(_c - _p) / NULLIF(_p, 0)", c=col(f"m{mi}", "cur"), p=prev_v.copy())
            select_list.append(alias(growth, f"m{mi}_growth"))
            columns.append(Column(f"{m.name} (previous)", "previous", m.format, m.name, m.better))
            columns.append(Column(f"{m.name} growth", "growth", "percent", m.name, m.better))
    index = {m.name: i for i, m in enumerate(plan.all_metrics)}
    where = all_of(
        _compare(col(f"m{index[mf.metric]}", "cur"), mf.op, param(f"mf{i}"))
        for i, mf in enumerate(q.metric_filters)
    )
    order, limit = _order(q, dims, plan.all_metrics, index)
    select_list += [col(f"x{k}", "cur") for k in range(len(plan.extras))]
    if q.comparison is not None:
        select_list += [
            alias(tmpl("coalesce(_a, 0)", a=col(f"x{k}", "prev")), f"x{k}_prev")
            for k in _previous_bases(plan)
        ]
    tree = select(select_list, table("cur"), joins=joins, where=where)
    if order:
        tree.set("order", exp.Order(expressions=order))
    if limit:
        tree.set("limit", exp.Limit(expression=param("rank_n")))
    return tree, columns


def _previous_bases(plan: _Plan) -> list[int]:
    """The extras that are a base, whose count in the compared window is selected too."""
    return [k for k, (_, what, _) in enumerate(plan.extras) if what == "base"]


def _compare(left: exp.Expression, op: str, right: exp.Expression) -> exp.Expression:
    return tmpl(f"_a {OPS[op]} _b", a=left, b=right)


def _lookup(d: DimensionDef, i: int, shift: str | None) -> exp.Expression:
    """How a current group finds its previous value: the same key, or the time bucket that
    lies one comparison shift earlier (May 2024 ← May 2023 for vs last year)."""
    cur, prev = col(f"d{i}", "cur"), col(f"d{i}", "prev")
    if d.kind == "grain" and shift is not None:
        return tmpl(f"_c = CAST(_p + to_{shift}($bucket_shift) AS DATE)", c=cur, p=prev)
    return tmpl("_c IS NOT DISTINCT FROM _p", c=cur, p=prev)


def _value_sql(ms: Measure, refs: list[exp.Column]) -> exp.Expression:
    """A KPI's value from its atoms: a missing group is 0 for counts and sums, null otherwise."""
    if ms.kind in ("count", "sum"):
        return tmpl("coalesce(_a, 0)", a=refs[0].copy())
    if ms.kind in ("avg", "min", "max", "median"):
        return refs[0].copy()
    den = (
        tmpl("CASE WHEN _b > 0 THEN _b END", b=refs[1].copy())
        if ms.positive_only
        else refs[1].copy()
    )
    # unrecorded (CAC of a channel with no spend imported): no numerator rows is no value
    num = refs[0].copy() if ms.unrecorded else tmpl("coalesce(_a, 0)", a=refs[0].copy())
    return tmpl("CAST(_a AS DOUBLE) / NULLIF(_d, 0)", a=num, d=den)


def _dim_column(d: DimensionDef) -> Column:
    return Column(d.name, "dimension", "date" if d.kind == "grain" else "text")


def _natural(d: DimensionDef, i: int, desc: bool = False) -> list[exp.Ordered]:
    key = col(f"d{i}", "cur")
    if d.order:
        pos = tmpl(f"list_position($order_{i}, _k)", k=key.copy())
        return [ordered(pos, desc), ordered(key, desc)]
    return [ordered(key, desc)]


def _order(
    q: Query,
    dims: list[DimensionDef],
    metrics: list[MetricDef],
    index: dict[str, int],
) -> tuple[list[exp.Ordered], bool]:
    dim_order = [x for i, d in enumerate(dims) for x in _natural(d, i)]

    def by_metric(name: str, descending: bool) -> exp.Ordered:
        return ordered(col(f"m{index[name]}", "cur"), descending)

    if q.ranking is not None:
        name = q.ranking.metric or q.metrics[0]
        return [by_metric(name, q.ranking.direction == "top"), *dim_order], True
    if q.sort is not None:
        if q.sort.key in q.groupings:
            i = q.groupings.index(q.sort.key)
            return [*_natural(dims[i], i, q.sort.descending), *dim_order], False
        return [by_metric(q.sort.key, q.sort.descending), *dim_order], False
    if not dims:
        return [], False
    if any(d.kind in NATURAL_KINDS or d.order for d in dims):
        return dim_order, False
    lead = metrics[0]
    return [by_metric(lead.name, lead.better == "higher"), *dim_order], False


def _compile_records(q: Query, catalog: Catalog, m: MetricDef, shape: _Shape) -> Compiled:
    if q.groupings:
        raise Invalid(_lacks("compile.records_grouped", catalog, m.name, q.groupings[0]))
    if q.comparison is not None:
        raise Invalid(Msg.of("compile.records_compared", metric=catalog.term(m.name)))
    spec = record_list_of(m)
    rs = catalog.record_set(m.records)
    anchor = anchor_of(rs, m.anchor, q.anchor, catalog.term(m.name))
    where = window_sql(anchor, "cur", *shape.window) + scope_sql(
        rs, shape.scoping, catalog.term(m.name)
    )
    for fi, f in enumerate(q.filters):
        fdim = _dimension(catalog, f.dimension)
        if fdim.kind not in NATURAL_KINDS and rs.dimension_sql(f.dimension) is None:
            raise Invalid(_lacks("compile.not_filtered", catalog, m.name, f.dimension))
        expr = dimension_sql(catalog, m.name, rs, anchor, fdim)
        where.append(filter_sql(expr, f, fi, bool(fdim.sql.get("checkbox"))))
    if spec.where:
        where.append(paren(fragment(spec.where)))
    select_list = [alias(fragment(fld.sql), f"c{i}") for i, fld in enumerate(spec.fields)]
    order = order_fragment(spec.order)
    tree = select(
        select_list,
        fragment(rs.source, "relation"),
        joins=joins_for(rs, [*select_list, *where, *order]),
        where=all_of(where),
    )
    tree.set("order", exp.Order(expressions=order))
    tree.set("limit", exp.Limit(expression=param("rank_n")))
    columns = [Column(f.name, "field", f.format, m.name) for f in spec.fields]  # type: ignore[arg-type]
    return _finish(tree, columns, "records", False, q)


def query_params(query: Query, catalog: Catalog, compiled: Compiled) -> dict[str, Any]:
    """The user's values of a query, as the compiled SQL names them."""
    # The compiled template is shared by every query of this shape: take values from this one.
    q = effective_query(query, catalog)
    out: dict[str, Any] = {}
    for i, f in enumerate(q.filters):
        if f.op in OPS:
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
