"""Alert decisions: thresholds, changes, min_volume, no data, fire once and re-arm."""

from __future__ import annotations

from datetime import date

import pytest

from bot.backend import Reply
from bot.digests.alerts import alert_message, evaluate, is_armed, volume_question
from bot.digests.config import AlertConfig
from tests.digest_backend import ScriptedBackend, answer

DAY = date(2024, 6, 28)


def alert(**kw: object) -> AlertConfig:
    base = {
        "name": "low",
        "question": "connect rate last 7 days",
        "condition": "< 0.25",
        "schedule": "weekdays 10:00",
        "channel": "#sales",
    }
    return AlertConfig.model_validate({**base, **kw})


def check(
    a: AlertConfig,
    value: float | None,
    *,
    armed: bool = True,
    count: float | None = None,
    previous: float | None = None,
) -> tuple[str, str]:
    b = ScriptedBackend(lambda q, d: value if d == DAY else previous, count=lambda q, d: count)
    reply = b.ask(a.question, today=DAY)
    prev = b.previous_period(reply.answer, today=DAY) if reply.answer is not None else None
    ev = evaluate(a, reply, prev, armed=armed, currency="USD")
    return ev.outcome, ev.detail


def test_threshold() -> None:
    assert check(alert(), 0.21) == ("fired", "connect rate is 21.0%, < 25.0%")
    assert check(alert(), 0.21, armed=False)[0] == "still"
    assert check(alert(), 0.25)[0] == "clear"


def test_empty_result_is_no_data_not_zero() -> None:
    assert check(alert(), None) == ("no_data", "no data")


def test_min_volume_uses_the_count_column() -> None:
    a = alert(min_volume=50)
    assert check(a, 0.10, count=49) == ("low_volume", "volume 49 < min_volume 50")
    assert check(a, 0.10, count=50)[0] == "fired"
    outcome, detail = check(alert(min_volume=50, question="win rate last 7 days"), 0.10)
    assert outcome == "error" and "min_volume needs a sample size for win rate" in detail


def test_min_volume_reads_the_rates_own_base() -> None:
    # connect rate = connected ÷ outbound calls (kpis.md): the engine counts the 40 outbound
    # calls behind it in the same SQL, so no second question is needed.
    a = alert(min_volume=50)
    reply = Reply(a.question, answer=answer(a.question, "connect rate", "percent", 0.10, DAY,
                                            base=("outbound calls", 40)))
    assert volume_question(a, reply.answer) is None
    ev = evaluate(a, reply, None, armed=True, currency="USD")
    assert (ev.outcome, ev.volume) == ("low_volume", 40)


def test_min_volume_asks_for_a_named_volume_kpi_the_answer_lacks() -> None:
    a = alert(min_volume=50, volume="outbound calls")
    b = ScriptedBackend(lambda q, d: 60 if q.startswith("outbound calls") else 0.10)
    reply = b.ask(a.question, today=DAY)
    vq = volume_question(a, reply.answer)
    assert vq == "outbound calls last 7 days"
    ev = evaluate(a, reply, None, armed=True, currency="USD", volume_reply=b.ask(vq, today=DAY))
    assert (ev.outcome, ev.volume) == ("fired", 60)
    assert volume_question(alert(), reply.answer) is None  # no min_volume: nothing to ask


@pytest.mark.parametrize(
    ("condition", "now", "before", "outcome"),
    [
        ("drops by 20%", 0.24, 0.30, "fired"),  # (0.24 - 0.30) / 0.30 = -20%
        ("drops by 20%", 0.25, 0.30, "clear"),  # -16.7%
        ("rises by 10%", 0.34, 0.30, "fired"),  # +13.3%
        ("rises by 10%", 0.32, 0.30, "clear"),
        ("drops by 20%", 0.24, 0.0, "no_data"),  # growth from 0 has no value
    ],
)
def test_change_against_previous_period(
    condition: str, now: float, before: float, outcome: str
) -> None:
    assert check(alert(condition=condition), now, previous=before)[0] == outcome


def test_a_rate_alert_says_the_change_in_points_and_its_relative_rule() -> None:
    # 24.0% against 30.0%: −6.0 percentage points, (0.24 − 0.30) / 0.30 = −20.0% relative
    outcome, detail = check(alert(condition="drops by 10%"), 0.24, previous=0.30)
    assert outcome == "fired"
    assert detail == (
        "connect rate is 24.0%, −6.0 pp (▼ 20.0%) vs previous period (drops by 10%)"
    )


def test_unknown_word_is_an_error_not_a_fire() -> None:
    outcome, detail = check(alert(question="conect rate last 7 days"), 0.1)
    assert outcome == "error" and "Did you mean connect rate?" in detail


def test_armed_from_history() -> None:
    assert is_armed([])
    assert not is_armed(["clear", "fired", "still", "no_data"])
    assert is_armed(["fired", "still", "clear"])
    assert not is_armed(["fired", "clear", "fired", "low_volume"])


def test_alert_message_says_what_crossed_what() -> None:
    a = alert()
    b = ScriptedBackend(lambda q, d: 0.21)
    reply = b.ask(a.question, today=DAY)
    ev = evaluate(a, reply, None, armed=True, currency="USD")
    msg = alert_message(a, ev, reply, currency="USD")
    assert (
        msg.headline.text
        == ":rotating_light: *low*: connect rate is 21.0%, < 25.0% · 21 – 27 Jun 2024"
    )
    assert len(msg.thread) == 1 and msg.thread[0].image is not None
