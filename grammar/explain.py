"""The words of help and of a KPI's definition, from the catalog and the data.

Help examples name real values (a rep, a lead source of this org), so that each one works as
it is typed; tests/test_grammar_intents.py parses every example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from i18n import Language, t, words
from metrics.catalog import Catalog, MetricDef

EN = Language.EN


def _first(values: Mapping[str, Sequence[str]], dim: str) -> list[str]:
    return [str(v) for v in values.get(dim, ()) if str(v).strip()]


def help_examples(
    catalog: Catalog, values: Mapping[str, Sequence[str]], lang: Language = EN
) -> list[str]:
    """Six questions that work on this data, in ``lang``: plain, grouped, a person, values side
    by side, a definition, a dashboard (i18n ``help.examples``)."""
    reps = _first(values, "rep")
    sources = _first(values, "lead source")
    out = list(words(lang, "help.examples.first"))
    if reps:
        out.append(t(lang, "help.examples.person", rep=reps[0]))
    if len(sources) >= 2:
        out.append(t(lang, "help.examples.side_by_side", a=sources[0], b=sources[1]))
    out += words(lang, "help.examples.last")
    return out


def help_text(
    catalog: Catalog, values: Mapping[str, Sequence[str]], lang: Language = EN
) -> str:
    examples = "\n".join(f"  · {e}" for e in help_examples(catalog, values, lang))
    most_asked = sorted(catalog.metrics, key=lambda m: -m.popularity)[:6]
    return t(
        lang,
        "help.text",
        examples=examples,
        count=len(catalog.metrics),
        most_asked=t(lang, "list.sep").join(m.said(lang) for m in most_asked),
    )


def definition_text(catalog: Catalog, metric: MetricDef, lang: Language = EN) -> str:
    anchor = metric.anchor
    if anchor is None:
        try:
            anchor = catalog.record_set(metric.records).anchor().name
        except KeyError:
            anchor = None
    counted_on = t(lang, f"help.anchor.{anchor}") if anchor in _ANCHORS else str(anchor or "—")
    name = metric.said(lang)
    others = ", ".join(w for w in (metric.name, *metric.synonyms, *metric.zh) if w != name) or "—"
    window = t(lang, f"help.window.{metric.default_window.replace(' ', '_')}")
    return t(
        lang,
        "help.definition",
        name=name,
        definition=metric.definition_in(lang) or t(lang, "help.no_definition"),
        counted_on=counted_on,
        window=window,
        shown_as=t(lang, f"help.unit.{metric.format}"),
        others=others,
    )


# How an anchor is said to people (kpis.md, "Which date a record counts on"): help.anchor.*
_ANCHORS = frozenset({"created", "close", "start", "ended"})
