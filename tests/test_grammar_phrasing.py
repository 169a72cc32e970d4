"""Everyday phrasing (issue: "Say it your way"): each row of the issue's table, help, KPI
definitions and dashboards by name. Expected queries are written by hand."""

from __future__ import annotations

import pytest

from grammar import Parser
from grammar.intents import Define, Help, dashboard_question
from grammar.vocabulary import pinyin_forms
from i18n import Language
from metrics.catalog_load import load_catalog
from metrics.errors import UserError
from metrics.query import Comparison, Correction, Filter, Query, WindowSpec
from tests.corpus.loader import load

VALUES, _ = load()
VALUES = {**VALUES, "rep": [*VALUES["rep"], "王芳", "Olivia Brown"]}
NO_ALICE = {**VALUES, "rep": [r for r in VALUES["rep"] if not r.startswith("Alice")]}


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser(load_catalog(), VALUES)


REP = "rep"
THIS_YEAR = WindowSpec("this", unit="year")
TABLE = [
    (
        "how many demos did Olivia book this month",
        Query(
            metrics=("demos booked",),
            window=WindowSpec("this", unit="month"),
            filters=(Filter(REP, "in", ("Olivia Brown",)),),
        ),
    ),
    (
        "average days in each stage this year",
        Query(metrics=("time in stage",), groupings=("stage",), window=THIS_YEAR),
    ),
    ("各阶段平均时长", Query(metrics=("time in stage",), groupings=("stage",))),
    (
        "revenue for 温家豪 vs 王芳 this year",
        Query(
            metrics=("revenue won",),
            groupings=(REP,),
            window=THIS_YEAR,
            filters=(Filter(REP, "in", ("温家豪", "王芳")),),
        ),
    ),
    (
        "revenue won this quarter vs same quarter last year",
        Query(
            metrics=("revenue won",),
            window=WindowSpec("this", unit="quarter"),
            comparison=Comparison("last_year"),
        ),
    ),
    (
        "calls last week for wen jiahao",
        Query(
            metrics=("calls",),
            window=WindowSpec("previous", unit="week"),
            filters=(Filter(REP, "in", ("温家豪",)),),
        ),
    ),
    (
        "outbound calls dashboard for 温家豪 last quarter",
        Query(
            dashboard="outbound calls",
            window=WindowSpec("previous", unit="quarter"),
            filters=(Filter(REP, "in", ("温家豪",)),),
        ),
    ),
]


@pytest.mark.parametrize("question,expected", TABLE, ids=[q for q, _ in TABLE])
def test_the_issue_table(parser: Parser, question: str, expected: Query) -> None:
    assert parser.parse(question).query == expected


def test_calls_for_someone_not_in_the_data_names_the_closest_reps() -> None:
    p = Parser(load_catalog(), NO_ALICE)
    with pytest.raises(UserError) as info:
        p.parse("calls for alice")
    assert info.value.kind == "unknown_word"
    assert info.value.message.startswith('No rep is called "alice" in the data.')
    # Only values, never grammar words ("as line", "all time", "since" before this change).
    assert set(info.value.suggestions) <= {v for vs in NO_ALICE.values() for v in vs}
    assert info.value.suggestions[0] in NO_ALICE["rep"]


def test_help_words(parser: Parser) -> None:
    for q in ("help", "帮助", "?", "what can I ask", "What can I ask?", "help please"):
        assert parser.intent(q) == Help(), q
    text = parser.reply_text("help")
    assert text is not None and "For example:" in text


@pytest.mark.parametrize("lang", list(Language))
def test_help_examples_all_parse(parser: Parser, lang: Language) -> None:
    from grammar.explain import help_examples

    for e in help_examples(parser.catalog, VALUES, lang):
        if parser.intent(e) is None:
            parser.parse(e)


def test_help_and_definitions_in_chinese(parser: Parser) -> None:
    text = parser.reply_text("帮助", Language.ZH) or ""
    assert text.startswith("用简单的话问销售指标") and "例如：" in text
    said = parser.reply_text("什么是赢单率", Language.ZH) or ""
    assert said.startswith("赢单率：赢单数 ÷（赢单数 + 输单数）。")
    assert "计入日期：关闭日期" in said and "问“赢单率 本季度”即可得到数字。" in said


@pytest.mark.parametrize(
    "question,metric",
    [
        ("what is follow-up rate", "follow-up rate"),
        ("define win rate", "win rate"),
        ("跟进率是什么", "follow-up rate"),
        ("how is lead response time computed", "lead response time"),
        ("What's connect rate?", "connect rate"),
        ("什么是赢单率", "win rate"),
        ("explain the sales cycle", "sales cycle length"),
    ],
)
def test_definitions(parser: Parser, question: str, metric: str) -> None:
    assert parser.intent(question) == Define(metric)
    text = parser.reply_text(question)
    assert text is not None
    assert text.startswith(f"{metric}: ")
    for part in ("counted on:", "default window:", "shown as:", "other names:"):
        assert part in text


def test_definition_words_say_the_catalog_line(parser: Parser) -> None:
    text = parser.reply_text("define win rate") or ""
    assert "win rate: deals won ÷ (deals won + deals lost)." in text
    assert "counted on: its close date" in text
    assert "shown as: a percentage" in text
    assert "赢单率" in text


