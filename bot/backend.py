"""What the Slack bot needs from the question engine, behind one narrow interface.

The bot only ever calls ``ask``, ``previous_period``, ``csv`` and ``catalog``; it never sees the
grammar, the SQL engine or the chart code. ``RealBackend`` wires those stages together;
tests and benchmarks plug in their own backend through ``KPIBOT_BACKEND=module:Class``.

>>> backend = load_backend(None, config)          # the real engine
>>> reply = backend.ask("connect rate by weekday last 31 days", today=date(2024, 6, 27))
>>> reply.answer.restated if reply.answer else reply.error.message
"""

from __future__ import annotations

import csv
import importlib
import io
import logging
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from metrics.answer import Answer
from metrics.catalog import Catalog, load_catalog
from metrics.errors import ConfigError, UserError
from metrics.validate import stamp_for, validate_catalog_once

if TYPE_CHECKING:
    from bot.config import AppConfig

BACKEND_ENV = "KPIBOT_BACKEND"
log = logging.getLogger(__name__)

NO_DATA_YET = (
    "I have no Salesforce data to answer from yet: the first sync has not finished, or none has "
    "been loaded. Please ask again in a few minutes."
)


@dataclass(frozen=True)
class Reply:
    """One question's outcome: an answer (with its chart) or a user error, never both.

    ``dashboard`` names the dashboard when ``chart_png`` is a whole dashboard image and there is
    no single answer table. ``corrections`` are typos the parser fixed, said back to the user.
    """

    question: str
    answer: Answer | None = None
    chart_png: bytes | None = None
    error: UserError | None = None
    dashboard: str | None = None
    corrections: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.error is not None and (self.answer is not None or self.chart_png is not None):
            raise ValueError("a Reply holds an answer or an error, not both")
        if self.error is None and self.answer is None and self.chart_png is None:
            raise ValueError("a Reply needs an answer, a dashboard image or an error")


@runtime_checkable
class Backend(Protocol):
    """The engine as the bot sees it. Implementations must be safe to call from many threads."""

    @property
    def catalog(self) -> Catalog: ...

    def ask(self, question: str, *, today: date | None) -> Reply:
        """Answer ``question``. User mistakes come back as ``Reply.error``; bugs raise."""
        ...

    def previous_period(self, answer: Answer, *, today: date | None) -> Reply | None:
        """The same question over the period before ``answer``'s window; None when there is none."""
        ...

    def csv(self, answer: Answer) -> bytes:
        """The answer's rows as CSV (query-language.md, output conventions)."""
        ...


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # no rounding: the CSV is for people who recompute
    return str(value)


