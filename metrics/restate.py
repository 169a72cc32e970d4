"""The canonical restatement of a question, every default made explicit.

``[connect rate] by [weekday] · 27 May – 26 Jun 2024 (last 31 days)``
``[赢单率] 按 [销售] · 2024年10月1日 – 12月31日（上季度）``

The words are the message catalogue's (i18n/, ``restate.*``); KPI and dimension names are said
through ``names`` (the catalog's Chinese names for a Chinese reply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from i18n import Language, Msg, Term, t
from metrics.answer import ResolvedWindow
from metrics.format import format_range, format_stored
from metrics.query import Filter, Query

EN = Language.EN
_OPS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "eq": "="}
Names = Callable[[str], str]


def _same(name: str) -> str:
    return name


def _value(v: object, lang: Language, dimension: str = "") -> str:
    if v is None:
        return t(lang, "restate.none")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return format_stored(v, dimension, lang)  # [星期 = 周一]; other values as stored


def _filter(f: Filter, lang: Language, names: Names) -> str:
    dim = names(f.dimension)
    if f.op in _OPS:
        return f"[{dim} {_OPS[f.op]} {_value(f.values[0], lang)}]"
    vals = t(lang, "list.sep").join(_value(v, lang, f.dimension) for v in f.values)
    if f.op == "in" and len(f.values) == 1:
        return f"[{dim} = {vals}]"
    return t(lang, f"restate.{f.op.replace(' ', '_')}", dimension=dim, values=vals)


def window_phrase(w: ResolvedWindow, lang: Language = EN) -> str:
    if w.start is None and w.end is None:
        if w.label.endswith("default"):
            return t(lang, "restate.all_time_default")
        return t(lang, "date.range.all_time")
    return t(
        lang,
        "restate.window",
        range=format_range(w.start, w.end, lang),
        name=w.name(lang),
        extent=_extent(w, lang),
    )


def restate(
    q: Query,
    window: ResolvedWindow,
    compare: ResolvedWindow | None,
    records: bool = False,
    subject: str = "",
    *,
    lang: Language = EN,
    names: Names = _same,
    cut: bool = True,
    plurals: Names = _same,
) -> str:
    """``[calls, connect rate] by [rep] · 1 Apr – 27 Jun 2024 (this quarter, default)``;
    ``subject`` follows the measures (field search: ``of [Opportunity] on [CloseDate]``);
    ``cut``: a record list was cut to its first n (else it does not say "(first 20)");
    ``plurals``: a dimension's name for several ("top 5 [reps]")."""
    text = " ".join(_asked(q, records and cut, subject, lang, names))
    if not records:
        text += _ranked(q, lang, names, plurals)
    return text + _windows(q, window, compare, lang)


def _asked(q: Query, records: bool, subject: str, lang: Language, names: Names) -> list[str]:
    """What is measured, of what, by what, for whom and in which order."""
    parts = []
    head = f"[{t(lang, 'list.sep').join(names(m) for m in q.metrics)}]"
    if records:
        head += t(lang, "restate.first", n=q.ranking.n) if q.ranking else ""
    parts.append(head)
    if subject:
        parts.append(subject)
    # A KPI named after its grouping ("follow-up rate by attempt") is not said twice.
    said = [
        g for g in q.groupings if not any(m.endswith(f" by {g.split()[-1]}") for m in q.metrics)
    ]
    also = t(lang, "restate.also")
    if said:
        parts.append(t(lang, "restate.by", names=also.join(f"[{names(g)}]" for g in said)))
    if q.filters:
        parts.append(t(lang, "restate.for", filters=_filters(q, lang, names)))
    if q.metric_filters:
        parts.append(t(lang, "restate.where", conditions=_metric_filters(q, lang, names)))
    if q.sort is not None:
        order = t(lang, "restate.desc" if q.sort.descending else "restate.asc")
        parts.append(t(lang, "restate.sorted", key=names(q.sort.key), order=order))
    return parts


