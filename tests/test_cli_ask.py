"""`kpibot ask` end to end: question text → grammar → engine → JSON, on the hand-made fixture org.

The expected rows are the hand-worked ones of test_metrics_fixture.py (arithmetic in its
comments); here the same numbers must come out of the real command, asked in words, English,
Chinese and mixed, all in one process through standard input.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import ask_json, run_kpibot
from tests.fixture_org import load_fixture_org
from tests.test_metrics_fixture import CASES

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "fixtures" / "org" / "app.yaml"
TODAY = "2024-06-27"

# question → the fixture case whose hand-worked rows it must give
QUESTIONS: dict[str, str] = {
    "leads, converted leads, lead-to-opportunity ratio, lead conversion rate, lead response time, "
    "uncontacted leads and follow-up rate": "lead totals",
    "leads by rep": "leads by rep",
    "线索数 按渠道": "leads by channel",
    "weekly leads": "leads by week",
    "leads inbound": "leads inbound only",
    "lead response time by rep": "lead response time by rep",
    "跟进率 按销售": "follow-up rate by rep",
    "follow-up rate by attempt": "follow-up rate by attempt",
    "lead conversion rate by lead source": "lead conversion rate by lead source",
    "win rate by rep": "win rate by rep",
    "deals lost by rep": "deals lost by rep: only reps with lost deals",
    "deals won and deals lost by rep": "deals won and lost by rep: missing group is 0",
    "revenue won per rep": "revenue won by rep",
    "aov by rep": "average deal size by rep",
    "销售周期 按销售": "sales cycle by rep",
    "deals won amount > 40000": "deals won over 40000",
    "new opportunities monthly": "new opportunities by month",
    "open pipeline": "open pipeline, all time by default",
    "open pipeline by stage": "open pipeline by stage in stage order",
    "time in stage by stage": "time in stage by stage",
    "top deals": "top deals",
    "calls, outbound calls, connected calls, connect rate, average call duration, emails, "
    "activities, meetings booked, demos booked, meetings held and calls per deal": (
        "activity totals"
    ),
    "calls, connect rate, demos and deals won by rep": "several KPIs by rep",
    "接通率 按星期": "connect rate by weekday",
    "connect rate by hour of day": "connect rate by hour",
    "calls by weekday for bob smith": "Bob's calls by weekday",
    "calls per deal by rep": "calls per deal by rep",
    "calls by rep calls > 2": "calls by rep over 2",
    "top 1 rep by revenue won": "top 1 rep by revenue",
    "bottom 1 rep by calls": "bottom 1 rep by calls",
    "deals won vs previous period": "deals won vs previous period (to date)",
    "revenue won and win rate yoy": "revenue and win rate vs last year",
    "calls by rep 环比": "calls by rep vs previous period",
    "leads vs Q1 2024": "leads vs Q1",
    "revenue won by month Q2 2024 vs last year": "revenue by month, Q2 vs last year",
    "calls, connect rate, revenue won and aov in March 2024": "empty window, no grouping",
}


def _json(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def _expected(case_id: str) -> list[list[Any]]:
    for case in CASES:
        if case[0] == case_id:
            assert len(case) == 4, "cases with their own settings are asked elsewhere"
            return [[_json(v) for v in row] for row in case[3]]
    raise KeyError(case_id)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    db = load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")
    questions = list(QUESTIONS)
    proc = ask_json(db, questions, config=CONFIG, today=TODAY)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(questions)
    return {q: json.loads(line) for q, line in zip(questions, lines, strict=True)}


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_asked_in_words_gives_the_hand_worked_numbers(
    question: str, answers: dict[str, dict[str, Any]]
) -> None:
    got = answers[question]
    assert "error" not in got, got
    assert got["question"] == question
    want = _expected(QUESTIONS[question])
    assert [[pytest.approx(v) if isinstance(v, float) else v for v in row] for row in want] == got[
        "rows"
    ]


def test_json_shape_of_an_answer(answers: dict[str, dict[str, Any]]) -> None:
    got = answers["calls by rep 环比"]
    assert list(got) == [
        "question",
        "restated",
        "window",
        "compare_window",
        "columns",
        "rows",
        "sql",
        "notes",
        "samples",
        "open_shares",
        "partial",
        "language",
    ]
    # mostly English ("环比" is 2 characters against 10 letters): restated in English
    assert got["language"] == "en"
    assert got["columns"] == ["rep", "calls", "calls (previous)", "calls growth"]
    assert got["samples"] == {} and got["partial"] is None  # calls is a count; reps no time
    assert got["window"] == {"start": "2024-04-01", "end": "2024-06-27"}
    # a period still running: as many days from the start of the previous quarter (88 days)
    assert got["compare_window"] == {"start": "2024-01-01", "end": "2024-03-28"}
    assert got["restated"].startswith("[calls] by [rep] · 1 Apr – 27 Jun 2024 (this quarter")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("org2") / "kpibot.duckdb")


def test_error_exit_codes_and_json(db: Path) -> None:
    base = ["--today", TODAY, "--config", str(CONFIG), "--db", str(db)]
    p = run_kpibot("ask", "conect rat by rep", "--json", *base)
    assert p.returncode == 0  # one clear close match: corrected and said
    assert any("connect rate" in n for n in json.loads(p.stdout)["notes"])
    p = run_kpibot("ask", "why did calls drop", "--json", *base)
    assert p.returncode == 1
    err = json.loads(p.stdout)["error"]
    assert err["kind"] == "unsupported" and 1 <= len(err["suggestions"]) <= 3
    p = run_kpibot("ask", "calls in March 2023 by rep", "--json", *base)
    assert p.returncode == 1 and json.loads(p.stdout)["error"]["kind"] == "no_data"
    assert "Mar 2023" in json.loads(p.stdout)["error"]["message"]
    p = run_kpibot("ask", "calls by stage", *base)
    assert p.returncode == 1 and "Traceback" not in p.stderr and "stage" in p.stderr


def test_hostile_input_never_shows_a_traceback(db: Path) -> None:
    base = ["--today", TODAY, "--config", str(CONFIG), "--db", str(db)]
    hostile = [
        "",
        " ",
        '\'; DROP TABLE "Task"; --',
        "calls' OR 1=1 --",
        "x" * 5000,
        "\x1b[31mred\x1b[0m",
        "SELECT * FROM Lead",
        'calls for "张伟',
        "calls by by by",
        "top -5 reps",
        "calls > > 3",
        "between 2024-13-45 and yesterday calls",
        "💥🔥 calls",
        "\\x00\\xff",
    ]
    p = run_kpibot("ask", "-", "--json", *base, stdin="\n".join(hostile) + "\n")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(lines) == len(hostile)
    for line in lines:
        assert "rows" in line or line["error"]["kind"] in {
            "unknown_word",
            "ambiguous",
            "unsupported",
            "no_data",
            "invalid",
        }
    # the cache is untouched by SQL-looking text
    p = run_kpibot("ask", "calls", "--json", *base)
    assert json.loads(p.stdout)["rows"] == [[7]]


def test_missing_cache_says_how_to_build_one(tmp_path: Path) -> None:
    p = run_kpibot("ask", "calls", "--db", str(tmp_path / "none.duckdb"), "--config", str(CONFIG))
    assert p.returncode == 2 and "kpibot demo" in p.stderr and "Traceback" not in p.stderr


def test_text_output_is_a_readable_table(db: Path) -> None:
    p = run_kpibot(
        "ask", "win rate by rep", "--today", TODAY, "--config", str(CONFIG), "--db", str(db)
    )
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0] == "[win rate] by [rep] · 1 Apr – 27 Jun 2024 (this quarter, default)"
    # Each rate is followed by its base; Q2 closes Bob's O2 and O11 (won), Alice's O1 (won) and
    # O4 (lost): 2 closed deals each, fewer than 20, so marked † with the rule said once.
    assert lines[-5].split() == ["rep", "win", "rate", "closed", "deals"]
    assert any(
        ln.startswith("Bob Smith") and ln.split()[-3:] == ["100.0%", "†", "2"] for ln in lines
    )
    assert any(
        ln.startswith("Alice Wang") and ln.split()[-3:] == ["50.0%", "†", "2"] for ln in lines
    )
    assert "note: † on fewer than 20 closed deals: too few to compare." in lines


def test_lead_activity_kpis_with_open_windows(db: Path) -> None:
    """The lead-activity join is bounded by the window; open ends must read everything.

    All time adds L7 (15 Jan, no activity: T11/T12 have no WhoId) to Q2's leads L1–L5:
    responded L1 2 h, L2 4 h, L3 24 h, L4 24 h → 13.5 h; uncontacted L5, L7 = 2; follow-up 2/3.
    Before 1 May: L1 (2 h) and L2 (4 h) responded, L7 and L5 not → 3.0 h.
    """
    base = ["--today", TODAY, "--config", str(CONFIG), "--db", str(db), "--json"]
    p = run_kpibot(
        "ask", "lead response time, uncontacted leads and follow-up rate all time", *base
    )
    assert json.loads(p.stdout)["rows"] == [[13.5, 2, pytest.approx(2 / 3)]]
    p = run_kpibot("ask", "lead response time before 2024-05-01", *base)
    assert json.loads(p.stdout)["rows"] == [[3.0]]


def test_warm_up_builds_the_parser_a_first_question_uses(db: Path, tmp_path: Path) -> None:
    """`kpibot serve` warms its backend: afterwards the first question finds the parser built on
    the snapshot's values; with no snapshot yet, warming is harmless."""
    import threading

    import grammar.parser
    from bot.backend import RealBackend
    from bot.config import AppConfig

    RealBackend(AppConfig(db_override=str(tmp_path / "none.duckdb"))).warm()
    backend = RealBackend(AppConfig(db_override=str(db)))
    backend.warm()
    for t in threading.enumerate():
        if t.name == "kpibot-warm":
            t.join(timeout=60)
    values = backend._current_values()
    hit = grammar.parser._BY_ID.get((id(backend.catalog), id(values)))
    assert hit is not None and hit[1] is values
    assert backend.ask("calls this quarter", today=None).error is None
