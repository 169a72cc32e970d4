"""The slack-bolt app: the ways in (mention, DM, /kpi, buttons, App Home) and their wiring.

Every request passes the gate first (bot/slack/router.py: access and audit). Listeners then
only acknowledge and hand the work to a bounded worker pool, so a listener thread is never held
by a slow question and every acknowledgement leaves within Slack's 3 s, even with many
questions in flight. Everything the work does is in ``bot.slack.handlers``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.access import Access
from bot.audit import AuditLog
from bot.backend import Backend
from bot.boards import words as W
from bot.boards.service import Boards, Done, Viewer, to_dashboard
from bot.boards.store import BoardStore, home_of
from bot.config import AppConfig
from bot.digests.state import StateStore
from bot.digests.subscriptions import COMMAND_WORDS, USAGE, Subscriptions, slack_user_zones
from bot.identity import slack_scopes
from bot.rows import NoScope, scoped
from bot.slack import blocks as B
from bot.slack import typeahead as TY
from bot.slack.conversations import Conversations
from bot.slack.dedupe import SeenEvents
from bot.slack.delivery import Delivery, Place
from bot.slack.handlers import HELP_WORDS, Asker
from bot.slack.locale import Languages
from bot.slack.messages import Words, words_in
from bot.slack.router import Call, Gate, GatedApp, Handler, Router
from bot.state_db import open_state_db
from i18n import Language, Msg, choose, say, t
from metrics.errors import ConfigError, UserError

log = logging.getLogger(__name__)

SLACK_API_DEFAULT = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
ASK_BUTTON = re.compile(r"^kpi_(home_)?ask_\d+$")  # did-you-mean suggestions, App Home examples
HOME_BOARD = re.compile(r"^kpi_home_board_\d+$")  # the App Home's dashboards (B.HOME_BOARD_BUTTON)
ANY_OTHER = re.compile(r".*")  # a button this version does not have (an old message's)

# ``/kpi WORD …``: the sub-commands, by their first word (any other text is a question).
COMMANDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({""}) | HELP_WORDS, "_help"),
    (COMMAND_WORDS, "_subscription_command"),
    (W.FIRST_WORDS, "_board_command"),
)
PIN_ANYWHERE = "加到大屏"  # `/kpi 赢单率 本季度 加到大屏 "华东"`: the question comes first


@dataclass(frozen=True)
class SlackEnv:
    """The Slack credentials, from the environment (never from app.yaml: they are secrets)."""

    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @staticmethod
    def from_environ(environ: dict[str, str] | None = None) -> SlackEnv:
        env = dict(os.environ if environ is None else environ)
        app_token = env.get("SLACK_APP_TOKEN") or None
        needed = ["SLACK_BOT_TOKEN"] + ([] if app_token else ["SLACK_SIGNING_SECRET"])
        missing = [k for k in needed if not env.get(k)]
        if missing:
            where = {
                "SLACK_BOT_TOKEN": "OAuth & Permissions → Bot User OAuth Token (xoxb-…)",
                "SLACK_SIGNING_SECRET": "Basic Information → Signing Secret",
            }
            raise ConfigError(
                [f"{k} is not set ({where[k]}; see docs/slack.md)" for k in missing],
                "environment",
            )
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError(
                ["SLACK_APP_TOKEN must be an app-level token (xapp-…)"], "environment"
            )
        api_url = env.get("SLACK_API_URL") or SLACK_API_DEFAULT
        return SlackEnv(
            env["SLACK_BOT_TOKEN"],
            env.get("SLACK_SIGNING_SECRET") or None,
            app_token,
            api_url if api_url.endswith("/") else api_url + "/",
        )


def web_client(env: SlackEnv, timeout: int = 30) -> WebClient:
    """A WebClient that waits out 429s (Retry-After), retries 5xx once and dropped connections."""
    return WebClient(
        token=env.bot_token,
        base_url=env.api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def lookup_client(env: SlackEnv) -> WebClient:
    """For the gate's access look-ups (users.info, usergroups.…), made while Slack waits for its
    acknowledgement: a short timeout and no waiting out 429s, so a slow Slack is a refusal
    (access fails closed) inside Slack's 3 s rather than a missed acknowledgement."""
    return WebClient(token=env.bot_token, base_url=env.api_url, timeout=2)


