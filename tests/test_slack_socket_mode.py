"""End to end in Socket Mode: `kpibot serve` with SLACK_APP_TOKEN (a real subprocess: slack-bolt's
SocketModeHandler and slack_sdk's client) ↔ the emulator's WebSocket server and Web API.

The same scenarios as tests/test_slack_e2e.py over HTTP (mention, DM, /kpi, buttons, retries),
plus what only Socket Mode has: the hello, acknowledgements by envelope id, disconnect messages
and refreshes, and a connection dropped while an answer is being written. Expected numbers are
the hand-counted ones of tests/slack_backend.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import slack_harness as H
from tests.slack_driver import SocketModeDriver
from tests.slack_emulator import SlackEmulator
from tests.slack_harness import all_text, answers
from tests.slack_socket_mode import Link
from tests.test_slack_e2e import Q_WEEKDAY, table_rows

# slack_sdk's websocket-client Socket Mode client checks its connection every 10 s (ping_interval);
# a refresh can take it that long when its reconnects race (see docs/slack.md).
RECONNECT_SECONDS = 25.0
# connect rate by weekday, counted by hand in tests/slack_backend.py: 12/48 on Mondays.
MONDAY = "25.0%"


@pytest.fixture(scope="module")
def bot(slack: SlackEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[H.Bot]:
    with H.running_bot(slack, tmp_path_factory.mktemp("socket"), socket_mode=True) as b:
        yield b


@pytest.fixture
def drv(bot: H.Bot, slack: SlackEmulator) -> SocketModeDriver:
    slack.settle()  # the previous test's late uploads must not land in this one's log
    H.seed(slack)
    slack.socket.wait_connected()
    return H.socket_driver(slack)


def test_connects_with_the_app_token_and_gets_hello(slack: SlackEmulator, bot: H.Bot) -> None:
    link = slack.socket.wait_connected()
    # The URL came from apps.connections.open, called with the xapp- token (the emulator
    # refuses any other token there), and the single-use ticket was accepted.
    assert slack.socket.tickets[link.ticket] is True
    assert slack.socket.refused == []
    assert "Socket Mode" in bot.log()
    # No HTTP listener in Socket Mode: nothing serves /slack/events on the --port.
    with pytest.raises(OSError):
        H.driver(bot).post(b"{}", "application/json", timeout=1)


def test_mention_is_acked_by_envelope_id_and_answered_in_thread(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    assert sent.status == 200 and sent.seconds < 3.0
    [env] = drv.envelopes
    # The acknowledgement of an event is the envelope id alone.
    assert env.ack == {"envelope_id": env.envelope_id}
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    assert answer.thread_ts == sent.ts
    assert table_rows(answer)["Mon"] == MONDAY
    assert "27 May – 26 Jun 2024 (last 31 days)" in answer.blocks[0]["text"]["text"]


def test_direct_message_answered_in_the_dm(slack: SlackEmulator, drv: SocketModeDriver) -> None:
    assert drv.dm(H.ALICE, H.ALICE_DM, "calls this week").status == 200
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.ALICE_DM)
    assert answer.blocks[1]["fields"][0]["text"] == "*calls*\n*1,234*"


def test_slash_command_ack_carries_the_reply_payload(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    sent = drv.command(
        "revenue won this quarter vs previous period",
        user=H.BOB,
        channel=H.SALES,
        response_url=slack.response_url(),
    )
    assert sent.status == 200 and sent.seconds < 3.0
    [env] = drv.envelopes
    assert env.frame()["accepts_response_payload"] is True
    # Over HTTP the "working on it" line is the response body; here it rides in the ack.
    assert env.ack is not None and "Looking that up" in env.ack["payload"]["text"]
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    # 48,250 won this quarter vs 40,000 in the same part of the previous one: +20.6%.
    assert answer.blocks[1]["fields"][0]["text"].startswith("*revenue won*\n*$48,250*  ▲ 20.6%")


def test_slash_help_is_in_the_ack(drv: SocketModeDriver) -> None:
    sent = drv.command(
        "help", user=H.BOB, channel=H.SALES, response_url="http://127.0.0.1:9/unused"
    )
    assert sent.status == 200
    text = json.dumps(sent.json()["blocks"], ensure_ascii=False)
    assert Q_WEEKDAY in text and "*win rate*" in text


def test_buttons_arrive_as_interactive_envelopes(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "conect rate by weekday last 31 days")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.SALES)
    assert 'I don\'t know "conect rate".' in all_text(msg)
    click = drv.click(msg, Q_WEEKDAY, user=H.ALICE)
    assert click.status == 200 and click.seconds < 3.0
    assert drv.envelopes[-1].type == "interactive"
    slack.wait_for("files.completeUploadExternal")
    answer = answers(slack, H.SALES)[-1]
    assert answer.thread_ts == sent.ts and table_rows(answer)["Mon"] == MONDAY

    assert drv.click(answer, "Show SQL", user=H.BOB).status == 200
    slack.wait_for("chat.postMessage", 3)
    assert "SELECT weekday" in all_text(answers(slack, H.SALES)[-1])


def test_unauthorised_user_is_refused_and_nothing_runs(
    slack: SlackEmulator, drv: SocketModeDriver, bot: H.Bot
) -> None:
    assert drv.mention(H.MALLORY, H.SALES, Q_WEEKDAY).status == 200
    [note] = slack.wait_for("chat.postEphemeral")
    assert note.args["user"] == H.MALLORY
    assert "Sorry, I can only answer KPI questions" in note.args["text"]
    slack.settle()
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("upload") == []
    assert bot.audit()[-1]["outcome"] == "refused"


def test_app_home_and_its_buttons(slack: SlackEmulator, drv: SocketModeDriver) -> None:
    assert drv.home_opened(H.ALICE).status == 200
    slack.wait_for("views.publish")
    assert Q_WEEKDAY in json.dumps(slack.views[H.ALICE], ensure_ascii=False)
    assert drv.click_home(slack.views[H.ALICE], Q_WEEKDAY, user=H.BOB).status == 200
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, "D" + H.BOB[1:])
    assert table_rows(answer)["Mon"] == MONDAY


def test_many_questions_at_once_over_one_connection(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    questions = [
        f"slow {q}" for q in (Q_WEEKDAY, "calls this week", "win rate by rep this quarter")
    ] * 4
    with ThreadPoolExecutor(len(questions)) as pool:
        sent = list(pool.map(lambda q: drv.mention(H.ALICE, H.SALES, q), questions))
    # Every envelope acknowledged within Slack's 3 s although each answer takes a while.
    assert all(s.status == 200 and s.seconds < 3.0 for s in sent)
    assert len({e.connection for e in drv.envelopes}) == 1
    slack.wait_for("files.completeUploadExternal", len(questions), timeout=30)
    assert {m.thread_ts for m in answers(slack, H.SALES)} == {s.ts for s in sent}


def test_redelivered_event_is_acked_and_answered_once(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    first = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY, event_id="EvSOCKREPEAT1")
    again = drv.mention(
        H.ALICE, H.SALES, Q_WEEKDAY, ts=first.ts, event_id="EvSOCKREPEAT1", retry_num=1
    )
    third = drv.mention(
        H.ALICE, H.SALES, Q_WEEKDAY, ts=first.ts, event_id="EvSOCKREPEAT1", retry_num=2
    )
    # Every delivery is acknowledged (else Slack keeps retrying), the question runs once.
    assert (first.status, again.status, third.status) == (200, 200, 200)
    assert [e.retry_attempt for e in slack.socket.deliveries_of("EvSOCKREPEAT1")] == [0, 1, 2]
    slack.wait_for("files.completeUploadExternal")
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_warning_and_refresh_requested_move_the_bot_to_a_new_connection(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    for reason in ("warning", "refresh_requested"):
        opens = len(slack.calls_to("apps.connections.open"))
        old = slack.socket.disconnect(reason)
        # A new URL through the Web API, a new connection, and the old one given up.
        slack.socket.wait_closed(old)
        new = slack.socket.wait_connected(timeout=RECONNECT_SECONDS)
        assert new is not old and new.ticket != old.ticket
        # Usually exactly one more; slack_sdk's client can race into a second (docs/slack.md).
        assert len(slack.calls_to("apps.connections.open")) > opens
    # No connection is left behind: the bot holds exactly one (Slack allows ten per app).
    newest = _single_connection(slack)
    # The bot answers on the connection it has now.
    sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    assert sent.status == 200 and drv.envelopes[-1].connection == newest.number
    slack.wait_for("files.completeUploadExternal")
    assert table_rows(answers(slack, H.SALES)[0])["Mon"] == MONDAY


def test_connection_dropped_mid_answer(slack: SlackEmulator, drv: SocketModeDriver) -> None:
    # The answer is slow to post; the connection dies after the ack, while it is being written.
    slack.fail("chat.postMessage", delay=2.0)
    before = len(slack.socket.links)
    sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    assert sent.status == 200
    slack.wait_for(lambda: bool(slack.calls_to("chat.postMessage")))
    dropped = slack.socket.drop()
    # The answer still arrives (it goes over the Web API), once, in the asker's thread.
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    assert answer.thread_ts == sent.ts and table_rows(answer)["Mon"] == MONDAY
    # The bot notices the dead connection by itself and opens a new one.
    t0 = time.monotonic()
    link = slack.socket.wait_connections(before + 1, timeout=60)
    assert link is not dropped
    reconnect_seconds = time.monotonic() - t0
    assert reconnect_seconds < 15, f"reconnected only after {reconnect_seconds:.1f}s"
    assert drv.dm(H.ALICE, H.ALICE_DM, "calls this week").status == 200
    slack.wait_for("files.completeUploadExternal", 2)


def test_event_lost_with_a_dropped_connection_is_redelivered_and_answered_once(
    slack: SlackEmulator, drv: SocketModeDriver
) -> None:
    before = len(slack.socket.links)
    # The envelope goes out but never reaches the bot: the connection dies on the way.
    sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY, event_id="EvSOCKLOST1", lost=True, timeout=0)
    assert sent.status == 0
    slack.socket.drop()
    # Slack retries the unacknowledged event on whatever connection the bot opens next.
    slack.socket.wait_connections(before + 1, timeout=60)
    slack.wait_for("files.completeUploadExternal", timeout=60)
    slack.settle()
    first, retry = slack.socket.deliveries_of("EvSOCKLOST1")
    assert (first.ack, retry.retry_attempt, retry.retry_reason) == (None, 1, "timeout")
    assert retry.ack == {"envelope_id": retry.envelope_id}
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert answers(slack, H.SALES)[0].thread_ts == sent.ts


def _single_connection(slack: SlackEmulator) -> Link:
    """The bot's one open connection, once the reconnect churn has settled."""
    deadline = time.monotonic() + RECONNECT_SECONDS
    while time.monotonic() < deadline:
        links = slack.socket.open_links()
        if len(links) == 1:
            time.sleep(1.0)  # and it stays the only one
            if slack.socket.open_links() == links:
                return links[0]
        time.sleep(0.2)
    raise AssertionError(f"open connections: {[link.number for link in slack.socket.open_links()]}")


