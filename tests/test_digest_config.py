"""digests:/alerts: in app.yaml: the issue's example loads; every problem has its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config
from bot.digests.config import parse_condition
from metrics.errors import ConfigError

EXAMPLE = """
timezone: Asia/Shanghai
admin_channel: "#kpibot-admin"
digests:
  - name: morning
    channel: C0123456789        # a channel id, or "#sales"
    schedule: weekdays 09:00
    timezone: Asia/Shanghai
    questions:
      - deals won this month vs previous period
      - connect rate by rep last 7 days
    dashboards: [outbound calls dashboard]
alerts:
  - name: connect-rate-low
    question: connect rate last 7 days
    condition: "< 0.25"
    min_volume: 50
    schedule: weekdays 10:00
    channel: "#sales-managers"
"""


def load(tmp_path: Path, text: str) -> config.AppConfig:
    p = tmp_path / "app.yaml"
    p.write_text(text, encoding="utf-8")
    return config.load(p)


def test_issue_example_loads(tmp_path: Path) -> None:
    cfg = load(tmp_path, EXAMPLE)
    d, a = cfg.digests[0], cfg.alerts[0]
    assert (d.name, d.channel, d.schedule, d.timezone) == (
        "morning",
        "C0123456789",
        "weekdays 09:00",
        "Asia/Shanghai",
    )
    assert d.dashboards == ["outbound calls dashboard"] and d.skip_if_empty is False
    assert (a.condition, a.min_volume, a.channel) == ("< 0.25", 50, "#sales-managers")
    assert cfg.digest_delivery.grace_minutes == 120
    assert cfg.admin_channel == "#kpibot-admin"


def test_every_problem_with_its_key_path(tmp_path: Path) -> None:
    text = """
admin_channel: kpibot admin
digests:
  - name: ok
    channel: C0123456789
    schedule: daily 08:30
    questions: [leads today]
  - name: bad
    channel: sales
    schedule: every day 9am
    timezone: Mars/Base
    questions: [leads today]
  - name: empty
    channel: "#sales"
    schedule: "0 9 * * 1-5"
alerts:
  - name: a
    question: connect rate last 7 days
    condition: goes up a lot
    schedule: mondays 25:00
    channel: "#sales"
    min_volume: -1
digest_delivery:
  grace_minutes: -5
"""
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, text)
    problems = exc.value.problems
    assert problems == [
        'admin_channel: "kpibot admin" is not a channel; '
        'write a channel id like C0123456789 or "#sales"',
        'digests[1].channel: "sales" is not a channel; '
        'write a channel id like C0123456789 or "#sales"',
        'digests[1].schedule: "every day 9am" is not a schedule; write "weekdays 09:00", '
        '"daily 08:30", "mondays 09:00" or a cron expression like "0 9 * * 1-5"',
        'digests[1].timezone: "Mars/Base" is not an IANA time zone (e.g. "Asia/Shanghai", "UTC")',
        "digests[2]: needs questions or dashboards (at least one)",
        'alerts[0].schedule: "25:00" is not a time of day; write HH:MM from 00:00 to 23:59',
        'alerts[0].condition: "goes up a lot" is not a condition; write "< 0.25", ">= 100", '
        '"< 25%", "drops by 20%" or "rises by 10%"',
        "alerts[0].min_volume: Input should be greater than or equal to 0",
        "digest_delivery.grace_minutes: Input should be greater than or equal to 0",
    ]


def test_a_schedule_problem_in_app_yamls_language(tmp_path: Path) -> None:
    """With a fixed ``language: zh`` the schedule's own words are Chinese, as in /kpi subscribe;
    the key path stays as written in app.yaml."""
    text = """
language: zh
digests:
  - {name: a, channel: "#sales", schedule: hourly 09:00, questions: [leads today]}
  - {name: b, channel: "#sales", schedule: "61 * * * *", questions: [leads today]}
"""
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, text)
    examples = "“工作日 09:00”、“每天 08:30”、“每周一 09:00”或 cron 表达式（如“0 9 * * 1-5”）"
    assert exc.value.problems == [
        "digests[0].schedule: “hourly”不是日期规则；请用 每天、工作日、周末 或 每周一 "
        f"这样的写法（例如 {examples}）",
        f"digests[1].schedule: “61 * * * *”不是有效的 cron 表达式；请写 {examples}",
    ]


def test_duplicate_names(tmp_path: Path) -> None:
    text = """
digests:
  - {name: morning, channel: C0123456789, schedule: daily 09:00, questions: [leads today]}
  - {name: morning, channel: C0123456789, schedule: daily 10:00, questions: [leads today]}
"""
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, text)
    assert exc.value.problems == [
        'digests: the name "morning" is used by digests[0] and digests[1]; names must be unique'
    ]


@pytest.mark.parametrize(
    ("text", "kind", "op", "value", "true_for", "false_for"),
    [
        ("< 0.25", "threshold", "<", 0.25, 0.2, 0.25),
        (">= 100", "threshold", ">=", 100, 100, 99.9),
        ("< 25%", "threshold", "<", 0.25, 0.249, 0.3),
        ("drops by 20%", "change", "<", 0.2, -0.2, -0.19),
        ("rises by 10%", "change", ">", 0.1, 0.1, 0.05),
    ],
)
def test_conditions(
    text: str, kind: str, op: str, value: float, true_for: float, false_for: float
) -> None:
    c = parse_condition(text)
    assert (c.kind, c.op, c.value) == (kind, op, pytest.approx(value))
    assert c.holds(true_for) and not c.holds(false_for)
