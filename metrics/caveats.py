"""What an answer says about itself so that no number misleads: the sentences every surface
shows (CLI notes, Slack context, chart footers, digests) and the marks its tables use.

* a rate or mean on fewer than ``min_sample_size`` records (app.yaml) is marked ``†``;
* a rate whose outcome is still open for ``open_outcome_share`` or more of its records is
  provisional, marked ``~`` ("62% of these leads' opportunities are still open");
* a time bucket only partly inside the window says which days it covers ("to date");
* a time series shows every bucket: 0 for counts and sums, empty for rates on no records.
"""

from __future__ import annotations

from collections.abc import Callable

from i18n import Language, join, t
from metrics.answer import Answer, Column
from metrics.buckets import bucket_end
from metrics.format import format_bucket, format_range, format_value
from metrics.windows import period_start

EN = Language.EN
Names = Callable[[str], str]

SMALL_MARK = "†"
PROVISIONAL_MARK = "~"
EMPTY_MARK = "—"  # a value there is none of (tables and bars show it so)
# A caveat starting with one explains a table mark; one starting with EMPTY_MARK says why a
# value is missing where records exist (CAC with no spend recorded).
MARKS = (SMALL_MARK, PROVISIONAL_MARK, EMPTY_MARK)


def small_rule(answer: Answer, lang: Language = EN) -> str | None:
    """The small-sample rule, said once, when some value shown is marked with it."""
    nouns = [
        s.noun
        for s in answer.samples
        if any(answer.small_rows(s.metric)) or any(answer.small_previous_rows(s.metric))
    ]
    if not nouns:
        return None
    either = t(lang, "caveat.either").join(dict.fromkeys(nouns))
    return t(lang, "caveat.small", mark=SMALL_MARK, n=answer.min_sample, nouns=either)


def unsettled_notes(answer: Answer, lang: Language = EN, names: Names = str) -> list[str]:
    """One sentence per provisional KPI: the share still open, or how many rows are marked."""
    out = []
    for u in answer.unsettled:
        rows = [i for i, marked in enumerate(answer.provisional_rows(u.metric)) if marked]
        if not rows:
            continue
        kpi = names(u.metric)
        if len(answer.rows) == 1:
            share = format_value(u.shares[0], "percent").replace(".0%", "%")
            out.append(t(lang, "caveat.provisional", share=share, says=u.says, metric=kpi))
        else:
            share = format_value(answer.unsettled_share, "percent").replace(".0%", "%")
            out.append(
                t(
                    lang,
                    "caveat.provisional_rows",
                    mark=PROVISIONAL_MARK,
                    metric=kpi,
                    n=len(rows),
                    rows=len(answer.rows),
                    share=share,
                    says=u.says,
                )
            )
    return out


def unrecorded_notes(
    answer: Answer, says: dict[str, str], lang: Language = EN, names: Names = str
) -> list[str]:
    """A ratio without a value where its base has records: the numerator's rows were never
    brought in (``says``: metric → i18n ``unrecorded.<key>``, "no spend recorded"), so it is
    n/a rather than 0."""
    out = []
    dims = [k for k, c in enumerate(answer.columns) if c.role == "dimension"]
    for metric, key in says.items():
        s = answer.sample(metric)
        j = next(
            (k for k, c in enumerate(answer.columns) if c.role == "metric" and c.metric == metric),
            None,
        )
        if s is None or j is None:
            continue
        rows = [i for i, n in enumerate(s.counts) if n > 0 and answer.rows[i][j] is None]
        if not rows:
            continue
        groups = join(lang, [" · ".join(str(answer.rows[i][k]) for k in dims) for i in rows], "and")
        kpi = names(metric)
        subject = t(lang, "caveat.unrecorded_for", metric=kpi, groups=groups) if dims else kpi
        n = sum(s.counts[i] for i in rows)
        base = f"{n:,} {s.counted(n)}"
        why = t(lang, f"unrecorded.{key}")
        said = t(lang, "caveat.unrecorded", subject=subject, why=why, base=base)
        out.append(f"{EMPTY_MARK} {said}")
    return out


