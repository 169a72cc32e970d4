"""Which sends are due (Scheduler), sending each exactly once (Dispatcher), and the serve loop.

The Scheduler reads the clock it is given, so tests drive a simulated week in milliseconds.
For each job it looks at fire times in ``(now - grace, now]``: the newest one is sent, older
missed ones are recorded as ``skipped`` (superseded), so a restart catches up one send, not a
burst. The Dispatcher claims the send's key in the state store before asking any question and
marks it ``sent`` only after Slack accepted every part; see bot/digests/state.py and
docs/digests.md.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.config import AppConfig
from bot.digests.alerts import alert_message, evaluate, is_armed, volume_question
from bot.digests.config import AlertConfig
from bot.digests.message import ask_all, dashboard_question, digest_message, is_empty, with_filters
from bot.digests.schedule import Schedule, parse_schedule
from bot.digests.sends import Message, SendFailed, SlackPoster, digest_client
from bot.digests.state import Claim, LostClaim, SendRow, StateStore, send_key
from bot.rows import NoScope, Scopes, scoped
from bot.state_connection import default_owner
from bot.state_db import open_state_db
from i18n import Language, Msg, Sayable, choose, plural, say, t
from metrics.errors import UserError
from metrics.scope import EVERYONE, Scope

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Allowed = Callable[[str, str], bool]  # (user, channel) → may that user see answers there?


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Job:
    """One schedule of one digest, alert or Slack subscription. ``id`` prefixes its send keys."""

    id: str  # "digest:morning", "alert:connect-rate-low", "sub:3"
    kind: Literal["digest", "alert"]
    name: str
    channel: str
    schedule: Schedule
    tz: ZoneInfo
    questions: tuple[str, ...] = ()
    skip_if_empty: bool = False
    alert: AlertConfig | None = None
    owner: str | None = None  # who made a Slack subscription; checked again at every send
    # What it is said in: its own setting, else app.yaml's, and with auto its questions'.
    language: Language = Language.EN


# A failed send is tried again on later ticks, this long after each failed attempt (then every
# 30 minutes), while the grace period lasts; Slack outages rarely last longer.
RETRY_DELAYS_MINUTES = (1, 2, 5, 10, 20, 30)


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number ``attempt`` (1 = the first) the next one comes."""
    return timedelta(minutes=RETRY_DELAYS_MINUTES[min(attempt, len(RETRY_DELAYS_MINUTES)) - 1])


def retry_due(row: SendRow, now: datetime) -> bool:
    """A failed, unreported send whose wait before the next attempt is over."""
    if row.status != "failed" or row.reported or row.finished_at is None:
        return False
    return now >= datetime.fromisoformat(row.finished_at) + retry_delay(row.attempts)


def send_label(job: Job, scheduled: datetime) -> Msg:
    """How admins read a send: ``digest *morning* for 2024-06-28 09:00 CST``."""
    when = f"{scheduled.astimezone(job.tz):%Y-%m-%d %H:%M %Z}"
    return Msg.of("report.send", kind=_kind(job), name=job.name, when=when)


def _kind(job: Job) -> Msg:
    return Msg(f"report.kind.{job.kind}")


def failure_text(where: Sayable, channel: str, error: str, attempts: int) -> Msg:
    return Msg.of(
        "report.not_sent",
        where=where,
        channel=channel,
        error=error,
        tries=plural("report.tries", attempts),
    )


@dataclass(frozen=True)
class Skip:
    outcome: str
    detail: str = ""


def jobs_of(config: AppConfig, store: StateStore | None = None) -> list[Job]:
    """Every job: app.yaml's digests and alerts, then the subscriptions made in Slack."""
    jobs: list[Job] = []
    for d in config.digests:
        questions = [with_filters(q, d.filters) for q in d.questions]
        questions += [with_filters(dashboard_question(x), d.filters) for x in d.dashboards]
        jobs.append(
            Job(
                f"digest:{d.name}",
                "digest",
                d.name,
                d.channel,
                d.parsed_schedule,
                ZoneInfo(d.timezone or config.timezone),
                tuple(questions),
                d.skip_if_empty,
                language=_language(config, d.language, questions),
            )
        )
    for a in config.alerts:
        jobs.append(
            Job(
                f"alert:{a.name}",
                "alert",
                a.name,
                a.channel,
                a.parsed_schedule,
                ZoneInfo(a.timezone or config.timezone),
                (a.question,),
                alert=a,
                language=_language(config, a.language, [a.question]),
            )
        )
    for s in store.subscriptions() if store is not None else []:
        try:
            schedule = parse_schedule(s.schedule)
        except ValueError:
            log.error("subscription %d has a bad schedule %r; skipped", s.id, s.schedule)
            continue
        jobs.append(
            Job(
                f"sub:{s.id}",
                "digest",
                f"subscription {s.id}",
                s.channel,
                schedule,
                ZoneInfo(s.timezone),
                (s.question,),
                owner=s.created_by,
                language=_language(config, None, [s.question]),
            )
        )
    return jobs


