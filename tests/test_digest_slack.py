"""Digests and alerts through the real slack_sdk WebClient to the loopback Slack emulator:
threads, retries of 500/429, failures reported (never logged as success), crash recovery by
reading the channel, racing schedulers, and the /kpi subscription commands over bolt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.access import Access
from bot.config import AppConfig
from bot.digests.scheduler import Dispatcher, Scheduler, jobs_of, start_digest_loop
from bot.digests.sends import Part, SlackPoster
from bot.digests.state import StateStore, send_key
from bot.digests.subscriptions import Subscriptions
from bot.slack.handlers import SubscribeRequest
from tests.digest_backend import Crash, ScriptedBackend
from tests.slack_emulator import SlackEmulator
from tests.slack_harness import check_snapshot
from tests.state_connections import Opener

NINE = datetime(2024, 6, 28, 1, tzinfo=UTC)  # Fri 28 Jun 2024 09:00 in Shanghai
CONFIG = {
    "timezone": "Asia/Shanghai",
    "admin_channel": "C0ADMIN01",
    "digests": [
        {
            "name": "morning",
            "channel": "C0SALES01",
            "schedule": "weekdays 09:00",
            "questions": ["connect rate last 7 days"],
            "dashboards": ["outbound calls"],
        },
        {
            "name": "lost",
            "channel": "C0GONE000",
            "schedule": "weekdays 09:00",
            "questions": ["connect rate last 7 days"],
        },
    ],
    "alerts": [
        {
            "name": "low",
            "question": "connect rate last 7 days",
            "condition": "< 0.25",
            "schedule": "daily 10:00",
            "channel": "C0MGRS001",
        },
    ],
}


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emu:
        for cid, name in (
            ("C0SALES01", "sales"),
            ("C0ADMIN01", "kpibot-admin"),
            ("C0MGRS001", "sales-managers"),
        ):
            emu.add_channel(cid, name)
        yield emu


class Env:
    def __init__(
        self,
        tmp_path: Path,
        slack: SlackEmulator,
        open_state: Opener,  # each process's own connection, closed when the test ends
        config: dict[str, Any] | None = None,
        state_database: str | None = None,  # the conftest fixture: SQLite file or PostgreSQL
    ):
        state = {"state_database": state_database} if state_database else {}
        self.cfg = AppConfig.model_validate({**(config or CONFIG), **state, "base_dir": tmp_path})
        self.slack = slack
        self.open_state = open_state
        self.backend = ScriptedBackend(lambda q, d: 0.30 if d.day == 28 else 0.25)
        self.sleeps: list[float] = []

    def client(self) -> WebClient:
        return WebClient(token=self.slack.bot_token, base_url=self.slack.base_url)

    def dispatcher(self, owner: str, poster: SlackPoster | None = None) -> Dispatcher:
        poster = poster or SlackPoster(
            self.client(), retries=3, base_delay=0.01, sleep=self.sleeps.append
        )
        return Dispatcher(self.cfg, self.backend, self.store(), poster, owner=owner)

    def store(self) -> StateStore:
        return StateStore(self.open_state(self.cfg.state_location))

    def job(self, name: str) -> Any:
        return next(j for j in jobs_of(self.cfg) if j.name == name)


def headlines(slack: SlackEmulator, channel: str) -> list[str]:
    return [m.text.splitlines()[0] for m in slack.messages(channel) if m.thread_ts is None]


def test_headline_in_channel_charts_in_its_thread(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state)
    assert env.dispatcher("a").run(env.job("morning"), NINE, NINE) == "sent"
    top = [m for m in slack.messages("C0SALES01") if m.thread_ts is None]
    assert [m.text.splitlines()[0] for m in top] == ["morning · 28 Jun 2024"]
    assert slack.metadata[top[0].ts] == {
        "event_type": "kpibot_send",
        "event_payload": {"key": "digest:morning@2024-06-28T01:00:00Z", "part": 0},
    }
    thread = slack.messages("C0SALES01", thread_ts=top[0].ts)
    assert [m.text.splitlines()[0] for m in thread] == [
        "*[connect rate] · last 7 days*",
        "*Outbound calls dashboard*",
    ]
    assert all(m.files for m in thread)  # the charts, uploaded into the thread
    row = env.store().get(send_key("digest:morning", NINE))
    assert row is not None and (row.status, row.message_ts, row.thread_done) == (
        "sent",
        top[0].ts,
        2,
    )


def test_a_slack_500_is_retried_and_posted_once(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state)
    slack.fail("chat.postMessage", status=500)
    assert env.dispatcher("a").run(env.job("morning"), NINE, NINE) == "sent"
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]
    # Before posting again it looked whether the first attempt had gone through after all.
    assert len(slack.calls_to("conversations.history")) == 1
    assert env.sleeps == [0.01]


def test_a_429_waits_for_retry_after(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state)
    slack.fail("files.completeUploadExternal", status=429, retry_after=2)
    assert env.dispatcher("a").run(env.job("morning"), NINE, NINE) == "sent"
    assert 2.0 in env.sleeps
    assert len([m for m in slack.messages("C0SALES01") if m.files]) == 2


def test_a_failed_send_is_recorded_with_slacks_error_and_reported(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state)
    assert env.dispatcher("a").run(env.job("lost"), NINE, NINE) == "failed"
    row = env.store().get(send_key("digest:lost", NINE))
    assert row is not None and (row.status, row.error) == ("failed", "channel_not_found")
    assert [m.text for m in slack.messages("C0ADMIN01")] == [
        ":warning: kpibot could not send digest *lost* for 2024-06-28 09:00 CST to C0GONE000: "
        "channel_not_found"
    ]
    # Persistent 500s: retried, then failed — one failing channel does not stop the next send.
    slack.fail("chat.postMessage", status=500, times=4)
    assert env.dispatcher("a").run(env.job("morning"), NINE, NINE) == "failed"
    row = env.store().get(send_key("digest:morning", NINE))
    assert row is not None and (row.status, row.error) == ("failed", "HTTP 500 (internal_error)")
    assert env.sleeps == [0.01, 0.02, 0.04]
    assert (
        env.dispatcher("a").run(
            env.job("low"), NINE + timedelta(hours=1), NINE + timedelta(hours=1)
        )
        == "skipped"
    )  # 30%: not < 25%


class CrashingPoster(SlackPoster):
    """The real poster, in a process that dies right after Slack accepted part ``at``."""

    def __init__(self, client: WebClient, at: int):
        super().__init__(client, retries=0, sleep=lambda s: None)
        self.at = at

    def post(
        self, channel: str, key: str, index: int, part: Part, thread_ts: str | None = None
    ) -> tuple[str, str]:
        out = super().post(channel, key, index, part, thread_ts)
        if index == self.at:
            raise Crash(key)
        return out


@pytest.mark.parametrize("crash_at", [0, 1, 2])
def test_a_restart_mid_digest_sends_nothing_twice(
    tmp_path: Path, slack: SlackEmulator, state_database: str, crash_at: int, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state, state_database=state_database)
    with pytest.raises(Crash):
        env.dispatcher("a", CrashingPoster(env.client(), crash_at)).run(
            env.job("morning"), NINE, NINE
        )
    later = NINE + timedelta(minutes=5)
    # While the dead process's lease runs, nobody touches the send.
    assert env.dispatcher("b").run(env.job("morning"), NINE, later) is None
    after_lease = NINE + timedelta(minutes=11)
    assert env.dispatcher("b").run(env.job("morning"), NINE, after_lease) == "sent"
    top = [m for m in slack.messages("C0SALES01") if m.thread_ts is None]
    assert len(top) == 1
    thread = slack.messages("C0SALES01", thread_ts=top[0].ts)
    assert [m.text.splitlines()[0] for m in thread] == [
        "*[connect rate] · last 7 days*",
        "*Outbound calls dashboard*",
    ]


def test_interrupted_and_slack_cannot_tell_is_reported_not_reposted(
    tmp_path: Path, slack: SlackEmulator, state_database: str, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state, state_database=state_database)
    with pytest.raises(Crash):
        env.dispatcher("a", CrashingPoster(env.client(), 0)).run(env.job("morning"), NINE, NINE)
    slack.fail("conversations.history", error="missing_scope")
    assert (
        env.dispatcher("b").run(env.job("morning"), NINE, NINE + timedelta(minutes=11)) == "unknown"
    )
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]
    assert "not re-posted, to avoid a duplicate" in slack.messages("C0ADMIN01")[0].text


def test_two_schedulers_on_separate_connections_send_once(
    tmp_path: Path, slack: SlackEmulator, state_database: str, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state, state_database=state_database)
    scheds = [Scheduler(env.cfg, env.dispatcher(n), clock=lambda: NINE) for n in "ab"]
    barrier = threading.Barrier(2)
    results: list[dict[str, str | None]] = []

    def tick(s: Scheduler) -> None:
        barrier.wait()
        results.append(s.tick())

    threads = [threading.Thread(target=tick, args=(s,)) for s in scheds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handled = sorted(k for r in results for k in r)
    assert handled == sorted([send_key("digest:morning", NINE), send_key("digest:lost", NINE)])
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]


def test_alert_fires_once_rearms_and_fires_again(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state)
    values = {1: 0.20, 2: 0.21, 3: 0.30, 4: 0.22, 5: 0.19}  # July 2024, checked daily 10:00
    env.backend = ScriptedBackend(lambda q, d: values.get(d.day, 0.5) if d.month == 7 else 0.5)
    now = [datetime(2024, 7, 1, 1, tzinfo=UTC)]
    sched = Scheduler(env.cfg, env.dispatcher("a"), clock=lambda: now[0])
    for day in range(1, 6):
        now[0] = datetime(2024, 7, day, 2, tzinfo=UTC)  # 10:00 in Shanghai
        sched.tick()
        sched.tick()  # a second look at the same minute changes nothing
    assert headlines(slack, "C0MGRS001") == [
        ":rotating_light: *low*: connect rate is 20.0%, < 25.0% · 24 – 30 Jun 2024",
        ":rotating_light: *low*: connect rate is 22.0%, < 25.0% · 27 Jun – 3 Jul 2024",
    ]


def test_subscriptions_are_sent_only_while_their_maker_is_allowed(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    """Access is checked again at each send: a subscriber taken off the list gets nothing."""
    slack.add_user("U1", "una", email="una@example.com")
    slack.add_user("U2", "ugo", email="ugo@example.com")
    store = StateStore(open_state(tmp_path / "state.sqlite"))
    una = store.add_subscription("C0SALES01", "daily 09:00", "Asia/Shanghai", "leads", "U1", NINE)
    ugo = store.add_subscription("C0SALES01", "daily 09:00", "Asia/Shanghai", "calls", "U2", NINE)

    def run(users: list[str], sub: int, at: datetime) -> tuple[str | None, str | None]:
        env = Env(tmp_path, slack, open_state, {**CONFIG, "access": {"users": users}})
        allowed = Access(env.cfg.access, env.client()).allowed  # users.info against Slack
        poster = SlackPoster(env.client(), retries=0, base_delay=0)
        dispatcher = Dispatcher(env.cfg, env.backend, store, poster, owner="a", allowed=allowed)
        job = next(j for j in jobs_of(env.cfg, store) if j.id == f"sub:{sub}")
        status = dispatcher.run(job, at, at)
        row = store.get(send_key(job.id, at))
        return status, row.outcome if row else None

    assert run(["una@example.com"], una, NINE) == ("sent", "digest")
    assert run(["una@example.com"], ugo, NINE) == ("skipped", "refused")
    day2 = NINE + timedelta(days=1)
    assert run(["ugo@example.com"], una, day2) == ("skipped", "refused")  # una removed
    assert headlines(slack, "C0SALES01") == ["subscription 1 · 28 Jun 2024"]
    # With no access rules at all the dispatcher still needs them: no rules, no send.
    env = Env(tmp_path, slack, open_state)
    bare = Dispatcher(env.cfg, env.backend, store, SlackPoster(env.client()), owner="b")
    job = next(j for j in jobs_of(env.cfg, store) if j.id == f"sub:{una}")
    assert bare.run(job, day2 + timedelta(days=1), day2 + timedelta(days=1)) == "skipped"


def test_the_serve_loop_sends_and_stops(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    cfg = {
        **CONFIG,
        "digests": CONFIG["digests"][:1],
        "alerts": [],
        "digest_delivery": {"tick_seconds": 0.05, "retry_base_seconds": 0.01},
    }
    env = Env(tmp_path, slack, open_state, cfg)
    # The bot's own client retries 5xx blindly; the loop must not (it checks the channel first).
    from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

    bot_client = WebClient(
        token=slack.bot_token,
        base_url=slack.base_url,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail("chat.postMessage", status=500)
    loop = start_digest_loop(env.cfg, env.backend, bot_client, clock=lambda: NINE)
    try:
        slack.wait_for(lambda: len([m for m in slack.messages("C0SALES01") if m.files]) == 2)
    finally:
        loop.stop()
    assert not loop.thread.is_alive()
    # the state connection it opened for itself (the bot passes its own: not closed by the loop)
    assert loop.own_store is not None and loop.own_store.db.closed
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]
    calls = [
        c.method for c in slack.calls if c.method in ("chat.postMessage", "conversations.history")
    ]
    assert calls == ["chat.postMessage", "conversations.history", "chat.postMessage"]


def test_cli_run_sends_once_under_the_schedules_key(
    tmp_path: Path, slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch, open_state: Opener
) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import build_app

    cli = build_app()
    p = tmp_path / "app.yaml"
    p.write_text(json.dumps({**CONFIG, "digest_delivery": {"retry_base_seconds": 0}}))
    monkeypatch.setenv("KPIBOT_BACKEND", "tests.digest_backend:cli_backend")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)
    args = ["digest", "run", "morning", "--today", "2024-06-28", "--config", str(p)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip() == "digest:morning@2024-06-28T01:00:00Z: sent"
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0
    assert "already sent" in again.stdout and "not sent again" in again.stdout
    # The scheduler, at 09:00 that day, finds the same key taken.
    env = Env(tmp_path, slack, open_state)
    assert Scheduler(env.cfg, env.dispatcher("x"), clock=lambda: NINE).tick() == {
        "digest:lost@2024-06-28T01:00:00Z": "failed"
    }
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]
    failed = CliRunner().invoke(
        cli, ["digest", "run", "lost", "--today", "2024-07-01", "--config", str(p)]
    )
    assert failed.exit_code == 1 and "channel_not_found" in failed.stdout


def test_local_hours_across_the_november_change(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    """New York falls back on Sun 3 Nov 2024: 09:00 stays 09:00; 01:30 (twice that night) once."""
    ny = ZoneInfo("America/New_York")
    cfg = {
        "timezone": "America/New_York",
        "digests": [
            {
                "name": "nine",
                "channel": "C0SALES01",
                "schedule": "daily 09:00",
                "questions": ["connect rate last 7 days"],
            },
            {
                "name": "night",
                "channel": "C0SALES01",
                "schedule": "daily 01:30",
                "questions": ["connect rate last 7 days"],
            },
        ],
    }
    env = Env(tmp_path, slack, open_state, cfg)
    now = [datetime(2024, 11, 2, 0, tzinfo=ny).astimezone(UTC)]
    sched = Scheduler(env.cfg, env.dispatcher("a"), clock=lambda: now[0])
    sent: list[str] = []
    while now[0] < datetime(2024, 11, 5, 0, tzinfo=ny):
        for key in sched.tick():
            sent.append(f"{key.split('@')[0]} {now[0].astimezone(ny):%a %d %H:%M %Z}")
        now[0] += timedelta(minutes=15)
    assert sent == [
        "digest:night Sat 02 01:30 EDT",
        "digest:nine Sat 02 09:00 EDT",
        "digest:night Sun 03 01:30 EDT",
        "digest:nine Sun 03 09:00 EST",
        "digest:night Mon 04 01:30 EST",
        "digest:nine Mon 04 09:00 EST",
    ]
    assert len(headlines(slack, "C0SALES01")) == 6


def test_a_public_channel_the_bot_is_not_in_is_joined_once(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    env = Env(tmp_path, slack, open_state)
    slack.add_channel("C0SALES01", "sales", member=False)
    assert env.dispatcher("a").run(env.job("morning"), NINE, NINE) == "sent"
    assert len(slack.calls_to("conversations.join")) == 1
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]


def test_a_slow_answer_that_outlives_its_lease_posts_nothing(
    tmp_path: Path, slack: SlackEmulator, state_database: str, open_state: Opener
) -> None:
    """A answers so slowly that its lease runs out and B takes the send over: A must not post."""
    env = Env(tmp_path, slack, open_state, state_database=state_database)
    now = [NINE]
    a, b = env.dispatcher("a"), env.dispatcher("b")
    a.clock = b.clock = lambda: now[0]
    inner = env.backend.ask
    b_result: list[str | None] = []

    def slow_ask(question: str, *, today: Any, language: Any = None) -> Any:
        if now[0] == NINE:  # A's first question: meanwhile 11 minutes pass and B steps in
            now[0] = NINE + timedelta(minutes=11)
            b_result.append(b.run(env.job("morning"), NINE, now[0]))
        return inner(question, today=today)

    env.backend.ask = slow_ask  # type: ignore[method-assign]
    assert a.run(env.job("morning"), NINE, NINE) is None  # lost its claim: posted nothing
    assert b_result == ["sent"]
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]
    row = env.store().get(send_key("digest:morning", NINE))
    assert row is not None and (row.status, row.owner, row.attempts) == ("sent", "b", 2)


def test_the_subscribe_button(tmp_path: Path, slack: SlackEmulator, open_state: Opener) -> None:
    env = Env(tmp_path, slack, open_state)
    store = env.store()
    subs = Subscriptions(env.cfg, store, env.backend, clock=lambda: NINE)
    req = SubscribeRequest("connect rate last 7 days", "U1", "C0SALES01", None, None, None)
    assert subs.subscribe_clicked(req).startswith(
        "Subscribed (#1): *connect rate last 7 days* weekdays 09:00 (Asia/Shanghai)"
    )
    assert [(s.channel, s.schedule) for s in store.subscriptions()] == [
        ("C0SALES01", "weekdays 09:00")
    ]


def test_block_kit_snapshots(tmp_path: Path, slack: SlackEmulator, open_state: Opener) -> None:
    """What users read, as reviewed files (tests/snapshots/slack/digest_*.json)."""
    env = Env(tmp_path, slack, open_state)
    env.dispatcher("a").run(env.job("morning"), NINE, NINE)
    env.backend = ScriptedBackend(lambda q, d: 0.2, count=lambda q, d: 80)
    ten = NINE + timedelta(hours=1)
    env.dispatcher("a").run(env.job("low"), ten, ten)
    for name, method_calls in (
        ("digest_headline", slack.calls_to("chat.postMessage")[0]),
        ("digest_alert", slack.calls_to("chat.postMessage")[-1]),
    ):
        args = {k: method_calls.args.get(k) for k in ("channel", "text", "blocks", "metadata")}
        check_snapshot(name, args)


def admin_texts(slack: SlackEmulator) -> list[str]:
    return [m.text for m in slack.messages("C0ADMIN01")]


def test_a_failed_send_is_retried_on_a_later_tick_and_posted_once(
    tmp_path: Path, slack: SlackEmulator, state_database: str, open_state: Opener
) -> None:
    cfg = {**CONFIG, "digests": CONFIG["digests"][:1], "alerts": []}
    env = Env(tmp_path, slack, open_state, cfg, state_database=state_database)
    now = [NINE]
    sched = Scheduler(env.cfg, env.dispatcher("a"), clock=lambda: now[0])
    # Slack is down at 09:00: the headline's 500s outlast the poster's own 3 retries.
    slack.fail("chat.postMessage", status=500, times=4)
    key = send_key("digest:morning", NINE)
    assert sched.tick() == {key: "failed"}
    now[0] = NINE + timedelta(seconds=30)
    assert sched.tick() == {}  # the first retry waits a minute
    now[0] = NINE + timedelta(minutes=1)
    assert sched.tick() == {key: "sent"}
    assert headlines(slack, "C0SALES01") == ["morning · 28 Jun 2024"]
    row = env.store().get(key)
    assert row is not None and (row.status, row.attempts, row.reported) == ("sent", 2, 0)
    now[0] = NINE + timedelta(minutes=30)
    assert sched.tick() == {}
    assert admin_texts(slack) == []  # it went out in the end: nothing to report


def test_a_send_failing_all_through_its_grace_is_reported_once(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    cfg = {**CONFIG, "digests": CONFIG["digests"][1:], "alerts": []}  # "lost": C0GONE000
    env = Env(tmp_path, slack, open_state, cfg)
    now = [NINE]
    # Two processes tick every minute of the 120-minute grace period, and a while after.
    scheds = [Scheduler(env.cfg, env.dispatcher(n), clock=lambda: now[0]) for n in "ab"]
    attempts_at: list[int] = []
    for minute in range(0, 150):
        now[0] = NINE + timedelta(minutes=minute)
        for s in scheds:
            if s.tick():
                attempts_at.append(minute)
    # Tried at minute 0, then 1, 2, 5, 10, 20, 30 and 30 minutes after each failure: 1, 3, 8,
    # 18, 38, 68, 98. The wait after the try at 98 would end at 128, past the grace of 120:
    # that try was the last, and its failure is reported, once, by one of the two processes.
    assert attempts_at == [0, 1, 3, 8, 18, 38, 68, 98]
    assert attempts_at == [sum((0, 1, 2, 5, 10, 20, 30, 30)[: i + 1]) for i in range(8)]
    assert admin_texts(slack) == [
        ":warning: kpibot could not send digest *lost* for 2024-06-28 09:00 CST to C0GONE000: "
        "channel_not_found (8 attempts)"
    ]


def test_a_failure_whose_retries_never_came_is_reported_after_its_grace(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    cfg = {**CONFIG, "digests": CONFIG["digests"][1:], "alerts": []}
    env = Env(tmp_path, slack, open_state, cfg)
    sched = Scheduler(env.cfg, env.dispatcher("a"), clock=lambda: NINE)
    assert sched.tick() == {send_key("digest:lost", NINE): "failed"}
    assert admin_texts(slack) == []  # a retry may still succeed
    # The bot is down until 11:30, past the 120-minute grace: no retry, one report.
    later = Scheduler(
        env.cfg, env.dispatcher("b"), clock=lambda: NINE + timedelta(hours=2, minutes=30)
    )
    assert later.tick() == {}
    assert later.tick() == {}
    assert admin_texts(slack) == [
        ":warning: kpibot could not send digest *lost* for 2024-06-28 09:00 CST to C0GONE000: "
        "channel_not_found"
    ]


def test_admin_reports_follow_the_configured_language(
    tmp_path: Path, slack: SlackEmulator, open_state: Opener
) -> None:
    """app.yaml `language: zh`: the report of a failed send is Chinese (auto or en: English,
    the test above)."""
    cfg = {**CONFIG, "digests": CONFIG["digests"][1:], "alerts": [], "language": "zh"}
    env = Env(tmp_path, slack, open_state, cfg)
    sched = Scheduler(env.cfg, env.dispatcher("a"), clock=lambda: NINE)
    assert sched.tick() == {send_key("digest:lost", NINE): "failed"}
    later = Scheduler(
        env.cfg, env.dispatcher("b"), clock=lambda: NINE + timedelta(hours=2, minutes=30)
    )
    assert later.tick() == {}
    assert admin_texts(slack) == [
        ":warning: kpibot 摘要 *lost*（2024-06-28 09:00 CST）未能发送到 C0GONE000："
        "channel_not_found"
    ]
