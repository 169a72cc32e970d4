"""The work behind every way in: ask the engine, finish the audit entry, and answer in Slack.

Runs on the bot's worker pool, after Slack has had its acknowledgement and after the gate
(bot/slack/router.py) has checked access and started the audit entry each method finishes.
Every outcome ends as words in Slack: an answer, a did-you-mean, or an apology with a reference
number into the audit log (the trace goes to the log, never to the user).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.audit import AuditEntry, AuditLog
from bot.backend import Backend, Reply
from bot.rows import scoped
from bot.slack import blocks as B
from bot.slack.conversations import Conversations
from bot.slack.delivery import Delivery, Place
from bot.slack.locale import Languages
from bot.slack.messages import words_in
from charts.labels import unbracketed
from metrics.answer import Answer
from metrics.errors import UserError
from metrics.scope import EVERYONE, Scope

log = logging.getLogger(__name__)

HELP_WORDS = frozenset({"help", "?", "帮助", "使用说明"})
ANSWER_CACHE = 256  # recent answers kept for their buttons; older ones are recomputed


@dataclass(frozen=True)
class SubscribeRequest:
    """What a Subscribe click hands to the digests' handler."""

    question: str
    user: str
    channel: str
    thread_ts: str | None
    today: date | None
    answer: Answer | None
    scope: Scope = EVERYONE  # whose records the question may read where it is posted


SubscribeHandler = Callable[[SubscribeRequest], str]
"""Returns the confirmation to show the user (ephemeral); raise UserError to refuse in words."""