def _language(config: AppConfig, own: str | None, questions: Sequence[str]) -> Language:
    """A scheduled send's language: its own ``language``, else app.yaml's; ``auto`` reads its
    questions together (a digest is one message in one language)."""
    return choose(" ".join(questions), setting=own or config.language)


class Dispatcher:
    """Claims, composes, posts and marks one send; reports failures to the admin channel."""

    def __init__(
        self,
        config: AppConfig,
        backend: Any,
        store: StateStore,
        poster: SlackPoster,
        *,
        owner: str | None = None,
        clock: Clock | None = None,
        allowed: Allowed | None = None,
        scopes: Scopes | None = None,
    ):
        self.config = config
        self.scopes = scopes  # row-level access, worked out at each send (bot/rows.py)
        self.allowed = allowed  # access rules, for subscriptions; None: nobody may subscribe
        self.backend = backend
        self.store = store
        self.poster = poster
        self.owner = owner or f"{default_owner()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock  # None: time stands at the ``now`` given to run()
        self.lease = timedelta(seconds=config.digest_delivery.lease_seconds)

    # -- composing -----------------------------------------------------------------------------

    def scope_of(self, job: Job) -> Scope:
        """Whose records a send may show, worked out now (a role moved since the last send
        counts): the channel's scope, narrowed to the subscriber's (in a DM: theirs)."""
        if self.scopes is not None:
            return self.scopes.at(job.owner, job.channel)
        if self.config.access.rows != "all":  # nobody to ask who reads it: send nothing
            raise NoScope("no_channel_scope")
        return EVERYONE

    def compose(self, job: Job, today: date) -> Message | Skip:
        scope = self._send_scope(job)
        if isinstance(scope, Skip):
            return scope
        if job.kind == "alert":
            return self._compose_alert(job, today, scope)
        return self._compose_digest(job, today, scope)

    def _send_scope(self, job: Job) -> dict[str, Scope] | Skip:
        """The ``scope`` argument of the send's questions, or why it is not sent: its owner
        may no longer see the channel, or nobody can say whose records the channel may show."""
        if job.owner is not None and not (self.allowed and self.allowed(job.owner, job.channel)):
            log.warning("%s: %s may no longer see %s; not sent", job.id, job.owner, job.channel)
            return Skip("refused", f"{job.owner} is not allowed in {job.channel} any more")
        try:
            return scoped(self.scope_of(job))
        except UserError as e:
            log.warning("%s: no row-level scope in %s; not sent", job.id, job.channel)
            self.report(
                Msg.of(
                    "report.no_scope",
                    kind=_kind(job),
                    name=job.name,
                    channel=job.channel,
                    error=e.said,
                )
            )
            return Skip("refused", e.message)

    def _compose_alert(self, job: Job, today: date, scope: dict[str, Scope]) -> Message | Skip:
        """The alert's message when its condition fires; else why not (reported if unchecked)."""
        assert job.alert is not None
        currency = self.config.currency
        reply = self.backend.ask(job.alert.question, today=today, language=job.language, **scope)
        previous = None
        cond = job.alert.parsed_condition
        if (
            cond.kind == "change"
            and reply.error is None
            and reply.answer is not None
            and not any(c.role == "growth" for c in reply.answer.columns)
            and hasattr(self.backend, "previous_period")
        ):
            previous = self.backend.previous_period(reply.answer, today=today)
        armed = is_armed(self.store.last_outcomes(job.id))
        vq = volume_question(job.alert, reply.answer) if reply.error is None else None
        volume_reply = self.backend.ask(vq, today=today, **scope) if vq else None
        ev = evaluate(
            job.alert,
            reply,
            previous,
            armed=armed,
            currency=currency,
            volume_reply=volume_reply,
            lang=job.language,
        )
        if ev.outcome != "fired":
            if ev.outcome == "error":
                self.report(Msg.of("report.unchecked", name=job.name, detail=ev.detail))
            return Skip(ev.outcome, ev.detail)
        return alert_message(job.alert, ev, reply, currency=currency, lang=job.language)

    def _compose_digest(self, job: Job, today: date, scope: dict[str, Scope]) -> Message | Skip:
        replies, previous = ask_all(self.backend, job.questions, today, job.language, scope)
        if job.skip_if_empty and is_empty(replies):
            return Skip("empty", "every question came back empty")
        return digest_message(
            job.name,
            replies,
            today=today,
            currency=self.config.currency,
            previous=previous,
            lang=job.language,
        )

    # -- sending -------------------------------------------------------------------------------

    def run(
        self,
        job: Job,
        scheduled: datetime,
        now: datetime,
        *,
        today: date | None = None,
        final: bool = True,
        retry_of: int | None = None,
    ) -> str | None:
        """Send ``job``'s message for ``scheduled`` unless another process has. Returns the final
        status, or None when the send was not ours. ``final``: no later attempt will follow, so
        a failure is reported to the admins now (the scheduler passes False while a retry can
        still come within the grace period). ``retry_of``: try a failed send again, the one
        seen after that many attempts."""
        key = send_key(job.id, scheduled)
        claim = self.store.claim(
            key,
            job.id,
            scheduled,
            job.channel,
            owner=self.owner,
            now=now,
            lease=self.lease,
            retry_of=retry_of,
        )
        if claim is None:
            return None
        today = today or scheduled.astimezone(job.tz).date()
        where = send_label(job, scheduled)
        try:
            return self._send(job, claim, today, now)
        except LostClaim:
            log.warning("%s: another process took over the send", key)
            return None
        except SendFailed as e:
            if not e.uncertain:
                return self._failed(claim, where, job.channel, e.error, e.error, now, final)
            self._finish(key, "unknown", now, error=e.error)
            self.report(
                Msg.of("report.uncertain", where=where, channel=job.channel, error=e.error)
            )
            return "unknown"
        except Exception as e:  # noqa: BLE001 - a bug must not kill the loop or other sends
            log.exception("%s failed", key)
            stored = f"internal error: {type(e).__name__}: {e}"
            told = f"internal error ({type(e).__name__})"
            return self._failed(claim, where, job.channel, stored, told, now, final)

    def _failed(
        self,
        claim: Claim,
        where: Sayable,
        channel: str,
        stored: str,
        told: str,
        now: datetime,
        final: bool,
    ) -> str:
        """Record a failed attempt; tell the admins once, when it was the last one."""
        key = claim.row.key
        self._finish(key, "failed", now, error=stored)
        if final:
            self.report_once(key, failure_text(where, channel, told, claim.row.attempts))
        else:
            log.warning("%s failed (%s); tried again on a later tick", key, told)
        return "failed"

    def report_once(self, key: str, text: Sayable) -> None:
        """Report a send's failure unless another process (or an earlier tick) already has."""
        if self.store.mark_reported(key):
            self.report(text)

    def _finish(self, key: str, status: str, now: datetime, **kw: Any) -> None:
        try:
            self.store.finish(key, self.owner, status, now=now, **kw)
        except LostClaim:
            log.warning("%s: claim lost before it could be marked %s", key, status)

    def _send(self, job: Job, claim: Claim, today: date, now: datetime) -> str:
        key, row = claim.row.key, claim.row
        headline_ts, channel_id, done = (
            row.message_ts,
            row.channel_id or job.channel,
            row.thread_done,
        )
        if claim.recovering and headline_ts is None:
            # A process died after claiming. Its headline may be in Slack: look before posting.
            try:
                headline_ts = self.poster.find(job.channel, key, 0, None)
            except SendFailed as e:
                self._finish(key, "unknown", now, error=e.error)
                self.report(
                    Msg.of("report.interrupted", kind=_kind(job), name=job.name, error=e.error)
                )
                return "unknown"
            if headline_ts is not None:
                self.store.record_headline(key, self.owner, channel_id, headline_ts)
        composed = self.compose(job, today)
        # Answering can be slow: renew the claim before posting. If our lease ran out and
        # another process took the send over meanwhile, this raises LostClaim: we post nothing.
        self.store.extend_lease(key, self.owner, (self.clock() if self.clock else now) + self.lease)
        if isinstance(composed, Skip):
            if headline_ts is not None:  # already announced before the crash: it stands
                self._finish(key, "sent", now, outcome="fired" if job.kind == "alert" else "digest")
                return "sent"
            self._finish(
                key, "skipped", now, outcome=composed.outcome, error=composed.detail or None
            )
            return "skipped"
        if headline_ts is None:
            channel_id, headline_ts = self.poster.post(job.channel, key, 0, composed.headline)
            self.store.record_headline(key, self.owner, channel_id, headline_ts)
        check_first = claim.recovering
        for i, part in enumerate(composed.thread, start=1):
            if i <= done:
                continue
            if check_first and self.poster.find(channel_id, key, i, headline_ts):
                check_first = False
                self.store.record_thread(key, self.owner, i)
                continue
            check_first = False
            self.poster.post(channel_id, key, i, part, thread_ts=headline_ts)
            self.store.record_thread(key, self.owner, i)
        self._finish(key, "sent", now, outcome="fired" if job.kind == "alert" else "digest")
        return "sent"

    def report(self, text: Sayable) -> None:
        """Tell the admin channel (when configured), in app.yaml's ``language`` (English for
        auto: the admins' channel has no question to read one from); the log is English."""
        log.error("%s", say(Language.EN, text).replace("*", ""))
        if not self.config.admin_channel:
            return
        lang = choose("", setting=self.config.language)
        try:
            self.poster.say(self.config.admin_channel, t(lang, "report.head", text=text))
        except Exception as e:  # noqa: BLE001
            log.error("could not report to %s: %s", self.config.admin_channel, e)


