"""End to end: signed requests → `kpibot serve` (gunicorn + slack-bolt, a real subprocess) →
the loopback Slack emulator. Expected numbers are the hand-counted ones of tests/slack_backend.py.
"""

from __future__ import annotations

import csv
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import slack_harness as H
from tests.slack_backend import PNG
from tests.slack_driver import SlackDriver
from tests.slack_emulator import Message, SlackEmulator
from tests.slack_harness import all_text, answers, table

Q_WEEKDAY = "connect rate by weekday last 31 days"


def table_rows(m: Message) -> dict[str, str]:
    """The monospace table of an answer as {first cell: last cell}."""
    return {cells[0]: cells[-1] for cells in table(m)[1:]}


def test_mention_answered_in_its_thread_with_numbers_and_chart(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    assert sent.status == 200 and sent.seconds < 3.0
    done = slack.wait_for("files.completeUploadExternal")[0]
    [answer] = answers(slack, H.SALES)
    assert answer.thread_ts == sent.ts
    assert "27 May – 26 Jun 2024 (last 31 days)" in answer.blocks[0]["text"]["text"]
    # connected / calls, counted by hand: 12/48, 10/50, 15/45, 7/39, 20/40, 0/3, none.
    assert table_rows(answer) == {
        "Mon": "25.0%",
        "Tue": "20.0%",
        "Wed": "33.3%",
        "Thu": "17.9%",
        "Fri": "50.0%",
        "Sat": "0.0%",
        "Sun": "—",
    }
    # One "data as of" text everywhere, in the org zone, named: 2024-06-27 00:30Z is 08:30 CST.
    assert "data as of 27 Jun 2024 08:30 CST" in all_text(answer)
    # The chart: the three-step upload, into the same thread.
    [upload] = slack.calls_to("upload")
    assert upload.data == PNG
    assert done.args["channel_id"] == H.SALES and done.args["thread_ts"] == sent.ts
    assert slack.calls_to("files.getUploadURLExternal")[0].args["filename"].endswith(".png")
    H.check_snapshot("mention_answer", {"text": answer.text, "blocks": answer.blocks})
    row = bot.audit()[-1]
    assert (
        row["user_id"],
        row["channel_id"],
        row["source"],
        row["question"],
        row["outcome"],
        row["row_count"],
    ) == (H.ALICE, H.SALES, "mention", Q_WEEKDAY, "answered", 7)
    assert (
        row["sql"].startswith("SELECT") and row["duration_ms"] > 0 and row["thread_ts"] == sent.ts
    )


def test_direct_message_answered_in_the_dm(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.dm(H.ALICE, H.ALICE_DM, "calls this week")
    assert sent.status == 200
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.ALICE_DM)
    assert answer.thread_ts is None  # a top-level DM gets a top-level answer
    fields = answer.blocks[1]["fields"]
    assert fields[0]["text"] == "*calls*\n*1,234*"
    assert "24 – 27 Jun 2024 (this week)" in all_text(answer)


def test_slash_command_acks_then_posts_in_channel(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.command(
        "revenue won this quarter vs previous period",
        user=H.BOB,
        channel=H.SALES,
        response_url=slack.response_url(),
    )
    assert sent.status == 200 and sent.seconds < 3.0
    assert "Looking that up" in sent.body
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    field = answer.blocks[1]["fields"][0]["text"]
    # 48,250 won this quarter vs 40,000 in the same part of the previous one: +20.6%.
    assert field == "*revenue won*\n*$48,250*  ▲ 20.6%\nprevious: $40,000 (1 Jan – 28 Mar 2024)"
    assert f"Asked by <@{H.BOB}>" in all_text(answer)
    H.check_snapshot(
        "command_answer", {"ack": sent.body, "text": answer.text, "blocks": answer.blocks}
    )


def test_slash_help_is_immediate_and_lists_kpis(drv: SlackDriver) -> None:
    sent = drv.command(
        "help", user=H.BOB, channel=H.SALES, response_url="http://127.0.0.1:9/unused"
    )
    assert sent.status == 200
    body = sent.json()
    text = json.dumps(body["blocks"], ensure_ascii=False)
    assert "connect rate by weekday last 31 days" in text and "*win rate*" in text


def test_did_you_mean_button_asks_the_suggestion(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "conect rate by weekday last 31 days")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.SALES)
    assert 'I don\'t know "conect rate".' in all_text(msg)
    assert msg.thread_ts == sent.ts
    H.check_snapshot("did_you_mean", {"text": msg.text, "blocks": msg.blocks})
    click = drv.click(msg, Q_WEEKDAY, user=H.ALICE)
    assert click.status == 200 and click.seconds < 3.0
    slack.wait_for("files.completeUploadExternal")
    answer = answers(slack, H.SALES)[-1]
    assert answer.thread_ts == sent.ts
    assert table_rows(answer)["Mon"] == "25.0%"


def test_answer_buttons_sql_csv_previous_period(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)

    assert drv.click(answer, "Show SQL", user=H.BOB).status == 200
    slack.wait_for("chat.postMessage", 2)
    sql = answers(slack, H.SALES)[-1]
    assert sql.thread_ts == sent.ts
    assert "```\nSELECT weekday" in all_text(sql).replace("\\n", "\n")
    H.check_snapshot("show_sql", {"text": sql.text, "blocks": sql.blocks})

    assert drv.click(answer, "Download CSV", user=H.BOB).status == 200
    done = slack.wait_for("files.completeUploadExternal", 2)[-1]
    assert done.args["thread_ts"] == sent.ts
    data = slack.calls_to("upload")[-1].data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["weekday", "connect rate"]
    assert rows[1] == ["Mon", "0.25"] and rows[7] == ["Sun", ""]  # raw fractions, empty for none
    assert float(rows[4][1]) == pytest.approx(7 / 39, abs=1e-12)

    assert drv.click(answer, "Previous period", user=H.BOB).status == 200
    slack.wait_for("files.completeUploadExternal", 3)
    prev = answers(slack, H.SALES)[-1]
    assert prev.thread_ts == sent.ts
    assert "26 Apr 2024 – 26 May 2024 (previous period)" in prev.blocks[0]["text"]["text"]
    assert table_rows(prev)["Mon"] == "20.0%"


def test_retries_and_repeated_event_ids_answered_once(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    first = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY, event_id="EvREPEAT1")
    again = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY, ts=first.ts, event_id="EvREPEAT1", retry_num=1)
    third = drv.mention(
        H.ALICE,
        H.SALES,
        Q_WEEKDAY,
        ts=first.ts,
        event_id="EvREPEAT1",
        retry_num=2,
        retry_reason="http_error",
    )
    assert (first.status, again.status, third.status) == (200, 200, 200)
    # A retry of an event never seen (the bot was down for the first delivery) is answered.
    fresh = drv.mention(H.ALICE, H.SALES, "calls this week", event_id="EvMISSED1", retry_num=1)
    assert fresh.status == 200
    slack.wait_for("files.completeUploadExternal", 2)
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert sorted(m.thread_ts for m in answers(slack, H.SALES)) == sorted([first.ts, fresh.ts])


