"""Sources beside Salesforce on the fixture org: `kpibot import`, their KPIs in English and
Chinese with hand-worked numbers, atomic failure, unmatched links, and survival of a reload.

Today is Thu 27 Jun 2024 (Asia/Shanghai): "this quarter" is 1 Apr – 27 Jun 2024.

tests/fixtures/org/sources/marketing_spend.csv (monthly, on the 1st):
  inbound  Mar 9000 · Apr 10000 · May 12000 · Jun 8000     → Q2 30000, Q1 9000
  partner  Apr 3000 · May 3000                              → Q2  6000
  outbound May 5000                                         → Q2  5000       (Q2 total 41000)
Won New Business deals (CloseDate): Q2 O1 partner Alice 50000 · O11 inbound (Web) Bob 50000 ·
  O5 inbound (Website) 张伟 80000; Q1 O7 inbound (Web) Alice 40000. O2 (Bob, won, no amount) is
  Existing Business, O8 is deleted.
tests/fixtures/org/sources/quota.csv (quarterly, rep by email):
  Q2 Alice 100000 · Bob 40000 · 张伟 160000 (300000); Q1 Alice 80000
Revenue won Q2: Alice 50000 (O1) · Bob 50000 (O11; O2 has no amount) · 张伟 80000 (O5) = 180000.
Open pipeline closing in Q2: O6 Bob 10000 (O3 closes 15 Jul).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cache.snapshot import current_target
from tests.cli_run import ask_json, run_kpibot
from tests.fixture_org import ORG, load_fixture_org

TODAY = "2024-06-27"

# question → rows, worked out from the tables above
HAND_WORKED: dict[str, list[list[Any]]] = {
    # inbound 30000 / 2 = 15000 · partner 6000 / 1 · outbound 5000 / 0 = empty
    "CAC by channel": [["partner", 6000.0], ["inbound", 15000.0], ["outbound", None]],
    "获客成本 按渠道": [["partner", 6000.0], ["inbound", 15000.0], ["outbound", None]],
    # 41000 / 3
    "CAC": [[41000 / 3]],
    "customer acquisition cost last quarter": [[9000.0]],  # 9000 / 1 (O7)
    "CAC by channel last quarter": [["inbound", 9000.0]],
    "marketing spend by channel": [["outbound", 5000.0], ["partner", 6000.0], ["inbound", 30000.0]],
    "营销费用": [[41000.0]],
    "new customers won by channel": [["inbound", 2], ["partner", 1]],
    "quota by rep": [["张伟", 160000.0], ["Alice Wang", 100000.0], ["Bob Smith", 40000.0]],
    "配额": [[300000.0]],
    # Bob 50000/40000 · Alice 50000/100000 · 张伟 80000/160000
    "quota attainment by rep": [["Bob Smith", 1.25], ["Alice Wang", 0.5], ["张伟", 0.5]],
    "配额完成率 按销售": [["Bob Smith", 1.25], ["Alice Wang", 0.5], ["张伟", 0.5]],
    "quota attainment": [[0.6]],  # 180000 / 300000
    "quota attainment last quarter": [[0.5]],  # Alice O7 40000 / 80000
    # Alice 0 / (100000 − 50000) · 张伟 0 / (160000 − 80000) · Bob past quota: no gap, empty
    "pipeline coverage by rep": [["Alice Wang", 0.0], ["张伟", 0.0], ["Bob Smith", None]],
    "管道覆盖率": [[10000 / 120000]],  # 10000 / (300000 − 180000)
}


def _ask(db: Path, questions: list[str], config: Path = ORG / "app.yaml") -> list[dict[str, Any]]:
    """Ask every question in one `kpibot ask -` run; one JSON answer a line."""
    proc = ask_json(db, questions, config=config, today=TODAY)
    lines = proc.stdout.splitlines()
    assert len(lines) == len(questions), proc.stderr
    return [json.loads(line) for line in lines]


def _import(db: Path, *args: str, config: Path = ORG / "app.yaml") -> Any:
    return run_kpibot("import", *args, "--config", str(config), "--db", str(db), cwd=db.parent)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")
    p = _import(db)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "spend: 7 rows into marketing_spend",
        "quotas: 4 rows into quota",
    ]
    assert p.stderr == ""  # every rep and channel links
    return db


def test_source_kpis_match_the_hand_worked_numbers(imported: Path) -> None:
    got = _ask(imported, list(HAND_WORKED))
    for (question, want), answer in zip(HAND_WORKED.items(), got, strict=True):
        assert "error" not in answer, (question, answer)
        rows = answer["rows"]
        assert [[pytest.approx(v) if isinstance(v, float) else v for v in r] for r in want] == [
            [v for v in r if not isinstance(v, dict)] for r in rows
        ], question


def test_a_ratio_over_money_has_no_base_column(imported: Path) -> None:
    # Quota attainment's denominator is quota dollars, pipeline coverage's the gap in dollars:
    # no count of records to show beside them. CAC's base is its new customers (deals won).
    qa, pc, cac = _ask(imported, ["quota attainment by rep", "pipeline coverage by rep", "CAC"])
    assert qa["columns"] == ["rep", "quota attainment"] and qa["samples"] == {}
    assert pc["columns"] == ["rep", "pipeline coverage"] and pc["samples"] == {}
    assert list(cac["samples"]) == ["CAC"]


def test_cac_of_a_channel_with_wins_but_no_spend_is_not_zero(tmp_path: Path) -> None:
    """Spend imported for inbound and outbound only: partner's win has no spend against it, and
    'no spend recorded' is not a cost of $0 (which would make partner look free)."""
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    spend = org / "sources" / "marketing_spend.csv"
    lines = spend.read_text(encoding="utf-8").splitlines()
    spend.write_text("\n".join(x for x in lines if "Partner" not in x) + "\n", encoding="utf-8")
    db = load_fixture_org(tmp_path / "kpibot.duckdb", org)
    p = _import(db, "spend", config=org / "app.yaml")
    assert p.returncode == 0, p.stderr
    by_channel, total = _ask(db, ["CAC by channel", "CAC"], config=org / "app.yaml")
    # Q2 wins: partner O1 (1) · inbound O11, O5 (2); spend inbound 30000, outbound 5000.
    # inbound 30000 / 2 = 15000 · outbound 5000 / 0 wins: empty · partner no spend / 1: n/a.
    rows = [[v for v in r if not isinstance(v, dict)] for r in by_channel["rows"]]
    assert sorted(rows, key=str) == sorted(
        [["inbound", 15000.0], ["outbound", None], ["partner", None]], key=str
    )
    assert (
        "— CAC for partner: no spend recorded, so n/a, not 0 (1 new customer)."
        in by_channel["notes"]
    )
    # asked in Chinese: the KPI's Chinese name, the Chinese base (one form for any count)
    (zh,) = _ask(db, ["按渠道 获客成本"], config=org / "app.yaml")
    said = "— partner的获客成本：未记录营销费用，因此不适用，而不是 0（1 新客户）。"
    assert said in zh["notes"]
    # The whole window has spend: (30000 + 5000) / 3 wins.
    assert total["rows"][0][0] == pytest.approx(35000 / 3)
    assert not any("no spend recorded" in n for n in total["notes"])


def test_an_answer_from_a_source_states_its_date(imported: Path) -> None:
    (answer,) = _ask(imported, ["CAC by channel"])
    # the source's date comes first (other notes, e.g. small samples, may follow)
    assert answer["notes"][0].startswith("marketing spend as of ")
    assert answer["notes"][0].endswith("(source spend)")
    (calls,) = _ask(imported, ["calls"])
    assert not any(" as of " in n for n in calls["notes"])  # no source note on Salesforce KPIs


def test_a_kpi_whose_source_is_not_imported_says_what_to_import(tmp_path: Path) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    got = _ask(db, ["CAC by channel", "配额完成率", "pipeline coverage"])
    for answer, table in zip(got, ["marketing_spend", "quota", "quota"], strict=True):
        message = answer["error"]["message"]
        assert f"table: {table}" in message and "kpibot import" in message, message
        assert "SQL" not in message and "Catalog" not in message


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(current_target(db)), read_only=True)
    try:
        return {
            t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()
            for t in ("marketing_spend", "quota")
        }
    finally:
        con.close()


def test_sources_survive_a_data_export_load(imported: Path, tmp_path: Path) -> None:
    db = tmp_path / "kpibot.duckdb"
    shutil.copytree(imported.parent, tmp_path, dirs_exist_ok=True)
    before = _tables(db)
    assert len(before["marketing_spend"]) == 7 and len(before["quota"]) == 4
    export = tmp_path / "export"
    export.mkdir()
    for csv in ORG.glob("*.csv"):
        shutil.copy(csv, export / csv.name)
    p = run_kpibot(
        "load", str(export), "--config", str(ORG / "app.yaml"), "--db", str(db), cwd=tmp_path
    )
    assert p.returncode == 0, p.stderr
    assert _tables(db) == before
    (answer,) = _ask(db, ["quota attainment by rep"])
    assert answer["rows"] == [["Bob Smith", 1.25], ["Alice Wang", 0.5], ["张伟", 0.5]]


def test_pipeline_of_a_running_quarter_is_what_closes_by_its_end(imported: Path) -> None:
    # On Sat 20 Apr 2024, "this quarter" is 1 – 20 Apr. Its open pipeline is what is expected to
    # close by 30 Jun (kpis.md): O6 Bob 10000, closing 30 Apr (O3 closes 15 Jul: next quarter).
    # Cut at today it would be nothing. Revenue won 1 – 20 Apr: none (O1 closes 15 May).
    # Quota Q2: Alice 100000, Bob 40000, 张伟 160000 = 300000.
    p = ask_json(
        imported,
        [
            "pipeline coverage by rep this quarter",
            "pipeline coverage this quarter",
            "open pipeline, revenue won this quarter",
            "open pipeline this quarter",
            "open pipeline, revenue won by month this quarter",
        ],
        config=ORG / "app.yaml",
        today="2024-04-20",
    )
    by_rep, overall, mixed, alone, monthly = [json.loads(line) for line in p.stdout.splitlines()]
    # Bob 10000 / (40000 − 0) = 0.25; Alice 0 / 100000 = 0; 张伟 0 / 160000 = 0
    assert by_rep["rows"] == [["Bob Smith", 0.25], ["Alice Wang", 0.0], ["张伟", 0.0]]
    assert overall["rows"] == [[pytest.approx(10000 / 300000)]]
    # the pipeline to 30 Jun beside the revenue won to today, and said so
    assert mixed["rows"] == [[10000.0, 0.0]]
    assert mixed["window"] == {"start": "2024-04-01", "end": "2024-04-20"}
    assert (
        "open pipeline: counted to 30 Jun 2024, the last day of this quarter (what is expected "
        "to close by then), not only to today." in mixed["notes"]
    )
    assert (
        "pipeline coverage: counted to 30 Jun 2024, the last day of this quarter (what is "
        "expected to close by then), not only to today." in overall["notes"]
    )
    # asked alone, open pipeline takes the whole quarter as its window: nothing more to say
    assert alone["rows"] == [[10000.0]]
    assert alone["window"] == {"start": "2024-04-01", "end": "2024-06-30"}
    assert not any("counted to" in n for n in alone["notes"])
    # by month: every month of the pipeline's quarter (O6 in April); revenue won cannot have
    # happened yet in May and June: no value there, not 0
    assert monthly["rows"] == [
        ["2024-04-01", 10000.0, 0.0],
        ["2024-05-01", 0.0, None],
        ["2024-06-01", 0.0, None],
    ]


def test_pipeline_coverage_of_next_quarter_looks_ahead(imported: Path) -> None:
    # Q3 2024 from 27 Jun: O3 张伟 30000 closes 15 Jul; no quota rows start in Q3, so no gap
    # to cover and no value (positive_only) — not "has not happened yet".
    (got,) = _ask(imported, ["pipeline coverage next quarter"])
    assert "error" not in got, got
    assert got["rows"] == [[None]]