class Scheduler:
    """Finds due sends at ``clock()`` and hands them to the Dispatcher."""

    def __init__(self, config: AppConfig, dispatcher: Dispatcher, clock: Clock = system_clock):
        self.config = config
        self.dispatcher = dispatcher
        self.store = dispatcher.store
        self.clock = clock
        if dispatcher.clock is None:
            dispatcher.clock = clock
        self.grace = config.digest_delivery.grace

    def due(self, now: datetime) -> list[tuple[Job, datetime, SendRow | None]]:
        """The sends to attempt now, each with its state row (None: never attempted)."""
        out: list[tuple[Job, datetime, SendRow | None]] = []
        for job in jobs_of(self.config, self.store):
            fires = job.schedule.fires_between(now - self.grace, now, job.tz)
            if not fires:
                continue
            newest = fires[-1]
            for older in fires[:-1]:
                row = self.store.get(send_key(job.id, older))
                if row is None:
                    self.store.skip(
                        send_key(job.id, older),
                        job.id,
                        older,
                        job.channel,
                        now=now,
                        outcome="superseded",
                        owner=self.dispatcher.owner,
                    )
                elif row.status == "sending":
                    out.append((job, older, row))  # interrupted: the claim decides who recovers
            row = self.store.get(send_key(job.id, newest))
            if row is None or row.status == "sending" or retry_due(row, now):
                out.append((job, newest, row))
        return out

    def tick(self) -> dict[str, str | None]:
        """One pass: send everything due now, then report the failures whose grace period ran
        out. Returns key → status for the sends it handled."""
        now = self.clock()
        done: dict[str, str | None] = {}
        for job, when, row in self.due(now):
            attempt = row.attempts + 1 if row is not None else 1
            # The last try: the next one would fall outside the grace period.
            final = now + retry_delay(attempt) > when + self.grace
            retry_of = row.attempts if row is not None and row.status == "failed" else None
            done[send_key(job.id, when)] = self.dispatcher.run(
                job, when, now, final=final, retry_of=retry_of
            )
        self.report_given_up(now)
        return {k: v for k, v in done.items() if v is not None}

    def report_given_up(self, now: datetime) -> None:
        """Failures not retried any more and not yet reported: superseded by a newer send, or
        their last retry never came (the process was down)."""
        failures = self.store.unreported_failures(now - self.grace)
        if not failures:
            return
        jobs = {j.id: j for j in jobs_of(self.config, self.store)}
        for row in failures:
            scheduled = datetime.fromisoformat(row.scheduled_utc)
            job = jobs.get(row.job)
            when = f"{scheduled:%Y-%m-%d %H:%M} UTC"
            where = (
                send_label(job, scheduled)
                if job
                else Msg.of("report.gone_job", name=row.job, when=when)
            )
            text = failure_text(where, row.channel, row.error or "unknown error", row.attempts)
            self.dispatcher.report_once(row.key, text)