@pytest.mark.parametrize(
    ("question", "lang", "first_line"),
    [
        ("what is CAC", Language.EN, "CAC: marketing spend ÷ new customers won, each in the "
         "window on its own date; n/a where no spend is recorded."),
        ("定义 获客成本", Language.ZH,
         "获客成本：营销费用 ÷ 新客户数，各按自己的日期落在时间窗口内；没有记录费用的为 n/a。"),
        ("define marketing spend", Language.EN,
         "marketing spend: sum of imported marketing spend whose date is in the window."),
        ("what is new customers won", Language.EN, "new customers won: won opportunities whose "
         "Type is one of new_business_types (app.yaml), on their close date."),
        ("define quota", Language.EN,
         "quota: sum of imported quotas of the periods that start in the window."),
        ("什么是配额", Language.ZH, "配额：起始日在时间窗口内的各期导入配额之和。"),
        ("define quota attainment", Language.EN,
         "quota attainment: revenue won ÷ quota, same window."),
        ("什么是配额完成率", Language.ZH, "配额完成率：赢单金额 ÷ 配额，相同的时间窗口。"),
        ("define pipeline coverage", Language.EN, "pipeline coverage: open pipeline closing in the "
         "window ÷ (quota − revenue won); no value once quota is met."),
    ],
)
def test_the_kpis_of_imported_sources_are_defined(
    parser: Parser, question: str, lang: Language, first_line: str
) -> None:
    # The words are the catalog's lines, checked against kpis.md's Imported data section and
    # docs/kpis-and-catalog.md by hand.
    assert (parser.reply_text(question, lang) or "").splitlines()[0] == first_line


def test_every_kpi_has_a_definition_in_both_languages() -> None:
    catalog = load_catalog()
    bare = [
        (m.name, lang.value)
        for m in catalog.metrics
        for lang in Language
        if not {Language.ZH: m.zh_definition}.get(lang, m.definition)
    ]
    assert bare == []


def test_a_question_with_the_is_still_a_question(parser: Parser) -> None:
    for q in ("what is the win rate", "what's our win rate", "what is win rate this quarter"):
        assert parser.intent(q) is None, q
        assert parser.parse(q).query.metrics == ("win rate",)


def test_a_name_that_is_no_dashboard_is_a_did_you_mean(parser: Parser) -> None:
    for q in ("sales dashboard", "revenue dashboard", "pipeline 大屏"):
        with pytest.raises(UserError) as info:
            parser.parse(q)
        assert "dashboard" in info.value.message and "The dashboards are" in info.value.message
        assert all(s.endswith("dashboard") for s in info.value.suggestions)
    with pytest.raises(UserError) as info:
        parser.parse("sales dashboard")
    assert 'There is no "sales" dashboard.' in info.value.message


@pytest.mark.parametrize(
    "name,question",
    [
        ("inbound leads last 90 days", "inbound leads dashboard last 90 days"),
        (
            "outbound calls for 温家豪 last quarter",
            "outbound calls dashboard for温家豪last quarter",
        ),
        ("kpi", "kpi dashboard"),
        ("外呼 上个月", "外呼大屏上个月"),
        ("inbound dashboard this month", "inbound dashboard this month"),
        ("sales", "sales dashboard"),
    ],
)
def test_dashboard_command_reads_the_name_first(name: str, question: str) -> None:
    assert dashboard_question(name) == question


def test_dashboard_with_window_and_filters(parser: Parser) -> None:
    q = parser.parse(dashboard_question("inbound leads last 90 days")).query
    assert q == Query(dashboard="inbound leads", window=WindowSpec("last", n=90, unit="day"))


def test_pinyin_forms() -> None:
    assert pinyin_forms("温家豪") == ["wen jiahao", "wenjiahao", "jiahao wen", "wen jia hao"]
    assert pinyin_forms("Alice Chen") == []
    assert pinyin_forms("华为技术有限公司") == []  # not a personal name


def test_pinyin_forms_read_surnames_as_surnames() -> None:
    # 单 is Dan as a word and Shan as a surname: a rep typing either finds 单田芳.
    assert pinyin_forms("单田芳") == [
        "dan tianfang", "dantianfang", "tianfang dan", "dan tian fang",
        "shan tianfang", "shantianfang", "tianfang shan", "shan tian fang",
    ]  # fmt: skip
    assert "zeng xiaoxian" in pinyin_forms("曾小贤")
    # Two-character surnames: the given name starts after both (欧阳 Ouyang, 尉迟 Yuchi).
    assert pinyin_forms("欧阳娜娜") == ["ouyang nana", "ouyangnana", "nana ouyang", "ou yang na na"]
    assert "yuchi gong" in pinyin_forms("尉迟恭")


def test_average_on_an_average_is_said_back(parser: Parser) -> None:
    parsed = parser.parse("average win rate by rep")
    assert parsed.query == Query(metrics=("win rate",), groupings=(REP,))
    assert parsed.corrections == (
        Correction("average win rate", "win rate (already a rate)", "metric"),
    )
    assert str(parsed.corrections[0]) == 'Read "average win rate" as "win rate (already a rate)".'


def test_average_of_a_count_is_refused_with_what_to_ask(parser: Parser) -> None:
    with pytest.raises(UserError) as info:
        parser.parse("average calls")
    assert info.value.kind == "invalid"
    assert info.value.suggestions == ("calls by rep", "calls by week")
