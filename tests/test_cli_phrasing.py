"""The CLI side of everyday phrasing on the fixture org (today 27 Jun 2024): follow-ups with
--after and in `kpibot chat`, help, KPI definitions, dashboards by name, `kpibot kpis`.

Calls in Q2 2024 (tests/test_metrics_fixture.py): Alice T00, T01, T03 = 3; Bob T04, T06, T07
= 3; 张伟 T08 = 1; 7 in all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import run_kpibot
from tests.fixture_org import load_fixture_org
from tests.test_cli_ask import CONFIG, TODAY


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    db = load_fixture_org(tmp_path_factory.mktemp("phrasing") / "kpibot.duckdb")
    return ["--today", TODAY, "--config", str(CONFIG), "--db", str(db)]


def test_ask_after_merges_the_fragment(base: list[str]) -> None:
    p = run_kpibot("ask", "only bob", "--after", "calls by rep", "--json", *base)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["rows"] == [["Bob Smith", 3]]
    assert got["restated"].startswith("[calls] by [rep] for [rep = Bob Smith] · 1 Apr – 27 Jun")


def test_ask_after_with_a_full_question_starts_afresh(base: list[str]) -> None:
    p = run_kpibot("ask", "calls", "--after", "win rate by rep", "--json", *base)
    assert json.loads(p.stdout)["rows"] == [[7]]


def test_ask_after_an_unreadable_fragment_says_why(base: list[str]) -> None:
    p = run_kpibot("ask", "by zzyzx", "--after", "calls", *base)
    assert p.returncode == 1 and "Traceback" not in p.stderr and "zzyzx" in p.stderr


def test_chat_reads_follow_ups_against_the_question_before(base: list[str]) -> None:
    lines = "calls by rep\nonly bob\nhelp\n上个月呢\nwhat is connect rate\nquit\n"
    p = run_kpibot("chat", *base, stdin=lines)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "[calls] by [rep] · 1 Apr – 27 Jun 2024 (this quarter, default)" in out
    assert "[calls] by [rep] for [rep = Bob Smith] · 1 Apr – 27 Jun 2024" in out
    assert "For example:" in out  # help does not replace the question before
    # "上个月呢" (and last month?) after "only bob": Bob's calls by rep in May 2024
    assert "[calls] by [rep] for [rep = Bob Smith] · 1 – 31 May 2024 (last month)" in out
    assert "connect rate: connected calls ÷ outbound calls." in out


def test_help_and_definitions(base: list[str]) -> None:
    p = run_kpibot("ask", "what can I ask", *base)
    assert p.returncode == 0 and "For example:" in p.stdout
    # the examples name this org's people
    assert "Alice Wang" in p.stdout
    p = run_kpibot("ask", "what is follow-up rate", "--json", *base)
    got = json.loads(p.stdout)
    assert got["text"].startswith("follow-up rate: leads with 2 or more contact attempts")
    assert got["language"] == "en"
    # asked in Chinese, defined in Chinese (the catalog's zh_definition)
    got = json.loads(run_kpibot("ask", "跟进率是什么", "--json", *base).stdout)
    said = "跟进率：联系 2 次及以上（电话或邮件）的线索 ÷ 至少联系 1 次的线索。"
    assert got["text"].startswith(said)
    assert got["language"] == "zh"


def test_dashboard_by_name_with_window(base: list[str], tmp_path: Path) -> None:
    out = tmp_path / "d.png"
    p = run_kpibot("dashboard", "inbound leads last 90 days", "--out", str(out), *base)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"
    p = run_kpibot("dashboard", "sales", "--out", str(out), *base)
    assert p.returncode == 1
    # no board of any kind is called that, nor close to it (a close one: "Did you mean …?")
    assert p.stderr == 'There is no dashboard called "sales". `kpibot dashboards` lists them.\n'


def test_kpis_lists_one_line_definitions(base: list[str]) -> None:
    p = run_kpibot("kpis", "--config", str(CONFIG))
    assert p.returncode == 0
    assert any(
        "win rate" in ln and "deals won ÷ (deals won + deals lost)" in ln
        for ln in p.stdout.splitlines()
    )


def test_complete_one_a_line_and_json(base: list[str], tmp_path: Path) -> None:
    db_args = base[2:]  # --config, --db
    p = run_kpibot("complete", "conn", *db_args)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:2] == ["connect rate", "connected calls"]
    p = run_kpibot("complete", "calls for zhang", "--json", *db_args)
    assert json.loads(p.stdout) == {"partial": "calls for zhang", "completions": ["calls for 张伟"]}
    history = tmp_path / "history"
    history.write_text("connected calls by rep last month\n", encoding="utf-8")
    p = run_kpibot("complete", "conn", "--history", str(history), *db_args)
    assert p.stdout.splitlines()[0] == "connected calls by rep last month"