def test_bad_signature_and_stale_timestamp_rejected(slack: SlackEmulator, drv: SlackDriver) -> None:
    forged = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY, signature="v0=" + "0" * 64)
    assert forged.status == 401
    stale = drv.mention(H.ALICE, H.SALES, Q_WEEKDAY, timestamp=int(time.time()) - 301)
    assert stale.status == 401
    wrong = SlackDriver(drv.url.removesuffix("/slack/events"), "not-the-secret").command(
        "calls this week", user=H.ALICE, channel=H.SALES, response_url=slack.response_url()
    )
    assert wrong.status == 401
    slack.settle(quiet=0.5)
    assert slack.calls == []  # nothing ran


def test_rate_limited_post_is_retried_after_retry_after(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    slack.wait_for("files.completeUploadExternal")
    first, second = slack.calls_to("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert len(answers(slack, H.SALES)) == 1


def test_server_error_on_upload_completion_is_retried(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    slack.fail("files.completeUploadExternal", status=500)
    drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)
    slack.wait_for("files.completeUploadExternal", 2)
    assert [c.status for c in slack.calls_to("files.completeUploadExternal")] == [500, 200]


def test_unauthorised_user_is_refused_politely_and_nothing_runs(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot
) -> None:
    drv.mention(H.MALLORY, H.SALES, Q_WEEKDAY)
    [note] = slack.wait_for("chat.postEphemeral")
    assert note.args["user"] == H.MALLORY
    assert "Sorry, I can only answer KPI questions" in note.args["text"]
    slack.settle()
    assert (
        slack.calls_to("chat.postMessage") == []
        and slack.calls_to("files.getUploadURLExternal") == []
    )
    row = bot.audit()[-1]
    assert (row["user_id"], row["outcome"], row["sql"]) == (H.MALLORY, "refused", None)


def test_users_allowed_by_email_and_by_user_group(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.mention(H.CAROL, H.SALES, "calls this week")  # carol@example.com (any case) is listed
    drv.mention(H.DAVE, H.SALES, Q_WEEKDAY)  # dave is in @sales-leads
    slack.wait_for("files.completeUploadExternal", 2)
    # Neither is listed by id; the bot caches look-ups, so the calls may predate this test.
    assert len(answers(slack, H.SALES)) == 2


def test_user_error_is_told_in_words_with_runnable_suggestions(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.dm(H.ALICE, H.ALICE_DM, "forecast revenue next quarter")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.ALICE_DM)
    text = all_text(msg)
    assert "I can't forecast; I answer from recorded data only." in text
    labels = [
        e["text"]["text"] for b in msg.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["revenue won this quarter vs previous period", "calls this week"]
    assert "Traceback" not in text


def test_internal_error_gets_an_apology_and_no_traceback(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "boom")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.SALES)
    text = all_text(msg)
    assert msg.thread_ts == sent.ts
    assert "Sorry, something went wrong on my side" in text
    assert "Traceback" not in text and "RuntimeError" not in text and "fell over" not in text
    row = bot.audit()[-1]
    assert row["outcome"] == "internal_error" and "RuntimeError" in row["detail"]
    assert f"reference #{row['id']}" in text
    H.check_snapshot("internal_error", {"text": msg.text, "blocks": msg.blocks})


def test_not_in_public_channel_joins_and_retries(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.command("calls this week", user=H.BOB, channel=H.PUBLIC, response_url=slack.response_url())
    slack.wait_for("chat.postMessage", 2)
    first, second = slack.calls_to("chat.postMessage")
    assert first.response["error"] == "not_in_channel" and second.response["ok"]
    assert [c.args["channel"] for c in slack.calls_to("conversations.join")] == [H.PUBLIC]


def test_private_channel_asks_for_an_invite(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.command(
        "calls this week", user=H.BOB, channel=H.PRIVATE, response_url=slack.response_url("priv")
    )
    slack.wait_for("respond")
    [note] = slack.responses
    assert note["response_type"] == "ephemeral"
    assert "/invite @kpibot" in note["text"]
    # (only this channel: a join of another channel may be the previous test's late work)
    joins = slack.calls_to("conversations.join")
    assert [c for c in joins if c.args.get("channel") == H.PRIVATE] == []


def test_injected_not_in_channel_on_upload_is_handled(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    # An earlier test's late chart upload would take the injected fault: let it land first.
    slack.settle(quiet=0.5)
    slack.fail("files.completeUploadExternal", error="not_in_channel")
    drv.mention(H.ALICE, H.SALES, Q_WEEKDAY)

    # Only this channel's calls: under load a previous test's late upload can land here too.
    def uploads() -> list[Any]:
        return [
            c
            for c in slack.calls_to("files.completeUploadExternal")
            if c.args.get("channel_id") == H.SALES and c.response is not None
        ]

    def joins() -> list[Any]:
        return [c for c in slack.calls_to("conversations.join") if c.args.get("channel") == H.SALES]

    slack.wait_for(lambda: len(uploads()) >= 2 and uploads()[-1].response["ok"])
    assert [c.response["ok"] for c in uploads()] == [False, True]
    assert uploads()[0].response["error"] == "not_in_channel"
    assert len(joins()) == 1


def test_bot_messages_edits_and_self_are_ignored(slack: SlackEmulator, drv: SlackDriver) -> None:
    results = [
        drv.dm(H.ALICE, H.ALICE_DM, "calls this week", bot_id="B0OTHER"),
        drv.dm(H.ALICE, H.ALICE_DM, "calls this week", subtype="message_changed"),
        drv.dm("U0BOT", H.ALICE_DM, "calls this week"),
        drv.mention(H.ALICE, H.SALES, "calls this week", bot_id="B0OTHER"),
    ]
    assert [r.status for r in results] == [200, 200, 200, 200]
    slack.settle(quiet=0.5)
    assert slack.calls_to("chat.postMessage") == []


def test_long_table_is_truncated_and_points_to_csv(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.mention(H.ALICE, H.SALES, "本季度 按销售代表 赢单率")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    text = all_text(answer)
    assert "… 15 more rows, see CSV" in text
    rows = table_rows(answer)
    assert len(rows) == 25 and rows["张敏"] == "100.0%"
    H.check_snapshot("truncated_table", {"text": answer.text, "blocks": answer.blocks})


def test_dashboard_arrives_as_one_image(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "kpi dashboard")
    slack.wait_for("files.completeUploadExternal")
    assert len(slack.calls_to("upload")) == 1 and slack.calls_to("upload")[0].data == PNG
    [msg] = answers(slack, H.SALES)
    assert msg.thread_ts == sent.ts and "KPI dashboard" in all_text(msg)


def test_app_home_lists_kpis_and_examples(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.home_opened(H.ALICE)
    [call] = slack.wait_for("views.publish")
    assert call.response["ok"]
    text = json.dumps(slack.views[H.ALICE], ensure_ascii=False)
    assert "*connect rate*" in text and Q_WEEKDAY in text
    # An example question on the Home tab is asked, and answered, in the user's DM.
    assert drv.click_home(slack.views[H.ALICE], Q_WEEKDAY, user=H.BOB).status == 200
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, "D" + H.BOB[1:])
    assert table_rows(answer)["Mon"] == "25.0%"


def test_many_questions_at_once_each_in_its_own_thread(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    questions = [
        f"slow {q}" for q in (Q_WEEKDAY, "calls this week", "win rate by rep this quarter")
    ] * 4
    with ThreadPoolExecutor(len(questions)) as pool:
        sent = list(pool.map(lambda q: (q, drv.mention(H.ALICE, H.SALES, q)), questions))
    assert all(s.status == 200 and s.seconds < 3.0 for _, s in sent)
    slack.wait_for("files.completeUploadExternal", len(questions), timeout=30)
    by_thread = {m.thread_ts: m for m in answers(slack, H.SALES)}
    assert len(by_thread) == len(questions)
    expected = {
        "slow " + Q_WEEKDAY: "connect rate",
        "slow calls this week": "calls",
        "slow win rate by rep this quarter": "win rate",
    }
    for q, s in sent:
        assert by_thread[s.ts].blocks[0]["text"]["text"].startswith(f"*{expected[q]}*")
    charts = {c.args["thread_ts"] for c in slack.calls_to("files.completeUploadExternal")}
    assert charts == set(by_thread)


def test_url_verification(drv: SlackDriver) -> None:
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"}).encode()
    status, text, _ = drv.post(body, "application/json")
    assert status == 200 and json.loads(text) == {"challenge": "abc123"}


def test_missing_environment_is_a_clean_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = H.clean_env({})
    kpibot = Path(sys.executable).parent / "kpibot"
    out = subprocess.run(
        [str(kpibot), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert (
        "SLACK_BOT_TOKEN is not set" in out.stderr
        and "SLACK_SIGNING_SECRET is not set" in out.stderr
    )
    assert "Traceback" not in out.stderr
