"""One record set's subquery: its KPIs' atoms aggregated on its own rows, per grouping key.

Built as a sqlglot tree from the catalog's parsed fragments (metrics.fragments): the window on
the anchor, the question's filters, row-level access, the records the atoms count, and the
joins the snippets mention. Grouped queries aggregate in two levels when that saves work on
millions of records (``_two_level``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from i18n import Msg, Sayable
from metrics.catalog import Anchor, Catalog, DimensionDef, RecordSetDef
from metrics.errors import Invalid
from metrics.fragments import T_COLUMN, columns_of, fragment
from metrics.measures import Atom
from metrics.query import Filter
from metrics.sqltree import alias, all_of, any_of, col, paren, select, subquery, tmpl

OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "="}
NATURAL_KINDS = ("grain", "datepart")


@dataclass(frozen=True)
class RecordGroup:
    """The atoms one subquery aggregates: same record set, anchor and hidden-ness."""

    rs: RecordSetDef
    anchor: Anchor
    hidden: bool  # only a filter, ranking or sort needs these KPIs
    atoms: tuple[tuple[int, int, Atom], ...]  # (metric index, atom index, atom)
    metric: str  # the first KPI's name, for messages
    # Its atoms count records that can lie ahead: the window ends at ``$<prefix>_ahead_end``,
    # the running period's last day (metrics.params.window_params).
    ahead: bool = False


def local_time(anchor: Anchor) -> exp.Expression:
    """The anchor in the org time zone (DATE fields have no zone and are used as they are)."""
    a = fragment(anchor.sql)
    return tmpl("timezone($tz, _a)", a=a) if anchor.type == "timestamp" else a


def _with_t(tree: exp.Expression, t: exp.Expression) -> exp.Expression:
    """A grain's or date part's tree with ``{t}`` replaced by ``t``."""
    for c in list(tree.find_all(exp.Column)):
        if not c.table and c.name == T_COLUMN:
            c.replace(t.copy())
    return tree


def dimension_sql(
    catalog: Catalog, metric: str, rs: RecordSetDef, anchor: Anchor, dim: DimensionDef
) -> exp.Expression:
    """The SQL of ``dim`` for a KPI's record set, or Invalid saying why the KPI has none."""
    if dim.kind in NATURAL_KINDS:
        if dim.sql.get("needs_time") and anchor.type == "date":
            raise Invalid(
                Msg.of(
                    "compile.date_without_time",
                    metric=catalog.term(metric),
                    field=anchor.sql.removeprefix("r."),
                    dimension=catalog.term(dim.name),
                )
            )
        return _with_t(fragment(str(dim.sql["expr"])), local_time(anchor))
    sql = rs.dimension_sql(dim.name)
    if sql is None:
        raise Invalid(
            Msg.of(
                "compile.no_dimension",
                metric=catalog.term(metric),
                dimension=catalog.term(dim.name),
            )
        )
    return fragment(sql)


def anchor_of(
    rs: RecordSetDef, own: str | None, asked: str | None, metric: str | Sayable
) -> Anchor:
    """The date a KPI's records count on: the question's date field when it names one (an
    anchor of that name on the record set, metrics/fields.py), else the KPI's own."""
    if asked is None:
        return rs.anchor(own)
    try:
        return rs.anchor(asked)
    except KeyError:
        raise Invalid(Msg.of("field.no_date", metric=metric, date=asked)) from None


def window_sql(
    anchor: Anchor, prefix: str, has_start: bool, has_end: bool, ahead: bool = False
) -> list[exp.Expression]:
    """The window's bounds on ``anchor``; ``ahead``: records that can lie ahead end with the
    running period rather than today (``$<prefix>_ahead_end``)."""

    def a() -> exp.Expression:
        return fragment(anchor.sql)

    end = f"{prefix}_ahead_end" if ahead else f"{prefix}_end"
    if anchor.type == "timestamp":
        out = [tmpl(f"_a >= ${prefix}_start_ts", a=a())] if has_start else []
        return out + ([tmpl(f"_a < ${end}_ts", a=a())] if has_end else [])
    out = [tmpl(f"_a >= ${prefix}_start", a=a())] if has_start else []
    return out + ([tmpl(f"_a <= ${end}", a=a())] if has_end else [])


