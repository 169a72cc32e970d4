"""Replies in the asker's language, end to end on the REAL engine: signed Slack requests →
`kpibot serve` (gunicorn + bolt, grammar → metrics → charts) on the hand-made fixture org →
Slack emulator (docs/languages.md).

A question mostly in Chinese is answered in Chinese; an English one in the asker's Slack locale
(users.info with include_locale). The numbers are the hand-worked ones of
tests/test_slack_real.py (and tests/test_metrics_fixture.py CASES): only the words change.
Today is pinned to Thu 27 Jun 2024: the default window is this quarter, 1 Apr – 27 Jun 2024.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import slack_harness as H
from tests.slack_driver import SlackDriver
from tests.slack_emulator import SlackEmulator
from tests.slack_harness import all_text, answers, buttons, table

LINA, LINA_DM = "U0LINA001", "D0LINA001"  # a rep whose Slack speaks Chinese (zh-CN)
Q2_ZH = "2024年4月1日 – 6月27日"


@pytest.fixture(scope="module")
def bot(slack: SlackEmulator, org_dir: Path) -> Iterator[H.Bot]:
    access = {**H.ACCESS, "users": [*H.ACCESS["users"], LINA]}
    with H.fixture_org_bot(slack, org_dir, access=access) as b:
        yield b


@pytest.fixture
def drv(bot: H.Bot, slack: SlackEmulator) -> SlackDriver:
    slack.settle()
    H.seed(slack)
    slack.add_user(LINA, "lina", locale="zh-CN")
    slack.add_dm(LINA_DM, LINA)
    return H.driver(bot)


def _steady(payload: dict[str, object]) -> object:
    """The fixture org's "data as of" is when the test loaded it: a placeholder instead."""
    text = json.dumps(payload, ensure_ascii=False)
    return json.loads(re.sub(r"数据截至 [^\"]*", "数据截至 <when>", text))


def test_a_chinese_question_gets_a_chinese_answer_and_chart(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "赢单率 按销售")  # Alice's Slack is in English
    assert sent.status == 200
    upload = slack.wait_for("files.completeUploadExternal")[0]
    [answer] = answers(slack, H.SALES)
    assert answer.blocks[0]["text"]["text"] == f"*赢单率* 按 *销售* · {Q2_ZH}（本季度，默认）"
    # The numbers of the English answer (test_slack_real): Bob O2, O11 won 2/2; 张伟 O5 1/1;
    # Alice O1 won, O4 lost 1/2; each on fewer than 20 closed deals, marked †.
    assert table(answer) == [
        ["销售", "赢单率", "已关闭商机数"],
        ["Bob Smith", "100.0% †", "2"],
        ["张伟", "100.0% †", "1"],
        ["Alice Wang", "50.0% †", "2"],
    ]
    text = all_text(answer)
    assert "† 已关闭商机数少于 20：样本太少，不宜比较。" in text
    assert re.search(r"数据截至 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d CST", text)
    assert buttons(answer) == ["查看 SQL", "上一期", "下载 CSV", "订阅", "加入大屏"]
    # the chart's file is titled with the Chinese restatement
    assert "赢单率（按销售） · 2024年4月1日" in json.dumps(upload.args, ensure_ascii=False)
    H.check_snapshot("chinese_answer", _steady({"text": answer.text, "blocks": answer.blocks}))


def test_a_chinese_locale_reads_an_english_question_in_chinese(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.dm(LINA, LINA_DM, "win rate by rep")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, LINA_DM)
    assert answer.blocks[0]["text"]["text"] == f"*赢单率* 按 *销售* · {Q2_ZH}（本季度，默认）"
    assert table(answer)[0] == ["销售", "赢单率", "已关闭商机数"]
    # users.info was asked for the locale (Slack sends it only when asked)
    asked = [c.args for c in slack.calls_to("users.info") if c.args.get("user") == LINA]
    assert asked and all(str(a.get("include_locale")).lower() in ("1", "true") for a in asked)


