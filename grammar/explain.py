"""The words of help and of a KPI's definition, from the catalog and the data.

Help examples name real values (a rep, a lead source of this org), so that each one works as
it is typed; tests/test_grammar_intents.py parses every example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from metrics.catalog import Catalog, MetricDef

_UNITS = {
    "count": "a count",
    "percent": "a percentage",
    "currency": "an amount of money",
    "hours": "hours",
    "days": "days",
    "minutes": "minutes",
    "number": "a number",
}
# How an anchor is said to people (kpis.md, "Which date a record counts on").
_ANCHORS = {
    "created": "the date it was created",
    "close": "its close date",
    "start": "its start time",
    "ended": "the moment the stage visit ended",
}


def _first(values: Mapping[str, Sequence[str]], dim: str) -> list[str]:
    return [str(v) for v in values.get(dim, ()) if str(v).strip()]


def help_examples(catalog: Catalog, values: Mapping[str, Sequence[str]]) -> list[str]:
    """Six questions that work on this data: plain, grouped, a person, values side by side, a
    definition, a dashboard."""
    reps = _first(values, "rep")
    sources = _first(values, "lead source")
    out = [
        "calls by rep last 30 days",
        "how many deals did we close this quarter",
        "average days in each stage this year",
    ]
    if reps:
        out.append(f"win rate for {reps[0]} this year")
    if len(sources) >= 2:
        out.append(f"leads {sources[0]} vs {sources[1]} last quarter")
    out += [
        "what is follow-up rate",
        "本季度 各销售 赢单金额",
        "inbound leads dashboard last 90 days",
    ]
    return out


def help_text(catalog: Catalog, values: Mapping[str, Sequence[str]]) -> str:
    examples = "\n".join(f"  · {e}" for e in help_examples(catalog, values))
    most_asked = sorted(catalog.metrics, key=lambda m: -m.popularity)[:6]
    return (
        "Ask about a sales KPI in plain words, English or Chinese: a KPI, then optionally who or "
        "what (for a rep, a lead source), how to split it (by rep, per week, 按渠道), when (last "
        "30 days, so far this quarter, in March) and a comparison (vs last year, one rep vs "
        f"another).\nFor example:\n{examples}\n"
        f"{len(catalog.metrics)} KPIs, most asked: {', '.join(m.name for m in most_asked)}. "
        '"what is <KPI>" says how one is computed; `kpibot kpis` (or /kpi help) lists them all.'
    )


def definition_text(catalog: Catalog, metric: MetricDef) -> str:
    anchor = metric.anchor
    if anchor is None:
        try:
            anchor = catalog.record_set(metric.records).anchor().name
        except KeyError:
            anchor = None
    counted_on = _ANCHORS.get(str(anchor), str(anchor)) if anchor else "—"
    others = ", ".join((*metric.synonyms, *metric.zh)) or "—"
    window = metric.default_window
    return "\n".join(
        [
            f"{metric.name}: {metric.definition or '(no definition in the catalog)'}.",
            f"  counted on: {counted_on} (a window keeps a record when this date falls in it)",
            f"  default window: {window}",
            f"  shown as: {_UNITS.get(metric.format, metric.format)}",
            f"  other names: {others}",
            f'Ask "{metric.name} {window}" for the number.',
        ]
    )
