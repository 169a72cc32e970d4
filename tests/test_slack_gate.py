"""The one gate: every listener on the real bolt App refuses a person or place the access rules
refuse, and every attempt is in the audit log. Requests go over HTTP to `kpibot serve` (gunicorn +
slack-bolt, a subprocess) and the bot talks to the loopback Slack emulator.

The listeners are enumerated from the App object itself (a SlackBot built exactly as `serve`
builds it): each must be matched by one of the requests this test sends, so a new listener
without a request here fails the test until it is covered.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from slack_bolt import App, BoltRequest, BoltResponse

from bot.backend import load_backend
from bot.config import AppConfig
from bot.slack.app import COMMANDS, SlackBot, SlackEnv
from bot.slack.blocks import ButtonState
from bot.slack.messages import words_in
from bot.slack.router import _BOLT_REGISTRARS, Route
from bot.slack.typeahead import search_view
from i18n import Language
from tests import slack_harness as H
from tests.slack_driver import SlackDriver
from tests.slack_emulator import SlackEmulator

M = words_in(Language.EN)  # the emulator's users have no Slack locale: English

MALLORY_DM = "DMALLORY"
# A regex route needs an example id here: the test cannot invent one from a pattern.
EXAMPLE_ACTION_IDS = ("kpi_ask_0", "kpi_home_ask_0", "kpi_home_board_0", "kpi_gone")
VALUE = ButtonState("connect rate by weekday last 31 days", None, None).encode()


class Recorder(SlackDriver):
    """A driver that also keeps every body it sent, to match against the App's listeners."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sent: list[tuple[bytes, str]] = []

    def post(self, body: bytes, content_type: str, **kw: Any) -> tuple[int, str, float]:
        self.sent.append((body, content_type))
        return super().post(body, content_type, **kw)


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


def seed(slack: SlackEmulator) -> None:
    H.seed(slack)
    slack.add_dm(MALLORY_DM, H.MALLORY)


