"""Small builders of sqlglot trees the compiler shares: parameters, columns, templates.

The compiler's own SQL shapes are written once as short DuckDB templates whose ``_a``, ``_b``
… columns are holes (``tmpl("coalesce(_a, 0)", a=ref)``); each template is parsed once, and
every use is a copy with the holes replaced by trees. Values are never formatted into text:
a user value is always ``param(name)``, an ``exp.Placeholder`` each engine renders as its own
bound-parameter marker (``$name`` on DuckDB, ``:name`` on Spark).

>>> tmpl("coalesce(_a, 0)", a=col("a0_0", "s0")).sql("duckdb")
'COALESCE(s0.a0_0, 0)'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache, reduce

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"  # the dialect the compiler builds in (and catalog SQL is written in)


def param(name: str) -> exp.Placeholder:
    """A bound parameter: ``$name`` on DuckDB."""
    return exp.Placeholder(this=name)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


@lru_cache(maxsize=256)
def _parsed(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read=DIALECT)  # type: ignore[return-value]


def tmpl(text: str, **holes: exp.Expression) -> exp.Expression:
    """``text`` parsed (once) with each column ``_<name>`` replaced by ``holes[name]``. The
    holes' trees are moved into the result: pass trees nobody else holds."""
    tree = _parsed(text).copy()
    if not holes:
        return tree
    used: set[str] = set()
    for c in list(tree.find_all(exp.Column)):
        name = c.name[1:]
        if not c.table and c.name.startswith("_") and name in holes:
            # The first use takes the caller's tree (always a fresh one), later uses a copy.
            c.replace(holes[name].copy() if name in used else holes[name])
            used.add(name)
    return tree


def all_of(conds: Iterable[exp.Expression]) -> exp.Expression | None:
    """``a AND b AND c`` (left to right, as written), or None for no condition."""
    items = list(conds)
    if not items:
        return None
    return reduce(lambda a, b: exp.And(this=a, expression=b), items)


def any_of(conds: Iterable[exp.Expression]) -> exp.Expression:
    """``(a OR b OR c)``."""
    return exp.Paren(this=reduce(lambda a, b: exp.Or(this=a, expression=b), list(conds)))


def paren(e: exp.Expression) -> exp.Paren:
    return exp.Paren(this=e)


def alias(e: exp.Expression, name: str) -> exp.Expression:
    """``e AS name`` (``e`` is moved in, not copied)."""
    return exp.alias_(e, name, copy=False)  # type: ignore[return-value]


def union(selects: Sequence[exp.Select]) -> exp.Expression:
    """``SELECT … UNION SELECT …`` (distinct), left to right."""
    return reduce(lambda a, b: exp.union(a, b, distinct=True, copy=False), selects)  # type: ignore[arg-type, return-value]


def select(
    expressions: Sequence[exp.Expression],
    source: exp.Expression | None,
    *,
    joins: Sequence[exp.Expression] = (),
    where: exp.Expression | None = None,
    group_keys: int = 0,
) -> exp.Select:
    """``SELECT … FROM source <joins> WHERE … GROUP BY 1, …, group_keys``."""
    out = exp.Select(expressions=list(expressions))
    if source is not None:
        out.set("from_", exp.From(this=source))
    if joins:
        out.set("joins", list(joins))
    if where is not None:
        out.set("where", exp.Where(this=where))
    if group_keys:
        out.set(
            "group", exp.Group(expressions=[exp.Literal.number(i + 1) for i in range(group_keys)])
        )
    return out


def join(name: str, on: exp.Expression | None, side: str = "LEFT") -> exp.Join:
    """``LEFT JOIN name ON …``, or ``CROSS JOIN name`` when ``on`` is None."""
    if on is None:
        return exp.Join(this=exp.to_table(name), kind="CROSS")
    return exp.Join(this=exp.to_table(name), side=side, on=on)


def table(name: str) -> exp.Table:
    return exp.to_table(name)


def subquery(e: exp.Expression, name: str) -> exp.Subquery:
    return exp.Subquery(this=e, alias=exp.TableAlias(this=exp.to_identifier(name)))


def ordered(e: exp.Expression, desc: bool = False) -> exp.Ordered:
    """``e [DESC] NULLS LAST``."""
    return exp.Ordered(this=e, desc=desc or None, nulls_first=False)


def placeholders(tree: exp.Expression) -> tuple[str, ...]:
    """Every bound parameter's name, once each, in the order they appear."""
    return tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Placeholder)))
