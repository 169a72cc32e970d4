"""The canonical restatement of a question, every default made explicit.

``[connect rate] by [weekday] · 27 May – 26 Jun 2024 (last 31 days)``
"""

from __future__ import annotations

from metrics.answer import ResolvedWindow
from metrics.format import format_range
from metrics.query import Filter, Query

_OPS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "eq": "="}


def _value(v: object) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _filter(f: Filter) -> str:
    if f.op in _OPS:
        return f"[{f.dimension} {_OPS[f.op]} {_value(f.values[0])}]"
    vals = ", ".join(_value(v) for v in f.values)
    if f.op == "in":
        return f"[{f.dimension} = {vals}]" if len(f.values) == 1 else f"[{f.dimension} in ({vals})]"
    return f"[{f.dimension} not in ({vals})]"


def window_phrase(w: ResolvedWindow) -> str:
    if w.start is None and w.end is None:
        return "all time" + (" (default)" if w.label.endswith("default") else "")
    return f"{format_range(w.start, w.end)} ({w.label}{_extent(w)})"


def restate(
    q: Query,
    window: ResolvedWindow,
    compare: ResolvedWindow | None,
    records: bool = False,
    subject: str = "",
) -> str:
    """``[calls, connect rate] by [rep] · 1 Apr – 27 Jun 2024 (this quarter, default)``;
    ``subject`` follows the measures (field search: ``of [Opportunity] on [CloseDate]``)."""
    parts = []
    head = f"[{', '.join(q.metrics)}]"
    if records:
        head += f" (first {q.ranking.n})" if q.ranking else ""
    parts.append(head)
    if subject:
        parts.append(subject)
    # A KPI named after its grouping ("follow-up rate by attempt") is not said twice.
    said = [
        g for g in q.groupings if not any(m.endswith(f" by {g.split()[-1]}") for m in q.metrics)
    ]
    if said:
        parts.append("by " + " and ".join(f"[{g}]" for g in said))
    if q.filters:
        parts.append("for " + " and ".join(_filter(f) for f in q.filters))
    if q.metric_filters:
        parts.append(
            "where "
            + " and ".join(
                f"[{mf.metric} {_OPS[mf.op]} {_value(mf.value)}]" for mf in q.metric_filters
            )
        )
    if q.sort is not None:
        parts.append(f"sorted by [{q.sort.key}] {'desc' if q.sort.descending else 'asc'}")
    text = " ".join(parts)
    if q.ranking is not None and not records:
        # After what is ranked, like the window: "[revenue won] by [rep] · top 5", not
        # "top 5 [revenue won] by [rep]" (which reads as five revenues). The KPI ranked by is
        # named only when it is not the only one asked.
        r = q.ranking
        by = r.metric if r.metric and q.metrics != (r.metric,) else None
        text += f" · {r.direction} {r.n}" + (f" by [{by}]" if by else "")
    if compare is not None and both_named(q):
        # "2025 vs 2026 (1 Jan – 31 Dec 2025 vs 1 Jan – 31 Dec 2026)"
        cur, prev = comparison_sides(q, window, compare)
        ranges = f"{format_range(window.start, window.end)} vs "
        ranges += format_range(compare.start, compare.end)
        like = ", like for like" if compare.extent == "like for like" else ""
        return f"{text} · {cur} vs {prev}{like} ({ranges})"
    text += " · " + window_phrase(window)
    if compare is not None:
        text += f" vs {window_phrase(compare)}"
    return text


def both_named(q: Query) -> bool:
    """Did the user name both windows ("revenue in 2025 vs 2026")?"""
    return q.window is not None and q.comparison is not None and q.comparison.kind == "window"


def comparison_sides(q: Query, window: ResolvedWindow, compare: ResolvedWindow) -> tuple[str, str]:
    """The two sides as people read them: by their names when the user named both windows
    ("2025", "2026"), else "current" against the other window's name ("previous period")."""
    other = f"all of {compare.label}" if compare.extent == "in full" else compare.label
    if both_named(q):
        return window.label, other
    return "current", other


def _extent(w: ResolvedWindow) -> str:
    """The choice made for a named period against a running window, said back."""
    return {"like for like": ", like for like", "in full": ", in full"}.get(w.extent, "")