@pytest.fixture(scope="module")
def app_listeners(slack: SlackEmulator, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real App, built as `kpibot serve` builds it, and its routes."""
    seed(slack)
    tmp = tmp_path_factory.mktemp("app")
    cfg = AppConfig.model_validate(
        {"access": H.ACCESS, "state_database": "state.sqlite", "base_dir": tmp}
    )
    env = SlackEnv.from_environ(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": H.SECRET,
            "SLACK_API_URL": slack.base_url,
        }
    )
    bot = SlackBot(env, cfg, load_backend(H.BACKEND, cfg), digests=True)
    try:
        yield bot.app, list(bot.router.routes)
    finally:
        bot.close()


def button(drv: SlackDriver, action_id: str, user: str, channel: str, **kw: Any) -> Any:
    element = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": "x"},
        "value": kw.pop("value", VALUE),
    }
    message = SimpleNamespace(
        ts="1719450000.000100", text="an answer", blocks=[], thread_ts=None, channel=channel
    )
    return drv.block_action(message, "b", element, user=user, **kw)


def home_button(drv: SlackDriver, action_id: str, user: str) -> Any:
    view = {
        "blocks": [
            {
                "type": "actions",
                "block_id": "kpi_home_examples",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "text": {"type": "plain_text", "text": "x"},
                        "value": VALUE,
                    }
                ],
            }
        ]
    }
    return drv.click_home(view, "x", user=user)


def every_request(
    drv: SlackDriver, routes: list[Route], user: str, channel: str, dm: str, slack: SlackEmulator
) -> list[tuple[str, Any]]:
    """One request per route (per sub-command for /kpi), as ``user`` in ``channel``."""
    out: list[tuple[str, Any]] = []
    url = slack.response_url("refused")
    for route in routes:
        if route.kind == "event" and route.key == "app_mention":
            out.append(("mention", drv.mention(user, channel, "revenue won by rep this quarter")))
        elif route.kind == "event" and route.key == "message":
            out.append(("dm", drv.dm(user, dm, "revenue won by rep this quarter")))
        elif route.kind == "event" and route.key == "app_home_opened":
            out.append(("home", drv.home_opened(user)))
        elif route.kind == "command":
            words = sorted(w for ws, _ in COMMANDS for w in ws)
            texts = [f"{w} daily 10:00 revenue won by rep" if w else "" for w in words]
            texts += ["subscriptions", "unsubscribe 1", "revenue won by rep this quarter"]
            for text in texts:
                out.append(
                    (
                        f"/kpi {text}",
                        drv.command(text, user=user, channel=channel, response_url=url),
                    )
                )
        elif route.kind == "action":
            ids = (
                [route.key]
                if isinstance(route.key, str)
                else [x for x in EXAMPLE_ACTION_IDS if route.key.fullmatch(x)]
            )
            assert ids, f"no example action id for {route.key!r}: add one to EXAMPLE_ACTION_IDS"
            for action_id in ids:
                if "home" in action_id:
                    out.append((action_id, home_button(drv, action_id, user)))
                else:
                    out.append((action_id, button(drv, action_id, user, channel, response_url=url)))
        elif route.kind == "options":  # a keystroke in the /kpi search box
            view = search_view(channel)
            out.append(("options", drv.suggest("VM0001", view, "conn", user=user)))
        elif route.kind == "view":
            view = {"id": "V1", "type": "modal", "callback_id": route.key, "private_metadata": ""}
            out.append((f"view {route.key}", drv.submit_view(view, {}, user=user)))
        else:
            raise AssertionError(f"no request for route {route}: add one here")
    return out


def matched(app: Any, sent: list[tuple[bytes, str]]) -> set[int]:
    """Which of the App's listeners (by position) the sent requests reach."""
    hit: set[int] = set()
    for body, content_type in sent:
        req = BoltRequest(body=body.decode(), headers={"content-type": content_type})
        for i, listener in enumerate(app._listeners):
            if listener.matches(req=req, resp=BoltResponse(status=200)):
                hit.add(i)
    return hit


def subscriptions(bot: H.Bot) -> list[tuple[Any, ...]]:
    rows = bot.state_rows("SELECT id, created_by, active FROM digest_subscriptions")
    return [(r["id"], r["created_by"], r["active"]) for r in rows]


CASES = {
    # Mallory is on no list (the report); Alice is, but #general is not a listed channel.
    "user not listed": (H.ACCESS, H.MALLORY, H.SALES, MALLORY_DM, "user not allowed"),
    "channel not listed": (
        {"users": [H.ALICE], "channels": [H.SALES]},
        H.ALICE,
        H.PUBLIC,
        H.ALICE_DM,
        "channel not allowed",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_listener_refuses_and_audits(
    case: str, slack: SlackEmulator, app_listeners: Any, tmp_path: Path
) -> None:
    access, user, channel, dm, why = CASES[case]
    app, routes = app_listeners
    seed(slack)
    with H.running_bot(slack, tmp_path, access=access) as bot:
        drv = Recorder(bot.url, H.SECRET)
        before = len(bot.audit())
        results = every_request(drv, routes, user, channel, dm, slack)
        time.sleep(1.0)  # let any (wrongly) started work reach Slack before we look
        rows = bot.audit()[before:]
        log = bot.log()
        subs = subscriptions(bot)
    # Every listener on the App was reached by one of these requests.
    assert matched(app, drv.sent) == set(range(len(app._listeners)))
    assert all(r.status == 200 for _, r in results), [(n, r.status) for n, r in results]
    if case == "channel not listed":
        # The DM, the App Home and the search box's keystrokes are no channel: Alice may use
        # them (a choice in the box is still refused where it would be answered). A modal is
        # no channel either: Alice may submit one (the pin checks the channel). The rest is
        # refused.
        personal = ("dm", "home", "kpi_home_ask_0", "kpi_home_board_0", "options")
        results = [(n, r) for n, r in results if n not in personal and not n.startswith("view ")]
        rows = [r for r in rows if r["source"] not in ("dm", "home", "options", "view")]
        rows = [
            r for r in rows if not r["question"].startswith(("kpi_home_ask_0", "kpi_home_board_0"))
        ]
    # One audit row per attempt, each refused, with the reason.
    assert len(rows) == len(results)
    assert {(r["user_id"], r["outcome"], r["detail"]) for r in rows} == {(user, "refused", why)}
    # Nothing ran: no answer, no subscription, no chart; the slash commands got the refusal.
    refusal = M.REFUSED_USER if case == "user not listed" else M.REFUSED_CHANNEL
    for name, r in results:
        if name.startswith("/kpi"):
            assert r.json() == {"response_type": "ephemeral", "text": refusal}, name
    assert H.answers(slack, channel) == []
    uploads = slack.calls_to("files.completeUploadExternal")
    assert [c for c in uploads if c.args.get("channel_id") == channel] == []
    assert subs == []
    assert "Traceback" not in log
    if case == "user not listed":  # the App Home says so instead of listing KPIs
        assert json.dumps(slack.views[user]).count(M.REFUSED_USER[:40]) == 1


def test_the_reported_attack_subscribe_list_and_delete(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """Mallory (on no list) subscribes, lists and deletes Alice's subscription: all refused."""
    seed(slack)
    with H.running_bot(slack, tmp_path) as bot:
        drv = H.driver(bot)
        drv.command(
            "subscribe daily 10:00 connect rate by weekday last 31 days",
            user=H.ALICE,
            channel=H.SALES,
            response_url=slack.response_url("a"),
        )
        slack.wait_for("respond")
        assert slack.responses[-1]["text"].startswith("Subscribed (#1)")
        for text in (
            "subscribe daily 10:00 revenue won by rep this quarter",
            "subscriptions",
            "unsubscribe 1",
        ):
            r = drv.command(
                text, user=H.MALLORY, channel=H.PUBLIC, response_url=slack.response_url("m")
            )
            assert r.json()["text"] == M.REFUSED_USER
        assert subscriptions(bot) == [(1, H.ALICE, 1)]
        refused = [(r["question"], r["outcome"]) for r in bot.audit() if r["user_id"] == H.MALLORY]
    assert refused == [
        ("subscribe daily 10:00 revenue won by rep this quarter", "refused"),
        ("subscriptions", "refused"),
        ("unsubscribe 1", "refused"),
    ]


def test_listeners_cannot_be_added_around_the_router(app_listeners: Any) -> None:
    app, _ = app_listeners
    for register in sorted(_BOLT_REGISTRARS):
        assert callable(getattr(App, register)), register  # a real bolt method, no typo
        with pytest.raises(TypeError, match="Router.on"):
            getattr(app, register)
    # The gate is the last global middleware, after bolt's signature check and the dedupe.
    names = [m.name for m in app._middleware_list]
    assert "func=access_gate" in names[-1] and "func=dedupe_events" in names[-2]
    assert any(n.endswith(".RequestVerification") for n in names[:-2])


def test_allowed_clicks_are_audited_too(slack: SlackEmulator, tmp_path: Path) -> None:
    seed(slack)
    with H.running_bot(slack, tmp_path) as bot:
        drv = H.driver(bot)
        drv.mention(H.ALICE, H.SALES, "connect rate by weekday last 31 days")
        slack.wait_for("files.completeUploadExternal")
        [answer] = H.answers(slack, H.SALES)
        drv.click(answer, M.BUTTON_SQL, user=H.BOB)
        slack.wait_for(lambda: len(H.answers(slack, H.SALES, answer.thread_ts)) >= 2)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and bot.audit()[-1]["outcome"] is None:
            time.sleep(0.05)
        rows = bot.audit()
    assert [(r["user_id"], r["source"], r["outcome"], r["detail"]) for r in rows] == [
        (H.ALICE, "mention", "answered", None),
        (H.BOB, "button", "answered", "sql"),
    ]
    assert rows[1]["question"].startswith("kpi_sql {")


def test_a_malformed_button_value_gets_a_polite_word(slack: SlackEmulator, tmp_path: Path) -> None:
    seed(slack)
    with H.running_bot(slack, tmp_path) as bot:
        drv = H.driver(bot)
        for value in ('{"q":', "[1, 2]", "not json at all", '{"q": "x", "t": "yesterday"}'):
            r = button(
                drv, "kpi_sql", H.ALICE, H.SALES, value=value, response_url=slack.response_url("v")
            )
            assert r.status == 200 and r.seconds < 2.5
        # A button this version does not have (from an old message): the same polite word.
        gone = button(drv, "kpi_gone", H.ALICE, H.SALES, response_url=slack.response_url("g"))
        assert gone.status == 200
        slack.wait_for(lambda: len(slack.responses) >= 5)
        log = bot.log()
        rows = bot.audit()
    assert {json.dumps(x["text"]) for x in slack.responses} == {json.dumps(M.STALE_BUTTON)}
    assert [(r["outcome"], r["detail"]) for r in rows] == [
        ("user_error", "malformed button value")
    ] * 4 + [("user_error", "unknown button")]
    assert "Traceback" not in log
    assert len(re.findall("malformed value", log)) == 4


def test_kinds_without_a_listener_are_refused_and_audited_too(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """Modals, menus and shortcuts have no listener yet; the gate refuses them all the same."""
    seed(slack)
    user = {"id": H.MALLORY, "username": "mallory", "team_id": "T0TEST"}
    payloads = [
        {
            "type": "view_submission",
            "user": user,
            "view": {"id": "V1", "type": "modal", "callback_id": "kpi_x"},
        },
        {
            "type": "block_suggestion",
            "user": user,
            "action_id": "kpi_pick",
            "value": "re",
            "container": {"type": "message", "channel_id": H.SALES},
        },
        {"type": "shortcut", "user": user, "callback_id": "kpi_short"},
        {
            "type": "message_action",
            "user": user,
            "callback_id": "kpi_msg",
            "channel": {"id": H.SALES},
            "response_url": slack.response_url("ma"),
        },
    ]
    with H.running_bot(slack, tmp_path) as bot:
        drv = H.driver(bot)
        got = []
        for p in payloads:
            body = ("payload=" + quote(json.dumps(p))).encode()
            got.append(drv.post(body, "application/x-www-form-urlencoded"))
        # The modal and the global shortcut have no channel: the refusal comes by DM.
        slack.wait_for(lambda: len(slack.messages(MALLORY_DM)) >= 2)
        rows = bot.audit()
    assert [m.text for m in slack.messages(MALLORY_DM)] == [M.REFUSED_USER] * 2
    assert [status for status, _, _ in got] == [200] * 4
    assert json.loads(got[1][1]) == {"options": []}
    assert [(r["user_id"], r["source"], r["outcome"]) for r in rows] == [
        (H.MALLORY, "view", "refused"),
        (H.MALLORY, "options", "refused"),
        (H.MALLORY, "shortcut", "refused"),
        (H.MALLORY, "shortcut", "refused"),
    ]


def test_own_subscriptions_only_admins_all(slack: SlackEmulator, tmp_path: Path) -> None:
    """Over /kpi: Bob cannot stop Alice's subscription; Carol, an admin by email, lists and
    stops it."""
    seed(slack)
    access = {"users": [H.ALICE, H.BOB], "admins": ["carol@example.com"]}

    def kpi(drv: SlackDriver, user: str, text: str) -> str:
        n = len(slack.responses)
        drv.command(text, user=user, channel=H.SALES, response_url=slack.response_url(user))
        slack.wait_for(lambda: len(slack.responses) > n)
        return str(slack.responses[-1]["text"])

    with H.running_bot(slack, tmp_path, access=access) as bot:
        drv = H.driver(bot)
        said = kpi(drv, H.ALICE, "subscribe daily 09:00 connect rate by weekday last 31 days")
        assert said.startswith("Subscribed (#1)")
        assert kpi(drv, H.BOB, "subscriptions").startswith("You have no subscriptions.")
        assert kpi(drv, H.BOB, "unsubscribe 1") == (
            "You have no subscription #1 (see `/kpi subscriptions`)."
        )
        listing = kpi(drv, H.CAROL, "subscriptions")
        assert listing.startswith("Every subscription:") and f"by <@{H.ALICE}>" in listing
        assert kpi(drv, H.CAROL, "unsubscribe 1") == "Unsubscribed #1: it will not be sent again."
        assert subscriptions(bot) == [(1, H.ALICE, 0)]


def test_a_subscription_made_through_the_gate_runs_in_the_subscribers_zone(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """`/kpi subscribe` through the real serve: Slack's users.info says Dave is in Berlin, so
    09:00 is Berlin's 09:00 and the confirmation says so (the org zone is Asia/Shanghai)."""
    seed(slack)
    slack.add_user("U0DAVE0001", "dave", email="dave@example.com", tz="Europe/Berlin")
    access = {"users": [H.ALICE, "U0DAVE0001"]}
    with H.running_bot(slack, tmp_path, access=access) as bot:
        drv = H.driver(bot)
        n = len(slack.responses)
        drv.command(
            "subscribe daily 09:00 connect rate by weekday last 31 days",
            user="U0DAVE0001",
            channel=H.SALES,
            response_url=slack.response_url("dave"),
        )
        slack.wait_for(lambda: len(slack.responses) > n)
        said = str(slack.responses[-1]["text"])
    assert said.startswith("Subscribed (#1)") and "daily 09:00 (Europe/Berlin)" in said, said
