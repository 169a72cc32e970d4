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

from cache.snapshot import add_missing_derived
from i18n import Language, Msg, Sayable, choose
from metrics.answer import Answer
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.errors import ConfigError, UserError
from metrics.scope import EVERYONE, People, Scope, load_people
from metrics.validate import stamp_for, validate_catalog_once

if TYPE_CHECKING:
    from bot.config import AppConfig
    from charts.dashboards import Dashboard

BACKEND_ENV = "KPIBOT_BACKEND"
log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Reply:
    """One question's outcome: an answer (with its chart) or a user error, never both.

    ``dashboard`` names the dashboard when ``chart_png`` is a whole dashboard image and there is
    no single answer table. ``corrections`` are typos the parser fixed, said back to the user.
    ``text`` answers a question that asks for words, not numbers: help, a KPI's definition.
    """

    question: str
    answer: Answer | None = None
    chart_png: bytes | None = None
    error: UserError | None = None
    dashboard: str | None = None
    corrections: tuple[str, ...] = ()
    text: str | None = None
    # The language every part of it is said in (the answer carries it too).
    language: Language = Language.EN
    # a dashboard image's row-level scope, when restricted (said in the reply's language)
    shown_for: str | Sayable | None = None
    # whom a dashboard is filtered to, as its image's title says it ("团队 = outbound")
    dashboard_for: str = ""

    @property
    def dashboard_name(self) -> str:
        """The dashboard as its image is titled, in the reply's language ("KPI大屏", "Outbound
        calls dashboard · team = outbound"); a board charts does not know gets a made-up one
        (capitalising the key gave "Kpi dashboard" beside an image titled "KPI dashboard")."""
        from bot.slack.messages import words_in
        from charts.dashboards import board_title, find

        try:
            name = board_title(find(self.dashboard or "kpi"), self.language)
        except UserError:  # not a built-in board: Unsupported
            name = words_in(self.language).DASHBOARD_TITLE.format(name=self.dashboard or "KPI")
            name = name[:1].upper() + name[1:]
        return f"{name} · {self.dashboard_for}" if self.dashboard_for else name

    def __post_init__(self) -> None:
        if self.error is not None and (self.answer is not None or self.chart_png is not None):
            raise ValueError("a Reply holds an answer or an error, not both")
        if self.error is None and self.answer is None and self.chart_png is None and not self.text:
            raise ValueError("a Reply needs an answer, a dashboard image, a text or an error")


@runtime_checkable
class Backend(Protocol):
    """The engine as the bot sees it. Implementations must be safe to call from many threads."""

    @property
    def catalog(self) -> Catalog: ...

    def ask(
        self,
        question: str,
        *,
        today: date | None,
        scope: Scope = EVERYONE,
        language: Language | None = None,
    ) -> Reply:
        """Answer ``question`` from the records ``scope`` may see (row-level access), in
        ``language`` (None: the question's, i18n.choose). User mistakes come back as
        ``Reply.error``; bugs raise."""
        ...

    def previous_period(self, answer: Answer, *, today: date | None) -> Reply | None:
        """The same question over the period before ``answer``'s window, in the answer's scope;
        None when there is none."""
        ...

    def csv(self, answer: Answer) -> bytes:
        """The answer's rows as CSV (query-language.md, output conventions)."""
        ...

    def board(
        self,
        board: Dashboard,
        asked: str,
        *,
        today: date | None,
        scope: Scope = EVERYONE,
        language: Language | None = None,
    ) -> Reply:
        """A user's dashboard as one image, from the records ``scope`` may see; ``asked`` (a
        window and filters, "last quarter for 温家豪") applies to every panel. A panel that
        fails shows why in its cell. ``language``: the reply's (None: by the words asked)."""
        ...