@dataclass
class DigestLoop:
    thread: threading.Thread
    stop_event: threading.Event
    scheduler: Scheduler
    own_store: StateStore | None = None  # opened by start_digest_loop: closed by stop()

    def stop(self, timeout: float = 10) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
        if self.own_store is not None:
            self.own_store.close()


def start_digest_loop(
    config: AppConfig,
    backend: Any,
    client: Any,
    clock: Clock = system_clock,
    *,
    allowed: Allowed | None = None,
    store: StateStore | None = None,
    scopes: Scopes | None = None,
) -> DigestLoop:
    """Start the background thread of ``kpibot serve`` that sends digests and alerts (on the
    bot's state connection ``store``, else one of its own)."""
    settings = config.digest_delivery
    own_store = None
    if store is None:
        store = own_store = StateStore(open_state_db(config.state_location))
    # Same token and URL as the bot's client, without its blind retries (see digest_client).
    own = digest_client(client.token, client.base_url, int(client.timeout or 30))
    poster = SlackPoster(own, retries=settings.retries, base_delay=settings.retry_base_seconds)
    dispatcher = Dispatcher(config, backend, store, poster, allowed=allowed, scopes=scopes)
    scheduler = Scheduler(config, dispatcher, clock)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                scheduler.tick()
            except Exception:  # noqa: BLE001 - keep the loop alive; the next tick retries
                log.exception("digest loop tick failed")
            stop.wait(settings.tick_seconds)

    thread = threading.Thread(target=loop, name="kpibot-digests", daemon=True)
    thread.start()
    return DigestLoop(thread, stop, scheduler, own_store)
