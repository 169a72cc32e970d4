"""Everyday phrasing settled over the token stream, before the grammar sees it.

People do not type keywords only: "how many deals did we close", "average days in each stage",
"温家豪 vs 王芳", "calls over the past 30 days". Each rule here rewrites a few neighbouring tokens
into the keyword form the grammar reads; every reading ends up in the restatement (the KPI, the
grouping, the filters), and the one that changes nothing the user can see ("average" on a KPI
that is already an average) is said back as a note.

>>> # "deals" + "close" → the KPI "deals won"; "average" + "win rate" → win rate, said back.
"""

from __future__ import annotations

from grammar import messages
from grammar.normalize import is_cjk, normalize
from grammar.tokens import Tok
from grammar.vocabulary import Vocabulary
from metrics.query import Correction

# Window openers a comparison word may stand before: "over the past 30 days" is a window.
_WINDOW_START = {"LAST", "THIS", "NEXT", "THIS_PERIOD", "PREV_PERIOD", "NEXT_PERIOD"}
# A unit right after these is a window's ("last 30 days"), never a duration noun.
_WINDOW_HEAD = {"NUMBER", "LAST", "THIS", "NEXT", "TOP", "BOTTOM"}
# The tokens a window (or the other side of a comparison) is made of, for a Chinese comparison
# that names its window before the comparison word: "与上季度相比", "和上月比".
_WINDOW_PART = _WINDOW_START | {
    "NUMBER", "UNIT", "YEAR", "QUARTER_SPEC", "MONTH_SPEC", "DATE", "TODAY", "YESTERDAY",
    "PERIOD_BEFORE", "IN_FULL", "COMPARE",
}
# KPI aggregations for which "average" changes nothing (already a mean or a rate).
_MEAN_LIKE = {"avg", "ratio"}


def settle(toks: list[Tok], vocab: Vocabulary, text: str, notes: list[Correction]) -> list[Tok]:
    toks = _windows_after_comparison_words(toks)
    toks = _comparison_word_last(toks)
    toks = _comparison_after_vs(toks)
    toks = _kpis_against_kpis(toks)
    toks = _durations(toks, vocab)
    toks = _verbs(toks, vocab)
    toks = _averages(toks, vocab, text, notes)
    toks = _who(toks, vocab)
    return _values_against_values(toks)


def _windows_after_comparison_words(toks: list[Tok]) -> list[Tok]:
    """ "calls over the past 30 days": "over" opens the window, it compares nothing."""
    return [
        t
        for k, t in enumerate(toks)
        if not (t.type == "CMP" and k + 1 < len(toks) and toks[k + 1].type in _WINDOW_START)
    ]


def _comparison_word_last(toks: list[Tok]) -> list[Tok]:
    """ "与上季度相比", "和上月比", "与去年同期比": Chinese names the other window between 与/和 and
    the comparison word; read as "对比上季度" (the comparison word first, 与/和 dropped)."""
    for k, t in enumerate(toks):
        if t.type == "VS" and k and toks[k - 1].type == "COMPARE":  # 与去年同期比: said already
            return [*toks[:k], *_comparison_word_last(toks[k + 1 :])]
        if t.type != "VS" or (k + 1 < len(toks) and toks[k + 1].type in _WINDOW_PART):
            continue
        first = k
        while first > 0 and toks[first - 1].type in _WINDOW_PART:
            first -= 1
        if first == k or first == 0 or toks[first - 1].type != "AND":
            continue
        return [*toks[: first - 1], t, *toks[first:k], *_comparison_word_last(toks[k + 1 :])]
    return toks


def _comparison_after_vs(toks: list[Tok]) -> list[Tok]:
    """ "vs same quarter last year", "compared to the quarter before": the comparison phrase
    says it all; the "vs" before it is dropped."""
    return [
        t
        for k, t in enumerate(toks)
        if not (t.type == "VS" and k + 1 < len(toks) and toks[k + 1].type == "COMPARE")
    ]


def _kpis_against_kpis(toks: list[Tok]) -> list[Tok]:
    """ "calls vs emails by rep": several KPIs side by side, as "calls, emails by rep"."""
    return [
        t
        for k, t in enumerate(toks)
        if not (
            t.type == "VS"
            and 0 < k < len(toks) - 1
            and toks[k - 1].type == "METRIC"
            and toks[k + 1].type == "METRIC"
        )
    ]


def _metric_named(vocab: Vocabulary, *phrases: str) -> str | None:
    for p in phrases:
        for m in vocab.metric_pool.get(normalize(p), ()):
            return m.name
    return None