class Asker:
    def __init__(
        self,
        backend: Backend,
        delivery: Delivery,
        audit: AuditLog,
        *,
        style: B.Style,
        today: date | None = None,
        subscribe: SubscribeHandler | None = None,
        conversations: Conversations | None = None,
        boards: Any = None,
        languages: Languages | None = None,
        restricted: bool = False,
    ):
        self.restricted = restricted  # access.rows is not "all": every place needs its scope
        self.conversations = conversations
        # Who is answered in which language (locale look-ups; app.yaml ``language``).
        self.languages = languages or Languages()
        self.backend = backend
        self.delivery = delivery
        self.audit = audit
        self.style = style
        self.today = today
        self.subscribe = subscribe
        self.boards = boards  # bot.boards.service.Boards: "Team East dashboard …" and pinning
        self._answers: OrderedDict[int, Answer] = OrderedDict()
        self._lock = threading.Lock()

    # ---- questions ----

    def scope(self, place: Place) -> Scope:
        """Whose records an answer at ``place`` may show: the gate's (bot/slack/router.py). A
        place nobody worked a scope out for is refused under row-level access (a bug, said as
        one), never answered from every record."""
        if place.scope is not None:
            return place.scope
        if self.restricted:
            raise RuntimeError(f"no row-level scope for {place.channel or place.user}")
        return EVERYONE

    def ask(
        self,
        question: str,
        place: Place,
        entry: AuditEntry,
        *,
        today: date | None = None,
        asked_by: str | None = None,
        converse: bool = False,
    ) -> None:
        """Answer ``question`` at ``place``. With ``converse`` (a mention or a DM) a follow-up
        ("by lead source", "上个月呢") is read against the thread's (DM's) last question."""
        question = " ".join(question.split())
        today = today or self.today
        place = replace(place, language=self.languages.of(place.user, question))
        lang = place.language
        if question.lower() in HELP_WORDS or not question:
            self.delivery.post(place, *B.help_message(self.backend.catalog, lang))
            self.audit.finish(entry, outcome="answered", detail="help")
            return
        converse = converse and self.conversations is not None
        if converse:
            try:
                question = self._in_conversation(question, place, entry)
            except UserError as e:  # a follow-up that cannot be read: said like any error
                self.audit.finish(entry, outcome="user_error", detail=e.message)
                told = B.error_message(question, e, today, lang)
                self.delivery.post(place, *told, question=question)
                return
        try:
            scope = self.scope(place)
            reply = self._board_reply(question, place, today, scope) or self.backend.ask(
                question, today=today, language=lang, **scoped(scope)
            )
        except Exception as e:  # anything not a UserError is ours: apologise, keep the trace
            log.exception("question #%s failed: %r", entry.id, question)
            self.audit.finish(entry, outcome="internal_error", detail=f"{type(e).__name__}: {e}")
            said = words_in(lang).INTERNAL_ERROR
            text = said.format(question=B.escape(question), ref=entry.id)
            self.delivery.post(place, *B.notice(text), question=question)
            return
        self.deliver(reply, place, entry, today, asked_by)
        if converse and reply.error is None and reply.text is None:
            assert self.conversations is not None
            self.conversations.remember(place.channel, place.thread_ts, reply.question)

    def _in_conversation(self, question: str, place: Place, entry: AuditEntry) -> str:
        """The question a follow-up asks in this thread or DM (grammar/followup.py), or the
        question itself when there was none before or the backend reads no follow-ups. The
        audit row keeps the question as it was read."""
        follow_up = getattr(self.backend, "follow_up", None)
        assert self.conversations is not None
        previous = self.conversations.last(place.channel, place.thread_ts)
        if previous is None or follow_up is None:
            return question
        merged = str(follow_up(previous, question, **scoped(self.scope(place))))
        if merged != question:
            self.audit.read_as(entry, merged)
        return merged

    def _board_reply(
        self, question: str, place: Place, today: date | None, scope: Scope
    ) -> Reply | None:
        """``Team East dashboard last quarter for 温家豪``: a user board seen from here, drawn
        with the window and filters applied to every panel; None when no board is named."""
        if self.boards is None:
            return None
        from bot.boards.service import Viewer, to_dashboard

        where = "" if place.channel.startswith("D") else place.channel
        who = Viewer(place.user, where)
        hit = self.boards.lookup(question, who)
        lang = self.languages.of(place.user, question)
        if hit is None:
            miss = self.boards.near_miss(question, who)
            return None if miss is None else Reply(question, error=miss, language=lang)
        board = to_dashboard(hit[0])
        return self.backend.board(board, hit[1], today=today, language=lang, **scoped(scope))

    def deliver(
        self,
        reply: Reply,
        place: Place,
        entry: AuditEntry,
        today: date | None,
        asked_by: str | None,
    ) -> None:
        q = reply.question
        lang = reply.language
        place = replace(place, language=lang)
        if reply.error is not None:
            self.audit.finish(entry, outcome="user_error", detail=reply.error.message)
            self.delivery.post(place, *B.error_message(q, reply.error, today, lang), question=q)
            return
        if reply.text is not None:  # help or a KPI's definition: words only
            ts = self.delivery.post(place, *B.notice(B.escape(reply.text)), question=q)
            self.audit.finish(entry, outcome="answered" if ts else "slack_error", detail="words")
            return
        if reply.answer is None:  # a dashboard: one image
            name, blocks = B.dashboard_message(reply, asked_by)
            ts = self.delivery.post(place, name, blocks, question=q)
            self.audit.finish(
                entry, outcome="answered" if ts else "slack_error", detail=reply.dashboard
            )
            if ts and reply.chart_png:  # titled as the message and the image are
                self.delivery.upload(
                    place, reply.chart_png, filename=_filename(name, "png"), title=name, alt=name
                )
            return
        answer = reply.answer
        self._remember(entry.id, answer)
        state = B.ButtonState(q, today, entry.id)
        text, blocks = B.answer_message(
            reply,
            state,
            style=self.style,
            asked_by=asked_by,
            subscribe=self.subscribe is not None,
            pin=self.boards is not None,
        )
        ts = self.delivery.post(place, text, blocks, question=q)
        self.audit.finish(
            entry,
            outcome="answered" if ts else "slack_error",
            sql=answer.sql,
            rows=len(answer.rows),
        )
        if ts and reply.chart_png:
            title = words_in(lang).CHART_TITLE.format(restated=unbracketed(answer))
            self.delivery.upload(
                place, reply.chart_png, filename=_filename(title, "png"), title=title, alt=text
            )

    # ---- buttons under an answer ----

    def _remember(self, key: int, answer: Answer) -> None:
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > ANSWER_CACHE:
                self._answers.popitem(last=False)

    def _answer_for(self, state: B.ButtonState, place: Place) -> Answer | None:
        """The answer a button belongs to: from memory when it was computed with the clicker's
        scope here, else asked again with that scope and the same today (someone else's click
        on a channel answer never gets records beyond their own scope)."""
        scope = self.scope(place)
        if state.answer_id is not None:
            with self._lock:
                hit = self._answers.get(state.answer_id)
            if hit is not None and hit.scope.owners == scope.owners:
                return hit
        stale = words_in(place.language).STALE_BUTTON
        if not state.question:
            self.delivery.tell(place, stale)
            return None
        reply = self.backend.ask(
            state.question,
            today=state.today or self.today,
            language=place.language,
            **scoped(scope),
        )
        if reply.answer is None:
            self.delivery.tell(place, stale)
        return reply.answer

    def _button(
        self,
        place: Place,
        state: B.ButtonState,
        entry: AuditEntry,
        work: Callable[[Answer], None],
        done: str,
    ) -> None:
        """Find the button's answer and do ``work`` on it; finishes ``entry`` unless work does.
        Said in the language the question was answered in (the clicker's locale decides an
        English question)."""
        place = replace(place, language=self.languages.of(place.user, state.question))
        try:
            answer = self._answer_for(state, place)
            if answer is None:
                self.audit.finish(entry, outcome="user_error", detail="stale button")
                return
            work(answer)
            if done:
                self.audit.finish(entry, outcome="answered", detail=done)
        except Exception:
            log.exception("button for #%s failed", state.answer_id)
            self.audit.finish(entry, outcome="internal_error")
            said = words_in(place.language).INTERNAL_ERROR
            self.delivery.tell(place, said.format(question=B.escape(state.question), ref=entry.id))

    def show_sql(self, place: Place, state: B.ButtonState, entry: AuditEntry) -> None:
        def work(answer: Answer) -> None:
            self.delivery.post(place, *B.sql_blocks(answer))

        self._button(place, state, entry, work, "sql")

    def download_csv(self, place: Place, state: B.ButtonState, entry: AuditEntry) -> None:
        def work(answer: Answer) -> None:
            restated = unbracketed(answer)
            self.delivery.upload(
                place,
                self.backend.csv(answer),
                filename=_filename(restated, "csv"),
                title=restated,
                alt=restated,
                comment=words_in(answer.language).CSV_COMMENT.format(
                    rows=len(answer.rows), restated=restated
                ),
            )

        self._button(place, state, entry, work, "csv")

    def previous_period(self, place: Place, state: B.ButtonState, entry: AuditEntry) -> None:
        def work(answer: Answer) -> None:
            reply = self.backend.previous_period(answer, today=state.today or self.today)
            if reply is None:
                self.audit.finish(entry, outcome="user_error", detail="no previous period")
                self.delivery.post(place, *B.notice(words_in(answer.language).NO_PREVIOUS_PERIOD))
                return
            self.deliver(reply, place, entry, state.today or self.today, place.user)

        self._button(place, state, entry, work, "")

    def subscribe_clicked(self, place: Place, state: B.ButtonState, entry: AuditEntry) -> None:
        handler = self.subscribe
        if handler is None:
            self.audit.finish(entry, outcome="user_error", detail="no subscriptions here")
            said = words_in(self.languages.of(place.user, state.question))
            self.delivery.tell(place, said.SUBSCRIBED_UNAVAILABLE)
            return

        def work(answer: Answer) -> None:
            req = SubscribeRequest(
                state.question,
                place.user,
                place.channel,
                place.thread_ts,
                state.today,
                answer,
                self.scope(place),
            )
            try:
                self.delivery.tell(place, handler(req))
            except UserError as e:
                self.delivery.tell(place, e.text(place.language))

        self._button(place, state, entry, work, "subscribe")


def _filename(title: str, ext: str) -> str:
    """A file name people recognise in their downloads folder."""
    keep = "".join(ch if ch.isalnum() else "-" for ch in title.lower())
    stem = "-".join(p for p in keep.split("-") if p)[:80] or "kpibot"
    return f"{stem}.{ext}"
