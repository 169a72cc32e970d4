"""User dashboards through Slack: the "Add to dashboard" button and its modal (views.open, then a
signed view_submission), the /kpi words (new, pin, move, rename, remove, list, show), who may
change a board, and the audit log. `kpibot serve` runs as a subprocess against the loopback
Slack emulator; the engine is the fixed test backend (tests/slack_backend.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.blocks import PIN_BOARD, PIN_CHART, PIN_NEW, PIN_TITLE
from bot.slack.messages import words_in
from i18n import Language
from tests import slack_harness as H
from tests.slack_emulator import SlackEmulator

M = words_in(Language.EN)  # the emulator's users have no Slack locale: English

WEEKDAY_Q = "connect rate by weekday last 31 days"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


def panels(bot: H.Bot, name: str) -> list[tuple[int, str, str]]:
    con = sqlite3.connect(bot.state_location)
    try:
        return con.execute(
            "SELECT p.position, p.question, p.title FROM board_panels p"
            " JOIN boards b ON b.id = p.board_id WHERE b.name = ? ORDER BY p.position",
            (name,),
        ).fetchall()
    finally:
        con.close()


def charts(bot: H.Bot, name: str) -> list[str]:
    rows = bot.state_rows(
        "SELECT p.chart FROM board_panels p JOIN boards b ON b.id = p.board_id"
        f" WHERE b.name = '{name}' ORDER BY p.position"
    )
    return [r["chart"] for r in rows]


def kpi(slack: SlackEmulator, drv: Any, user: str, text: str, channel: str = H.SALES) -> str:
    """/kpi TEXT as ``user``; the reply it gets (the ack's text, else the response_url's)."""
    n = len(slack.responses)
    r = drv.command(text, user=user, channel=channel, response_url=slack.response_url(user))
    if r.body:  # answered in the acknowledgement (bolt sends a bare text as text/plain)
        return str(r.json()["text"]) if r.body.startswith("{") else r.body
    slack.wait_for(lambda: len(slack.responses) > n)
    return str(slack.responses[-1]["text"])


def wait_audit(bot: H.Bot) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(r["outcome"] is None for r in bot.audit()):
        time.sleep(0.05)
    return bot.audit()


def test_pin_from_an_answer_then_edit_the_board_in_words(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    H.seed(slack)
    with H.running_bot(slack, tmp_path) as bot:
        drv = H.driver(bot)
        drv.mention(H.ALICE, H.SALES, WEEKDAY_Q)
        slack.wait_for("files.completeUploadExternal")
        [answer] = H.answers(slack, H.SALES)
        # The button opens the picker: no board yet, so only "a new dashboard called".
        drv.click(answer, M.BUTTON_PIN, user=H.ALICE, response_url=slack.response_url("pin"))
        slack.wait_for(lambda: len(slack.modals) == 1)
        modal = list(slack.modals.values())[0]
        assert modal["callback_id"] == "kpi_pin_modal"
        assert [b.get("block_id") for b in modal["blocks"][1:]] == [PIN_NEW, PIN_TITLE, PIN_CHART]
        # The chart picker: automatic first (chosen), then every kind a person may ask for.
        kinds = modal["blocks"][-1]["element"]
        assert [o["value"] for o in kinds["options"]] == [
            "auto",
            "bar",
            "line",
            "table",
            "pie",
            "kpi",
            "gauge",
            "funnel",
        ]
        assert kinds["initial_option"]["text"]["text"] == "Automatic (as the answer was drawn)"
        # Submitting with neither a board nor a name: the modal says so (it stays open).
        r = drv.submit_view(modal, {}, user=H.ALICE)
        assert r.json() == {"response_action": "errors", "errors": {PIN_NEW: M.PIN_NEED_BOARD}}
        values = {
            PIN_NEW: {PIN_NEW: {"type": "plain_text_input", "value": "Team East"}},
            PIN_TITLE: {PIN_TITLE: {"type": "plain_text_input", "value": "Calls that connect"}},
        }
        r = drv.submit_view(modal, values, user=H.ALICE)
        assert r.status == 200 and r.body == ""  # the modal closes
        slack.wait_for(lambda: any(m.ephemeral_for == H.ALICE for m in slack.messages(H.SALES)))
        told = [m.text for m in slack.messages(H.SALES) if m.ephemeral_for == H.ALICE]
        assert told[-1].startswith("Pinned to *Team East* as panel 1")
        assert panels(bot, "Team East") == [(1, WEEKDAY_Q, "Calls that connect")]

        # A second click lists the board; picking it pins again.
        drv.click(answer, M.BUTTON_PIN, user=H.ALICE, response_url=slack.response_url("p2"))
        slack.wait_for(lambda: len(slack.modals) == 2)
        select = list(slack.modals.values())[1]["blocks"][1]["element"]
        assert [o["text"]["text"] for o in select["options"]] == ["Team East · this channel"]
        pick = {"type": "static_select", "selected_option": select["options"][0]}
        second = list(slack.modals.values())[1]
        kinds = {o["value"]: o for o in second["blocks"][-1]["element"]["options"]}

        def drawn_as(kind: str) -> dict[str, Any]:
            return {PIN_CHART: {"type": "static_select", "selected_option": kinds[kind]}}

        # A gauge cannot show a KPI by weekday: said under the picker, nothing pinned.
        values = {PIN_BOARD: {PIN_BOARD: pick}, PIN_CHART: drawn_as("gauge")}
        r = drv.submit_view(second, values, user=H.ALICE)
        assert r.json() == {
            "response_action": "errors",
            "errors": {PIN_CHART: "Not shown as gauge: a gauge shows one value of one KPI."},
        }
        # A line can (weekdays are in a natural order): stored as the chart it draws.
        values = {PIN_BOARD: {PIN_BOARD: pick}, PIN_CHART: drawn_as("line")}
        r = drv.submit_view(second, values, user=H.ALICE)
        assert r.body == ""
        slack.wait_for(lambda: len(panels(bot, "Team East")) == 2)
        assert charts(bot, "Team East") == ["auto", "line"]

        # Words: pin, move, rename, remove, list.
        said = kpi(slack, drv, H.ALICE, 'pin win rate by rep this quarter to "Team East"')
        assert said.startswith("Pinned to *Team East* as panel 3")
        assert kpi(slack, drv, H.ALICE, 'pin forecast next month to "Team East"').startswith(
            "I can't pin that: I can't forecast"
        )
        assert kpi(slack, drv, H.ALICE, 'dashboard "Team East" move 3 to 1') == (
            "Moved panel 3 to 1 on *Team East*."
        )
        assert [q for _, q, _ in panels(bot, "Team East")] == [
            "win rate by rep this quarter",
            WEEKDAY_Q,
            WEEKDAY_Q,
        ]
        # A pinned panel's chart, in words: checked against its answer's shape like the picker.
        assert kpi(slack, drv, H.ALICE, 'dashboard "Team East" chart 1 gauge') == (
            "Not shown as gauge: a gauge shows one value of one KPI."
        )
        # Chinese words get a Chinese reply (docs/languages.md)
        assert kpi(slack, drv, H.ALICE, '大屏 "Team East" 图表 1 表格') == (
            "*Team East* 的第 1 个面板今后画成表格。"
        )
        assert kpi(slack, drv, H.ALICE, '大屏 "Team East" 图表 1 仪表盘') == (
            "没有画成仪表盘：仪表盘只显示一个指标的一个数值。"
        )
        assert kpi(slack, drv, H.ALICE, 'dashboard "Team East" chart 9 table') == (
            '"Team East" has no panel 9; its panels are 1 to 3.'
        )
        assert charts(bot, "Team East") == ["table", "auto", "line"]
        assert kpi(slack, drv, H.ALICE, 'dashboard "Team East" remove 3').startswith(
            "Removed panel 3"
        )
        assert kpi(slack, drv, H.ALICE, 'dashboard "Team East" remove 9') == (
            '"Team East" has no panel 9; its panels are 1 to 2.'
        )
        assert kpi(slack, drv, H.ALICE, 'dashboard "Team East" rename "East"') == (
            "Renamed *Team East* to *East*."
        )
        listing = kpi(slack, drv, H.BOB, "dashboards")
        assert "*East* · 2 panels · <#CSALES> · by <@UALICE>" in listing
        assert "*KPI dashboard* (built in)" in listing

        # Bob (allowed in #sales) sees the board but cannot change it.
        assert kpi(slack, drv, H.BOB, 'dashboard "East" remove 1') == (
            'Only <@UALICE> (who made "East") or an admin can change it.'
        )
        # A name close to a board's gets a did-you-mean, as an unknown word does.
        drv.mention(H.BOB, H.SALES, "Est dashboard last quarter")
        slack.wait_for(lambda: "Did you mean" in H.all_text(H.answers(slack, H.SALES)[-1]))
        said = H.all_text(H.answers(slack, H.SALES)[-1])
        assert 'There is no dashboard called \\"Est\\" here. Did you mean \\"East\\"?' in said
        n = len(slack.calls_to("files.completeUploadExternal"))
        drv.mention(H.BOB, H.SALES, "East dashboard")
        slack.wait_for(lambda: len(slack.calls_to("files.completeUploadExternal")) > n)
        rows = wait_audit(bot)
    assert [q for _, q, _ in panels(bot, "East")] == ["win rate by rep this quarter", WEEKDAY_Q]
    details = [r["detail"] for r in rows if r["detail"] and r["detail"].startswith("dashboard ")]
    assert details == [
        f"dashboard Team East: created (channel); dashboard Team East: pinned #1 {WEEKDAY_Q}",
        f"dashboard Team East: pinned #2 {WEEKDAY_Q}",
        "dashboard Team East: pinned #3 win rate by rep this quarter",
        "dashboard Team East: moved #3 to #1",
        "dashboard Team East: panel #1 as table",
        f"dashboard Team East: removed #3 {WEEKDAY_Q}",
        "dashboard Team East: renamed to East",
    ]
    missed = [r for r in rows if r["question"] == "Est dashboard last quarter"]
    assert [(r["outcome"], r["detail"]) for r in missed] == [
        ("user_error", 'There is no dashboard called "Est" here. Did you mean "East"?')
    ]
    shown = [r for r in rows if r["question"] == "East dashboard"]
    assert [(r["user_id"], r["outcome"], r["detail"]) for r in shown] == [
        (H.BOB, "answered", "East")
    ]
    refused = [
        r
        for r in rows
        if r["user_id"] == H.BOB and r["outcome"] == "user_error" and r["source"] == "command"
    ]
    assert [r["detail"] for r in refused] == [
        'Only <@UALICE> (who made "East") or an admin can change it.'
    ]


def test_personal_boards_and_new_in_words(slack: SlackEmulator, tmp_path: Path) -> None:
    """A board made in a DM is personal: nobody else sees it; one made in #sales is the
    channel's; an admin may change anyone's."""
    H.seed(slack)
    access = {"users": [H.ALICE, H.BOB], "admins": ["carol@example.com"]}
    with H.running_bot(slack, tmp_path, access=access) as bot:
        drv = H.driver(bot)
        assert kpi(slack, drv, H.ALICE, 'dashboard new "Mine"', channel=H.ALICE_DM).startswith(
            "Made the dashboard *Mine* just for you"
        )
        # Chinese words are answered in Chinese, English ones (Alice's locale is English) in
        # English (docs/languages.md)
        assert kpi(slack, drv, H.ALICE, '新建大屏 "华东"').startswith(
            "已新建大屏 *华东*（属于 <#CSALES>）。"
        )
        assert kpi(slack, drv, H.ALICE, 'dashboard new "华东"') == (
            'There is already a dashboard called "华东" here.'
        )
        assert kpi(slack, drv, H.ALICE, '新建大屏 "华东"') == "这里已经有叫“华东”的大屏了。"
        assert kpi(slack, drv, H.ALICE, '加到大屏 "华东" calls this week').startswith(
            "已固定到 *华东*，第 1 个面板：“calls this week”。"
        )
        assert kpi(slack, drv, H.BOB, 'dashboard "Mine"').startswith(
            'There is no dashboard called "Mine" here.'
        )
        assert kpi(slack, drv, H.BOB, '大屏 "我的"').startswith("这里没有叫“我的”的大屏。")
        assert kpi(slack, drv, H.BOB, '大屏 "华东" 改名 "华南"') == (
            "只有创建“华东”的 <@UALICE> 或管理员可以修改它。"
        )
        listing = kpi(slack, drv, H.BOB, "大屏列表")
        assert listing.startswith("*你在这里能打开的大屏：*\n• *KPI大屏*（内置）")
        assert "• *华东* · 1 个面板 · <#CSALES> · 创建者 <@UALICE>" in listing
        assert kpi(slack, drv, H.ALICE, '大屏 "华东" 删除 5') == (
            "“华东”没有第 5 个面板；它的面板是第 1 到第 1 个。"
        )
        assert kpi(slack, drv, H.CAROL, '大屏 "华东" 改名 "华南"') == "已把 *华东* 改名为 *华南*。"
        assert kpi(slack, drv, H.ALICE, '大屏 "华南" 删除 1') == (
            "已从 *华南* 删除第 1 个面板（“calls this week”）。"
        )
        assert kpi(slack, drv, H.ALICE, '大屏 "华南"').startswith("“华南”还没有面板：")
        assert kpi(slack, drv, H.BOB, "pin") == M.BOARD_USAGE


def test_a_pin_for_a_channel_the_person_may_not_use_is_refused(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    """The modal is a view (no channel): the gate checks the person; the pin then checks the
    channel the modal was opened from. Alice may use #sales only: a modal carrying #general is
    refused in the modal, audited as refused, and nothing is stored."""
    import json

    from bot.slack.blocks import ButtonState, pin_modal

    H.seed(slack)
    access = {"users": [H.ALICE], "channels": [H.SALES]}
    with H.running_bot(slack, tmp_path, access=access) as bot:
        drv = H.driver(bot)
        view = {"id": "V9", **pin_modal(ButtonState(WEEKDAY_Q, None), H.PUBLIC, [])}
        values = {PIN_NEW: {PIN_NEW: {"type": "plain_text_input", "value": "Sneaky"}}}
        r = drv.submit_view(view, values, user=H.ALICE)
        assert json.loads(r.body) == {
            "response_action": "errors",
            "errors": {PIN_NEW: M.PIN_NOT_ALLOWED_THERE},
        }
        rows = wait_audit(bot)
        con = sqlite3.connect(bot.state_location)
        try:
            stored = con.execute("SELECT COUNT(*) FROM boards").fetchone()[0]
        finally:
            con.close()
    assert [(r["source"], r["outcome"], r["detail"]) for r in rows] == [
        ("view", "refused", "channel not allowed")
    ]
    assert stored == 0