def filter_sql(expr: exp.Expression, f: Filter, i: int, checkbox: bool = False) -> exp.Expression:
    """A record filter; values are bound as $f<i> (lower-cased, trimmed texts or a number).
    A ``checkbox`` (a boolean field, values "true" / "false") is tested as a boolean: a text
    cast of every record costs several times the filter itself on millions of them."""
    if f.op in OPS:
        return tmpl(f"_e {OPS[f.op]} $f{i}", e=expr.copy())
    has_none = any(v is None for v in f.values)
    has_values = any(v is not None for v in f.values)
    contains = (
        tmpl(
            f"((_e AND list_contains($f{i}, 'true')) "
            f"OR (NOT _e AND list_contains($f{i}, 'false')))",
            e=expr.copy(),
        )
        if checkbox
        else tmpl(f"list_contains($f{i}, lower(trim(CAST(_e AS VARCHAR))))", e=expr.copy())
    )
    if f.op == "in":
        parts = ([contains] if has_values else []) + (
            [tmpl("_e IS NULL", e=expr.copy())] if has_none else []
        )
        return any_of(parts)
    # not in: records whose field is empty are kept, unless "(none)" itself is excluded
    if has_none:
        kept = [tmpl("_e IS NOT NULL", e=expr.copy())] + (
            [exp.Not(this=contains)] if has_values else []
        )
        return paren(all_of(kept))  # type: ignore[arg-type]
    return any_of([tmpl("_e IS NULL", e=expr.copy()), exp.Not(this=contains)])


def scope_sql(rs: RecordSetDef, scoping: str, what: str | Sayable) -> list[exp.Expression]:
    """The row filter of row-level access, when the query is scoped (``scoping`` "owners",
    "keys1" or "keys2", else ""): the record set's predicate on the bound owner list
    $scope_owners (RecordSetDef.scope, never interpolated ids), or on one or two runs of owner
    keys when the scope is that and the relation has them (RecordSetDef.scope_filter); records
    without an owner are refused rather than shown (docs/access.md)."""
    if not scoping:
        return []
    predicate = rs.scope_filter(scoping)
    if predicate is None:
        raise Invalid(Msg.of("access.no_owner", what=what))
    return [fragment(predicate)]


def joins_for(rs: RecordSetDef, snippets: list[exp.Expression]) -> list[exp.Expression]:
    """The record set's joins whose alias the snippets mention, in catalog order."""
    aliases = {a for a, _ in columns_of(snippets)}
    return [fragment(clause, "join") for a, clause in rs.joins if a in aliases]


def join_texts(rs: RecordSetDef, snippets: list[str]) -> list[str]:
    """joins_for over catalog texts: the JOIN clauses as the catalog writes them."""
    aliases = {a for a, _ in columns_of([fragment(s) for s in snippets])}
    return [clause for a, clause in rs.joins if a in aliases]


def _per_record(rs: RecordSetDef, aliases: set[str]) -> bool:
    """Whether one of these joins looks a row up by the record's own Id (an activity's account,
    cache/derived.py): one row per record, so there is nothing to group before it."""
    clauses = [fragment(clause, "join") for a, clause in rs.joins if a in aliases]
    return ("r", "Id") in columns_of(clauses)


def _record_condition(atom: Atom) -> exp.Expression | None:
    """Which rows are this atom's records (what it counts, sums or averages)."""
    parts = [paren(fragment(atom.where))] if atom.where else []
    if atom.agg not in ("count", "sum", "rows"):
        parts.append(paren(tmpl("(_e) IS NOT NULL", e=fragment(atom.expr or ""))))
    return all_of(parts)


def _filter(atom: Atom, agg: exp.Expression) -> exp.Expression:
    """``agg FILTER (WHERE <atom's where>)``, or ``agg`` alone."""
    if not atom.where:
        return agg
    return exp.Filter(this=agg, expression=exp.Where(this=fragment(atom.where)))


def _agg_sql(atom: Atom) -> exp.Expression:
    if atom.agg == "count":
        return _filter(atom, tmpl("count(*)"))
    if atom.agg == "rows":  # a count over a rollup: as count(*), 0 when no row matches
        rows = _filter(atom, tmpl("sum(_e)", e=fragment(atom.expr or "")))
        return tmpl("CAST(coalesce(_a, 0) AS BIGINT)", a=rows)
    inner = _filter(atom, tmpl(f"{atom.agg}(_e)", e=fragment(atom.expr or "")))
    return tmpl("CAST(_a AS DOUBLE)", a=inner)


def _is_record_column(e: exp.Expression) -> bool:
    return isinstance(e, exp.Column) and e.table == "r"


