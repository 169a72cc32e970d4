"""Comparisons say what they compare, like for like (kpis.md, Comparisons), end to end through
`kpibot ask` on the hand-made fixture org (today Thu 27 Jun 2024, Asia/Shanghai).

Hand-worked numbers (see tests/test_metrics_fixture.py for the records):
  connect rate Q2 2024: outbound T00 T01 T03 T06 T07 T08 = 6, connected T00 T01 T06 T08 = 4
                        → 66.7%; Q1 2024: T11 connected, T12 no answer → 50.0%
                        change 66.7 − 50.0 = +16.7 pp; relative growth (4/6 − 1/2) / (1/2) = 1/3
  revenue won Q2 2024: O1 50000 + O5 80000 + O11 50000 = 180000; 2023: O10 25000
                        growth (180000 − 25000) / 25000 = 6.2
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli_run import run_kpibot_here
from tests.fixture_org import load_fixture_org
from tests.test_cli_ask import CONFIG, TODAY


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("cmp") / "kpibot.duckdb")


def asked(db: Path, question: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_kpibot_here(
        "ask", question, "--today", TODAY, "--config", str(CONFIG), "--db", str(db), *extra
    )


def ask(db: Path, question: str, *extra: str) -> str:
    p = asked(db, question, *extra)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_both_windows_named_are_labelled_by_their_names(db: Path) -> None:
    # Q1 2024 is over (today 27 Jun): both sides in full. Revenue won: Q1 2024 O7 $40,000;
    # 2023 O10 $25,000 (O9 lost) → ▲ 60.0 %.
    lines = ask(db, "revenue won in Q1 2024 vs 2023").splitlines()
    assert lines[0] == (
        "[revenue won] · Q1 2024 vs 2023 (1 Jan – 31 Mar 2024 vs 1 Jan – 31 Dec 2023)"
    )
    # Opportunities begin on 1 Apr 2023 (O9's CreatedDate): 2023 is said to hold only part
    assert lines[1] == (
        "note: revenue won: records begin on 1 Apr 2023, so 2023 (1 Jan – 31 Dec 2023) holds "
        "only 1 Apr – 31 Dec 2023: the change sets only those days against the other side."
    )
    assert lines[4].split("  ")[0] == "revenue won (Q1 2024)"
    assert "revenue won (2023)" in lines[4] and "previous" not in lines[4]
    assert lines[6].split() == ["$40,000", "$25,000", "▲", "60.0%"]


def test_a_named_period_still_running_is_compared_like_for_like(db: Path) -> None:
    # Q2 2024 holds today (27 Jun): it runs 1 Apr – 27 Jun (88 days) and the quarter before is
    # cut to as many days, 1 Jan – 28 Mar, as "this quarter" is (kpis.md, Comparisons); a
    # whole Q1 against 88 days of Q2 would read as a fall that is only the days not yet lived.
    first = ask(db, "leads Q2 2024 vs Q1 2024").splitlines()[0]
    assert first == (
        "[leads] · Q2 2024 vs Q1 2024, like for like (1 Apr – 27 Jun 2024 vs 1 Jan – 28 Mar 2024)"
    )
    # a named period that is over keeps its whole (Q1 2024 vs Q4 2023)
    first = ask(db, "leads Q1 2024 vs Q4 2023").splitlines()[0]
    assert first == "[leads] · Q1 2024 vs Q4 2023 (1 Jan – 31 Mar 2024 vs 1 Oct – 31 Dec 2023)"


def test_json_keeps_the_spec_columns(db: Path) -> None:
    got = json.loads(ask(db, "revenue won in Q1 2024 vs 2023", "--json"))
    assert got["columns"] == [
        "revenue won",
        "revenue won (previous)",
        "revenue won growth",
    ]
    assert got["rows"] == [[40000.0, 25000.0, pytest.approx(0.6)]]


def test_a_rate_changes_in_percentage_points(db: Path) -> None:
    lines = ask(db, "connect rate in Q2 2024 vs Q1 2024").splitlines()
    # Note lines say that tasks begin on 10 Jan 2024 (T11), inside Q1, and the † rule (6 and
    # 2 outbound calls < 20), so the table starts two lines lower. Both bases are shown.
    assert lines[5].split("  ")[-1] == "connect rate change"
    assert lines[7].split() == ["66.7%", "†", "6", "50.0%", "†", "2", "+16.7", "pp", "†"]
    got = json.loads(ask(db, "connect rate in Q2 2024 vs Q1 2024", "--json"))
    assert got["columns"][2] == "connect rate growth"
    assert got["rows"][0][2] == pytest.approx(1 / 3)  # JSON stays relative


def test_a_running_window_is_compared_like_for_like_and_says_so(db: Path) -> None:
    # this quarter = 1 Apr – 27 Jun (88 days); last quarter cut to 88 days: 1 Jan – 28 Mar
    first = ask(db, "leads this quarter vs last quarter").splitlines()[0]
    assert first == (
        "[leads] · this quarter vs last quarter, like for like "
        "(1 Apr – 27 Jun 2024 vs 1 Jan – 28 Mar 2024)"
    )
    whole = ask(db, "leads this quarter vs all of last quarter").splitlines()[0]
    assert whole == (
        "[leads] · this quarter vs all of last quarter (1 Apr – 27 Jun 2024 vs 1 Jan – 31 Mar 2024)"
    )
    # asked in Chinese, answered in Chinese: the same windows
    assert ask(db, "本季度线索数对比上季度整季度").splitlines()[0] == (
        "[线索数] · 本季度 对比 上季度全期（2024年4月1日 – 6月27日 对比 2024年1月1日 – 3月31日）"
    )


def test_the_previous_month_after_a_window_is_the_one_before_it(db: Path) -> None:
    # last month = May 2024; the month before it is April
    for q in (
        "calls last month compared to the previous month",
        "calls last month vs the month before",
    ):
        first = ask(db, q).splitlines()[0]
        assert (
            first == "[calls] · 1 – 31 May 2024 (last month) vs 1 – 30 Apr 2024 (previous month)"
        )


def test_vs_previous_quarter_is_a_comparison_not_a_grouping(db: Path) -> None:
    # Won deals by CloseDate (O8 is deleted): Q2 2024 O1 Alice 15 May, O11 Bob 20 May, O2 Bob
    # 10 Jun, O5 张伟 20 Jun → Bob 2, Alice 1, 张伟 1; Q1 2024 O7 Alice 15 Feb → Alice 1.
    # Alice's growth (1 − 1) / 1 = 0.0%; Bob's and 张伟's have no previous value (0). Q2 2024
    # holds today (27 Jun): like for like, 1 Apr – 27 Jun against 1 Jan – 28 Mar (88 days each;
    # no deal above closes after those days).
    for q in (
        "deals won Q2 2024 by rep vs previous quarter",
        "deals won Q2 2024 by rep versus prior quarter",
        "deals won Q2 2024 by rep vs the quarter before",
    ):
        lines = ask(db, q).splitlines()
        assert lines[0] == (
            "[deals won] by [rep] · 1 Apr – 27 Jun 2024 (Q2 2024) "
            "vs 1 Jan – 28 Mar 2024 (previous quarter, like for like)"
        ), q
        assert lines[3].split("  ")[0] == "rep" and "quarter" not in lines[3]
        assert [r.split()[-3:] for r in lines[5:8]] == [
            ["2", "0", "—"],
            ["1", "1", "0.0%"],
            ["1", "0", "—"],
        ]
    zh = ask(db, "2024年第二季度 赢单数 按销售 环比").splitlines()
    assert zh[0] == (
        "[赢单数] 按 [销售] · 2024年4月1日 – 6月27日（2024年第2季度） "
        "对比 2024年1月1日 – 3月28日（环比，同期可比）"
    )
    assert zh[3].split() == ["销售", "赢单数", "赢单数（上期）", "赢单数增长"]
    # 前一季度: the quarter before the one asked (上一季度 is last quarter, a window)
    zh = ask(db, "2024年第二季度 赢单数 按销售 对比前一季度").splitlines()
    assert zh[0] == (
        "[赢单数] 按 [销售] · 2024年4月1日 – 6月27日（2024年第2季度） "
        "对比 2024年1月1日 – 3月28日（前一季度，同期可比）"
    )
    got = json.loads(ask(db, "deals won Q2 2024 by rep vs previous quarter", "--json"))
    assert got["columns"] == ["rep", "deals won", "deals won (previous)", "deals won growth"]


def test_a_previous_period_of_another_length_is_refused(db: Path) -> None:
    for q, unit in (
        ("deals won Q2 2024 by rep vs previous month", "month"),
        ("calls last 30 days vs previous week", "week"),
        ("deals won last 3 months vs previous quarter", "quarter"),
    ):
        p = asked(db, q, "--json")
        err = json.loads(p.stdout)["error"]
        assert p.returncode == 1 and err["kind"] == "invalid", q
        assert f"is not one {unit}, so it has no previous {unit}" in err["message"]
    p = asked(db, "2024年第二季度 赢单数 按销售 vs previous month")
    assert p.returncode == 1 and p.stderr.strip() == (
        "2024年第2季度（2024年4月1日 – 6月27日）不是一个月，没有“前一个月”可比；"
        "请说 环比，或只问一个月，例如 上个月 环比。"
    )


def test_a_running_period_against_the_one_before_says_like_for_like(db: Path) -> None:
    # this month = 1 – 27 Jun 2024 (27 days): the previous month's first 27 days, 1 – 27 May
    first = ask(db, "calls this month vs previous month").splitlines()[0]
    assert first == (
        "[calls] · 1 – 27 Jun 2024 (this month) vs 1 – 27 May 2024 (previous month, like for like)"
    )
    assert ask(db, "本月 电话数 环比").splitlines()[0] == (
        "[电话数] · 2024年6月1日 – 27日（本月） 对比 2024年5月1日 – 27日（环比，同期可比）"
    )


def test_a_window_compared_with_itself_is_invalid(db: Path) -> None:
    p = asked(db, "calls last month vs May 2024")
    assert p.returncode == 1 and "with itself" in (p.stdout + p.stderr)
    assert "Traceback" not in p.stderr


def test_a_past_only_kpi_in_a_future_window_has_not_happened_yet(db: Path) -> None:
    for q in ("revenue won next month", "calls next week"):
        p = asked(db, q, "--json")
        got = json.loads(p.stdout)
        assert p.returncode == 1 and got["error"]["kind"] == "no_data", got
        assert "has not happened yet" in got["error"]["message"]
    # nor as the other side of a comparison
    p = asked(db, "revenue won this month vs next month", "--json")
    assert json.loads(p.stdout)["error"]["kind"] == "no_data"
    # open pipeline by expected close date looks ahead: O3 张伟 30000 closes 15 Jul 2024
    assert ask(db, "open pipeline next month", "--json").count("30000") == 1


def test_slack_labels_both_sides_and_shows_points(db: Path) -> None:
    from datetime import date

    from bot import config
    from bot.backend import RealBackend
    from bot.slack.blocks import ButtonState, answer_message

    backend = RealBackend(config.load(str(CONFIG), str(db)))
    today = date(2024, 6, 27)
    q = "revenue won in Q1 2024 vs 2023"
    _, blocks = answer_message(backend.ask(q, today=today, with_chart=False), ButtonState(q, today))
    # one headline field: the first-named side, its change, then the second-named side
    assert blocks[1]["fields"][0]["text"] == (
        "*revenue won (Q1 2024)*\n*$40,000*  ▲ 60.0%\n2023: $25,000 (1 Jan – 31 Dec 2023)"
    )
    q = "connect rate in Q2 2024 vs Q1 2024"
    _, blocks = answer_message(backend.ask(q, today=today, with_chart=False), ButtonState(q, today))
    assert blocks[1]["fields"][0]["text"].startswith(
        "*connect rate (Q2 2024)*\n*66.7%* of 6 outbound calls †  +16.7 pp"
    )
    # The other side says its base too, and a change from a small base is marked: 80.0% of 5
    # closed deals against 100.0% of 1 (test_the_previous_side_of_a_rate_shows_its_base_and_mark)
    q = "win rate this quarter vs previous quarter"
    _, blocks = answer_message(backend.ask(q, today=today, with_chart=False), ButtonState(q, today))
    assert blocks[1]["fields"][0]["text"] == (
        "*win rate*\n*80.0%* of 5 closed deals †  −20.0 pp †\n"
        "previous quarter: 100.0% of 1 closed deal † (1 Jan – 28 Mar 2024)"
    )
    backend.reader.close()


def test_the_compared_sides_partial_bucket_is_said(db: Path) -> None:
    # This quarter so far, 1 Apr – 27 Jun (30 + 31 + 27 = 88 days), against as many days from
    # 1 Jan: 31 + 29 + 28 → 1 Jan – 28 Mar, so March on that side is partial too. Leads by
    # month (created, local): Apr L1 L2 L5 = 3 ← Jan L7 = 1; May L3 ← Feb none; Jun L4 ← Mar none.
    # (Leads begin on 15 Jan 2024, L7: the compared side is said to hold only 15 Jan – 28 Mar.)
    lines = ask(db, "leads by month this quarter vs previous quarter").splitlines()
    assert lines[1:4] == [
        "note: leads: records begin on 15 Jan 2024, so previous quarter (1 Jan – 28 Mar 2024) "
        "holds only 15 Jan – 28 Mar 2024: the change sets only those days against the other side.",
        "note: Jun 2024 is partial: 1 – 27 Jun 2024 (to date).",
        "note: The compared Mar 2024 is partial: 1 – 28 Mar 2024 only.",
    ]
    assert lines[8].split() == ["Apr", "2024", "3", "1", "▲", "200.0%"]
    zh = ask(db, "本季度 每月 线索数 环比").splitlines()
    assert zh[3] == "注：对比期的2024年3月不完整：仅2024年3月1日 – 28日。"
    # Whole quarters against whole quarters: nothing partial to say.
    whole = ask(db, "leads by month last quarter vs previous quarter").splitlines()
    assert not any("partial" in x for x in whole)


def test_the_previous_side_of_a_rate_shows_its_base_and_mark(db: Path) -> None:
    # Closed deals by CloseDate (O8 deleted; O3, O6 open). This quarter to 27 Jun (88 days):
    # Alice O1 won, O4 lost → 1/2 = 50.0%; Bob O2, O11 won → 2/2 = 100.0%; 张伟 O5 won → 1/1.
    # Previous quarter like for like, 1 Jan – 28 Mar: Alice O7 won → 1/1 = 100.0%; Bob and 张伟
    # closed nothing (base 0, no value). Every base is under 20: † on each value, and on
    # Alice's change 50.0 − 100.0 = −50.0 pp (a change from a small base is as shaky).
    lines = ask(db, "win rate by rep this quarter vs previous quarter").splitlines()
    header = re.split(r"\s{2,}", lines[4].strip())
    assert header == [
        "rep",
        "win rate",
        "closed deals",
        "win rate (previous)",
        "closed deals (previous)",
        "win rate change",
    ]
    # ordered by win rate, ties by name: Bob, 张伟, Alice
    assert [r.split() for r in lines[6:9]] == [
        ["Bob", "Smith", "100.0%", "†", "2", "—", "0", "—"],
        ["张伟", "100.0%", "†", "1", "—", "0", "—"],
        ["Alice", "Wang", "50.0%", "†", "2", "100.0%", "†", "1", "−50.0", "pp", "†"],
    ]
    got = json.loads(ask(db, "win rate by rep this quarter vs previous quarter", "--json"))
    assert got["samples"]["win rate"] == {
        "base": "closed deals",
        "counts": [2, 1, 2],
        "previous_counts": [0, 0, 1],
    }
    # One value: 4 won of 5 closed = 80.0% against O7, 1 of 1 = 100.0%: −20.0 pp, both small.
    one = ask(db, "win rate this quarter vs previous quarter").splitlines()
    assert one[-1].split() == ["80.0%", "†", "5", "100.0%", "†", "1", "−20.0", "pp", "†"]
    # Chinese headers say the previous base too
    zh = ask(db, "本季度 赢单率 按销售 环比").splitlines()
    assert "已关闭商机数（上期）" in zh[4]
