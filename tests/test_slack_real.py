"""End to end on the REAL engine: signed Slack requests → `kpibot serve` (gunicorn + bolt, the
default RealBackend: grammar → metrics → charts) on the hand-made fixture org → Slack emulator.

Expected numbers are the hand-worked ones of tests/test_metrics_fixture.py (CASES, with their
arithmetic), or worked out here from tests/fixtures/org/*.csv. Today is pinned to Thu 27 Jun
2024, so the default window is this quarter, 1 Apr – 27 Jun 2024 (org zone Asia/Shanghai).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import slack_harness as H
from tests.slack_driver import SlackDriver
from tests.slack_emulator import SlackEmulator
from tests.slack_harness import all_text, answers, buttons, table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Q2 = "1 Apr – 27 Jun 2024"


@pytest.fixture(scope="module")
def bot(real_bot: H.Bot) -> H.Bot:
    return real_bot


def last_upload(slack: SlackEmulator) -> bytes:
    return slack.calls_to("upload")[-1].data


def ask_json(org_dir: Path, question: str) -> dict[str, Any]:
    """The same question through the real `kpibot ask --json`, for the CSV to be checked against."""
    kpibot = Path(sys.executable).parent / "kpibot"
    out = subprocess.run(
        [str(kpibot), "ask", "--json", "--today", H.TODAY, question],
        env=H.clean_env({"KPIBOT_CONFIG": str(org_dir / "app.yaml")}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_mention_gets_a_threaded_answer_with_hand_worked_numbers_and_a_png(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "win rate by rep")
    assert sent.status == 200 and sent.seconds < 3.0
    done = slack.wait_for("files.completeUploadExternal")[0]
    [answer] = answers(slack, H.SALES)
    assert answer.thread_ts == sent.ts
    assert answer.blocks[0]["text"]["text"] == f"*win rate* by *rep* · {Q2} (this quarter, default)"
    # CASES "win rate by rep": Bob O2, O11 won 2/2; 张伟 O5 1/1; Alice O1 won, O4 lost 1/2.
    # Each rate with its base, all fewer than 20 closed deals: marked, the rule said once.
    assert table(answer) == [
        ["rep", "win rate", "closed deals"],
        ["Bob Smith", "100.0% †", "2"],
        ["张伟", "100.0% †", "1"],
        ["Alice Wang", "50.0% †", "2"],
    ]
    assert all_text(answer).count("† on fewer than 20 closed deals: too few to compare.") == 1
    assert buttons(answer) == [
        "Show SQL",
        "Previous period",
        "Download CSV",
        "Subscribe",
        "Add to dashboard",
    ]
    png = last_upload(slack)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
    assert done.args["channel_id"] == H.SALES and done.args["thread_ts"] == sent.ts
    row = bot.audit()[-1]
    assert (row["question"], row["outcome"], row["row_count"]) == ("win rate by rep", "answered", 3)


def test_chinese_dm_answered_with_hand_worked_numbers(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.dm(H.ALICE, H.ALICE_DM, "按销售统计 赢单数")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.ALICE_DM)
    assert answer.thread_ts is None
    # Asked in Chinese, answered in Chinese (tests/test_slack_languages.py has the rest).
    said = answer.blocks[0]["text"]["text"]
    assert said.startswith("*赢单数* 按 *销售* · 2024年4月1日 – 6月27日")
    # Won, closing in Q2: Bob O2 (10 Jun), O11 (20 May); Alice O1 (15 May); 张伟 O5 (20 Jun).
    # (O7, Alice, closed 15 Feb: Q1; O10, Bob, 2023.) Ties in name order.
    assert table(answer)[1:] == [["Bob Smith", "2"], ["Alice Wang", "1"], ["张伟", "1"]]


def test_slash_command_with_a_typo_says_the_correction_and_answers(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    sent = drv.command(
        "conect rate by rep", user=H.BOB, channel=H.SALES, response_url=slack.response_url()
    )
    assert sent.status == 200 and "Looking that up" in sent.body
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    text = all_text(answer)
    assert 'Read \\"conect rate\\" as \\"connect rate\\"' in text
    # CASES "several KPIs by rep": connected / outbound calls — 张伟 T08 1/1, Alice T00 T01 of
    # T00 T01 T03 2/3, Bob T06 of T06 T07 1/2 (T04 is inbound).
    assert table(answer)[1:] == [
        ["张伟", "100.0% †", "1"],
        ["Alice Wang", "66.7% †", "3"],
        ["Bob Smith", "50.0% †", "2"],
    ]
    assert f"Asked by <@{H.BOB}>" in text


def test_did_you_mean_buttons_ask_the_chosen_suggestion(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "calls by regoin")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.SALES)
    assert msg.thread_ts == sent.ts
    assert 'I don\'t know \\"regoin\\"' in all_text(msg)
    assert "Did you mean:" in all_text(msg)
    labels = buttons(msg)
    assert len(labels) >= 2 and "calls by rep" in labels
    assert drv.click(msg, "calls by rep", user=H.ALICE).status == 200
    slack.wait_for("files.completeUploadExternal")
    answer = answers(slack, H.SALES)[-1]
    assert answer.thread_ts == sent.ts
    # CASES "several KPIs by rep": Alice T00 T01 T03, Bob T04 T06 T07, 张伟 T08.
    assert table(answer)[1:] == [["Alice Wang", "3"], ["Bob Smith", "3"], ["张伟", "1"]]


def test_show_sql_and_download_csv_under_an_answer(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot, org_dir: Path
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "win rate by rep")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    ran = bot.audit()[-1]["sql"]

    assert drv.click(answer, "Show SQL", user=H.BOB).status == 200
    slack.wait_for("chat.postMessage", 2)
    sql_msg = answers(slack, H.SALES)[-1]
    assert sql_msg.thread_ts == sent.ts
    shown = "\n".join(
        b["text"]["text"].removeprefix("```\n").removesuffix("\n```") for b in sql_msg.blocks[1:]
    )
    assert shown == ran  # the SQL that ran, whole
    assert 'FROM "Opportunity"' in shown and "IsWon" in shown

    assert drv.click(answer, "Download CSV", user=H.BOB).status == 200
    done = slack.wait_for("files.completeUploadExternal", 2)[-1]
    assert done.args["thread_ts"] == sent.ts
    data = last_upload(slack)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["rep", "win rate"],
        ["Bob Smith", "1.0"],
        ["张伟", "1.0"],
        ["Alice Wang", "0.5"],
    ]
    js = ask_json(org_dir, "win rate by rep")
    assert rows[0] == js["columns"]
    assert [[r[0], float(r[1])] for r in rows[1:]] == js["rows"]


def test_previous_period_of_calls_this_quarter(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "calls this quarter")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    # T00 T01 T03 T04 T06 T07 T08 (T09 deleted; T02 T05 T13 are emails, T10 another task).
    assert answer.blocks[1]["fields"][0]["text"] == "*calls*\n*7*"
    assert drv.click(answer, "Previous period", user=H.BOB).status == 200
    slack.wait_for("files.completeUploadExternal", 2)
    prev = answers(slack, H.SALES)[-1]
    assert prev.thread_ts == sent.ts
    # This quarter so far is 1 Apr – 27 Jun = 30 + 31 + 27 = 88 days; the previous period is
    # 88 days from 1 Jan (kpis.md, Comparisons): 31 + 29 (2024 is leap) + 28 → 1 Jan – 28 Mar.
    # Task.csv calls created then: T11 (10 Jan), T12 (11 Jan), both Alice's → 2.
    assert prev.blocks[0]["text"]["text"] == (
        "*calls* · 1 Jan – 28 Mar 2024 (previous period, like for like)"
    )
    assert prev.blocks[1]["fields"][0]["text"] == "*calls*\n*2*"


def test_no_data_is_said_in_words_with_the_dates(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "calls in March 2023 by rep")
    slack.wait_for("chat.postMessage")
    slack.settle()
    [msg] = answers(slack, H.SALES)
    assert msg.thread_ts == sent.ts
    text = all_text(msg)
    assert "Nothing recorded for _calls in March 2023 by rep_" in text
    assert "No data for calls in 1 – 31 Mar 2023" in text
    assert "Traceback" not in text and slack.calls_to("upload") == []


def test_unsupported_question_offers_questions_that_run(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.dm(H.ALICE, H.ALICE_DM, "forecast revenue next quarter")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.ALICE_DM)
    text = all_text(msg)
    assert "I cannot forecast" in text
    assert "Did you mean" not in text  # they are other questions, not corrections
    assert buttons(msg) == [
        "revenue won by month last 12 months",
        "revenue won this quarter vs last year",
        "open pipeline next 90 days",
    ]
    assert drv.click(msg, "revenue won this quarter vs last year", user=H.ALICE).status == 200
    slack.wait_for("files.completeUploadExternal")
    answer = answers(slack, H.ALICE_DM)[-1]
    # Won in Q2: O1 50,000 + O2 (no amount) + O5 80,000 + O11 50,000 = 180,000; a year before,
    # 1 Apr – 27 Jun 2023: O10 25,000 (won 20 May 2023; O9 was lost) → +620%.
    assert answer.blocks[1]["fields"][0]["text"].startswith("*revenue won*\n*$180,000*  ▲ 620")


def test_subscribe_button_creates_a_listed_subscription(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.mention(H.ALICE, H.SALES, "win rate by rep")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    clicked = drv.click(answer, "Subscribe", user=H.ALICE, response_url=slack.response_url("sub"))
    assert clicked.status == 200
    slack.wait_for("respond")
    confirm = slack.responses[-1]["text"]
    assert re.match(r"Subscribed \(#\d+\): \*win rate by rep\* weekdays 09:00", confirm)
    listed = drv.command(
        "subscriptions", user=H.ALICE, channel=H.SALES, response_url=slack.response_url("list")
    )
    assert listed.status == 200
    slack.wait_for("respond", 2)
    listing = slack.responses[-1]["text"]
    assert "*win rate by rep* weekdays 09:00 (Asia/Shanghai)" in listing
    assert listing.startswith("Your subscriptions:")
    # Bob, in the same channel, does not see Alice's subscription.
    drv.command("subscriptions", user=H.BOB, channel=H.SALES, response_url=slack.response_url("b"))
    slack.wait_for("respond", 3)
    assert slack.responses[-1]["text"].startswith("You have no subscriptions.")


def test_dashboard_is_one_png_titled_as_its_image(slack: SlackEmulator, drv: SlackDriver) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "kpi dashboard")
    done = slack.wait_for("files.completeUploadExternal", timeout=30)[0]
    [msg] = answers(slack, H.SALES)
    assert msg.thread_ts == sent.ts and done.args["thread_ts"] == sent.ts
    assert msg.blocks[0]["text"]["text"] == "*KPI dashboard*, as one image below."
    assert done.args["files"][0]["title"] == "KPI dashboard"
    png = last_upload(slack)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000


def test_previous_period_of_buckets_that_do_not_line_up(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    # "vs previous period" cannot be asked of months in a 31-day window (the buckets do not
    # line up), but the previous period on its own can: the same 31 days just before.
    drv.mention(H.ALICE, H.SALES, "leads by month last 31 days")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    # 27 May – 26 Jun: L4 (3 Jun). Both months are only partly in the window; June is still
    # running (today is 27 Jun): every month is a row, May's 0 included.
    assert table(answer)[1:] == [
        ["May 2024 (27 – 31 May 2024 only)", "0"],
        ["Jun 2024 (to date)", "1"],
    ]
    assert drv.click(answer, "Previous period", user=H.BOB).status == 200
    slack.wait_for("chat.postMessage", 2)
    prev = answers(slack, H.SALES)[-1]
    # 26 Apr – 26 May: L3 (7 May 01:30 local); L1, L2 are April but before the 26th.
    assert (
        prev.blocks[0]["text"]["text"]
        == "*leads* by *month* · 26 Apr – 26 May 2024 (previous period)"
    )
    assert table(prev)[1:] == [
        ["Apr 2024 (26 – 30 Apr 2024 only)", "0"],
        ["May 2024 (1 – 26 May 2024 only)", "1"],
    ]


def test_previous_period_of_a_year_over_year_answer_is_the_previous_period(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.mention(H.ALICE, H.SALES, "revenue won this quarter vs last year")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    assert drv.click(answer, "Previous period", user=H.BOB).status == 200
    slack.wait_for("files.completeUploadExternal", 2)
    prev = answers(slack, H.SALES)[-1]
    # Not last year's quarter: the 88 days from 1 Jan, where O7 (Alice, 15 Feb) won 40,000.
    assert prev.blocks[0]["text"]["text"] == (
        "*revenue won* · 1 Jan – 28 Mar 2024 (previous period, like for like)"
    )
    assert prev.blocks[1]["fields"][0]["text"] == "*revenue won*\n*$40,000*"


def test_a_provisional_rate_by_month_in_slack(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.mention(H.ALICE, H.SALES, "lead conversion rate by month")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    # Apr: L1, L2 (→ O1 won), L5 → 1/3; May: L3 → 0/1; Jun: L4 → O3, still open → 0/1,
    # provisional (~). Every month stands on fewer than 20 leads (†); June is running.
    assert table(answer) == [
        ["month", "lead conversion rate", "leads"],
        ["Apr 2024", "33.3% †", "3"],
        ["May 2024", "0.0% †", "1"],
        ["Jun 2024 (to date)", "~0.0% †", "1"],
    ]
    text = all_text(answer)
    assert "~ lead conversion rate provisional in 1 of 3 rows: 10%+ of these leads" in text
    assert "† on fewer than 20 leads: too few to compare." in text
    assert "Every month of the window is a row" not in text  # no month without leads
    # the restatement, the table and the caveats (the data-as-of block changes every build)
    payload = {"text": answer.text, "blocks": answer.blocks[:3]}
    H.check_snapshot("provisional_rate_by_month", payload)


def test_win_rate_by_team_and_a_dashboard_for_a_team(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    """Teams are Salesforce roles (tests/test_teams.py): Alice is the Inbound Rep team, Bob and
    张伟 the Outbound Rep team."""
    drv.mention(H.ALICE, H.SALES, "按团队统计赢单率")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.SALES)
    # Outbound: O2, O11 (Bob), O5 (张伟) won of 3 closed; Inbound: O1 won, O4 lost (Alice).
    # Asked in Chinese, answered in Chinese (docs/languages.md): the headers are the catalog's.
    assert table(answer) == [
        ["团队", "赢单率", "已关闭商机数"],
        ["Outbound Rep", "100.0% †", "3"],
        ["Inbound Rep", "50.0% †", "2"],
    ]
    sent = drv.mention(H.ALICE, H.SALES, "outbound calls dashboard for team outbound rep")
    done = slack.wait_for("files.completeUploadExternal", 2, timeout=30)[-1]
    msg = answers(slack, H.SALES)[-1]
    assert msg.thread_ts == sent.ts
    # The image's own title says the team (tests/test_charts_gallery_real.py reads it); so do
    # the Slack message and file.
    assert done.args["files"][0]["title"] == "Outbound calls dashboard · team = Outbound Rep"
    assert msg.text == "Outbound calls dashboard · team = Outbound Rep"
    assert "*Outbound calls dashboard · team = Outbound Rep*" in all_text(msg)
    slack.reset()
    drv.mention(H.ALICE, H.SALES, "外拨电话大屏 团队 outbound rep")  # the same, in Chinese
    done = slack.wait_for("files.completeUploadExternal", timeout=60)[-1]
    msg = answers(slack, H.SALES)[-1]
    assert done.args["files"][0]["title"] == "外拨电话大屏 · 团队 = Outbound Rep"
    assert "*外拨电话大屏 · 团队 = Outbound Rep*" in all_text(msg)
    assert last_upload(slack).startswith(PNG_SIGNATURE)
