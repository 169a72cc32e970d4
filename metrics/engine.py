"""Run a Query against the cache and return an Answer.

>>> run(Query(metrics=("calls",)), catalog=cat, settings=OrgSettings(), reader=reader,
...     today=date(2024, 6, 27))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import duckdb

from cache import schema
from cache.snapshot import SnapshotReader
from i18n import Capitalized, Joined, Language, Msg, t
from metrics import buckets, caveats, coverage, ranking, rollups, snapshot_keys
from metrics.answer import Answer, Column, PartialBucket, ResolvedWindow, Sample, Unsettled
from metrics.catalog import Catalog
from metrics.compiler import Compiled, compile_query, effective_query, query_params
from metrics.dialects import render
from metrics.errors import InternalError, NoData, QueryTimeout
from metrics.fields import may_lie_ahead, subject
from metrics.format import CHANGE_IN_POINTS, DateRange, format_date
from metrics.measures import measure_of
from metrics.provenance import source_notes
from metrics.query import Query
from metrics.restate import both_named, comparison_sides, no_data, restate
from metrics.scope import EVERYONE, Scope
from metrics.settings import OrgSettings
from metrics.spark import SparkReader
from metrics.windows import compare_window, period_start, resolve

Cursor = duckdb.DuckDBPyConnection


_GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def bucket_shift(
    query: Query, catalog: Catalog, cur: ResolvedWindow, prev: ResolvedWindow | None
) -> tuple[str, int] | None:
    """How far back a comparison's time buckets lie, when they line up: ("months", 12) for
    monthly buckets vs last year, ("days", 364) for weeks vs last year; None when they do not."""
    grains = [
        g
        for g in query.groupings
        if catalog.has_dimension(g) and catalog.dimension(g).kind == "grain"
    ]
    if not grains or prev is None or cur.start is None or prev.start is None:
        return None
    days = (cur.start - prev.start).days
    if all(g in _GRAIN_MONTHS for g in grains):
        months = (cur.start.year - prev.start.year) * 12 + cur.start.month - prev.start.month
        step = max(_GRAIN_MONTHS[g] for g in grains)
        if cur.start.day == prev.start.day and months > 0 and months % step == 0:
            return ("months", months)
        return None
    weekly_ok = "week" not in grains or days % 7 == 0
    if all(g in ("day", "week") for g in grains) and days > 0 and weekly_ok:
        return ("days", days)
    return None


def labelled(
    columns: tuple[Column, ...],
    sides: tuple[str, str] | None,
    lang: Language = Language.EN,
    names: Callable[[str], str] = str,
    fields: Callable[[str, str], str] = lambda metric, name: name,
) -> tuple[Column, ...]:
    """Headers people read, in the reply's language (``names``: the catalog's names in it):
    each side by its window when both were named ("revenue won (2025)", "revenue won (2026)");
    a rate's change as "<kpi> change" (shown in percentage points); a record list's column by
    its KPI's own label for it (``fields``: top deals' name → 商机名称). A header equal to the
    canonical name is left to it (``Column.shown``)."""
    formats = {c.metric: c.format for c in columns if c.role == "metric"}
    out = []
    for c in columns:
        said = fields(c.metric or "", c.name) if c.role == "field" else names(c.name)
        label = said if c.role == "field" else _header(c, sides, formats, lang, names)
        if label != c.name:
            c = replace(c, label=label)
        out.append(replace(c, said=said) if said != c.name else c)
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


def _looks_ahead(query: Query, catalog: Catalog) -> bool:
    """Every KPI asked counts records that can lie ahead (open pipeline by expected close)."""
    # A field's own date (``by close date``) keeps the window as asked (docs/field-search.md).
    if query.anchor is not None:
        return False
    return all(may_lie_ahead(catalog, catalog.metric(m), None) for m in query.metrics)


def _still_running(query: Query, window: ResolvedWindow, today: date) -> ResolvedWindow:
    """A named period that holds today ("Q4 2026" on 7 Dec 2026), compared with another, is a
    period still running, as "this quarter" is (kpis.md, Comparisons): its records end today,
    so it runs to today and the other side is taken like for like, never its whole (55 deals
    won so far against all 86 of Q4 2025 read as a 36 % fall)."""
    if query.comparison is None or window.shape != "full" or window.unit in (None, "day"):
        return window
    if window.start is None or window.end is None or not window.start <= today < window.end:
        return window
    return replace(window, end=today, shape="to_date")


def _whole_period_ahead(query: Query, catalog: Catalog, window: ResolvedWindow) -> ResolvedWindow:
    """"open pipeline this quarter" is the pipeline expected to close this quarter, to its
    last day: cut at today it would be only the deals already overdue ($0 on a healthy org)."""
    if window.shape != "to_date" or window.unit is None or window.start is None:
        return window
    if not query.metrics or not _looks_ahead(query, catalog):
        return window
    return replace(window, end=buckets.bucket_end(window.start, window.unit), shape="full")


def _refuse_the_future(query: Query, catalog: Catalog, window: ResolvedWindow, today: date) -> None:
    # A user error: said in the reader's language where it is shown (i18n.Msg).
    """A window that has not begun, for KPIs whose records can only be in the past: say so
    instead of answering 0 (catalog key ``future`` marks the KPIs that can look ahead)."""
    if window.start is None or window.start <= today:
        return
    past_only = [m for m in query.metrics if not _can_look_ahead(catalog, m, query.anchor)]
    if past_only:
        raise NoData(
            Msg.of(
                "window.error.not_yet",
                name=Capitalized(window.said or Msg.of("window.as_is", name=window.label)),
                range=DateRange(window.start, window.end),
                metrics=_listed(catalog, past_only),
            )
        )


def _can_look_ahead(catalog: Catalog, name: str, anchor: str | None) -> bool:
    """A KPI with records that can lie ahead: all of them (open pipeline), or one side of its
    ratio (pipeline coverage of next quarter: the pipeline closing then ÷ the quota gap)."""
    m = catalog.metric(name)
    if may_lie_ahead(catalog, m, anchor):
        return True
    return anchor is None and m.kind == "aggregate" and any(a.future for a in measure_of(m).atoms)


def _listed(catalog: Catalog, metrics: Sequence[str]) -> Joined:
    """KPIs as a message lists them ("calls, connect rate" / "电话数、接通率")."""
    return Joined(tuple(catalog.term(m) for m in metrics), "comma")


def settings_params(settings: OrgSettings) -> dict[str, Any]:
    """The app.yaml values catalog SQL may name ($tz, $channel_sources, …), lists lower-cased."""
    sources: list[str] = []
    names: list[str] = []
    for channel, values in settings.channels.items():
        for v in values:
            sources.append(v.strip().lower())
            names.append(channel)
    return {
        "tz": settings.timezone,
        "fiscal_shift": settings.fiscal_year_start_month - 1,
        "connected_dispositions": [v.strip().lower() for v in settings.connected_dispositions],
        "meeting_types": [v.strip().lower() for v in settings.meeting_types],
        "new_business_types": [v.strip().lower() for v in settings.new_business_types],
        "channel_sources": sources,
        "channel_names": names,
    }


def today_in(settings: OrgSettings, now: datetime | None = None) -> date:
    return (now or datetime.now(settings.tz)).astimezone(settings.tz).date()


def _midnight(d: date, settings: OrgSettings) -> datetime:
    return datetime.combine(d, dtime(0), tzinfo=settings.tz)


def window_params(
    prefix: str, w: ResolvedWindow, settings: OrgSettings, ahead_end: date | None = None
) -> dict[str, Any]:
    """The window's bound values; ``ahead_end``: where records that can lie ahead stop (the
    running period's last day, ``ahead_end_of``), else the window's end."""
    out: dict[str, Any] = {}
    if w.start is not None:
        out[f"{prefix}_start"] = w.start
        out[f"{prefix}_start_ts"] = _midnight(w.start, settings)
    if w.end is not None:
        ahead = max(w.end, ahead_end or w.end)
        out[f"{prefix}_end"] = w.end
        out[f"{prefix}_end_ts"] = _midnight(w.end + timedelta(days=1), settings)
        out[f"{prefix}_ahead_end"] = ahead
        out[f"{prefix}_ahead_end_ts"] = _midnight(ahead + timedelta(days=1), settings)
    first, after = whole_months(w)
    out[f"{prefix}_months_start_ts"] = _midnight(first, settings) if first else _NEVER[0]
    out[f"{prefix}_months_end_ts"] = _midnight(after, settings) if after else _NEVER[1]
    return out


# Before and after every record: an open window's whole months reach them (DuckDB's TIMESTAMPTZ
# holds Python's extremes).
_NEVER = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))


def ahead_end_of(
    w: ResolvedWindow | None, current: ResolvedWindow, fiscal_start_month: int
) -> date | None:
    """Where records that can lie ahead stop in ``w`` (the current window or the compared one):
    over a period still running, the last day of that period ("open pipeline, revenue won this
    quarter": the pipeline closing by 31 Dec beside the revenue won to today, kpis.md);
    otherwise the window's own end."""
    if w is None or w.end is None:
        return None
    if current.shape != "to_date" or current.unit is None or w.start is None:
        return w.end
    first = period_start(w.start, current.unit, fiscal_start_month)
    return max(w.end, buckets.bucket_end(first, current.unit))


def whole_months(w: ResolvedWindow) -> tuple[date | None, date | None]:
    """The whole calendar months inside the window, as [first day, first day after): a month
    rollup's rows for them, the records themselves for the days before and after (catalog
    ``lead_month``). None: open on that side. A window within one month has none (both ends
    the same day)."""
    first = w.start
    if first is not None and first.day != 1:
        first = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = None if w.end is None else (w.end + timedelta(days=1)).replace(day=1)
    if first is not None and after is not None and after < first:
        after = first
    return first, after


def default_window_of(query: Query, catalog: Catalog) -> str:
    """The first KPI's default window (open pipeline: all time; the others: this quarter)."""
    return catalog.metric(query.metrics[0]).default_window if query.metrics else "this quarter"


_as_of: dict[object, datetime | None] = {}


def _reader_as_of(reader: SnapshotReader) -> datetime | None:
    """data_as_of, read once per snapshot file (a snapshot never changes once published)."""
    key = reader.target
    if key is None or key not in _as_of:
        value = reader.data_as_of()
        _as_of[reader.target] = value
        return value
    return _as_of[key]


_cursor_as_of: dict[int, tuple[Cursor, datetime | None]] = {}


def _data_as_of(cur: Cursor) -> datetime | None:
    """data_as_of of a plain DuckDB cursor, read once per cursor (kept, so its id stays unique)."""
    hit = _cursor_as_of.get(id(cur))
    if hit is not None and hit[0] is cur:
        return hit[1]
    try:
        row = cur.execute(f"SELECT data_as_of FROM {schema.META_SNAPSHOT} LIMIT 1").fetchone()
    except duckdb.Error:
        return None
    if len(_cursor_as_of) > 64:
        _cursor_as_of.clear()
    value = row[0] if row else None
    _cursor_as_of[id(cur)] = (cur, value)
    return value


class _Watchdog:
    """One thread interrupts queries that run past their deadline (a Timer per query would cost
    a thread start, ~0.4 ms, on every question)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._jobs: dict[int, tuple[float, Cursor, threading.Event]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None

    def arm(self, cur: Cursor, timeout: float) -> tuple[int, threading.Event]:
        fired = threading.Event()
        with self._cv:
            self._next += 1
            self._jobs[self._next] = (time.monotonic() + timeout, cur, fired)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="kpibot-watchdog", daemon=True
                )
                self._thread.start()
            self._cv.notify()
            return self._next, fired

    def disarm(self, token: int) -> None:
        with self._cv:
            self._jobs.pop(token, None)

    def _loop(self) -> None:
        with self._cv:
            while True:
                now = time.monotonic()
                for token, (deadline, cur, fired) in list(self._jobs.items()):
                    if deadline <= now:
                        del self._jobs[token]
                        fired.set()
                        cur.interrupt()
                soonest = min((d for d, _, _ in self._jobs.values()), default=None)
                self._cv.wait(None if soonest is None else max(soonest - now, 0.001))


_watchdog = _Watchdog()


def execute(cur: Cursor, sql: str, params: dict[str, Any], timeout: float) -> list[tuple[Any, ...]]:
    """Run ``sql``; past ``timeout`` seconds DuckDB is interrupted and QueryTimeout raised."""
    token, fired = _watchdog.arm(cur, timeout)
    try:
        return cur.execute(sql, params).fetchall()
    except duckdb.InterruptException:
        raise QueryTimeout(Msg.of("window.error.timeout", seconds=f"{timeout:g}")) from None
    except duckdb.Error as e:
        if fired.is_set():
            raise QueryTimeout(
                Msg.of("window.error.timeout_short", seconds=f"{timeout:g}")
            ) from None
        raise InternalError(f"the query failed: {e}") from e
    finally:
        _watchdog.disarm(token)


@dataclass(frozen=True)
class Prepared:
    """A question ready to run on any engine: its compiled tree and bound values."""

    compiled: Compiled
    params: dict[str, Any]
    window: ResolvedWindow
    cmp_window: ResolvedWindow | None
    grain: str | None
    grid: tuple[date, ...] | None
    # Where records that can lie ahead stop in the current window (its end unless it is a
    # period still running).
    ahead_end: date | None = None


def prepare(
    query: Query,
    *,
    catalog: Catalog,
    settings: OrgSettings,
    today: date,
    pinned: bool = True,
    scope: Scope = EVERYONE,
    rollups: frozenset[str] = frozenset(),
) -> Prepared:
    """Resolve the windows, compile (cached by shape) and bind this question's values.
    ``rollups``: the catalog's rollups the snapshot can answer from (metrics.rollups.usable)."""
    window, cmp_window = _windows(query, catalog, settings, today)
    shift = bucket_shift(query, catalog, window, cmp_window)
    grain = time_grain(query, catalog)
    fiscal = settings.fiscal_year_start_month
    looks_ahead = bool(_ahead_metrics(query, catalog))
    ahead_end = ahead_end_of(window, window, fiscal) if looks_ahead else window.end
    grid = (
        buckets.grid(_widened(window, ahead_end), grain, fiscal)
        if grain is not None and not _time_filtered(query, catalog)
        else None
    )
    compiled: Compiled = compile_query(
        query,
        catalog,
        window=(window.start is not None, window.end is not None),
        compare_window=(
            (cmp_window.start is not None, cmp_window.end is not None)
            if cmp_window
            else (True, True)
        ),
        bucket_shift=shift[0] if shift else None,
        grid=grid is not None,
        scoped=scope.restricted,
        ranged=scope.ranges is not None,
        rollups=rollups,
    )
    now = _midnight(today + timedelta(days=1), settings) if pinned else datetime.now(settings.tz)
    values: dict[str, Any] = {
        **settings_params(settings),
        "now": now,
        **window_params("cur", window, settings, ahead_end),
        **(
            window_params(
                "prev",
                cmp_window,
                settings,
                ahead_end_of(cmp_window, window, fiscal) if looks_ahead else cmp_window.end,
            )
            if cmp_window
            else {}
        ),
        **query_params(query, catalog, compiled),
        **({"bucket_shift": shift[1]} if shift else {}),
        **({"grid": list(grid)} if grid is not None else {}),
        "scope_owners": list(scope.owners or ()),
        **scope.range_params(),
    }
    params = {name: values[name] for name in compiled.params}
    return Prepared(
        compiled,
        params,
        window,
        cmp_window,
        grain,
        tuple(grid) if grid is not None else None,
        ahead_end,
    )


def _windows(
    query: Query, catalog: Catalog, settings: OrgSettings, today: date
) -> tuple[ResolvedWindow, ResolvedWindow | None]:
    """The question's window and the one it is compared with, each refused when it has not
    begun and its KPIs can only count the past."""
    window = _whole_period_ahead(
        query,
        catalog,
        _still_running(
            query,
            resolve(
                query.window,
                default_window_of(query, catalog),
                today,
                settings.fiscal_year_start_month,
            ),
            today,
        ),
    )
    _refuse_the_future(query, catalog, window, today)
    cmp_window = (
        compare_window(query.comparison, window, today, settings.fiscal_year_start_month)
        if query.comparison is not None
        else None
    )
    if cmp_window is not None:
        _refuse_the_future(query, catalog, cmp_window, today)
    return window, cmp_window


@dataclass(frozen=True)
class _Engine:
    """Where a question runs: a DuckDB cursor on the snapshot (its metadata: rollups, source
    notes, data as of; and its rows unless Spark runs them), and the Spark reader if any."""

    cur: Cursor
    duck: SnapshotReader | Cursor
    snapshot: object  # what rollups.usable keys its answer by
    spark: SparkReader | None


def _engine_of(reader: SnapshotReader | Cursor | SparkReader) -> _Engine:
    spark = reader if isinstance(reader, SparkReader) else None
    duck = reader.duck if isinstance(reader, SparkReader) else reader
    cur = duck.cursor() if isinstance(duck, SnapshotReader) else duck
    snapshot = duck.target if isinstance(duck, SnapshotReader) else cur
    return _Engine(cur, duck, snapshot, spark)


def run(
    query: Query,
    *,
    catalog: Catalog,
    settings: OrgSettings,
    reader: SnapshotReader | Cursor | SparkReader,
    today: date | None = None,
    question: str = "",
    timeout: float = 10.0,
    scope: Scope = EVERYONE,
    language: Language = Language.EN,
) -> Answer:
    """Answer ``query``: resolve windows, compile (cached by shape), run, check for no data.
    ``scope``: whose records the asker may see (row-level access, metrics.scope); ``language``:
    the reply's (restatement, headers, notes; the values stay raw)."""
    t0 = time.perf_counter()
    pinned = today is not None
    today = today or today_in(settings)
    where = _engine_of(reader)
    # a snapshot an older kpibot published has no owner keys until upgraded: not read then
    catalog = snapshot_keys.fit(catalog, where.cur, where.snapshot)
    prepared = functools.partial(
        prepare,
        catalog=catalog,
        settings=settings,
        today=today,
        pinned=pinned,
        scope=scope,
        rollups=rollups.usable(where.cur, catalog, settings.timezone, where.snapshot),
    )
    p = prepared(query)
    # this question's values (compiled.query is shared); of two groupings, the one ranked
    asked = ranking.with_ranked_dimension(effective_query(query, catalog), query, catalog)
    # When each KPI's records begin (read once per snapshot): a window before them is no 0.
    begins = coverage.kpi_begins(
        catalog,
        asked.metrics,
        where.cur,
        where.duck.target if isinstance(where.duck, SnapshotReader) else None,
        {**settings_params(settings), "now": _midnight(today + timedelta(days=1), settings)},
    )
    coverage.refuse_before(catalog, asked.metrics, p.window, p.cmp_window, begins)
    t1 = time.perf_counter()
    notes = source_notes(where.cur, asked, catalog, settings.tz, language)
    ranked = ranking.fetch_ranked(
        query,
        p,
        catalog=catalog,
        fetch=lambda statement: _fetch(where, statement, timeout),
        prepare=prepared,
        lang=language,
        currency=settings.currency,
        fiscal_start_month=settings.fiscal_year_start_month,
    )
    p, rows = ranked.prepared, ranked.rows
    t2 = time.perf_counter()
    _refuse_no_rows(query, catalog, p, rows)
    answer = _answer(
        question,
        asked,
        p,
        rows,
        notes,
        where=where,
        catalog=catalog,
        settings=settings,
        scope=scope,
        lang=language,
        today=today,
        begins=begins,
        timings=(t0, t1, t2),
        ranked=ranked,
    )
    return _with_caveats(answer, p, catalog, settings)


def _fetch(where: _Engine, p: Prepared, timeout: float) -> list[tuple[Any, ...]]:
    if where.spark is not None:  # the same tree, rendered for Spark (metrics.dialects)
        return where.spark.execute(p.compiled.tree, p.params, timeout)
    return execute(where.cur, p.compiled.sql, p.params, timeout)


def _refuse_no_rows(
    query: Query, catalog: Catalog, p: Prepared, rows: list[tuple[Any, ...]]
) -> None:
    """No answer to show: say why. Ungrouped questions always have a row; no rows means no
    group (or record) to show, or none passing a metric filter; a grid whose every bucket of
    the window is empty has not one record in any."""
    if rows and not (p.grid is not None and _all_empty(rows, p.compiled)):
        return
    window = p.window
    raise NoData(
        no_data(
            query,
            catalog.said,
            metrics=_listed(catalog, query.metrics),
            range=DateRange(window.start, window.end),
            name=window.said or Msg.of("window.as_is", name=window.label),
        )
    )


def _namers(
    catalog: Catalog, lang: Language
) -> tuple[Callable[[str], str], Callable[[str, str], str]]:
    """The catalog's names in the reply's language: a KPI's or dimension's, a record field's."""

    def names(name: str) -> str:
        return catalog.said(name, lang)

    def fields(metric: str, name: str) -> str:
        return catalog.field_said(metric, name, lang)

    return names, fields


def _answer(
    question: str,
    asked: Query,
    p: Prepared,
    rows: list[tuple[Any, ...]],
    notes: Sequence[str],
    *,
    where: _Engine,
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
    top N's cut left out (``ranked``)."""
    compiled, window, cmp_window = p.compiled, p.window, p.cmp_window
    t0, t1, t2 = timings
    duck, spark = where.duck, where.spark
    as_of = _reader_as_of(duck) if isinstance(duck, SnapshotReader) else _data_as_of(where.cur)
    shown, extras = _apart(rows, len(compiled.columns))
    if begins:
        shown = coverage.blank_before(shown, compiled.columns, begins, window, cmp_window, p.grain)
    wide = _widened(window, p.ahead_end)
    if wide is not window:
        shown = _not_yet(shown, compiled.columns, p.grain, today, _ahead_metrics(asked, catalog))
    told = (
        *((ranked.note,) if ranked.note else ()),
        *notes,
        *_ahead_notes(asked, catalog, window, p.ahead_end, lang),
        *coverage.notes(catalog, asked.metrics, begins, window, cmp_window, lang),
    )
    return Answer(
        question=question,
        query=asked,
        **_said(asked, p, catalog, question, lang, cut=ranked.more),
        window=window,
        compare_window=p.cmp_window,
        rows=shown,
        sql=compiled.sql if spark is None else render(compiled.tree, "spark", pretty=True),
        data_as_of=as_of.astimezone(settings.tz) if as_of is not None else None,
        notes=(*told, *((t(lang, "note.scope", scope=scope.label),) if scope.restricted else ())),
        language=lang,
        kind="records" if compiled.kind == "records" else "table",
        timings={"compile": t1 - t0, "sql": t2 - t1, "total": time.perf_counter() - t0},
        scope=scope,
        **_honesty(compiled, catalog, extras, settings, lang),
        # A bucket of pipeline ahead is not "to date": its deals close up to its last day.
        partial=_partial(
            compiled, rows, p.grain, wide, date.max if _looks_ahead(asked, catalog) else today
        ),
        **_partial_ahead(asked, catalog, compiled, rows, p.grain, wide, window),
    )


def _said(
    asked: Query, p: Prepared, catalog: Catalog, question: str, lang: Language, cut: bool = True
) -> dict[str, Any]:
    """The restatement, the column headers and the comparison's two sides, in ``lang``
    (``cut``: a record list was cut to its first n)."""
    names, fields = _namers(catalog, lang)
    window, cmp_window = p.window, p.cmp_window
    sides = comparison_sides(asked, window, cmp_window, lang) if cmp_window is not None else None
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
            plurals=lambda d: catalog.plural(d, lang),
        ),
        "columns": labelled(
            p.compiled.columns,
            sides if cmp_window and both_named(asked) else None,
            lang,
            names,
            fields,
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
        names=_namers(catalog, answer.language)[0],
        unrecorded=_unrecorded(answer.query, catalog),
    )
    return dataclasses.replace(answer, caveats=said) if said else answer


def _ahead_metrics(query: Query, catalog: Catalog) -> list[str]:
    """The KPIs asked with records that can lie ahead (all of them, or one side of a ratio);
    none when the question counts on a date field of its own (docs/field-search.md)."""
    if query.anchor is not None:
        return []
    return [
        m
        for m in query.metrics
        if catalog.metric(m).kind == "aggregate"
        and any(a.future for a in measure_of(catalog.metric(m)).atoms)
    ]


def _widened(window: ResolvedWindow, ahead_end: date | None) -> ResolvedWindow:
    """The window as far as records that can lie ahead reach (its time buckets)."""
    if ahead_end is None or window.end is None or ahead_end <= window.end:
        return window
    return replace(window, end=ahead_end)


def _not_yet(
    rows: tuple[tuple[Any, ...], ...],
    columns: tuple[Column, ...],
    grain: str | None,
    today: date,
    ahead: list[str],
) -> tuple[tuple[Any, ...], ...]:
    """Time buckets after today, there for the KPIs that look ahead, have no value for the
    others (their records cannot have happened yet: not a 0)."""
    if grain is None:
        return rows
    j = next(i for i, c in enumerate(columns) if c.name == grain)
    past = {i for i, c in enumerate(columns) if c.metric is not None and c.metric not in ahead}
    return tuple(
        tuple(None if i in past else v for i, v in enumerate(r))
        if isinstance(r[j], date) and r[j] > today
        else r
        for r in rows
    )


def _ahead_notes(
    query: Query, catalog: Catalog, window: ResolvedWindow, ahead_end: date | None, lang: Language
) -> tuple[str, ...]:
    """The KPIs counted to the running period's last day beside others counted to today."""
    if ahead_end is None or window.end is None or ahead_end <= window.end:
        return ()
    ahead = _ahead_metrics(query, catalog)
    if not ahead:
        return ()
    return (
        t(
            lang,
            "note.ahead",
            metrics=t(lang, "list.sep").join(catalog.said(m, lang) for m in ahead),
            end=format_date(ahead_end, lang),
            name=window.name(lang),
        ),
    )


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


def _all_empty(rows: list[tuple[Any, ...]], compiled: Compiled) -> bool:
    """No bucket of the grid holds a record: every KPI is 0 or empty and no rate or mean has
    a base (a win rate of 0.0 % of 3 closed deals is an answer, not an empty window)."""
    metrics = [i for i, c in enumerate(compiled.columns) if c.role == "metric"]
    width = len(compiled.columns)
    bases = [width + k for k, (_, what) in enumerate(compiled.extras) if what == "base"]
    return all(r[i] in (0, None) for r in rows for i in metrics) and not any(
        r[i] for r in rows for i in bases
    )


def time_grain(query: Query, catalog: Catalog) -> str | None:
    """The first time grouping (day … year) of the question, if any."""
    q = effective_query(query, catalog)
    return next(
        (
            g
            for g in q.groupings
            if catalog.has_dimension(g) and catalog.dimension(g).kind == "grain"
        ),
        None,
    )


def _time_filtered(query: Query, catalog: Catalog) -> bool:
    """A filter on a time part (weekday = Mon): the window's other buckets are not zeros."""
    return any(
        catalog.has_dimension(f.dimension)
        and catalog.dimension(f.dimension).kind in ("grain", "datepart")
        for f in query.filters
    )


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
    ahead = _ahead_metrics(asked, catalog)
    if wide is window or not ahead or _looks_ahead(asked, catalog):
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
