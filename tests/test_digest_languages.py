"""Digests and alerts in their language (docs/languages.md): a digest's own ``language``, else
app.yaml's; with ``auto`` its questions read together. Real engine on the hand-made fixture
org (today: Thu 27 Jun 2024)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot import config as app_config
from bot.backend import RealBackend
from bot.digests.message import ask_all, dashboard_question, digest_message
from bot.digests.scheduler import jobs_of
from i18n import Language
from tests.fixture_org import load_fixture_org

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2024, 6, 27)


def config_with(digests: list[dict[str, object]], **top: object) -> app_config.AppConfig:
    return app_config.AppConfig.model_validate({"digests": digests, **top})


def test_each_digest_is_sent_in_its_language() -> None:
    every = {"channel": "C0SALES01", "schedule": "daily 09:00"}
    cfg = config_with(
        [
            {"name": "zh", "questions": ["本季度 赢单数", "接通率 过去7天"], **every},
            {"name": "en", "questions": ["deals won this quarter"], **every},
            {"name": "forced", "questions": ["本季度 赢单数"], "language": "en", **every},
        ]
    )
    assert [j.language for j in jobs_of(cfg)] == [Language.ZH, Language.EN, Language.EN]
    # app.yaml's top-level language applies to a digest without its own
    cfg = config_with([{"name": "d", "questions": ["deals won"], **every}], language="zh")
    assert [j.language for j in jobs_of(cfg)] == [Language.ZH]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    db = load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")
    cfg = app_config.load(ROOT / "tests" / "fixtures" / "org" / "app.yaml", str(db))
    backend = RealBackend(cfg)
    yield backend
    backend.close()  # its state connection, opened for a user board's name


def test_a_chinese_digest_headline(backend: RealBackend) -> None:
    questions = ["本季度 赢单数", "win rate by rep"]
    replies, previous = ask_all(backend, questions, TODAY, Language.ZH)
    msg = digest_message(
        "晨报", replies, today=TODAY, currency="USD", previous=previous, lang=Language.ZH
    )
    lines = msg.headline.text.splitlines()
    assert lines[0] == "晨报 · 2024年6月27日"
    # deals won in Q2 to 27 Jun: O1, O2, O5, O11 = 4 (test_slack_real); the previous period
    # 1 Jan – 28 Mar: O7 = 1 → ▲ 300.0%
    assert lines[1] == "• *赢单数* 4 ▲ 300.0% · 2024年4月1日 – 6月27日"
    # asked in English, said in the digest's language
    said = "[赢单率] 按 [销售] · 2024年4月1日 – 6月27日（本季度，默认）"
    assert lines[2] == f"• *{said}*：3 行，图表见讨论串"
    context = msg.headline.blocks[2]["elements"][0]["text"]
    assert context.startswith("数据截至 ") and context.endswith("。图表和明细见讨论串。")


def test_a_dashboard_in_a_digest_is_named_as_its_image_is_titled(backend: RealBackend) -> None:
    questions = [dashboard_question("outbound calls")]
    for lang, name in ((Language.ZH, "外拨电话大屏"), (Language.EN, "Outbound calls dashboard")):
        replies, previous = ask_all(backend, questions, TODAY, lang)
        msg = digest_message(
            "d", replies, today=TODAY, currency="USD", previous=previous, lang=lang
        )
        assert msg.headline.text.splitlines()[1].startswith(f"• *{name}*")
        assert msg.thread[0].text == f"*{name}*"


def test_a_chinese_alert(backend: RealBackend) -> None:
    from bot.digests.alerts import alert_message, evaluate
    from bot.digests.config import AlertConfig

    alert = AlertConfig.model_validate(
        {
            "name": "connect-rate-low",
            "channel": "C0SALES01",
            "schedule": "daily 10:00",
            "question": "本季度 接通率",
            "condition": "< 0.9",
        }
    )
    reply = backend.ask(alert.question, today=TODAY, with_chart=False, language=Language.ZH)
    ev = evaluate(alert, reply, None, armed=True, currency="USD", lang=Language.ZH)
    # connected / outbound calls in Q2 (test_slack_real): 张伟 1/1, Alice 2/3, Bob 1/2 = 4/6
    assert ev.outcome == "fired" and ev.detail == "接通率为 66.7%，< 90.0%"
    msg = alert_message(alert, ev, reply, currency="USD", lang=Language.ZH)
    said = "接通率为 66.7%，< 90.0% · 2024年4月1日 – 6月27日"
    assert msg.headline.text == f":rotating_light: *connect-rate-low*: {said}"
    assert "条件解除后才会再次触发" in str(msg.headline.blocks)