def _bolt_app(client: WebClient, env: SlackEnv, listener_threads: int) -> GatedApp:
    """The bolt App, single-workspace, acknowledging on its own pool of listener threads."""
    # OAuth mode switches on by itself when these are set, and then ignores our token.
    for var in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        if os.environ.pop(var, None) is not None:
            log.warning("%s ignored: kpibot is a single-workspace app", var)
    return GatedApp(
        client=client,
        signing_secret=env.signing_secret or "",
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=listener_threads, thread_name_prefix="kpi-ack"
        ),
        name="kpibot",
    )


class SlackBot:
    """The bolt App plus the pieces it owns (worker pool, state db). ``close()`` when done.

    Every listener is put on the App by ``_register`` through the Router, behind the gate.
    """

    def __init__(
        self,
        env: SlackEnv,
        config: AppConfig,
        backend: Backend,
        *,
        today: date | None = None,
        work_threads: int = 8,
        listener_threads: int = 16,
        digests: bool = True,
    ):
        self.env = env
        self.config = config
        self.client = web_client(env)
        # One state connection for the whole process: events, audit, subscriptions, digests.
        self.state = open_state_db(config.state_location)
        self.store = StateStore(self.state)
        self.seen = SeenEvents(self.state)
        self.pool = ThreadPoolExecutor(max_workers=work_threads, thread_name_prefix="kpi-work")
        self.delivery = Delivery(self.client)
        self.access = Access(config.access, lookup_client(env))
        self.scopes = slack_scopes(config, backend, self.state, lookup_client(env), self.access)
        self.audit = AuditLog(self.state)
        self.subscriptions = (
            Subscriptions(
                config,
                self.store,
                backend,
                user_zone=slack_user_zones(self.client),
            )
            if digests
            else None
        )
        self.boards = Boards(BoardStore(self.state))
        # Locale look-ups may run while Slack waits for an acknowledgement: the short client.
        self.languages = Languages(lookup_client(env), config.language)
        self.asker = self._asker(backend, today)
        self.typeahead = TY.Typeahead(self.asker, self.audit)
        self.app = _bolt_app(self.client, env, listener_threads)
        gate = Gate(self.access, self.audit, self.delivery, self.client, self.submit, self.scopes)
        self.gate = gate
        self.router = Router(self.app, gate, self.seen.middleware())
        self._register()
        self.digest_loop: Any = self._start_digests(backend) if digests else None

    def _asker(self, backend: Backend, today: date | None) -> Asker:
        """What answers a question: the backend, and where it replies, remembers and logs."""
        return Asker(
            backend,
            self.delivery,
            self.audit,
            style=B.Style(self.config.currency, self.config.fiscal_year_start_month),
            today=today,
            subscribe=self.subscriptions.subscribe_clicked if self.subscriptions else None,
            conversations=Conversations(self.state),
            boards=self.boards,
            languages=self.languages,
            restricted=self.scopes.restricted,
        )

    def _start_digests(self, backend: Backend) -> Any:
        from bot.digests.scheduler import start_digest_loop

        return start_digest_loop(
            self.config,
            backend,
            self.client,
            allowed=self.access.allowed,
            store=self.store,
            scopes=self.scopes,
        )

    def close(self) -> None:
        if self.digest_loop is not None:
            self.digest_loop.stop()
        self.pool.shutdown(wait=True, cancel_futures=False)
        self.state.close()

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception:  # the last line of defence: nothing escapes a worker silently
                log.exception("unhandled error in %s", getattr(fn, "__name__", fn))

        self.pool.submit(run)

    # ---- listeners: every one through the router ----

    def _register(self) -> None:
        on, asker = self.router.on, self.asker
        on("event", "app_mention", self._question)
        on("event", "message", self._question)  # the gate lets through only DMs from people
        on("event", "app_home_opened", self._home)
        on("command", "/kpi", self._command)
        on("options", TY.ACTION_ID, self._suggest)
        on("action", TY.ACTION_ID, self._chosen)
        on("action", ASK_BUTTON, self._ask_button)
        on("action", "kpi_previous", self._answer_button(asker.previous_period))
        on("action", "kpi_sql", self._answer_button(asker.show_sql))
        on("action", "kpi_csv", self._answer_button(asker.download_csv))
        on("action", "kpi_subscribe", self._answer_button(asker.subscribe_clicked))
        on("action", "kpi_pin", self._pin_button)
        on("view", B.PIN_CALLBACK, self._pin_submitted)
        on("action", HOME_BOARD, self._home_board)
        on("action", ANY_OTHER, self._unknown_button)  # last: bolt tries listeners in order

    def _question(self, call: Call) -> None:
        """A mention or a DM: a question (or a request for help)."""
        self.submit(
            self.asker.ask, call.caller.text, call.caller.place(), call.entry, converse=True
        )

    def _home(self, call: Call) -> None:
        self.submit(self._publish_home, call)

    def _command(self, call: Call) -> None:
        """``/kpi``: the sub-commands in COMMANDS by their first word, else a question."""
        text = call.caller.text
        if not text and call.body.get("trigger_id"):  # `/kpi` alone: the search box
            call.ack()
            self.audit.finish(call.entry, outcome="answered", detail="search box")
            self.submit(
                self._open_search,
                str(call.body["trigger_id"]),
                call.caller.channel,
                self.languages.of(call.caller.user),
            )
            return
        word = text.split(maxsplit=1)[0].lower() if text else ""
        if PIN_ANYWHERE in text:
            word = PIN_ANYWHERE
        for words, name in COMMANDS:
            if word in words:
                getattr(self, name)(call, text)
                return
        said = self._words(call.caller.user, text)
        call.ack(said.WORKING.format(question=B.escape(text)))
        self.submit(
            self.asker.ask, text, call.caller.place(), call.entry, asked_by=call.caller.user
        )

    def _help(self, call: Call, text: str) -> None:
        lang = self.languages.of(call.caller.user, text)
        call.ack(*B.help_message(self.asker.backend.catalog, lang))
        self.audit.finish(call.entry, outcome="answered", detail="help")

    def _subscription_command(self, call: Call, text: str) -> None:
        """Acknowledged at once; the reply goes through response_url (a question is checked)."""
        subs, caller = self.subscriptions, call.caller
        lang = self.languages.of(caller.user, text)
        M = words_in(lang)
        if subs is None:
            call.ack(M.SUBSCRIBED_UNAVAILABLE)
            self.audit.finish(call.entry, outcome="user_error", detail="no subscriptions here")
            return
        call.ack()

        def work() -> None:
            admin = self.access.is_admin(caller.user)
            hidden = self.boards.hidden(text, self._viewer(caller.user, caller.channel))
            if hidden is not None:  # someone else's board, or another channel's: not to send
                self.audit.finish(call.entry, outcome="user_error", detail="board not visible")
                self.delivery.tell(caller.place(), M.BOARD_NOT_HERE.format(name=hidden))
                return
            try:
                reply = subs.handle(
                    text, caller.channel, caller.user, admin=admin, scope=caller.scope, lang=lang
                )
                self.audit.finish(call.entry, outcome="answered", detail="subscription command")
            except Exception as e:  # the user gets words, the log gets the trace
                log.exception("subscription command failed")
                self.audit.finish(call.entry, outcome="internal_error", detail=type(e).__name__)
                reply = M.INTERNAL_ERROR.format(question=B.escape(text), ref=call.entry.id)
            self.delivery.tell(caller.place(), reply or say(lang, USAGE))

        self.submit(work)

    # ---- the /kpi search box (bot/slack/typeahead.py) ----

    def _open_search(self, trigger_id: str, channel: str, lang: Language) -> None:
        from slack_sdk.errors import SlackApiError

        try:
            self.client.views_open(trigger_id=trigger_id, view=TY.search_view(channel, lang))
        except SlackApiError as e:
            log.error("views.open failed: %s", e.response.get("error"))
        self.typeahead.warm()

    def _suggest(self, call: Call) -> None:
        """One keystroke: completions within Slack's 3 s (the gate has checked the user)."""
        typed = str(call.body.get("value", ""))
        call.ack(options=self.typeahead.suggest(call.caller.user, typed, call.caller.scope))
        self.audit.finish(call.entry, outcome="answered", detail="suggestions")

    def _chosen(self, call: Call) -> None:
        call.ack()
        view = call.body.get("view") or {}
        question = str((call.payload.get("selected_option") or {}).get("value", ""))
        if not question:
            self.audit.finish(call.entry, outcome="user_error", detail="no choice")
            return
        self.audit.read_as(call.entry, question)
        self.submit(self._ask_chosen, str(view.get("id", "")), view, question, call)

    def _ask_chosen(self, view_id: str, view: dict[str, Any], question: str, call: Call) -> None:
        """Ask the chosen question where /kpi was typed, and say so in the modal."""
        from slack_sdk.errors import SlackApiError

        channel = str(view.get("private_metadata") or "")
        user = call.caller.user
        if self.access.check(user, channel) != "ok":  # the answer's channel too
            self.audit.finish(call.entry, outcome="refused", detail="channel not allowed")
            return
        try:  # and its scope: the answer is seen there, not in the modal
            scope = self.gate.scope_at(user, channel)
        except NoScope as e:
            self.audit.finish(call.entry, outcome="refused", detail=f"no scope: {e.message}")
            self.delivery.tell(Place(channel, user), e.msg.say(choose(question)))
            return
        try:
            lang = self.languages.of(call.caller.user, question)
            view = TY.asked_view(question, channel, lang)
            self.client.views_update(view_id=view_id, view=view)
        except SlackApiError as e:  # the answer matters more than the modal's text
            log.error("views.update failed: %s", e.response.get("error"))
        self.asker.ask(question, Place(channel, user, scope=scope), call.entry, asked_by=user)

    # ---- dashboards ----

    def _viewer(self, user: str, channel: str) -> Viewer:
        """Who is looking, from where: a DM shows personal boards only."""
        where = "" if channel.startswith("D") else channel
        return Viewer(user, where, self.access.is_admin(user))

    def _board_command(self, call: Call, text: str) -> None:
        """``/kpi dashboard …``, ``/kpi pin … to "…"``, ``/kpi dashboards`` (bot/boards/words)."""
        command = W.read(text)
        if command is None:  # "pin" alone, or a form we cannot read: say how
            call.ack(self._words(call.caller.user, text).BOARD_USAGE)
            self.audit.finish(call.entry, outcome="user_error", detail="dashboard usage")
            return
        call.ack()
        caller = call.caller
        lang = self.languages.of(caller.user, text)
        self.submit(self._board_work, command, caller, call.entry, lang)

    def _board_work(self, command: W.Command, caller: Any, entry: Any, lang: Language) -> None:
        """A dashboard command carried out, its reply said in ``lang`` (the command's words,
        else the asker's locale: ``/kpi 大屏列表`` answers in Chinese)."""
        place = caller.place()
        try:
            viewer = self._viewer(caller.user, caller.channel)
            if isinstance(command, W.Pin):  # the question is checked before it is pinned
                reply = self.asker.backend.ask(
                    command.question,
                    today=self.asker.today,
                    language=lang,
                    **scoped(self.asker.scope(place)),
                )
                if reply.error is not None:
                    said = words_in(lang).PIN_BAD_QUESTION
                    raise UserError(said.format(error=reply.error.text(lang)))
            if isinstance(command, W.Edit) and command.action == "chart":
                command = self._panel_chart(command, viewer)
            done = self.boards.handle(command, viewer)
        except UserError as e:
            self.audit.finish(entry, outcome="user_error", detail=e.message)
            self.delivery.tell(place, e.text(lang))
            return
        self._done(done, place, entry, caller.user, lang)

    def _done(self, done: Done, place: Place, entry: Any, user: str, lang: Language) -> None:
        """A change is told and audited; a board to show is drawn and posted."""
        if done.built_in is not None:
            question = f"{done.built_in} dashboard {done.asked}".strip()
            self.asker.ask(question, place, entry, asked_by=user)
            return
        if done.show is not None:
            scope = self.asker.scope(place)
            reply = self.asker.backend.board(
                done.show, done.asked, today=self.asker.today, language=lang, **scoped(scope)
            )
            self.asker.deliver(reply, place, entry, self.asker.today, user)
            return
        self.audit.finish(entry, outcome="answered", detail=done.detail)
        self.delivery.tell(place, say(lang, done.text))

    def _pin_button(self, call: Call) -> None:
        """ "Add to dashboard": a modal to pick a board (opened at once: the trigger lasts 3 s)."""
        call.ack()
        state = self._state(call)
        if state is None:
            return
        caller = call.caller
        trigger = str(call.body.get("trigger_id", ""))
        viewer = self._viewer(caller.user, caller.channel)
        lang = self.languages.of(caller.user, state.question)
        boards = [
            (str(b.id), f"{b.name} · " + t(lang, f"boards.option.{b.scope}"))
            for b in self.boards.visible(viewer)
            if b.owner == caller.user or viewer.admin
        ]
        view = B.pin_modal(state, viewer.channel, boards, lang)
        from slack_sdk.errors import SlackApiError

        try:
            self.client.views_open(trigger_id=trigger, view=view)
            self.audit.finish(call.entry, outcome="answered", detail="pin modal opened")
        except SlackApiError as e:
            log.warning("views.open failed: %s", e.response.get("error"))
            self.audit.finish(call.entry, outcome="slack_error", detail=e.response.get("error"))
            self.delivery.tell(caller.place(), words_in(lang).PIN_MODAL_FAILED)

    def _pin_submitted(self, call: Call) -> None:
        """The pin modal's submission: errors go back into the modal, the pin is told after."""
        user = call.caller.user
        try:
            form = B.pin_values(call.payload)
        except ValueError:
            call.ack()
            self.audit.finish(call.entry, outcome="user_error", detail="malformed pin modal")
            return
        if form.channel and not self.access.allowed(user, form.channel):
            said = self._words(user, form.state.question).PIN_NOT_ALLOWED_THERE
            call.ack(response_action="errors", errors={B.PIN_NEW: said})
            self.audit.finish(call.entry, outcome="refused", detail="channel not allowed")
            return
        viewer = self._viewer(user, form.channel)
        lang = self.languages.of(user, form.state.question)
        try:
            chart = self._pin_chart(form)
        except UserError as e:
            self._pin_refused(call, B.PIN_CHART, e, lang)
            return
        try:
            made = ""
            if form.new:
                name = form.new
                try:
                    self.boards.find(form.new, viewer)
                except UserError:  # not there yet: made now (the channel's, from a channel)
                    made = self.boards.new(form.new, viewer, personal=not form.channel).detail
                    made += "; "
            elif form.board_id.isdigit() and (b := self.boards.store.get(int(form.board_id))):
                name = b.name
            else:
                raise UserError(self._words(user, form.state.question).PIN_NEED_BOARD)
            question = form.state.question
            done = self.boards.pin(name, question, viewer, title=form.title, chart=chart)
        except UserError as e:
            field = B.PIN_NEW if form.new or not form.board_id else B.PIN_BOARD
            self._pin_refused(call, field, e, lang)
            return
        call.ack()
        self.audit.finish(call.entry, outcome="answered", detail=made + done.detail)
        self.submit(self.delivery.tell, Place(form.channel or user, user), say(lang, done.text))

    def _pin_refused(self, call: Call, field: str, e: UserError, lang: Language) -> None:
        """The reason shown under the modal's field (the modal stays open), and audited."""
        call.ack(response_action="errors", errors={field: e.text(lang)[:150]})
        self.audit.finish(call.entry, outcome="user_error", detail=e.message)

    def _pin_chart(self, form: B.PinForm) -> str:
        """The chart the modal's picked kind gives the question's answer."""
        return self._chart_as(form.state.question, form.chart, form.state.today)

    def _panel_chart(self, e: W.Edit, viewer: Viewer) -> W.Edit:
        """``chart 3 table``: the edit with the chart panel 3's answer gets as a table (the
        service then stores it); a board or panel that is not there is the service's to say."""
        found = self.boards.find(e.name, viewer)
        if isinstance(found, str) or not 1 <= e.args[0] <= len(found.panels):
            return e
        question = found.panels[e.args[0] - 1].question
        return dataclasses.replace(e, text=self._chart_as(question, e.text, self.asker.today))

    def _chart_as(self, question: str, kind: str, today: date | None) -> str:
        """The chart ``kind`` (``auto``, or one of charts.choose.pickable()) gives this
        question's answer now; a UserError saying why when its shape cannot have it (a gauge
        for a by-rep answer)."""
        if kind == "auto":
            return "auto"
        from charts.choose import as_kind, pickable

        if kind not in pickable():  # not a kind we offer
            raise UserError(Msg("boards.pin_chart_unknown"))
        reply = self.asker.backend.ask(question, today=today)
        if reply.answer is None:
            raise UserError(Msg("boards.pin_chart_no_answer"))
        choice = as_kind(reply.answer, kind)
        if choice.note:
            raise UserError(choice.note)
        return str(choice.chart)

    def _ask_button(self, call: Call) -> None:
        call.ack()
        state = self._state(call)
        if state is None:
            return
        if call.body.get("container", {}).get("type") == "view":  # App Home: answer in the DM
            self.submit(self._ask_in_dm, state, call)
            return
        self.submit(
            self.asker.ask, state.question, call.caller.place(), call.entry, today=state.today
        )

    def _answer_button(self, method: Any) -> Handler:
        def answer_button(call: Call) -> None:
            call.ack()
            state = self._state(call)
            if state is not None:
                self.submit(method, call.caller.place(), state, call.entry)

        answer_button.__name__ = getattr(method, "__name__", "answer_button")
        return answer_button

    def _unknown_button(self, call: Call) -> None:
        call.ack()
        self.audit.finish(call.entry, outcome="user_error", detail="unknown button")
        said = self._words(call.caller.user).STALE_BUTTON
        self.submit(self.delivery.tell, call.caller.place(), said)

    def _words(self, user: str, question: str = "") -> Words:
        """The Slack sentences in the language ``user`` is answered in (bot/slack/locale.py)."""
        return words_in(self.languages.of(user, question))

    def _state(self, call: Call) -> B.ButtonState | None:
        """The button's value, or None (and a polite word) when it is not one of ours."""
        try:
            return B.ButtonState.decode(str(call.payload.get("value", "")))
        except ValueError:
            log.warning(
                "button %r with a malformed value (%d characters)",
                call.payload.get("action_id"),
                len(str(call.payload.get("value", ""))),
            )
            self.audit.finish(call.entry, outcome="user_error", detail="malformed button value")
            said = self._words(call.caller.user).STALE_BUTTON
            self.submit(self.delivery.tell, call.caller.place(), said)
            return None

    def _ask_in_dm(self, state: B.ButtonState, call: Call) -> None:
        user = call.caller.user
        channel = self.client.conversations_open(users=user)["channel"]["id"]
        place = Place(channel, user, scope=call.caller.scope)  # App Home and DM: the user's
        self.asker.ask(state.question, place, call.entry, today=state.today)

    def _home_board(self, call: Call) -> None:
        """A dashboard's button on the App Home: the board drawn in the person's DM, if it is
        still there and still theirs to open (made by them, or personal; admins any)."""
        call.ack()
        user, value = call.caller.user, str(call.payload.get("value", ""))
        board = self.boards.store.get(int(value)) if value.isdigit() else None
        mine = board is not None and (
            board.owner == user
            or board.home == home_of("personal", user, "")
            or self.access.is_admin(user)
        )
        if board is None or not mine or not board.panels:
            self.audit.finish(call.entry, outcome="user_error", detail="home board not available")
            self.submit(self._tell_in_dm, user, t(self.languages.of(user), "boards.gone"))
            return
        self.submit(self._board_in_dm, board, call)

    def _tell_in_dm(self, user: str, text: str) -> None:
        channel = self.client.conversations_open(users=user)["channel"]["id"]
        self.delivery.tell(Place(channel, user), text)

    def _board_in_dm(self, board: Any, call: Call) -> None:
        user = call.caller.user
        channel = self.client.conversations_open(users=user)["channel"]["id"]
        today = self.asker.today
        lang = self.languages.of(user)
        reply = self.asker.backend.board(to_dashboard(board), "", today=today, language=lang)
        self.asker.deliver(reply, Place(channel, user), call.entry, today, user)

    def _publish_home(self, call: Call) -> None:
        from slack_sdk.errors import SlackApiError

        user = call.caller.user
        try:
            recent = self.audit.recent_questions(user, limit=B.HOME_QUESTIONS)[::-1]
            # Others' questions can name people (a name is data): not under row-level access.
            popular = (
                [] if self.scopes.restricted else self.audit.popular_questions(B.HOME_QUESTIONS)
            )
            mine = [
                (b.id, b.name)
                for b in sorted(
                    self.boards.store.boards(), key=lambda b: b.updated_at, reverse=True
                )
                if b.owner == user or b.home == home_of("personal", user, "")
            ]
            lang = self.languages.of(user)
            view = B.home_view(self.asker.backend.catalog, recent, popular, mine, lang)
            self.client.views_publish(user_id=user, view=view)
            self.audit.finish(call.entry, outcome="answered", detail="home")
        except SlackApiError as e:
            log.error("views.publish for %s failed: %s", user, e.response.get("error"))
            self.audit.finish(call.entry, outcome="slack_error", detail=e.response.get("error"))
