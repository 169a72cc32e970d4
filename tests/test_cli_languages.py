"""`kpibot ask` in Chinese (docs/languages.md), end to end on the hand-made fixture org (today
Thu 27 Jun 2024, Asia/Shanghai): the text answer as a reviewed snapshot, --json with canonical
columns and a language field, and app.yaml's language fixing it. The questions run through the
command in this process (tests/cli_run.py); `kpibot kpis` runs as a subprocess.

Hand-worked numbers (tests/test_comparisons.py): connect rate Q2 2024: outbound T00 T01 T03 T06
T07 T08 = 6, connected T00 T01 T06 T08 = 4 → 66.7%; Q1 2024: T11 connected, T12 no answer →
50.0%; the change 66.7 − 50.0 = +16.7 points; relative growth (4/6 − 1/2) / (1/2) = 1/3.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from tests.cli_run import run_kpibot, run_kpibot_here
from tests.fixture_org import load_fixture_org
from tests.test_cli_ask import CONFIG, TODAY

SNAPSHOT = Path(__file__).parent / "snapshots" / "cli" / "chinese_answers.txt"
QUESTIONS = (
    "上季度 赢单率 按销售",
    "接通率 2024年第2季度 对比 2024年第1季度",
    "按销售 接通率 本季度",
    "按月 赢单金额 今年",
    "接通律 按销售",
    "预测下季度的收入",
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("zh") / "kpibot.duckdb")


def ask(db: Path, question: str, *extra: str, config: Path = CONFIG) -> str:
    p = run_kpibot_here(
        "ask", question, "--today", TODAY, "--config", str(config), "--db", str(db), *extra
    )
    assert p.returncode in (0, 1), p.stderr
    # "数据截至" is when the test loaded the org: a placeholder instead; errors go to stderr
    return re.sub(r"数据截至 .*", "数据截至 <when>", p.stdout + p.stderr)


def test_chinese_answers_snapshot(db: Path) -> None:
    text = "\n".join(f"$ kpibot ask \"{q}\"\n{ask(db, q)}" for q in QUESTIONS)
    if os.environ.get("KPIBOT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.read_text(encoding="utf-8") == text, (
        f"{SNAPSHOT} changed; rerun with KPIBOT_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def test_a_rate_change_in_points_in_chinese(db: Path) -> None:
    lines = ask(db, "接通率 2024年第2季度 对比 2024年第1季度").splitlines()
    assert lines[0] == (
        "[接通率] · 2024年第2季度 对比 2024年第1季度，同期可比"
        "（2024年4月1日 – 6月27日 对比 2024年1月1日 – 3月28日）"
    )
    # both bases shown (6 and 2 outbound calls, each † under 20), the change marked too
    assert lines[-1].split() == ["66.7%", "†", "6", "50.0%", "†", "2", "▲", "16.7个百分点", "†"]


def test_json_keeps_canonical_columns_and_says_its_language(db: Path) -> None:
    got = json.loads(ask(db, "接通率 2024年第2季度 对比 2024年第1季度", "--json"))
    assert got["language"] == "zh"
    assert got["restated"].startswith("[接通率] · 2024年第2季度 对比 2024年第1季度")
    assert got["columns"] == [
        "connect rate",
        "connect rate (previous)",
        "connect rate growth",
    ]
    assert got["rows"][0][0] == pytest.approx(4 / 6) and got["rows"][0][2] == pytest.approx(1 / 3)
    err = json.loads(ask(db, "接通律 按销售", "--json"))
    assert err["language"] == "zh" and err["error"]["kind"] == "unknown_word"
    assert err["error"]["message"].startswith("我不认识指标“接通律”")
    assert "接通率" in err["error"]["suggestions"]


def test_app_yaml_can_fix_english(db: Path, tmp_path: Path) -> None:
    settings = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    settings["language"] = "en"
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    first = ask(db, "上季度 赢单率 按销售", config=config).splitlines()[0]
    assert first == "[win rate] by [rep] · 1 Jan – 31 Mar 2024 (last quarter)"


def test_record_list_headers_and_refusals_in_chinese(db: Path) -> None:
    """Top deals' own columns from the catalog's zh labels (sql.fields), the compiler's
    refusals in Chinese; --json keeps the canonical columns."""
    lines = ask(db, "最大订单 本季度").splitlines()
    assert lines[3].split() == ["商机名称", "客户", "销售", "金额", "关闭日期", "周期（天）"]
    # O5 Acme platform 80,000 won 20 Jun, created 5 Jan: 167 days (test_cli_ask)
    assert lines[5].split()[:3] == ["Acme", "platform", "Acme"]
    got = json.loads(ask(db, "最大订单 本季度", "--json"))
    assert got["columns"] == [
        "name", "account", "rep", "amount", "close date", "cycle length (days)"
    ]
    assert ask(db, "top deals this quarter").splitlines()[3].split()[:2] == ["name", "account"]
    assert ask(db, "最大订单 按销售").strip() == "最大订单列出的是单笔交易，不能按销售分组。"
    assert ask(db, "赢单率 按小时").strip() == (
        "赢单率按 CloseDate 计算，这是不带时刻的日期，所以不能按小时分组。"
    )
    # a KPI whose source table was never imported (the fixture org has no marketing spend)
    assert ask(db, "获客成本 按渠道").startswith("获客成本需要营销费用数据，但还没有数据源导入过")
    assert ask(db, "top deals by rep").strip() == (
        "top deals lists single deals, so it cannot be grouped by rep."
    )


def test_kpis_lists_the_catalog_in_chinese(tmp_path: Path) -> None:
    """`kpibot kpis --lang zh`, or app.yaml `language: zh` (the CLI has no locale and kpis no
    question): Chinese headers, names and definitions, the English name among the others."""
    p = run_kpibot("kpis", "--config", str(CONFIG), "--lang", "zh")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["指标", "统计内容", "其他叫法"]
    win = next(line for line in lines if line.startswith("赢单率 "))
    assert "win rate" in win and "赢单数 ÷（赢单数 + 输单数）" in win  # the zh_definition
    assert any(line.split()[:3] == ["维度", "类型", "其他叫法"] for line in lines)
    cfg = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    zh_config = tmp_path / "app.yaml"
    zh_config.write_text(yaml.safe_dump({**cfg, "language": "zh"}), encoding="utf-8")
    assert run_kpibot("kpis", "--config", str(zh_config)).stdout.splitlines()[0].startswith("指标")
    english = run_kpibot("kpis", "--config", str(CONFIG)).stdout.splitlines()
    assert english[0].split() == ["KPI", "what", "it", "counts", "also"]
    assert any(line.startswith("win rate ") for line in english)