def _shown_for(scope: Scope) -> str | Sayable | None:
    """Whose records a dashboard image shows, said under it like an answer's note."""
    return scope.label if scope.restricted else None


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
        from metrics.spark import open_reader

        self.config = config
        # a cache published by an older kpibot gets the derived tables this one reads
        add_missing_derived(config.db_path, tz=config.timezone, lake=config.publish_lake)
        self._base = load_catalog(config.catalog_path)
        # The SQL of every KPI × dimension, checked when the catalog or schema changed.
        validate_catalog_once(self._base, config, stamp_for(config.db_path))
        # The catalog plus the snapshot's fields (field search), rebuilt per snapshot.
        self._catalog = self._base
        self.reader = open_reader(config.engine, config.db_path, config.spark, config.lake)
        self._values: Any = None
        self._values_target: object = None
        self._boards: Any = None
        self._people: tuple[object, People] | None = None
        self._lock = threading.Lock()
        self._warmed = False  # a serving process: each new snapshot's parser is built ahead
        self.warming: threading.Thread | None = None  # the last warm-up in the background

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def _current_values(self, scope: Scope = EVERYONE) -> Any:
        """Filter values (rep names, lead sources…) for fuzzy matching, reloaded per snapshot;
        under row-level access only the names the asker may see (a name is data)."""
        from cache.describe import describe_cache
        from metrics.fields import with_fields
        from metrics.values import load_values

        cursor = self.reader.cursor()  # refreshes reader.target when a new snapshot appeared
        with self._lock:
            fresh = self._values is None or self._values_target != self.reader.target
            if fresh:
                self._catalog = with_fields(self._base, describe_cache(cursor), self.config)
                self._values = load_values(cursor, self._catalog, self.config.channels)
                self._values_target = self.reader.target
            values = self._values
        if fresh and self._warmed and threading.current_thread() is not self.warming:
            self._warm_parser()  # a new snapshot: its parser and index built ahead, then settled
        if not scope.restricted:
            return values
        # Cached per snapshot and scope by load_values.
        return load_values(cursor, self._catalog, self.config.channels, scope)

    def people(self) -> People:
        """The org's users and roles in the current snapshot (row-level access), read once per
        snapshot: a user moved to another role counts from the next sync on."""
        cursor = self.reader.cursor()  # refreshes reader.target when a new snapshot appeared
        with self._lock:
            if self._people is None or self._people[0] != self.reader.target:
                self._people = (self.reader.target, load_people(cursor))
            return self._people[1]

    def parser(self, scope: Scope = EVERYONE) -> Any:
        """The grammar's parser for the current data (for follow-ups: grammar/followup.py),
        knowing only the values ``scope`` may see."""
        import grammar

        values = self._current_values(scope)  # first: it brings the snapshot's fields in
        return grammar.parser_for(self._catalog, values)

    def follow_up(self, previous: str, fragment: str, scope: Scope = EVERYONE) -> str:
        """The question ``fragment`` asks after ``previous`` (grammar/followup.py): a fragment
        is merged, a full question starts afresh. Raises UserError when it cannot be read."""
        from grammar.followup import merge

        return merge(previous, fragment, self.parser(scope))

    def complete(
        self, partial: str, limit: int = 20, history: Any = (), scope: Scope = EVERYONE
    ) -> list[str]:
        """Up to ``limit`` completions of a partial question (grammar/complete.py), offering
        only values ``scope`` may see (a name is data)."""
        from grammar.complete import completer_for

        return completer_for(self.parser(scope)).complete(partial, limit, tuple(history))

    def start_engine(self) -> None:
        """Start what runs questions: with ``engine: spark`` the Spark session (seconds; a
        ConfigError when it cannot read ``spark.data``); nothing for DuckDB."""
        start = getattr(self.reader, "start", None)
        if start is not None:
            start()

    def close(self) -> None:
        """Close what this backend opened: its reader of the cache and, once a question named a
        user board, its own connection to the state database (``open_boards``)."""
        with self._lock:
            boards, self._boards = self._boards, None
        if boards is not None:
            boards.close()
        self.reader.close()

    def warm(self) -> None:
        """Pay now what a serving process's first question would: the chart code and its fonts
        (here: matplotlib's font set-up is not safe to race with a first chart), with
        ``engine: spark`` the Spark session (ConfigError when it cannot read ``spark.data``),
        then, in a background thread, the data's values and the parser built on them (seconds
        on an org with hundreds of thousands of accounts). From then on each new snapshot's
        parser is built ahead the same way, and its long-lived heap settled (bot/heap.py)."""
        from charts import theme

        theme.warm_up()
        self.start_engine()
        self._warmed = True
        self._warm_parser()

    def _warm_parser(self) -> None:
        """In the background: the current snapshot's parser and fuzzy index, then its heap
        frozen out of the collector's full passes (bot/heap.py)."""
        import grammar
        from bot import heap
        from cache.snapshot import CacheMissing

        def parser() -> None:
            try:
                grammar.warm(self.parser())
            except CacheMissing:
                return  # no data yet: the parser is built with the first snapshot
            heap.settle(self._values_target)

        self.warming = threading.Thread(target=parser, name="kpibot-warm", daemon=True)
        self.warming.start()

    def settle(self) -> None:
        """The current snapshot's values and parser are built: freeze them out of the
        collector's full passes (bot/heap.py). For processes answering many questions without
        a warm-up (``kpibot ask -``, ``kpibot chat``); once per snapshot."""
        from bot import heap

        if self._values is not None:
            heap.settle(self._values_target)

    def _run(
        self,
        query: Any,
        question: str,
        today: date | None,
        scope: Scope = EVERYONE,
        language: Language = Language.EN,
    ) -> Answer:
        from metrics import engine

        return engine.run(
            query,
            catalog=self._catalog,
            settings=self.config,
            reader=self.reader,
            today=today,
            question=question,
            timeout=self.config.query_timeout,
            scope=scope,
            language=language,
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

    def ask(
        self,
        question: str,
        *,
        today: date | None,
        with_chart: bool = True,
        scope: Scope = EVERYONE,
        language: Language | None = None,
    ) -> Reply:
        """``language``: the reply's, chosen by the caller (Slack knows the asker's locale);
        None: by the question and app.yaml (i18n.choose)."""
        import grammar
        from cache.snapshot import CacheMissing

        lang = language or choose(question, setting=self.config.language)

        user_board = self._user_board(question)
        if user_board is not None:
            return self.board(*user_board, today=today, scope=scope, language=lang)
        try:
            values = self._current_values(scope)  # first: it brings the snapshot's fields in
            said = grammar.reply_text(question, self._catalog, values, lang)
            if said is not None:  # help, or what a KPI means
                return Reply(question, text=said, language=lang)
            parsed = grammar.parse(question, self._catalog, values)
            fixes = tuple(
                c.say(lang, lambda n: self._catalog.said(n, lang)) for c in parsed.corrections
            )
            query = parsed.query
            if query.dashboard:
                from charts.dashboards import render_dashboard

                suffix = self._filters_said(query, lang)
                png = render_dashboard(
                    query.dashboard,
                    query,
                    lambda q: self._run(q, question, today, scope, lang),
                    names=lambda n: self._catalog.said(n, lang),
                    lang=lang,
                )
                return Reply(
                    question,
                    chart_png=png,
                    dashboard=query.dashboard,
                    corrections=fixes,
                    language=lang,
                    shown_for=_shown_for(scope),
                    dashboard_for=suffix,
                )
            answer = self._run(query, question, today, scope, lang)
        except UserError as e:
            return Reply(question, error=e, language=lang)
        except CacheMissing:  # serve started before the first sync (or load) finished
            return Reply(question, error=UserError(Msg("error.no_data_yet")), language=lang)
        chart = self._chart(answer) if with_chart else None
        return Reply(question, answer=answer, chart_png=chart, corrections=fixes, language=lang)

    def _user_board(self, question: str) -> tuple[Dashboard, str] | None:
        """``Team East dashboard last quarter``: a user board named at the start (any scope:
        digests and the CLI; Slack checks who may see it before it gets here)."""
        if not ("dashboard" in question.lower() or "大屏" in question):
            return None
        from bot.boards.service import open_boards, to_dashboard  # and charts: only for boards

        with self._lock:
            if self._boards is None:
                self._boards = open_boards(self.config)
            boards = self._boards
        hit = boards.lookup(question, None)
        return None if hit is None else (to_dashboard(hit[0]), hit[1])

    def panel_queries(self, board: Dashboard, scope: Scope = EVERYONE) -> Dashboard:
        """Each pinned question parsed now ("last 7 days" moves with time), or its error."""
        import dataclasses

        import grammar

        values = self._current_values(scope)
        panels = []
        for p in board.panels:
            try:
                query = grammar.parse(p.question, self._catalog, values).query
                if query.dashboard:
                    raise UserError(Msg("boards.nested"))
                panels.append(dataclasses.replace(p, query=query))
            except UserError as e:
                panels.append(dataclasses.replace(p, error=e.said))  # titled by question
        return dataclasses.replace(board, panels=tuple(panels))

    def _asked(self, asked: str, scope: Scope = EVERYONE) -> Any:
        """The window and filters of ``last quarter for 温家豪``, read as a dashboard's are."""
        import grammar
        from metrics.query import Query

        if not asked.strip():
            return Query()
        values = self._current_values(scope)
        return grammar.parse(f"kpi dashboard {asked}", self._catalog, values).query

    def _filters_said(self, query: Any, lang: Language) -> str:
        """Whom a dashboard is filtered to, in ``lang``: "team = outbound" / "团队 = outbound"."""
        from charts.labels import filter_text

        return filter_text(query.filters, lambda n: self._catalog.said(n, lang))

    def board(
        self,
        board: Dashboard,
        asked: str,
        *,
        today: date | None,
        scope: Scope = EVERYONE,
        language: Language | None = None,
    ) -> Reply:
        """A user's board drawn in ``language`` (None: by the words asked and app.yaml)."""
        from cache.snapshot import CacheMissing
        from charts.dashboards import render_board

        question = f"{board.name} dashboard {asked}".strip()
        lang = language or choose(asked or board.name, setting=self.config.language)
        try:
            query = self._asked(asked, scope)
            board = self.panel_queries(board, scope)
            suffix = self._filters_said(query, lang)
            png = render_board(
                board,
                query,
                lambda q: self._run(q, question, today, scope, lang),
                names=lambda n: self._catalog.said(n, lang),
                currency=self.config.currency,
                fiscal_start_month=self.config.fiscal_year_start_month,
                lang=lang,
            )
        except UserError as e:
            return Reply(question, error=e, language=lang)
        except CacheMissing:
            return Reply(question, error=UserError(Msg("error.no_data_yet")), language=lang)
        return Reply(
            question,
            chart_png=png,
            dashboard=board.name,
            shown_for=_shown_for(scope),
            language=lang,
            dashboard_for=suffix,
        )

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
        lang = answer.language
        try:
            prev = self._run(query, answer.question, today, answer.scope, lang)
        except UserError as e:
            return Reply(answer.question, error=e, language=lang)
        if prev.window is not None:
            # Asked as explicit dates, the answer would read "1 Jan – 28 Mar 2024 (2024-01-01 to
            # 2024-03-28)"; say which period it is instead.
            from metrics.restate import window_phrase

            said = window_phrase(prev.window, lang)
            prev = replace(
                prev, restated=prev.restated.replace(said, window_phrase(window, lang))
            )
        return Reply(answer.question, answer=prev, chart_png=self._chart(prev), language=lang)

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