def _ranked(q: Query, lang: Language, names: Names, plurals: Names = _same) -> str:
    """After what is ranked, like the window: "[revenue won] by [rep] · top 5", not
    "top 5 [revenue won] by [rep]" (which reads as five revenues). The KPI ranked by is named
    only when it is not the only one asked. (A record list says its first n up front.)"""
    r = q.ranking
    if r is None:
        return ""
    by = r.metric if r.metric and q.metrics != (r.metric,) else None
    text = " · " + t(lang, f"restate.{r.direction}", n=r.n)
    if r.dimension and len(q.groupings) > 1:  # of two groupings, which one: "top 5 [rep]"
        text += t(lang, "restate.ranked_groups", dimension=plurals(r.dimension))
    return text + (t(lang, "restate.ranked_by", metric=names(by)) if by else "")


def _windows(
    q: Query, window: ResolvedWindow, compare: ResolvedWindow | None, lang: Language
) -> str:
    """The window and the one compared against: " · 1 Apr – 27 Jun 2024 (this quarter)"."""
    if compare is not None and both_named(q):
        # "2025 vs 2026 (1 Jan – 31 Dec 2025 vs 1 Jan – 31 Dec 2026)"
        cur, prev = comparison_sides(q, window, compare, lang)
        return t(
            lang,
            "restate.both_named",
            current=cur,
            other=prev,
            extent=_extent(compare, lang) if compare.extent == "like for like" else "",
            range=format_range(window.start, window.end, lang),
            other_range=format_range(compare.start, compare.end, lang),
        )
    text = " · " + window_phrase(window, lang)
    if compare is not None:
        text += t(lang, "restate.vs", other=window_phrase(compare, lang))
    return text


def _filters(q: Query, lang: Language, names: Names) -> str:
    return t(lang, "restate.also").join(_filter(f, lang, names) for f in q.filters)


def _metric_filters(q: Query, lang: Language, names: Names) -> str:
    return t(lang, "restate.also").join(
        f"[{names(mf.metric)} {_OPS[mf.op]} {_value(mf.value, lang)}]" for mf in q.metric_filters
    )


@dataclass(frozen=True)
class Conditions:
    """A question's filters (or its metric filters) as the restatement says them, in the
    reader's language, for a message made before that is known: ``[rep = Morgan Hale]``."""

    query: Query
    said: Callable[[str, Language], str]  # Catalog.said: a KPI's or dimension's name
    metric: bool = False

    def say(self, lang: Language) -> str:
        def names(name: str) -> str:
            return self.said(name, lang)

        return (_metric_filters if self.metric else _filters)(self.query, lang, names)


def no_data(q: Query, said: Callable[[str, Language], str], **window: object) -> Msg:
    """Why a question has no answer, its conditions named: no group passed its metric filter
    (``calls by rep calls > 5000``), nothing matched its filters (``for Morgan Hale``), or the
    window holds no records. ``window`` are the message's metrics, range and name."""
    if q.metric_filters:
        groups = list(q.groupings)
        grouping: object = (
            Term(tuple((lang, said(groups[0], lang)) for lang in Language))
            if len(groups) == 1
            else Msg("window.error.a_group")
        )
        return Msg.of(
            "window.error.none_pass",
            grouping=grouping,
            conditions=Conditions(q, said, metric=True),
            **window,
        )
    if q.filters:
        return Msg.of("window.error.no_data_for", filters=Conditions(q, said), **window)
    return Msg.of("window.error.no_data", **window)


def both_named(q: Query) -> bool:
    """Did the user name both windows ("revenue in 2025 vs 2026")?"""
    return q.window is not None and q.comparison is not None and q.comparison.kind == "window"


def comparison_sides(
    q: Query, window: ResolvedWindow, compare: ResolvedWindow, lang: Language = EN
) -> tuple[str, str]:
    """The two sides as people read them: by their names when the user named both windows
    ("2025", "2026"), else "current" against the other window's name ("previous period")."""
    other = compare.name(lang)
    if compare.extent == "in full":
        other = t(lang, "restate.all_of", name=other)
    if both_named(q):
        return window.name(lang), other
    return t(lang, "restate.current"), other


def _extent(w: ResolvedWindow, lang: Language) -> str:
    """The choice made for a named period against a running window, said back."""
    return t(lang, f"restate.extent.{w.extent.replace(' ', '_')}") if w.extent else ""
