"""Column headers people read, in the reply's language: each side of a comparison by its
window's name, a rate's change in points, a record list's columns by the KPI's own labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from i18n import Language, t
from metrics.answer import Column
from metrics.catalog import Catalog
from metrics.format import CHANGE_IN_POINTS


def labelled(
    columns: tuple[Column, ...],
    sides: tuple[str, str] | None,
    lang: Language = Language.EN,
    names: Callable[[str], str] = str,
    fields: Callable[[str, str], str] = lambda metric, name: name,
    plurals: Callable[[str], str] | None = None,
) -> tuple[Column, ...]:
    """Headers people read, in the reply's language (``names``: the catalog's names in it):
    each side by its window when both were named ("revenue won (2025)", "revenue won (2026)");
    a rate's change as "<kpi> change" (shown in percentage points); a record list's column by
    its KPI's own label for it (``fields``: top deals' name → 商机名称). A header equal to the
    canonical name is left to it (``Column.shown``). ``plurals``: a grouping's name for several,
    kept on its column for the charts (``Column.plural``)."""
    formats = {c.metric: c.format for c in columns if c.role == "metric"}
    out = []
    for c in columns:
        said = fields(c.metric or "", c.name) if c.role == "field" else names(c.name)
        label = said if c.role == "field" else _header(c, sides, formats, lang, names)
        if label != c.name:
            c = replace(c, label=label)
        if said != c.name:
            c = replace(c, said=said)
        if plurals is not None and c.role == "dimension":
            c = replace(c, plural=plurals(c.name))
        out.append(c)
    return tuple(out)


def _header(
    c: Column,
    sides: tuple[str, str] | None,
    formats: Mapping[str | None, str],
    lang: Language,
    names: Callable[[str], str],
) -> str:
    if c.metric is None or c.role == "dimension":
        return names(c.name)
    kpi = names(c.metric)
    if sides is not None and c.role in ("metric", "previous"):
        return t(lang, "column.side", metric=kpi, side=sides[c.role == "previous"])
    if c.role == "growth":
        key = "column.change" if formats.get(c.metric) in CHANGE_IN_POINTS else "column.growth"
        return t(lang, key, metric=kpi)
    if c.role == "metric":
        return kpi
    return t(lang, "column.previous", metric=kpi)


def namers(
    catalog: Catalog, lang: Language
) -> tuple[Callable[[str], str], Callable[[str, str], str]]:
    """The catalog's names in the reply's language: a KPI's or dimension's, a record field's."""

    def names(name: str) -> str:
        return catalog.said(name, lang)

    def fields(metric: str, name: str) -> str:
        return catalog.field_said(metric, name, lang)

    return names, fields
