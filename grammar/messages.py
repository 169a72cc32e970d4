"""Every message the question parser can say, in one place: what went wrong, where, how to fix.

Each function returns the error to raise; suggestions are runnable questions or words.
"""

from __future__ import annotations

from collections.abc import Sequence

from metrics.errors import Ambiguous, Invalid, UnknownWord, Unsupported

EXAMPLES = (
    "connect rate by weekday last 31 days",
    "revenue won by rep this quarter",
    "top 5 reps by deals won last quarter",
)


def _quote(words: Sequence[str], conj: str = "or") -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {conj} " + words[-1]


# What a grammar token type is called in a message ("it needs a date next").
_EXPECTED = {
    "DIMENSION": "a dimension (rep, lead source, weekday…)",
    "UNIT": "a time unit (days, weeks, months…)",
    "NUMBER": "a number",
    "DATE": "a date (2024-05-01)",
    "VALUE": "a value from the data",
    "RPAR": 'a closing ")"',
    "METRIC": "a KPI",
    "DIRECTION": "asc or desc",
}


def _needs(expected: Sequence[str]) -> str:
    words = [text for e, text in _EXPECTED.items() if e in expected]
    return _quote(words) if 0 < len(words) <= 3 else "more words"


def empty() -> Invalid:
    return Invalid(
        "The question is empty. Ask for a KPI, for example: " + EXAMPLES[0] + ".", EXAMPLES
    )


def too_long(length: int, limit: int) -> Invalid:
    return Invalid(
        f"The question is {length} characters long; I read questions of up to {limit} "
        "characters. Ask for fewer things at once.",
        EXAMPLES,
    )


def bad_date(text: str) -> Invalid:
    return Invalid(
        f'"{text}" is not a date on the calendar. Write dates as 2024-05-01 or May 1 2024.',
        ("calls since 2024-05-01", "revenue won between 2024-04-01 and 2024-06-30"),
    )


def unknown_word(word: str, suggestions: Sequence[str]) -> UnknownWord:
    if suggestions:
        text = f'I don\'t know "{word}". Did you mean {_quote(list(suggestions))}?'
    else:
        text = (
            f'I don\'t know "{word}". Ask with a KPI, a dimension or a value from the data, '
            f"for example: {EXAMPLES[0]}."
        )
    return UnknownWord(text, tuple(suggestions), word=word)


def unknown_kpi(word: str, suggestions: Sequence[str]) -> UnknownWord:
    closest = f" The closest KPIs are {_quote(list(suggestions))}." if suggestions else ""
    return UnknownWord(
        f'I don\'t know the KPI "{word}".{closest} `kpibot kpis` lists every KPI.',
        tuple(suggestions),
        word=word,
    )


def unknown_value(word: str, dimension: str, suggestions: Sequence[str]) -> UnknownWord:
    hint = f" The closest are {_quote(list(suggestions))}." if suggestions else ""
    return UnknownWord(
        f'No {dimension} is called "{word}" in the data.{hint}', tuple(suggestions), word=word
    )


def ambiguous(word: str, choices: Sequence[str], rewritten: Sequence[str]) -> Ambiguous:
    return Ambiguous(
        f'"{word}" could be {_quote(list(choices))}. Which one do you mean?', tuple(rewritten)
    )


def unsupported(kind: str, word: str, suggestions: Sequence[str]) -> Unsupported:
    why = {
        "forecast": f'I report what happened; I cannot forecast ("{word}").',
        "why": f'I show numbers but cannot tell causes ("{word}"); '
        "break the KPI down to look for one.",
        "edit": f'I only read Salesforce data; I cannot change records ("{word}").',
    }[kind]
    return Unsupported(why + " You could ask:", tuple(suggestions))


def cannot_read(word: str, before: str, expected: Sequence[str] = ()) -> Invalid:
    where = f' after "{before}"' if before else " at the start"
    need = _needs(expected)
    need = f" Expected {need} there." if need != "more words" else ""
    return Invalid(
        f'I cannot read "{word}"{where}.{need} Write the question as KPIs, then "by" a '
        f"dimension, then a window, for example: {EXAMPLES[0]}.",
        EXAMPLES,
    )


def incomplete(before: str, expected: Sequence[str]) -> Invalid:
    return Invalid(
        f'The question stops after "{before}": it needs {_needs(expected)} next.', EXAMPLES
    )


def two_of(what: str, first: str, second: str) -> Invalid:
    return Invalid(f'The question names two {what}s ("{first}" and "{second}"); keep one.', ())


def top_and_bottom() -> Invalid:
    return Invalid('The question asks for both top and bottom; keep one, e.g. "top 5".', ())


def too_many_groupings(names: Sequence[str]) -> Invalid:
    return Invalid(
        f"The question groups by {_quote(list(names), 'and')}; I group by at most two things. "
        "Drop one.",
        (),
    )


def no_metric(example: str) -> Invalid:
    return Invalid(
        "The question names no KPI. Say which one, for example: " + example + ".", EXAMPLES
    )


def dashboard_with_metrics(dashboard: str) -> Invalid:
    return Invalid(
        f'A dashboard ("{dashboard} dashboard") takes only a window and filters; ask for KPIs '
        "in a separate question.",
        (f"{dashboard} dashboard last month",),
    )


def contradictory_filter(dimension: str, value: str) -> Invalid:
    return Invalid(f'The question both keeps and excludes {dimension} "{value}"; keep one.', ())


def stray_symbol(sign: str) -> Invalid:
    return Invalid(
        f'I cannot read "{sign}" there: I take no wildcards or patterns. Name the value '
        "(calls for rep Alice Wang), or group by it (calls by rep).",
        ("calls by rep this month", "win rate by rep win rate > 25%"),
    )


def negative_number(text: str) -> Invalid:
    return Invalid(
        f'"{text}" is a negative number; a window or a ranking counts from 1 and a filter '
        "compares with 0 or more. Leave out the minus sign.",
        ("calls last 5 days", "top 5 reps by deals won last quarter"),
    )


def bad_number(word: str) -> Invalid:
    return Invalid(
        f'"{word}" must be a whole number of at least 1 here, e.g. last 30 days, top 5.', EXAMPLES
    )


def range_reversed(start: str, end: str) -> Invalid:
    return Invalid(
        f"The window ends ({end}) before it starts ({start}); swap the dates.",
        (f"between {end} and {start}",),
    )