def partial_notes(
    answer: Answer, grain: str | None, fiscal_start_month: int = 1, lang: Language = EN,
    names: Names = str,
) -> list[str]:
    """Which time buckets are partial (for which KPIs, when they count to different days)."""
    if grain is None or not answer.partial:
        return []
    j = answer.column_index(grain)
    out = []
    for i, p in enumerate(answer.partial):
        if p is None:
            continue
        name = format_bucket(
            answer.rows[i][j], grain, fiscal_start_month=fiscal_start_month, lang=lang
        )
        days = format_range(p.first, p.last, lang)
        if answer.partial_for_all(i) is None:  # open pipeline beside revenue won: say whose
            of = [c.metric or "" for c in answer.columns
                  if c.role == "metric" and answer.partial_of(i, c.metric) == p]
            key = "caveat.partial_to_date_of" if p.running else "caveat.partial_only_of"
            whose = t(lang, "list.sep").join(names(m) for m in of)
            out.append(t(lang, key, bucket=name, days=days, metrics=whose))
            continue
        key = "caveat.partial_to_date" if p.running else "caveat.partial_only"
        out.append(t(lang, key, bucket=name, days=days))
    out += _compared_partial(answer, grain, fiscal_start_month, lang)
    return list(dict.fromkeys(out))  # a bucket has a row per value of a second grouping


def _compared_partial(
    answer: Answer, grain: str, fiscal_start_month: int, lang: Language
) -> list[str]:
    """The other side's partial buckets: "this quarter by month vs previous quarter" on 5 Dec
    sets 1 – 5 Dec against 1 – 4 Sep (as many days, kpis.md), and that must be said too. The
    other side's buckets are calendar ones whenever they line up (metrics.prepare.bucket_shift)."""
    w = answer.compare_window
    if w is None or w.start is None or w.end is None or grain == "day":
        return []
    out = []
    for edge in (w.start, w.end):
        first = period_start(edge, grain, fiscal_start_month)
        last = bucket_end(first, grain)
        lo, hi = max(first, w.start), min(last, w.end)
        if (lo, hi) != (first, last):
            name = format_bucket(first, grain, fiscal_start_month=fiscal_start_month, lang=lang)
            days = format_range(lo, hi, lang)
            out.append(t(lang, "caveat.partial_compared", bucket=name, days=days))
    return out


def partial_label(answer: Answer, row: int) -> str:
    """What a partial bucket's label gets in a table: " (to date)" or " (1 – 5 Nov only)"
    (in the answer's language)."""
    p = answer.partial_for_all(row)
    if p is None:
        return ""
    lang = answer.language
    if p.running:
        return t(lang, "caveat.label_to_date")
    return t(lang, "caveat.label_only", days=format_range(p.first, p.last, lang))



def _empty(answer: Answer, row: int) -> bool:
    """A row without records for any KPI (a count of 0, a rate on a base of 0), shown all the
    same; a rate of 0% on some records is not empty."""

    def none(i: int, c: Column) -> bool:
        s = answer.sample(c.metric)
        return s.counts[row] == 0 if s is not None else answer.rows[row][i] in (0, None)

    return all(none(i, c) for i, c in enumerate(answer.columns) if c.role == "metric")


def notes(answer: Answer, grain: str | None, *, zero_filled: bool,
          fiscal_start_month: int = 1, lang: Language = EN,
          names: Names = str, unrecorded: dict[str, str] | None = None) -> tuple[str, ...]:
    """Every caveat of ``answer`` as a note, in the order people need them (``names``: KPI and
    dimension names in ``lang``, from the catalog)."""
    out = unsettled_notes(answer, lang, names)
    out += unrecorded_notes(answer, unrecorded or {}, lang, names)
    out += partial_notes(answer, grain, fiscal_start_month, lang, names)
    if zero_filled and any(_empty(answer, i) for i in range(len(answer.rows))):
        rates = [names(s.metric) for s in answer.samples]
        unit = names(grain) if grain else ""
        key = "caveat.zero_filled_rates" if rates else "caveat.zero_filled"
        out.append(t(lang, key, grain=unit, rates=t(lang, "list.sep").join(rates)))
    rule = small_rule(answer, lang)
    if rule:
        out.append(rule)
    return tuple(out)
