"""Top and bottom N as a sales manager reads them (metrics/ranking.py), on the hand-made
fixture org: a top N of reps with two groupings keeps whole reps, a cut inside a tie is said in
words (text, Slack, chart), and a record list says "(first n)" only when it left records out.

Calls this quarter (1 Apr – 27 Jun 2024, Asia/Shanghai, UTC+8), counted by hand from
tests/fixtures/org/Task.csv (T09 is deleted):
  Alice Wang: T00 Mon 1 Apr 08:00, T01 Tue 2 Apr 11:00, T03 Thu 4 Apr 09:00 → 3 (Mon, Tue, Thu)
  Bob Smith:  T04 Wed 10 Apr 14:00, T06 Wed 8 May 01:30, T07 Tue 7 May 01:30 → 3 (Tue, Wed 2)
  张伟:       T08 Thu 20 Jun 10:00 → 1 (Thu)
Won deals this year with an amount: Acme platform 80,000; Initech suite 50,000; Acme
expansion 50,000; Acme starter 40,000 → four.
"""

from __future__ import annotations

import pytest

from bot.backend import Reply
from bot.slack import blocks as B
from cache.snapshot import SnapshotReader
from charts import figure_for_answer, texts
from i18n import Language
from tests.fixture_org import ask_fixture
from tests.slack_emulator import check_blocks

# Alice and Bob have 3 calls each, 张伟 1: the top 2 reps are Alice and Bob, each with every
# weekday they called on (5 cells), not the 2 largest rep × weekday cells (Bob Wed 2, Alice Mon 1).
TOP_2_CELLS = [
    ("Alice Wang", "Mon", 1),
    ("Alice Wang", "Tue", 1),
    ("Alice Wang", "Thu", 1),
    ("Bob Smith", "Tue", 1),
    ("Bob Smith", "Wed", 2),
]


@pytest.mark.parametrize(
    ("question", "lang", "ranked"),
    [
        ("calls by rep by weekday this quarter top 2 reps", Language.EN, " · top 2 [reps] · "),
        ("本季度 电话数 按销售 按星期 前2名销售", Language.ZH, " · 前 2 [销售] · "),
    ],
)
def test_top_reps_with_two_groupings_keep_whole_reps(
    fixture_reader: SnapshotReader, question: str, lang: Language, ranked: str
) -> None:
    answer = ask_fixture(fixture_reader, question, lang)
    assert [tuple(r) for r in answer.rows] == TOP_2_CELLS
    assert ranked in answer.restated  # which of the two groupings the top 2 are
    assert answer.notes == ()  # 张伟's 1 call is no tie with Bob's 3


def test_a_top_n_without_its_noun_ranks_the_grouping_that_is_not_a_time_part(
    fixture_reader: SnapshotReader,
) -> None:
    # "by weekday by rep top 2": weekdays are a date part, so the two reps are ranked
    answer = ask_fixture(fixture_reader, "calls by weekday by rep this quarter top 2")
    assert " · top 2 [reps] · " in answer.restated
    # weekday by weekday (Mon … Sun), each weekday's reps in rank order (Alice, then Bob)
    assert [tuple(r) for r in answer.rows] == [
        ("Mon", "Alice Wang", 1),
        ("Tue", "Alice Wang", 1),
        ("Tue", "Bob Smith", 1),
        ("Wed", "Bob Smith", 2),
        ("Thu", "Alice Wang", 1),
    ]


@pytest.mark.parametrize(
    ("question", "lang", "note", "rows"),
    [
        (
            "top 1 rep by calls this quarter",
            Language.EN,
            "Bob Smith ties with Alice Wang at 3 calls but falls outside the top 1.",
            [("Alice Wang", 3)],  # 3 = 3, kept by name
        ),
        (
            "本季度 电话数 前1名销售",
            Language.ZH,
            "Bob Smith与Alice Wang并列（电话数 3），但未进入前 1。",
            [("Alice Wang", 3)],
        ),
        (
            "calls by rep by weekday this quarter top 1 rep",
            Language.EN,
            "Bob Smith ties with Alice Wang at 3 calls but falls outside the top 1.",
            TOP_2_CELLS[:3],
        ),
    ],
)
def test_a_cut_inside_a_tie_is_said_in_text_slack_and_chart(
    fixture_reader: SnapshotReader, question: str, lang: Language, note: str, rows: list[tuple]
) -> None:
    answer = ask_fixture(fixture_reader, question, lang)
    assert [tuple(r) for r in answer.rows] == rows
    assert answer.notes[0] == note
    _, blocks = B.answer_message(Reply(question, answer=answer), B.ButtonState(question, None))
    assert check_blocks(blocks) == []
    said = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert note in said
    fig = figure_for_answer(answer)
    assert fig is not None and note in texts(fig)


def test_no_tie_note_when_the_next_one_is_behind(fixture_reader: SnapshotReader) -> None:
    answer = ask_fixture(fixture_reader, "top 2 reps by calls this quarter")
    assert [tuple(r) for r in answer.rows] == [("Alice Wang", 3), ("Bob Smith", 3)]
    assert answer.notes == ()  # 3rd: 张伟 with 1


@pytest.mark.parametrize(
    ("question", "lang", "head", "listed"),
    [
        ("top 20 deals this year", Language.EN, "[top deals] · 1 Jan – 27 Jun 2024", 4),
        ("top 4 deals this year", Language.EN, "[top deals] · 1 Jan – 27 Jun 2024", 4),
        ("top 2 deals this year", Language.EN, "[top deals] (first 2) · 1 Jan – 27 Jun 2024", 2),
        ("今年 前2 最大订单", Language.ZH, "[最大订单]（前 2 条） · 2024年1月1日 – 6月27日", 2),
        ("今年 前20 最大订单", Language.ZH, "[最大订单] · 2024年1月1日 – 6月27日", 4),
    ],
)
def test_a_record_list_says_its_limit_only_when_it_cut(
    fixture_reader: SnapshotReader, question: str, lang: Language, head: str, listed: int
) -> None:
    # four won deals with an amount this year: a list of 20 or 4 cuts none, a list of 2 cuts two
    answer = ask_fixture(fixture_reader, question, lang)
    assert answer.restated.startswith(head)
    assert len(answer.rows) == listed


def test_the_ranked_grouping_survives_the_keyword_rewrite() -> None:
    # Buttons and follow-ups ask the question again from its keyword form (grammar.followup):
    # "top 5 reps" of lead source × rep must stay a top 5 of reps, not of lead sources.
    from grammar import Parser
    from grammar.followup import keyword_text
    from metrics.catalog_load import load_catalog

    parser = Parser(load_catalog(), {})
    asked = parser.parse("calls by lead source by rep this quarter top 5 reps").query
    assert asked.groupings == ("lead source", "rep") and asked.ranking is not None
    assert asked.ranking.dimension == "rep"
    assert parser.parse(keyword_text(asked)).query == asked