def test_the_emulator_hands_out_single_use_urls_for_the_app_token_only() -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with SlackEmulator() as slack:
        with pytest.raises(SlackApiError) as e:
            WebClient(token=slack.bot_token, base_url=slack.base_url).apps_connections_open(
                app_token=slack.bot_token
            )
        assert e.value.response["error"] == "not_allowed_token_type"
        web = WebClient(token=slack.app_token, base_url=slack.base_url)
        with pytest.raises(SlackApiError):
            web.chat_postMessage(channel="C1", text="an app token cannot post")
        url = web.apps_connections_open(app_token=slack.app_token)["url"]
        assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
        with connect(url) as ws:
            hello = json.loads(ws.recv(timeout=5))
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0TEST"}
            env = slack.socket.deliver("slash_commands", {"command": "/kpi", "text": "help"})
            frame = json.loads(ws.recv(timeout=5))
            assert frame == env.frame() and frame["accepts_response_payload"] is True
            ws.send(json.dumps({"envelope_id": env.envelope_id, "payload": {"text": "hi"}}))
            assert slack.socket.wait_ack(env) == {
                "envelope_id": env.envelope_id,
                "payload": {"text": "hi"},
            }
            with pytest.raises(InvalidStatus):  # the ticket was used
                connect(url)
        assert slack.socket.refused == [url[url.index("/link") :]]


def test_sigterm_finishes_the_answers_in_flight_then_exits(
    tmp_path: Path, slack: SlackEmulator, bot: H.Bot
) -> None:
    # A second bot of its own, to stop (the module's bot keeps serving the other tests).
    slack.settle()
    H.seed(slack)
    with H.running_bot(slack, tmp_path, socket_mode=True) as own:
        link = slack.socket.current()
        assert link is not None
        drv = H.socket_driver(slack)
        slack.fail("chat.postMessage", delay=2.0)  # the answer is still being posted…
        sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
        assert sent.status == 200
        slack.wait_for(lambda: bool(slack.calls_to("chat.postMessage")))
        own.proc.terminate()  # …when the bot is told to stop
        assert own.proc.wait(timeout=30) == 0
        # The answer went out in full, then the bot closed its connection and left.
        slack.wait_for("files.completeUploadExternal", timeout=1)
        [answer] = answers(slack, H.SALES)
        assert answer.thread_ts == sent.ts and table_rows(answer)["Mon"] == MONDAY
        slack.socket.wait_closed(link, timeout=5)
        assert link.close_reason == "client"
        assert "finishing the ones in flight" in own.log()