def test_an_english_question_from_an_english_locale_stays_english(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.dm(H.ALICE, H.ALICE_DM, "win rate by rep")
    slack.wait_for("files.completeUploadExternal")
    [answer] = answers(slack, H.ALICE_DM)
    assert answer.blocks[0]["text"]["text"].startswith("*win rate* by *rep* · 1 Apr – 27 Jun 2024")
    assert buttons(answer)[0] == "Show SQL"


def test_chinese_did_you_mean_buttons_ask_a_chinese_question(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    sent = drv.mention(H.ALICE, H.SALES, "按销售 接通律")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.SALES)
    text = all_text(msg)
    assert "我不认识指标“接通律”" in text and "你是想问：" in text
    labels = buttons(msg)
    assert "按销售 接通率" in labels  # the KPI's Chinese name put in place of the typo
    H.check_snapshot("chinese_did_you_mean", {"text": msg.text, "blocks": msg.blocks})
    assert drv.click(msg, "按销售 接通率", user=H.ALICE).status == 200
    slack.wait_for("files.completeUploadExternal")
    answer = answers(slack, H.SALES)[-1]
    assert answer.thread_ts == sent.ts
    # connected / outbound calls (test_slack_real): 张伟 T08 1/1, Alice T00 T01 of T00 T01 T03
    # 2/3, Bob T06 of T06 T07 1/2.
    assert table(answer) == [
        ["销售", "接通率", "外呼电话数"],
        ["张伟", "100.0% †", "1"],
        ["Alice Wang", "66.7% †", "3"],
        ["Bob Smith", "50.0% †", "2"],
    ]


def test_a_chinese_unsupported_question_offers_chinese_questions_that_run(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    drv.dm(H.ALICE, H.ALICE_DM, "预测下季度的收入")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.ALICE_DM)
    assert "我只报告已经发生的事，无法预测（“预测”）。你可以问：" in all_text(msg)
    # the message introduces them: no second heading
    assert json.dumps(msg.blocks, ensure_ascii=False).count("你可以问：") == 1
    assert buttons(msg) == [
        "赢单金额 按月 过去12个月",
        "赢单金额 本季度 同比",
        "在途商机金额 未来90天",
    ]
    assert drv.click(msg, "赢单金额 本季度 同比", user=H.ALICE).status == 200
    slack.wait_for("files.completeUploadExternal")
    answer = answers(slack, H.ALICE_DM)[-1]
    # Won in Q2: O1 50,000 + O5 80,000 + O11 50,000 = 180,000; a year before, 1 Apr – 27 Jun
    # 2023: O10 25,000 → +620% (test_slack_real).
    assert answer.blocks[1]["fields"][0]["text"].startswith("*赢单金额*\n*$180,000*  ▲ 620")


def test_help_and_the_app_home_follow_the_locale(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.dm(LINA, LINA_DM, "帮助")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, LINA_DM)
    assert msg.text == "如何向 kpibot 提问"
    assert "*问我销售指标*" in all_text(msg) and "• *赢单率* (win rate" in all_text(msg)
    assert drv.home_opened(LINA).status == 200
    slack.wait_for("views.publish")
    home = json.dumps(slack.views[LINA], ensure_ascii=False)
    assert "kpibot：来自 Salesforce 的销售指标" in home and "按星期统计 接通率 过去31天" in home


def _kpi(slack: SlackEmulator, drv: SlackDriver, user: str, channel: str, text: str) -> str:
    """/kpi TEXT; the reply (the acknowledgement's text, else the response_url's)."""
    n = len(slack.responses)
    r = drv.command(text, user=user, channel=channel, response_url=slack.response_url(user))
    if r.body:
        return str(r.json()["text"]) if r.body.startswith("{") else r.body
    slack.wait_for(lambda: len(slack.responses) > n)
    return str(slack.responses[-1]["text"])


def test_chinese_subscriptions_in_the_subscribers_zone(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    """Lina's Slack is in Chinese and in Shanghai: the confirmation says the schedule in
    Chinese in her zone; the listing and unsubscribing answer in Chinese too."""
    said = _kpi(slack, drv, LINA, LINA_DM, "订阅 每天 09:00 赢单率 按销售 2024年第2季度")
    assert said.startswith("已订阅（#"), said
    assert "*赢单率 按销售 2024年第2季度*，每天 09:00（Asia/Shanghai）" in said
    assert re.search(r"第一次在 \d{1,2}月\d{1,2}日（周[一二三四五六日]）09:00", said)
    sub_id = re.search(r"#(\d+)", said).group(1)  # type: ignore[union-attr]
    said = _kpi(slack, drv, LINA, LINA_DM, "subscribe mondays 08:30 win rate Q2 2024")  # zh-CN
    assert "每周一 08:30（Asia/Shanghai）" in said
    listing = _kpi(slack, drv, LINA, LINA_DM, "订阅列表")
    assert listing.startswith("你的订阅：\n")
    mine = f"{sub_id}. *赢单率 按销售 2024年第2季度* 每天 09:00（Asia/Shanghai），发到 <#{LINA_DM}>"
    assert mine in listing
    assert _kpi(slack, drv, LINA, LINA_DM, f"取消订阅 {sub_id}") == (
        f"已取消订阅 #{sub_id}：之后不会再发送。"
    )
    # Alice's Slack is English: her English command stays English
    assert _kpi(slack, drv, H.ALICE, H.SALES, "subscriptions").startswith(
        "You have no subscriptions."
    )


def test_a_compiler_refusal_is_said_in_chinese(slack: SlackEmulator, drv: SlackDriver) -> None:
    drv.mention(H.ALICE, H.SALES, "最大订单 按销售")
    slack.wait_for("chat.postMessage")
    [msg] = answers(slack, H.SALES)
    assert "最大订单列出的是单笔交易，不能按销售分组。" in all_text(msg)
    assert "single deals" not in all_text(msg)


def test_dashboard_words_in_chinese(slack: SlackEmulator, drv: SlackDriver) -> None:
    """Lina (zh-CN): how to use dashboards, in Chinese forms that run as they are; a new
    board and the listing answer in Chinese."""
    assert _kpi(slack, drv, LINA, LINA_DM, "pin").startswith(
        '大屏：`/kpi 大屏列表` · `/kpi 新建大屏 "华东"` · '
        '`/kpi 加到大屏 "华东" 赢单率 按销售 本季度`'
    )
    assert _kpi(slack, drv, LINA, LINA_DM, '新建大屏 "我的看板"').startswith(
        "已新建大屏 *我的看板*（只有你能看）。"
    )
    said = _kpi(slack, drv, LINA, LINA_DM, '加到大屏 "我的看板" 赢单率 按销售 本季度')
    assert said == (
        "已固定到 *我的看板*，第 1 个面板：“赢单率 按销售 本季度”。"
        "用 `/kpi 大屏 \"我的看板\"` 查看。"
    )
    listing = _kpi(slack, drv, LINA, LINA_DM, "dashboards")  # English words, Chinese locale
    assert "• *我的看板* · 1 个面板 · 个人 · 创建者 <@U0LINA001>" in listing
