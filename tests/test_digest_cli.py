"""kpibot digest list / run: dry runs write the Block Kit JSON and charts; bad input gets words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import build_app
from bot.digests.state import StateStore
from tests.state_connections import Opener, left_open

app = build_app()

APP_YAML = """
timezone: Asia/Shanghai
state_database: state.sqlite
digests:
  - name: morning
    channel: C0123456789
    schedule: weekdays 09:00
    questions: [connect rate last 7 days]
    dashboards: [outbound calls]
alerts:
  - name: low
    question: connect rate last 7 days
    condition: "< 0.25"
    schedule: daily 10:00
    channel: "#sales-managers"
"""


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    p = tmp_path / "app.yaml"
    p.write_text(APP_YAML, encoding="utf-8")
    monkeypatch.setenv("KPIBOT_BACKEND", "tests.digest_backend:cli_backend")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return p


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_list(cfg: Path) -> None:
    code, out, _ = run("digest", "list", "--config", str(cfg))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["digest", "morning", "C0123456789", "weekdays", "09:00"]
    assert "Asia/Shanghai" in lines[0] and "never sent" in lines[0]
    assert lines[1].split()[:3] == ["alert", "low", "#sales-managers"]


def test_dry_run_writes_block_kit_and_charts(cfg: Path, tmp_path: Path, open_state: Opener) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(
        "digest",
        "run",
        "morning",
        "--today",
        "2024-06-28",
        "--dry-run",
        "--out",
        str(out_dir),
        "--config",
        str(cfg),
    )
    assert code == 0, err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "headline.json",
        "thread-01.json",
        "thread-01.png",
        "thread-02.json",
        "thread-02.png",
    ]
    head = json.loads((out_dir / "headline.json").read_text())
    assert head["channel"] == "C0123456789"
    # 0.30 against 0.25 a week before: a rate, +5.0 percentage points; calls 120 vs 120: 0.0%.
    assert head["blocks"][1]["text"]["text"].splitlines()[0] == (
        "• *connect rate* 30.0% +5.0 pp, *calls* 120 0.0% · 21 – 27 Jun 2024"
    )
    assert (out_dir / "thread-01.png").read_bytes().startswith(b"\x89PNG")
    assert StateStore(open_state(tmp_path / "state.sqlite")).history() == []  # claims nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["morning", "--today", "2024-06-29"],
            'digest run: morning does not run on Sat 2024-06-29 ("weekdays 09:00")',
        ),
        (["evening"], 'digest: no digest or alert is called "evening"; known: morning, low'),
        (["morning", "--today", "June 28"], '--today: "June 28" is not a date'),
        (["morning", "--dry-run"], "digest run: --dry-run needs --out DIR"),
        (["morning", "--today", "2024-06-28"], "digest run: set SLACK_BOT_TOKEN"),
    ],
)
def test_bad_input_gets_words(cfg: Path, args: list[str], message: str) -> None:
    code, out, err = run("digest", "run", *args, "--config", str(cfg))
    assert code == 2
    assert message in err and "Traceback" not in err + out


def test_each_command_closes_its_state_connection(cfg: Path, tmp_path: Path) -> None:
    """Run in one process with others (as here), a command leaves no connection for the garbage
    collector to finalise later, also when it stops at an error."""
    with left_open() as dropped:
        assert run("digest", "list", "--config", str(cfg))[0] == 0
        dry = ["--today", "2024-06-28", "--dry-run", "--out", str(tmp_path / "out")]
        assert run("digest", "run", "morning", *dry, "--config", str(cfg))[0] == 0
        assert run("digest", "run", "evening", "--config", str(cfg))[0] == 2  # no such digest
    assert dropped == []


BAD_QUESTIONS = """
timezone: Asia/Shanghai
state_database: state.sqlite
digests:
  - name: morning
    channel: C0123456789
    schedule: weekdays 09:00
    questions: [calls last 7 days, blorp rate last 7 days]
alerts:
  - name: low
    question: connect rate for Zed Nobody last 7 days
    condition: "< 0.25"
    schedule: daily 10:00
    channel: "#sales-managers"
  - name: fine
    question: calls for Bob Smith last 7 days
    condition: "< 1"
    schedule: daily 10:00
    channel: "#sales-managers"
"""


def test_a_question_that_does_not_parse_is_refused_with_its_key_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked against the cache's names when app.yaml is validated, never sent as a warning."""
    from tests.fixture_org import load_fixture_org

    db = load_fixture_org(tmp_path / "k.duckdb")
    p = tmp_path / "app.yaml"
    p.write_text(BAD_QUESTIONS, encoding="utf-8")
    monkeypatch.delenv("KPIBOT_BACKEND", raising=False)
    code, out, err = run("digest", "list", "--config", str(p), "--db", str(db))
    assert code == 2 and out == ""
    problems = err.splitlines()[1:]
    # The typo'd KPI and the unknown rep; the good questions (Bob Smith is a rep) pass.
    assert len(problems) == 2, err
    assert problems[0].startswith('digests[0].questions[1]: "blorp rate last 7 days": ')
    assert problems[1].startswith('alerts[0].question: "connect rate for Zed Nobody last 7 days"')
    assert "zed nobody" in problems[1] and "Traceback" not in err