def relation(rs: RecordSetDef, prefix: str) -> exp.Expression:
    """The record set's relation for the window ``prefix`` ("cur", "prev"): a relation naming
    ``$window_…`` (a month rollup's whole months: metrics.params.window_params) gets that
    window's values."""
    return fragment(rs.source.replace("$window_", f"${prefix}_"), "relation")


def group_subquery(
    catalog: Catalog,
    group: RecordGroup,
    dims: list[DimensionDef],
    filters: tuple[Filter, ...],
    prefix: str,
    win: tuple[bool, bool],
    scoping: str,
    core: list[int],
) -> exp.Select:
    """``SELECT <dims>, <aggregates> FROM <records> AS r … WHERE … GROUP BY <dims>``."""
    rs, anchor, name = group.rs, group.anchor, group.metric
    dim_exprs = [dimension_sql(catalog, name, rs, anchor, d) for d in dims]
    window = window_sql(anchor, prefix, *win, ahead=group.ahead)
    scope = scope_sql(rs, scoping, catalog.term(name))
    where = _filter_conditions(catalog, group, filters)  # with the records counted, below
    # The rows any of its own atoms counts (sample counts add none): one condition each.
    counted = {a.record_condition: a for mi, ai, a in group.atoms if ai < core[mi]}
    if all(counted):
        where.append(any_of(_record_condition(a) for a in counted.values()))  # type: ignore[misc]
    aggs = [alias(_agg_sql(atom), f"a{mi}_{ai}") for mi, ai, atom in group.atoms]
    time_filter = any(catalog.dimension(f.dimension).kind in NATURAL_KINDS for f in filters)
    bucket = (
        anchor.type == "timestamp"
        and not time_filter
        and any(d.kind in NATURAL_KINDS for d in dims)
    )
    inner_aliases = {a for a, _ in columns_of([*scope, *where, *aggs])} & {a for a, _ in rs.joins}
    late = _late(rs, dims, dim_exprs, inner_aliases)
    # A median is not made of partial aggregates: it reads every record at once.
    if (bucket or late) and all(a.agg != "median" for _, _, a in group.atoms):
        return _two_level(
            rs, anchor, dims, dim_exprs, bucket, late, (window, scope, where), group.atoms, prefix
        )
    where = [*window, *scope, *where]
    select_list = [alias(e, f"d{i}") for i, e in enumerate(dim_exprs)] + aggs
    return select(
        select_list,
        relation(rs, prefix),
        joins=joins_for(rs, [*select_list, *where]),
        where=all_of(where),
        group_keys=len(dims),
    )


def _filter_conditions(
    catalog: Catalog, group: RecordGroup, filters: tuple[Filter, ...]
) -> list[exp.Expression]:
    """The question's filters on the group's records; a dimension its record set has no
    column for is refused."""
    rs, anchor, name = group.rs, group.anchor, group.metric
    where: list[exp.Expression] = []
    for fi, f in enumerate(filters):
        fdim = catalog.dimension(f.dimension)
        if fdim.kind not in NATURAL_KINDS and rs.dimension_sql(f.dimension) is None:
            raise Invalid(
                Msg.of(
                    "compile.not_filtered",
                    metric=catalog.term(name),
                    dimension=catalog.term(f.dimension),
                )
            )
        expr = dimension_sql(catalog, name, rs, anchor, fdim)
        where.append(filter_sql(expr, f, fi, bool(fdim.sql.get("checkbox"))))
    return where


def _late(
    rs: RecordSetDef,
    dims: list[DimensionDef],
    dim_exprs: list[exp.Expression],
    inner_aliases: set[str],
) -> set[int]:
    """The groupings said late: named through a join only they need (rep names), or computed
    from record columns (channel): grouped first by the columns, named or computed per group."""
    late = set()
    for i, (d, e) in enumerate(zip(dims, dim_exprs, strict=True)):
        if d.kind in NATURAL_KINDS:
            continue
        own = {a for a, _ in columns_of([e])} & {a for a, _ in rs.joins}
        if own and _per_record(rs, own):
            continue  # grouping by the record's own Id first would keep every record
        if (own and not inner_aliases & own) or (not own and not _is_record_column(e)):
            late.add(i)
    return late


# Grouped queries aggregate in two levels when that saves work on millions of records:
# * time parts: every UTC offset in use is a multiple of 15 minutes, so records pre-aggregated per
#   15-minute UTC bucket keep their local date, weekday and hour; ~100 buckets a day are converted
#   to the org zone instead of every record;
# * looked-up names (rep = User.Name via OwnerId): records are aggregated on the key first and the
#   lookup joined to the few aggregated rows (many-to-one on a unique key: no fan-out).
_BUCKET_SECONDS = 900


