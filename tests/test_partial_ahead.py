"""A month table with open pipeline beside revenue won over a quarter still running: "(to date)"
belongs only to what counts to today. Open pipeline counts to the quarter's last day
(metrics.engine ahead_end, note.ahead), so its June is whole; revenue won's June is 1 – 27 Jun.

Fixture org (tests/fixtures/org/Opportunity.csv), today Thu 27 Jun 2024, this quarter
1 Apr – 30 Jun for the pipeline, 1 Apr – 27 Jun for revenue won, counted by hand:
  open pipeline by expected close: O6 10,000 on 30 Apr (O3 closes 15 Jul: outside) → Apr 10,000
  revenue won: O1 50,000 (15 May) + O11 50,000 (20 May) → May 100,000; O5 80,000 (20 Jun) → Jun
  80,000 (O2, won 10 Jun, has no amount).
"""

from __future__ import annotations

import pytest

from bot.text import answer_table
from cache.snapshot import SnapshotReader
from charts.canvas import hollow_rows
from i18n import Language
from tests.fixture_org import ask_fixture


@pytest.mark.parametrize(
    ("question", "lang", "june", "note"),
    [
        (
            "open pipeline, revenue won by month this quarter",
            Language.EN,
            "Jun 2024",
            "Jun 2024 is partial for revenue won: 1 – 27 Jun 2024 (to date).",
        ),
        (
            "本季度 在途商机金额, 赢单金额 按月",
            Language.ZH,
            "2024年6月",
            "2024年6月的赢单金额不完整：2024年6月1日 – 27日（截至目前）。",
        ),
    ],
)
def test_to_date_belongs_only_to_what_counts_to_today(
    fixture_reader: SnapshotReader, question: str, lang: Language, june: str, note: str
) -> None:
    answer = ask_fixture(fixture_reader, question, lang)
    assert [r[1:] for r in answer.rows] == [(10000.0, 0.0), (0.0, 100000.0), (0.0, 80000.0)]
    assert note in answer.caveats
    last = answer_table(answer).splitlines()[-1]
    assert last.startswith(june + " ") and "(to date)" not in last and "截至目前" not in last
    # the chart draws revenue won's June hollow (partial), the pipeline's June solid (whole)
    pipeline, won = (c for c in answer.columns if c.role == "metric")
    assert hollow_rows(answer, pipeline) == [False, False, False]
    assert hollow_rows(answer, won) == [False, False, True]


def test_revenue_won_alone_keeps_its_to_date_label(fixture_reader: SnapshotReader) -> None:
    answer = ask_fixture(fixture_reader, "revenue won by month this quarter")
    assert answer_table(answer).splitlines()[-1].startswith("Jun 2024 (to date)")
    assert "Jun 2024 is partial: 1 – 27 Jun 2024 (to date)." in answer.caveats


def test_open_pipeline_alone_has_no_partial_month(fixture_reader: SnapshotReader) -> None:
    # every month of the quarter is whole for the pipeline: counted to 30 Jun
    answer = ask_fixture(fixture_reader, "open pipeline by month this quarter")
    assert "(to date)" not in answer_table(answer)
    assert not any("partial" in c for c in answer.caveats)
