"""The Answer of a question's rows, said in the reply's language: restatement, headers, notes,
samples and unsettled shares, partial buckets, caveats; a window before the records begin
blank, buckets ahead of today blank for KPIs of the past."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from i18n import Language, t
from metrics import buckets, caveats, coverage, ranking
from metrics.ahead import ahead_metrics, ahead_notes, looks_ahead, not_yet, widened
from metrics.answer import Answer, PartialBucket, ResolvedWindow, Sample, Unsettled
from metrics.catalog import Catalog
from metrics.compiler import Compiled
from metrics.dialects import render
from metrics.fields import subject
from metrics.headers import labelled, namers
from metrics.measures import measure_of
from metrics.prepare import Prepared
from metrics.query import Query
from metrics.restate import both_named, comparison_sides, restate
from metrics.scope import Scope
from metrics.settings import OrgSettings


def answer_of(
    question: str,
    asked: Query,
    p: Prepared,
    rows: list[tuple[Any, ...]],
    notes: Sequence[str],
    *,
    as_of: datetime | None,
    on_spark: bool,
    catalog: Catalog,
    settings: OrgSettings,
    scope: Scope,
    lang: Language,
    today: date,
    begins: dict[str, date],
    timings: tuple[float, float, float],
    ranked: ranking.Ranked,
) -> Answer:
    """The Answer of ``rows``, said in ``lang``: restatement, headers, notes, samples; a window
    before the records begin blank, buckets ahead of today blank for KPIs of the past; what a
    top N's cut left out (``ranked``).
    ``as_of``: the snapshot's data_as_of; ``on_spark``: the SQL shown is Spark's."""
    compiled, window, cmp_window = p.compiled, p.window, p.cmp_window
    t0, t1, t2 = timings
    shown, extras = _apart(rows, len(compiled.columns))
    if begins:
        shown = coverage.blank_before(shown, compiled.columns, begins, window, cmp_window, p.grain)
    wide = widened(window, p.ahead_end)
    if wide is not window:
        shown = not_yet(shown, compiled.columns, p.grain, today, ahead_metrics(asked, catalog))
    told = (
        *((ranked.note,) if ranked.note else ()),
        *notes,
        *ahead_notes(asked, catalog, window, p.ahead_end, lang),
        *coverage.notes(catalog, asked.metrics, begins, window, cmp_window, lang),
    )
    answer = Answer(
        question=question,
        query=asked,
        **_said(asked, p, catalog, question, lang, cut=ranked.more),
        window=window,
        compare_window=p.cmp_window,
        rows=shown,
        sql=render(compiled.tree, "spark", pretty=True) if on_spark else compiled.sql,
        data_as_of=as_of.astimezone(settings.tz) if as_of is not None else None,
        notes=(*told, *((t(lang, "note.scope", scope=scope.label),) if scope.restricted else ())),
        language=lang,
        kind="records" if compiled.kind == "records" else "table",
        timings={"compile": t1 - t0, "sql": t2 - t1, "total": time.perf_counter() - t0},
        scope=scope,
        **_honesty(compiled, catalog, extras, settings, lang),
        # A bucket of pipeline ahead is not "to date": its deals close up to its last day.
        partial=_partial(
            compiled, rows, p.grain, wide, date.max if looks_ahead(asked, catalog) else today
        ),
        **_partial_ahead(asked, catalog, compiled, rows, p.grain, wide, window),
    )
    return _with_caveats(answer, p, catalog, settings)


def _said(
    asked: Query, p: Prepared, catalog: Catalog, question: str, lang: Language, cut: bool = True
) -> dict[str, Any]:
    """The restatement, the column headers and the comparison's two sides, in ``lang``
    (``cut``: a record list was cut to its first n)."""
    names, fields = namers(catalog, lang)
    window, cmp_window = p.window, p.cmp_window
    sides = comparison_sides(asked, window, cmp_window, lang) if cmp_window is not None else None

    def plurals(dimension: str) -> str:
        return catalog.plural(dimension, lang)

    return {
        "restated": restate(
            asked,
            window,
            cmp_window,
            p.compiled.kind == "records",
            subject(asked.metrics, catalog, question, asked.anchor, lang),
            lang=lang,
            names=names,
            cut=cut,
            plurals=plurals,
        ),
        "columns": labelled(
            p.compiled.columns,
            sides if cmp_window and both_named(asked) else None,
            lang,
            names,
            fields,
            plurals=plurals,
        ),
        "sides": sides,
    }


def _with_caveats(answer: Answer, p: Prepared, catalog: Catalog, settings: OrgSettings) -> Answer:
    """The answer with what its reader should know before trusting it (metrics.caveats)."""
    said = caveats.notes(
        answer,
        p.grain,
        zero_filled=p.grid is not None,
        fiscal_start_month=settings.fiscal_year_start_month,
        lang=answer.language,
        names=namers(catalog, answer.language)[0],
        unrecorded=_unrecorded(answer.query, catalog),
    )
    return dataclasses.replace(answer, caveats=said) if said else answer


def _apart(
    rows: list[tuple[Any, ...]], width: int
) -> tuple[tuple[tuple[Any, ...], ...], list[tuple[Any, ...]]]:
    """The answer's rows (its first ``width`` columns) and the columns of counts after them
    (samples, open outcomes), each of those a tuple down the rows. DuckDB's row tuples are kept
    as they are when there is nothing after the answer's columns (a 700-rep table is not
    copied)."""
    if not rows or len(rows[0]) == width:
        return tuple(rows), []
    return tuple(r[:width] for r in rows), list(zip(*rows, strict=True))[width:]


def _unrecorded(query: Query, catalog: Catalog) -> dict[str, str]:
    """What a ratio without its numerator's rows says (CAC: "no spend recorded")."""
    out = {}
    for name in query.metrics:
        m = catalog.metric(name)
        says = measure_of(m).unrecorded if m.kind == "aggregate" else None
        if says:
            out[name] = says
    return out