def _partial_and_final(
    atoms: tuple[tuple[int, int, Atom], ...],
) -> tuple[list[exp.Expression], list[exp.Expression]]:
    """Per atom, its partial aggregate (per key and bucket) and how partials are combined."""
    partial: list[exp.Expression] = []
    final: list[exp.Expression] = []
    for mi, ai, atom in atoms:
        c = f"a{mi}_{ai}"
        e = fragment(atom.expr) if atom.expr else exp.Null()
        if atom.agg in ("count", "rows"):
            partial.append(alias(_agg_sql(atom), c))
            final.append(alias(tmpl("CAST(sum(_a) AS BIGINT)", a=col(c, "r")), c))
        elif atom.agg == "sum":
            partial.append(alias(_filter(atom, tmpl("sum(_e)", e=e.copy())), c))
            final.append(alias(tmpl("CAST(sum(_a) AS DOUBLE)", a=col(c, "r")), c))
        elif atom.agg in ("min", "max"):
            partial.append(alias(_filter(atom, tmpl(f"{atom.agg}(_e)", e=e.copy())), c))
            final.append(alias(tmpl(f"CAST({atom.agg}(_a) AS DOUBLE)", a=col(c, "r")), c))
        else:
            partial.append(alias(_filter(atom, tmpl("sum(_e)", e=e.copy())), f"{c}_s"))
            partial.append(alias(_filter(atom, tmpl("count(_e)", e=e.copy())), f"{c}_n"))
            mean = tmpl(
                "CAST(sum(_s) AS DOUBLE) / NULLIF(sum(_n), 0)",
                s=col(f"{c}_s", "r"),
                n=col(f"{c}_n", "r"),
            )
            final.append(alias(mean, c))
    return partial, final


def _two_level(
    rs: RecordSetDef,
    anchor: Anchor,
    dims: list[DimensionDef],
    dim_exprs: list[exp.Expression],
    bucket: bool,
    late: set[int],
    conditions: tuple[list[exp.Expression], list[exp.Expression], list[exp.Expression]],
    atoms: tuple[tuple[int, int, Atom], ...],
    prefix: str,
) -> exp.Select:
    """Partial aggregates on record columns (and time bucket), then names and time parts.
    ``conditions``: the window, the row-level scope and the other filters. The scope is
    applied to the partial aggregates when they are keyed by every column it names (the
    owner, for a grouping by rep): a few hundred rows tested instead of every record."""
    window, scope, filters = conditions
    time_idx = {i for i, d in enumerate(dims) if d.kind in NATURAL_KINDS} if bucket else set()
    keys: list[exp.Expression] = [
        alias(e, f"d{i}") for i, e in enumerate(dim_exprs) if i not in time_idx | late
    ]
    late_exprs = [dim_exprs[i] for i in sorted(late)]
    late_joins = joins_for(rs, late_exprs)
    kept = {name for a, name in columns_of([*late_exprs, *late_joins]) if a == "r"}
    for c in sorted(kept):
        keys.append(alias(col(c, "r"), c))
    scope_after = bool(scope) and all(a == "r" and n in kept for a, n in columns_of(scope))
    where = [*window, *([] if scope_after else scope), *filters]
    if bucket:
        step = exp.Literal.number(_BUCKET_SECONDS * 1_000_000)
        keys.append(alias(tmpl("epoch_us(_a) // _s", a=fragment(anchor.sql), s=step), "bucket"))
    partial, final = _partial_and_final(atoms)
    inner = select(
        keys + partial,
        relation(rs, prefix),
        joins=joins_for(rs, [*keys, *partial, *where]),
        where=all_of(where),
        group_keys=len(keys),
    )
    secs = exp.Literal.number(_BUCKET_SECONDS)
    local = tmpl("timezone($tz, to_timestamp(r.bucket * _s))", s=secs)
    outer: list[exp.Expression] = []
    for i, d in enumerate(dims):
        if i in time_idx:
            expr = _with_t(fragment(str(d.sql["expr"])), local)
        elif i in late:
            expr = dim_exprs[i]
        else:
            expr = col(f"d{i}", "r")
        outer.append(alias(expr, f"d{i}"))
    return select(
        outer + final,
        subquery(inner, "r"),
        joins=late_joins,
        where=all_of(scope) if scope_after else None,
        group_keys=len(dims),
    )
