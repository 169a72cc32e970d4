"""Subscriptions made in Slack: commands as functions, kept in the store, sent like digests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient

from bot.config import AppConfig
from bot.digests.scheduler import Dispatcher, Scheduler, jobs_of
from bot.digests.sends import SlackPoster
from bot.digests.state import StateStore
from bot.digests.subscriptions import Subscriptions, slack_user_zones
from i18n import Language
from tests.digest_backend import ScriptedBackend
from tests.slack_emulator import SlackEmulator
from tests.state_connections import Opener

NOW = datetime(2024, 6, 27, 12, tzinfo=UTC)  # Thursday, 20:00 in Shanghai


def setup(
    tmp_path: Path, state_database: str, open_state: Opener
) -> tuple[AppConfig, StateStore, Subscriptions, ScriptedBackend]:
    cfg = AppConfig.model_validate(
        {"timezone": "Asia/Shanghai", "state_database": state_database, "base_dir": tmp_path}
    )
    store = StateStore(open_state(cfg.state_location))
    backend = ScriptedBackend(lambda q, d: 0.3)
    return cfg, store, Subscriptions(cfg, store, backend, clock=lambda: NOW), backend


def test_subscribe_list_unsubscribe(
    tmp_path: Path, state_database: str, open_state: Opener
) -> None:
    cfg, store, subs, _ = setup(tmp_path, state_database, open_state)
    assert subs.handle("connect rate last 7 days", "C1", "U1") is None  # a question, not ours
    said = subs.handle("subscribe daily 09:00 connect rate  last 7 days", "C1", "U1")
    assert said == (
        "Subscribed (#1): *connect rate last 7 days* daily 09:00 (Asia/Shanghai) in "
        "this channel. First one Fri 28 Jun 09:00. `/kpi unsubscribe 1` stops it."
    )
    subs.handle("subscribe mondays 08:00 leads this week", "C2", "U2")
    mine = "1. *connect rate last 7 days* daily 09:00 (Asia/Shanghai) in <#C1>"
    # Each person lists their own, from any channel; nobody sees another's.
    assert subs.handle("subscriptions", "C1", "U1") == "Your subscriptions:\n" + mine
    assert subs.handle("subscriptions", "C2", "U1") == "Your subscriptions:\n" + mine
    assert subs.handle("subscriptions", "C1", "U3").startswith("You have no subscriptions.")
    # An admin lists everyone's, with who made each.
    assert subs.handle("subscriptions", "C9", "U9", admin=True) == (
        "Every subscription:\n"
        "1. *connect rate last 7 days* daily 09:00 (Asia/Shanghai) in <#C1>, by <@U1>\n"
        "2. *leads this week* mondays 08:00 (Asia/Shanghai) in <#C2>, by <@U2>"
    )
    # Only its maker (or an admin) stops a subscription, from wherever they are.
    assert subs.handle("unsubscribe 1", "C1", "U2") == (
        "You have no subscription #1 (see `/kpi subscriptions`)."
    )
    assert subs.handle("unsubscribe 1", "C2", "U1") == "Unsubscribed #1: it will not be sent again."
    assert subs.handle("unsubscribe 2", "C9", "U9", admin=True).startswith("Unsubscribed #2")
    assert store.subscriptions() == []


def test_subscriptions_in_chinese(tmp_path: Path, state_database: str, open_state: Opener) -> None:
    """A Chinese command gets Chinese replies: the schedule said in Chinese in the subscriber's
    zone, weekdays by their Chinese names; Chinese schedule words are read too."""
    _, store, subs, _ = setup(tmp_path, state_database, open_state)
    zh = Language.ZH
    said = subs.handle("订阅 每天 09:00 接通率 最近7天", "C1", "U1", lang=zh)
    # NOW is Thu 27 Jun 20:00 in Shanghai: the first is Fri 28 Jun 09:00
    assert said == (
        "已订阅（#1）：*接通率 最近7天*，每天 09:00（Asia/Shanghai），发到本频道。"
        "第一次在 6月28日（周五）09:00。`/kpi 取消订阅 1` 可停止。"
    )
    said = subs.handle("订阅 mondays 08:00 leads this week", "C1", "U1", lang=zh)
    assert "每周一 08:00（Asia/Shanghai）" in said and "7月1日（周一）08:00" in said
    assert subs.handle("订阅列表", "C1", "U1", lang=zh) == (
        "你的订阅：\n"
        "1. *接通率 最近7天* 每天 09:00（Asia/Shanghai），发到 <#C1>\n"
        "2. *leads this week* 每周一 08:00（Asia/Shanghai），发到 <#C1>"
    )
    assert subs.handle("订阅列表", "C1", "U9", lang=zh).startswith("你还没有订阅。请写 `/kpi 订阅")
    not_yours = "你没有 #1 号订阅（见 `/kpi 订阅列表`）。"
    assert subs.handle("取消订阅 1", "C1", "U2", lang=zh) == not_yours
    assert subs.handle("取消订阅 1", "C1", "U1", lang=zh) == "已取消订阅 #1：之后不会再发送。"
    assert subs.handle("取消订阅 第一个", "C1", "U1", lang=zh).startswith("取消哪一个？")
    assert subs.handle("订阅", "C1", "U1", lang=zh).startswith("需要一个时间安排和一个问题。")
    said = subs.handle("订阅 工作日 09:00 conect rate last 7 days", "C1", "U1", lang=zh)
    assert said.startswith("无法订阅：") and "conect rate" in said
    # the schedule's own error is Chinese too, not an English sentence inside a Chinese one
    assert subs.handle("订阅 hourly 09:00 线索数", "C1", "U1", lang=zh) == (
        "时间安排不对：“hourly”不是日期规则；请用 每天、工作日、周末 或 每周一 这样的写法"
        "（例如 “工作日 09:00”、“每天 08:30”、“每周一 09:00”或 cron 表达式（如“0 9 * * 1-5”））。"
    )
    assert subs.handle("订阅 每天 25:00 线索数", "C1", "U1", lang=zh).startswith(
        "时间安排不对：“25:00”不是一天中的时间；请写 00:00 到 23:59 之间的 HH:MM"
    )
    assert [s.schedule for s in store.subscriptions()] == ["mondays 08:00"]


def test_bad_subscriptions_get_words(
    tmp_path: Path, state_database: str, open_state: Opener
) -> None:
    _, store, subs, _ = setup(tmp_path, state_database, open_state)
    assert subs.handle("subscribe", "C1", "U1").startswith("I need a schedule and a question.")
    assert subs.handle("subscribe hourly 09:00 leads", "C1", "U1").startswith(
        'The schedule "hourly" is not a day rule; use daily, weekdays, weekends or a weekday '
        'plural like "mondays" (e.g. "weekdays 09:00", "daily 08:30", "mondays 09:00" or a '
        'cron expression like "0 9 * * 1-5").'
    )
    assert subs.handle("subscribe daily 09:00 conect rate last 7 days", "C1", "U1") == (
        "I can't subscribe to that: I don't know \"conect rate\". Did you mean connect rate?"
    )
    assert subs.handle("unsubscribe first", "C1", "U1").startswith("Which one?")
    assert store.subscriptions() == []


def test_a_subscription_survives_restart_and_is_sent_once(
    tmp_path: Path, state_database: str, open_state: Opener
) -> None:
    cfg, store, subs, backend = setup(tmp_path, state_database, open_state)
    subs.handle("subscribe weekdays 09:00 connect rate last 7 days", "C1", "U1")
    store.close()
    store2 = StateStore(open_state(cfg.state_location))  # a restart
    assert [j.id for j in jobs_of(cfg, store2)] == ["sub:1"]
    at_nine = datetime(2024, 6, 28, 1, tzinfo=UTC)  # 09:00 in Shanghai
    with SlackEmulator() as slack:
        slack.add_channel("C1", "sales")
        poster = SlackPoster(WebClient(token=slack.bot_token, base_url=slack.base_url))
        dispatcher = Dispatcher(cfg, backend, store2, poster, allowed=lambda user, channel: True)
        sched = Scheduler(cfg, dispatcher, clock=lambda: at_nine)
        assert sched.tick() == {"sub:1@2024-06-28T01:00:00Z": "sent"}
        assert sched.tick() == {}
        top = [m.text.splitlines()[0] for m in slack.messages("C1") if m.thread_ts is None]
    assert top == ["subscription 1 · 28 Jun 2024"]
    assert ("connect rate last 7 days", date(2024, 6, 28)) in backend.calls


def test_a_subscription_fires_at_the_subscribers_local_time_across_dst(
    tmp_path: Path, open_state: Opener
) -> None:
    """Dave in New York subscribes on Fri 1 Nov 2024; New York leaves daylight time on Sun 3 Nov
    (02:00 EDT → 01:00 EST). His 09:00 is 13:00 UTC on Saturday, 14:00 UTC from Sunday on.
    The channel digest of app.yaml keeps the organisation's zone: 09:00 Shanghai = 01:00 UTC."""
    cfg = AppConfig.model_validate(
        {
            "timezone": "Asia/Shanghai",
            "base_dir": tmp_path,
            "digests": [
                {
                    "name": "morning",
                    "channel": "C0SALES01",
                    "schedule": "daily 09:00",
                    "questions": ["calls last 7 days"],
                }
            ],
        }
    )
    store = StateStore(open_state(cfg.state_location))
    backend = ScriptedBackend(lambda q, d: 0.3)
    friday = datetime(2024, 11, 1, 16, tzinfo=UTC)  # 12:00 EDT
    with SlackEmulator() as slack:
        slack.add_user("UDAVE", "dave", tz="America/New_York")
        slack.add_channel("C0SALES01", "sales")
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        subs = Subscriptions(
            cfg, store, backend, clock=lambda: friday, user_zone=slack_user_zones(client)
        )
        said = subs.handle("subscribe daily 09:00 connect rate last 7 days", "C0SALES01", "UDAVE")
        assert said == (
            "Subscribed (#1): *connect rate last 7 days* daily 09:00 (America/New_York) in "
            "this channel. First one Sat 02 Nov 09:00. `/kpi unsubscribe 1` stops it."
        )
        subs.handle("subscribe weekdays 08:00 calls last 7 days", "C0SALES01", "UDAVE")
        assert len(slack.calls_to("users.info")) == 1  # the zone is cached
        assert subs.handle("subscriptions", "C0SALES01", "UDAVE").splitlines()[1:3] == [
            "1. *connect rate last 7 days* daily 09:00 (America/New_York) in <#C0SALES01>",
            "2. *calls last 7 days* weekdays 08:00 (America/New_York) in <#C0SALES01>",
        ]
        store.remove_subscription(2, created_by=None)

        # Four days of scheduler ticks every 15 minutes.
        now = [friday]
        poster = SlackPoster(WebClient(token=slack.bot_token, base_url=slack.base_url))
        everyone = lambda user, channel: True  # noqa: E731 - access is tested in test_slack_gate
        dispatcher = Dispatcher(cfg, backend, store, poster, allowed=everyone)
        sched = Scheduler(cfg, dispatcher, clock=lambda: now[0])
        sent: list[str] = []
        while now[0] < datetime(2024, 11, 5, 16, tzinfo=UTC):
            sent += [f"{k} at {now[0]:%a %H:%M}Z" for k, v in sched.tick().items() if v == "sent"]
            now[0] += timedelta(minutes=15)
    assert sent == [
        "digest:morning@2024-11-02T01:00:00Z at Sat 01:00Z",
        "sub:1@2024-11-02T13:00:00Z at Sat 13:00Z",  # 09:00 EDT
        "digest:morning@2024-11-03T01:00:00Z at Sun 01:00Z",
        "sub:1@2024-11-03T14:00:00Z at Sun 14:00Z",  # 09:00 EST, after the change
        "digest:morning@2024-11-04T01:00:00Z at Mon 01:00Z",
        "sub:1@2024-11-04T14:00:00Z at Mon 14:00Z",
        "digest:morning@2024-11-05T01:00:00Z at Tue 01:00Z",
        "sub:1@2024-11-05T14:00:00Z at Tue 14:00Z",
    ]
    # Each was asked for the subscriber's own local day.
    assert ("connect rate last 7 days", date(2024, 11, 3)) in backend.calls


def test_without_a_zone_from_slack_the_org_zone_is_used(
    tmp_path: Path, state_database: str, open_state: Opener
) -> None:
    cfg, store, _, backend = setup(tmp_path, state_database, open_state)
    with SlackEmulator() as slack:
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        subs = Subscriptions(
            cfg, store, backend, clock=lambda: NOW, user_zone=slack_user_zones(client)
        )
        # UNOBODY is not in the workspace: users.info says user_not_found.
        said = subs.handle("subscribe daily 09:00 connect rate last 7 days", "C0SALES01", "UNOBODY")
    assert said is not None and "daily 09:00 (Asia/Shanghai)" in said