def answer_csv(answer: Answer) -> bytes:
    """Canonical column names, raw values (rates as fractions, ISO dates), UTF-8 with a BOM so
    that Excel reads Chinese rep names correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.name for c in answer.columns])
    for row in answer.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


class RealBackend:
    """grammar → metrics engine → charts, on the DuckDB snapshot named by app.yaml."""

    def __init__(self, config: AppConfig):
        from cache.snapshot import SnapshotReader

        self.config = config
        self._catalog = load_catalog(config.catalog_path)
        # The SQL of every KPI × dimension, checked when the catalog or schema changed.
        validate_catalog_once(self._catalog, config, stamp_for(config.db_path))
        self.reader = SnapshotReader(config.db_path)
        self._values: Any = None
        self._values_target: object = None
        self._lock = threading.Lock()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def _current_values(self) -> Any:
        """Filter values (rep names, lead sources…) for fuzzy matching, reloaded per snapshot."""
        from metrics.values import load_values

        cursor = self.reader.cursor()  # refreshes reader.target when a new snapshot appeared
        with self._lock:
            if self._values is None or self._values_target != self.reader.target:
                self._values = load_values(cursor, self._catalog, self.config.channels)
                self._values_target = self.reader.target
            return self._values

    def warm(self) -> None:
        """Pay now what a serving process's first question would: the chart code and its fonts
        (here: matplotlib's font set-up is not safe to race with a first chart), then, in a
        background thread, the data's values and the parser built on them (seconds on an org
        with hundreds of thousands of accounts)."""
        import grammar
        from cache.snapshot import CacheMissing
        from charts import theme

        theme.warm_up()

        def parser() -> None:
            try:
                grammar.parser_for(self._catalog, self._current_values())
            except CacheMissing:
                pass  # no data yet: the parser is built with the first snapshot

        threading.Thread(target=parser, name="kpibot-warm", daemon=True).start()

    def _run(self, query: Any, question: str, today: date | None) -> Answer:
        from metrics import engine

        return engine.run(
            query,
            catalog=self._catalog,
            settings=self.config,
            reader=self.reader,
            today=today,
            question=question,
            timeout=self.config.query_timeout,
        )

    def _chart(self, answer: Answer) -> bytes | None:
        """The answer's PNG, or None: a chart that cannot be drawn must not cost the numbers."""
        try:
            from charts.render import render_answer

            return render_answer(
                answer,
                currency=self.config.currency,
                fiscal_start_month=self.config.fiscal_year_start_month,
            )
        except Exception:  # noqa: BLE001 - the answer still goes out, as a table
            log.exception("no chart for %r", answer.question)
            return None

    def ask(self, question: str, *, today: date | None, with_chart: bool = True) -> Reply:
        import grammar
        from cache.snapshot import CacheMissing

        try:
            parsed = grammar.parse(question, self._catalog, self._current_values())
            fixes = tuple(str(c) for c in parsed.corrections)
            query = parsed.query
            if query.dashboard:
                from charts.dashboards import render_dashboard

                png = render_dashboard(
                    query.dashboard, query, lambda q: self._run(q, question, today)
                )
                return Reply(question, chart_png=png, dashboard=query.dashboard, corrections=fixes)
            answer = self._run(query, question, today)
        except UserError as e:
            return Reply(question, error=e)
        except CacheMissing:  # serve started before the first sync (or load) finished
            return Reply(question, error=UserError(NO_DATA_YET))
        chart = self._chart(answer) if with_chart else None
        return Reply(question, answer=answer, chart_png=chart, corrections=fixes)

    def previous_period(self, answer: Answer, *, today: date | None) -> Reply | None:
        from metrics.query import Comparison, WindowSpec
        from metrics.windows import compare_window

        if answer.window is None or answer.window.start is None or answer.window.end is None:
            return None
        # The dates "the previous period" of this window covers (kpis.md, Comparisons), worked
        # out without running "vs previous period": that comparison can be refused (month
        # buckets of a 31-day window do not line up) where the period itself cannot. Not the
        # answer's compare_window: for "vs last year" that is last year, not the previous period.
        try:
            window = compare_window(
                Comparison("previous"),
                answer.window,
                today or date.today(),
                self.config.fiscal_year_start_month,
            )
        except UserError as e:  # the period before reaches past the supported dates
            return Reply(answer.question, error=e)
        if window.start is None or window.end is None:
            return None
        query = replace(
            answer.query,
            window=WindowSpec("between", start=window.start, end=window.end),
            comparison=None,
        )
        try:
            prev = self._run(query, answer.question, today)
        except UserError as e:
            return Reply(answer.question, error=e)
        if prev.window is not None:
            # Asked as explicit dates, the answer would read "1 Jan – 28 Mar 2024 (2024-01-01 to
            # 2024-03-28)"; say which period it is instead.
            from metrics.restate import window_phrase

            said = window_phrase(prev.window)
            prev = replace(prev, restated=prev.restated.replace(said, window_phrase(window)))
        return Reply(answer.question, answer=prev, chart_png=self._chart(prev))

    def csv(self, answer: Answer) -> bytes:
        return answer_csv(answer)


def load_backend(path: str | None, config: AppConfig) -> Backend:
    """``module:Class`` (called with the AppConfig), default the real engine."""
    if not path:
        return RealBackend(config)
    module_name, _, attr = path.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr or "Backend")
    except (ImportError, AttributeError) as e:
        raise ConfigError(
            [f"{BACKEND_ENV}={path}: cannot be imported ({e})"], BACKEND_ENV
        ) from None
    backend = factory(config)
    if not isinstance(backend, Backend):
        raise ConfigError([f"{BACKEND_ENV}={path}: is not a Backend"], BACKEND_ENV)
    return backend