def _honesty(
    compiled: Compiled,
    catalog: Catalog,
    extras: list[tuple[Any, ...]],
    settings: OrgSettings,
    lang: Language = Language.EN,
) -> dict[str, Any]:
    """The Answer's samples and unsettled shares, from the columns of counts after the
    answer's (``extras``, one tuple per column; their nouns in the reply's language)."""
    counts: dict[tuple[str, str], tuple[int, ...]] = {
        key: tuple(0 if n is None else int(n) for n in extras[k])
        for k, key in enumerate(compiled.extras)
    }
    samples, unsettled = [], []
    for metric, what in compiled.extras:
        m = catalog.metric(metric)
        if what == "base":
            samples.append(
                Sample(
                    metric,
                    m.base_in(lang),
                    counts[(metric, what)],
                    m.base_in(lang, one=True),
                    counts.get((metric, "previous"), ()),
                )
            )
        elif what == "open":
            of = counts[(metric, "of")]
            shares = tuple(
                o / n if n else None for o, n in zip(counts[(metric, what)], of, strict=True)
            )
            unsettled.append(Unsettled(metric, m.unsettled_says(lang), shares))
    return {
        "samples": tuple(samples),
        "unsettled": tuple(unsettled),
        "min_sample": settings.min_sample_size,
        "unsettled_share": settings.open_outcome_share,
    }


def _partial_ahead(
    asked: Query,
    catalog: Catalog,
    compiled: Compiled,
    rows: list[tuple[Any, ...]],
    grain: str | None,
    wide: ResolvedWindow,
    window: ResolvedWindow,
) -> dict[str, Any]:
    """Open pipeline beside revenue won over a period still running: the pipeline's buckets
    as it counts them (to the period's last day), apart from the others' "to date"."""
    ahead = ahead_metrics(asked, catalog)
    if wide is window or not ahead or looks_ahead(asked, catalog):
        return {}
    return {"ahead": tuple(ahead), "partial_ahead": _partial(compiled, rows, grain, wide, date.max)}


def _partial(
    compiled: Compiled,
    rows: list[tuple[Any, ...]],
    grain: str | None,
    window: ResolvedWindow,
    today: date,
) -> tuple[PartialBucket | None, ...]:
    """Per row, its time bucket when the window covers only part of it (or it is running)."""
    if grain is None or compiled.kind == "records":
        return ()
    j = next(i for i, c in enumerate(compiled.columns) if c.name == grain)
    return tuple(
        buckets.partial(r[j], grain, window, today) if isinstance(r[j], date) else None
        for r in rows
    )
