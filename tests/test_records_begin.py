"""A window before the org's first record is not a confident 0 (metrics/coverage.py), end to
end through `kpibot ask` on the hand-made fixture org (today Thu 27 Jun 2024, Asia/Shanghai).

When the fixture's records begin (tests/fixtures/org/*.csv, in the org zone UTC+8):
  opportunities: the earliest CreatedDate is O9's 2023-04-01T02:00Z = 1 Apr 2023 10:00 (the
                 earliest CloseDate, O9's 10 May 2023, is later) → 1 Apr 2023
  tasks:         the earliest CreatedDate is T11's 2024-01-10T02:00Z = 10 Jan 2024 10:00
                 → 10 Jan 2024
  calls per deal (tasks ÷ opportunities): the later of the two → 10 Jan 2024
Deals won in 2023: O10 (won, CloseDate 20 May 2023) = 1 (O9 was lost).
Connect rate Q1 2024: T11 connected, T12 no answer → 1 / 2 = 50.0%.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import ask_json, run_kpibot
from tests.fixture_org import ORG, load_fixture_org

TODAY = "2024-06-27"
CONFIG = ORG / "app.yaml"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("begin") / "kpibot.duckdb")


def _json(db: Path, questions: list[str]) -> list[dict[str, Any]]:
    p = ask_json(db, questions, config=CONFIG, today=TODAY)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def _text(db: Path, question: str) -> str:
    p = run_kpibot(
        "ask", question, "--today", TODAY, "--config", str(CONFIG), "--db", str(db), cwd=db.parent
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_a_year_before_the_records_has_no_value_and_no_change(db: Path) -> None:
    (got,) = _json(db, ["deals won 2022 vs 2023"])
    # 2022 lies before 1 Apr 2023: no value (not 0) and no change; 2023: O10 = 1
    assert got["rows"] == [[None, 1, None]]
    assert got["notes"] == [
        "deals won: records begin on 1 Apr 2023; 2022 (1 Jan – 31 Dec 2022) is before them, "
        "so no change is computed.",
        "deals won: records begin on 1 Apr 2023, so 2023 (1 Jan – 31 Dec 2023) holds only "
        "1 Apr – 31 Dec 2023: the change sets only those days against the other side.",
    ]
    text = _text(db, "deals won 2022 vs 2023")
    assert text.splitlines()[-1].split() == ["—", "1", "—"]


def test_a_comparison_with_a_year_before_the_records_computes_no_change(db: Path) -> None:
    (got,) = _json(db, ["deals won 2023 vs last year"])
    # vs last year of 2023 is all of 2022, before the records: no previous value, no change
    assert got["rows"] == [[1, None, None]]
    assert (
        "deals won: records begin on 1 Apr 2023; last year (1 Jan – 31 Dec 2022) is before "
        "them, so no change is computed." in got["notes"]
    )


def test_a_window_wholly_before_the_records_says_when_they_begin(db: Path) -> None:
    en, zh, ratio = _json(db, ["deals won 2022", "2022年 赢单数", "calls per deal 2023"])
    assert en["error"]["kind"] == "no_data"
    assert en["error"]["message"] == (
        "No data for deals won in 1 Jan – 31 Dec 2022 (2022): records begin on 1 Apr 2023."
    )
    assert zh["error"]["message"] == (
        "2022年1月1日 – 12月31日（2022年）没有赢单数的数据：记录从2023年4月1日开始。"
    )
    # calls per deal needs both tasks (from 10 Jan 2024) and opportunities (from 1 Apr 2023)
    assert ratio["error"]["message"] == (
        "No data for calls per deal in 1 Jan – 31 Dec 2023 (2023): records begin on 10 Jan 2024."
    )


def test_buckets_before_the_records_are_empty_not_zero(db: Path) -> None:
    (got,) = _json(db, ["deals won by quarter 2023"])
    # Q1 2023 ends 31 Mar, before 1 Apr 2023: no value; Q2 O10 = 1; Q3, Q4 none won: 0
    assert got["rows"] == [
        ["2023-01-01", None],
        ["2023-04-01", 1],
        ["2023-07-01", 0],
        ["2023-10-01", 0],
    ]


def test_a_rate_against_a_quarter_before_the_tasks_has_no_change(db: Path) -> None:
    (got,) = _json(db, ["connect rate Q1 2024 vs Q4 2023"])
    # Q1 2024 = 50.0% (1 of 2); Q4 2023 lies before 10 Jan 2024: no value, no change
    assert got["rows"] == [[0.5, None, None]]
    assert got["notes"][:2] == [
        "connect rate: records begin on 10 Jan 2024, so Q1 2024 (1 Jan – 31 Mar 2024) holds "
        "only 10 Jan – 31 Mar 2024: the change sets only those days against the other side.",
        "connect rate: records begin on 10 Jan 2024; Q4 2023 (1 Oct – 31 Dec 2023) is before "
        "them, so no change is computed.",
    ]
    row = _text(db, "connect rate Q1 2024 vs Q4 2023").splitlines()[-1].split()
    # 50.0% on 2 outbound calls (†); the other side: no value, no base; no change
    assert row == ["50.0%", "†", "2", "—", "0", "—"]


def test_a_window_inside_the_records_says_nothing_about_them(db: Path) -> None:
    (got,) = _json(db, ["deals won this quarter vs previous quarter"])
    assert not any("records begin" in n for n in got["notes"])
