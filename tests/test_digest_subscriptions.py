"""Subscriptions made in Slack: commands as functions, kept in the store, sent like digests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from slack_sdk import WebClient

from bot.config import AppConfig
from bot.digests.scheduler import Dispatcher, Scheduler, jobs_of
from bot.digests.sends import SlackPoster
from bot.digests.state import StateStore
from bot.digests.subscriptions import Subscriptions
from tests.test_digest_helpers import ScriptedBackend
from tests.test_digest_slack_support import DigestSlack

NOW = datetime(2024, 6, 27, 12, tzinfo=UTC)  # Thursday, 20:00 in Shanghai


def setup(tmp_path: Path) -> tuple[AppConfig, StateStore, Subscriptions, ScriptedBackend]:
    cfg = AppConfig.model_validate({"timezone": "Asia/Shanghai", "base_dir": tmp_path})
    store = StateStore(cfg.state_path)
    backend = ScriptedBackend(lambda q, d: 0.3)
    return cfg, store, Subscriptions(cfg, store, backend, clock=lambda: NOW), backend


def test_subscribe_list_unsubscribe(tmp_path: Path) -> None:
    cfg, store, subs, _ = setup(tmp_path)
    assert subs.handle("connect rate last 7 days", "C1", "U1") is None  # a question, not ours
    said = subs.handle("subscribe daily 09:00 connect rate  last 7 days", "C1", "U1")
    assert said == (
        "Subscribed (#1): *connect rate last 7 days* daily 09:00 (Asia/Shanghai) in "
        "this channel. First one Fri 28 Jun 09:00. `/kpi unsubscribe 1` stops it."
    )
    assert subs.handle("subscriptions", "C1", "U1") == (
        "Subscriptions in this channel:\n"
        "1. *connect rate last 7 days* daily 09:00 (Asia/Shanghai), by <@U1>"
    )
    assert subs.handle("subscriptions", "C2", "U1").startswith("No subscriptions in this channel.")
    assert subs.handle("unsubscribe 1", "C2", "U1") == (
        "There is no subscription #1 in this channel (see `/kpi subscriptions`)."
    )
    assert subs.handle("unsubscribe 1", "C1", "U1") == "Unsubscribed #1: it will not be sent again."
    assert store.subscriptions() == []


def test_bad_subscriptions_get_words(tmp_path: Path) -> None:
    _, store, subs, _ = setup(tmp_path)
    assert subs.handle("subscribe", "C1", "U1").startswith("I need a schedule and a question.")
    assert subs.handle("subscribe hourly 09:00 leads", "C1", "U1").startswith(
        'The schedule "hourly" is not a day rule'
    )
    assert subs.handle("subscribe daily 09:00 conect rate last 7 days", "C1", "U1") == (
        "I can't subscribe to that: I don't know \"conect rate\". Did you mean connect rate?"
    )
    assert subs.handle("unsubscribe first", "C1", "U1").startswith("Which one?")
    assert store.subscriptions() == []


def test_a_subscription_survives_restart_and_is_sent_once(tmp_path: Path) -> None:
    cfg, store, subs, backend = setup(tmp_path)
    subs.handle("subscribe weekdays 09:00 connect rate last 7 days", "C1", "U1")
    store.close()
    store2 = StateStore(cfg.state_path)  # a restart
    assert [j.id for j in jobs_of(cfg, store2)] == ["sub:1"]
    at_nine = datetime(2024, 6, 28, 1, tzinfo=UTC)  # 09:00 in Shanghai
    with DigestSlack() as slack:
        slack.add_channel("C1", "sales")
        poster = SlackPoster(WebClient(token=slack.bot_token, base_url=slack.base_url))
        sched = Scheduler(cfg, Dispatcher(cfg, backend, store2, poster), clock=lambda: at_nine)
        assert sched.tick() == {"sub:1@2024-06-28T01:00:00Z": "sent"}
        assert sched.tick() == {}
        top = [m.text.splitlines()[0] for m in slack.messages("C1") if m.thread_ts is None]
    assert top == ["subscription 1 · 28 Jun 2024"]
    assert ("connect rate last 7 days", date(2024, 6, 28)) in backend.calls