def _durations(toks: list[Tok], vocab: Vocabulary) -> list[Tok]:
    """A duration noun next to a dimension names the KPI the catalog calls so: "days" … "in
    each stage" → "days in stage" (time in stage, grouped by stage), 阶段 … 时长 → 阶段时长."""
    out = list(toks)
    for k, t in enumerate(out):
        is_days = t.type == "UNIT" and t.value == "day"
        if not (is_days or t.type == "DURATION"):
            continue
        if is_days and k and out[k - 1].type in _WINDOW_HEAD:
            continue
        after = [x for x in out[k + 1 : k + 3] if x.type in ("BY", "DIMENSION")]
        dim_after = next((x for x in after if x.type == "DIMENSION"), None)
        before = [x for x in out[max(0, k - 2) : k] if x.type in ("DIMENSION", "AGG")]
        dim_before = next((x for x in reversed(before) if x.type == "DIMENSION"), None)
        name = None
        if dim_after is not None:
            name = _metric_named(
                vocab, f"{t.text} in {dim_after.text}", f"{t.text} per {dim_after.text}"
            )
        if name is None and dim_before is not None:
            name = _metric_named(vocab, f"{dim_before.text}{t.text}", f"{dim_before.text} {t.text}")
        if name is not None:
            out[k] = Tok("METRIC", t.text, name, t.start)
    return [t for t in out if t.type != "DURATION"]


def _verbs(toks: list[Tok], vocab: Vocabulary) -> list[Tok]:
    """ "how many deals did we close": the verb reads the KPI next to it — "deals" + "won" is
    the KPI "deals won" when the catalog names it so; otherwise the verb only restates the
    KPI ("how many calls did alice make") and is dropped. English verbs mostly follow their
    KPI ("deals did we close"; else "which rep closed the most deals"), Chinese ones mostly
    precede it (王芳打了多少电话)."""
    out = list(toks)
    for k, t in enumerate(out):
        if t.type != "VERB":
            continue
        after = [j for j in range(k + 1, len(out)) if out[j].type == "METRIC"]
        before = [j for j in range(k - 1, -1, -1) if out[j].type == "METRIC"]
        order = (after + before) if is_cjk(t.text[0]) else (before + after)
        if not order:
            continue
        j = order[0]
        m = out[j]
        name = _metric_named(vocab, f"{m.text} {t.value}", f"{t.value} {m.text}")
        if name is not None:
            out[j] = Tok("METRIC", m.text, name, m.start)
    return [t for t in out if t.type != "VERB"]


def _averages(toks: list[Tok], vocab: Vocabulary, text: str, notes: list[Correction]) -> list[Tok]:
    """ "average win rate": a KPI that is already an average or a rate is unchanged (said back);
    "average calls" is refused with what to ask instead."""
    cat = vocab.catalog
    for k, t in enumerate(toks):
        if t.type != "AGG":
            continue
        after = [x for x in toks[k + 1 :] if x.type == "METRIC"]
        before = [x for x in toks[:k] if x.type == "METRIC"]
        m = after[0] if after else (before[-1] if before else None)
        if m is None or not cat.has_metric(str(m.value)):
            continue
        metric = cat.metric(str(m.value))
        if metric.sql.get("agg") not in _MEAN_LIKE:
            raise messages.average_of_total(t.text, cat.term(metric.name))
        lo, hi = sorted((t.start, m.start))
        end = max(t.start + len(t.text), m.start + len(m.text))
        typed = text[lo:end]
        if normalize(typed) not in vocab.metric_pool:
            kind = "a rate" if metric.sql.get("agg") == "ratio" else "an average"
            notes.append(Correction(typed, f"{metric.name} (already {kind})", "metric"))
    return [t for t in toks if t.type != "AGG"]


def _who(toks: list[Tok], vocab: Vocabulary) -> list[Tok]:
    """ "who had the most calls": grouped by the people of the data (rep), unless the question
    already names a grouping."""
    if not any(t.type == "WHO" for t in toks):
        return toks
    grouped = any(
        t.type == "DIMENSION" or (t.type == "UNIT" and k and toks[k - 1].type == "BY")
        for k, t in enumerate(toks)
    )
    out = []
    for t in toks:
        if t.type != "WHO":
            out.append(t)
        elif not grouped and vocab.people:
            out.append(Tok("DIMENSION", t.text, vocab.people[0], t.start))
            grouped = True
    return out


def _values_against_values(toks: list[Tok]) -> list[Tok]:
    """ "温家豪 vs 王芳", "web vs partner": the KPI for each of them side by side (grouped by
    their dimension, filtered to them), not a comparison of windows."""
    out = list(toks)
    for k, t in enumerate(out):
        if t.type == "VS" and 0 < k < len(out) - 1:
            if out[k - 1].type == "VALUE" and out[k + 1].type == "VALUE":
                out[k] = Tok("SIDE_BY_SIDE", t.text, None, t.start)
    return out
