"""Every message the question parser can say, in one place: what went wrong, where, how to fix.

Each function returns the error to raise; suggestions are runnable questions or words. The
words are the message catalogue's (i18n/, ``grammar.*``), said in the reader's language where
the error is shown; example questions are runnable in each language (tests/test_i18n.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from grammar.normalize import is_cjk
from grammar.vocabulary import keyword_section
from i18n import Joined, Language, Msg, Sayable, Term, Word, words
from metrics.errors import Ambiguous, Invalid, UnknownWord, Unsupported

VALUE = Msg("grammar.value")  # what an unknown value is, when no dimension is known

Name = str | Sayable  # a KPI or dimension: a catalog Term says it in the reader's language

# The first example questions, in every language (i18n ``grammar.examples``).
EXAMPLES = words(Language.EN, "grammar.examples")
_EXAMPLES = tuple(Word("grammar.examples", i) for i in range(len(EXAMPLES)))


def _quote(names: Sequence[Name], conj: str = "or") -> Joined:
    return Joined(tuple(names), conj)


# What a grammar token type is called in a message ("it needs a date next").
_EXPECTED = ("DIMENSION", "UNIT", "NUMBER", "DATE", "VALUE", "RPAR", "METRIC", "DIRECTION")


def _needs(expected: Sequence[str]) -> Joined | None:
    said = [Msg(f"grammar.expected.{e}") for e in _EXPECTED if e in expected]
    return _quote(said) if 0 < len(said) <= 3 else None


def empty() -> Invalid:
    return Invalid(Msg.of("grammar.empty", example=_EXAMPLES[0]), _EXAMPLES)


def too_long(length: int, limit: int) -> Invalid:
    return Invalid(Msg.of("grammar.too_long", length=length, limit=limit), _EXAMPLES)


def bad_date(text: str) -> Invalid:
    return Invalid(
        Msg.of("grammar.bad_date", text=text),
        (Msg("grammar.try.since_date"), Msg("grammar.try.between_dates")),
    )


def unknown_word(word: str, suggestions: Sequence[Name]) -> UnknownWord:
    if suggestions:
        text = Msg.of("grammar.unknown_word", word=word, choices=_quote(list(suggestions)))
    else:
        text = Msg.of("grammar.unknown_word_bare", word=word, example=_EXAMPLES[0])
    return UnknownWord(text, tuple(suggestions), word=word)


def unknown_kpi(word: str, suggestions: Sequence[Name]) -> UnknownWord:
    closest = (
        Msg.of("grammar.closest_kpis", choices=_quote(list(suggestions))) if suggestions else ""
    )
    return UnknownWord(
        Msg.of("grammar.unknown_kpi", word=word, closest=closest), tuple(suggestions), word=word
    )


def unknown_value(word: str, dimension: Name, suggestions: Sequence[str]) -> UnknownWord:
    hint = Msg.of("grammar.closest", choices=_quote(list(suggestions))) if suggestions else ""
    return UnknownWord(
        Msg.of("grammar.unknown_value", word=word, dimension=dimension, hint=hint),
        tuple(suggestions),
        word=word,
    )


def ambiguous(word: str, choices: Sequence[Name], rewritten: Sequence[str]) -> Ambiguous:
    return Ambiguous(
        Msg.of("grammar.ambiguous", word=word, choices=_quote(list(choices))), tuple(rewritten)
    )


def unsupported(kind: str, word: str, suggestions: Sequence[Name]) -> Unsupported:
    return Unsupported(Msg.of(f"grammar.unsupported.{kind}", word=word), tuple(suggestions))


def cannot_read(word: str, before: str, expected: Sequence[str] = ()) -> Invalid:
    where = Msg.of("grammar.after", before=before) if before else Msg("grammar.at_start")
    need = _needs(expected)
    return Invalid(
        Msg.of(
            "grammar.cannot_read",
            word=word,
            where=where,
            need=Msg.of("grammar.expected_there", need=need) if need else "",
            example=_EXAMPLES[0],
        ),
        _EXAMPLES,
    )


def incomplete(before: str, expected: Sequence[str]) -> Invalid:
    need = _needs(expected) or Msg("grammar.more_words")
    return Invalid(Msg.of("grammar.incomplete", before=before, need=need), _EXAMPLES)


def two_of(what: str, first: str, second: str) -> Invalid:
    return Invalid(
        Msg.of(
            "grammar.two_of",
            what=Msg(f"grammar.things.{what.replace(' ', '_')}"),
            first=first,
            second=second,
        ),
        (),
    )


def top_and_bottom() -> Invalid:
    return Invalid(Msg("grammar.top_and_bottom"), ())


def too_many_groupings(names: Sequence[Name]) -> Invalid:
    return Invalid(Msg.of("grammar.too_many_groupings", names=_quote(list(names), "and")), ())


def no_metric(example: str | Sayable = _EXAMPLES[0]) -> Invalid:
    return Invalid(Msg.of("grammar.no_metric", example=example), _EXAMPLES)


def dashboard_with_metrics(dashboard: str) -> Invalid:
    name = dashboard_term(dashboard)
    return Invalid(
        Msg.of("grammar.dashboard_with_metrics", dashboard=name),
        (Msg.of("grammar.try.dashboard_last_month", dashboard=name),),
    )


def dashboard_term(dashboard: str) -> Term:
    """A built-in dashboard as each language calls it: the first of its names in
    keywords.yaml in that language (kpi dashboard / kpi大屏)."""
    names = [str(n) for n in keyword_section("dashboard")[dashboard]]
    zh = next((n for n in names if any(is_cjk(c) for c in n)), names[0])
    return Term(((Language.EN, names[0]), (Language.ZH, zh)))


def contradictory_filter(dimension: Name, value: str) -> Invalid:
    return Invalid(Msg.of("grammar.contradictory_filter", dimension=dimension, value=value), ())


def stray_symbol(sign: str) -> Invalid:
    return Invalid(
        Msg.of("grammar.stray_symbol", sign=sign),
        (Msg("grammar.try.calls_by_rep"), Msg("grammar.try.win_rate_filter")),
    )


def negative_number(text: str) -> Invalid:
    return Invalid(
        Msg.of("grammar.negative_number", text=text),
        (Msg("grammar.try.last_5_days"), Msg("grammar.try.top_5")),
    )


def bad_number(word: str) -> Invalid:
    return Invalid(Msg.of("grammar.bad_number", word=word), _EXAMPLES)


def range_reversed(start: str, end: str) -> Invalid:
    return Invalid(
        Msg.of("grammar.range_reversed", start=start, end=end),
        (Msg.of("grammar.try.between", start=end, end=start),),
    )


def unknown_dashboard(named: str, dashboards: Sequence[str]) -> UnknownWord:
    from grammar.fuzzy import rank_names

    ordered = rank_names(named, dashboards) if named else list(dashboards)
    what = Msg.of("grammar.no_dashboard", named=named) if named else Msg("grammar.which_dashboard")
    return UnknownWord(
        Msg.of("grammar.dashboards", what=what, dashboards=_quote(list(dashboards), "and")),
        tuple(Msg.of("grammar.try.dashboard", dashboard=d) for d in ordered),
        word=named,
    )


def average_of_total(word: str, metric: Name) -> Invalid:
    return Invalid(
        Msg.of("grammar.average_of_total", word=word, metric=metric),
        (
            Msg.of("grammar.try.metric_by_rep", metric=metric),
            Msg.of("grammar.try.metric_by_week", metric=metric),
        ),
    )
