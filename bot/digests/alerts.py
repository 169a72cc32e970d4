"""Alerts: check a KPI against a condition on a schedule; fire once, re-arm when it clears.

The alert's state is not stored separately: it is read from the outcomes of its past checks in
the send log (``fired``, ``still``, ``clear``, ``no_data``, ``low_volume``, ``error``). An alert
is armed until a check fires; it re-arms at the first later check whose condition is false.
Checks without an answer (no data, too small a sample, an error) change nothing: an empty result
is "no data", never 0 (the superset#35871 bug).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.digests.config import AlertConfig
from bot.digests.message import details_text, growth
from bot.digests.sends import Message, Part
from i18n import Language, t
from metrics.answer import Answer, Column
from metrics.format import (
    CHANGE_IN_POINTS,
    format_growth,
    format_points,
    format_range,
    format_value,
)

Outcome = Literal["fired", "still", "clear", "no_data", "low_volume", "error"]
def is_armed(outcomes: list[str]) -> bool:
    """Armed unless the last ``fired`` has no ``clear`` after it."""
    armed = True
    for o in outcomes:
        if o == "fired":
            armed = False
        elif o == "clear":
            armed = True
    return armed


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome
    detail: str  # what crossed what, or why nothing was decided
    value: float | None = None
    change: float | None = None
    volume: float | None = None


def _first_metric(answer: Answer) -> tuple[int, Column] | None:
    for i, c in enumerate(answer.columns):
        if c.role == "metric":
            return i, c
    return None


def volume_question(alert: AlertConfig, answer: Answer | None) -> str | None:
    """The question that gives min_volume's sample size when the answer lacks it: the KPI named
    by ``volume:`` over the same window (``outbound calls last 7 days``); None when not needed
    (a rate or mean carries its own base, counted by its SQL) or not known."""
    if alert.min_volume is None or answer is None or answer.window is None or answer.query.filters:
        return None
    found = _first_metric(answer)
    if found is None:
        return None
    name = alert.volume
    if not name or any(c.name == name for c in answer.columns):
        return None
    return f"{name} {answer.window.label}"


def _volume(
    alert: AlertConfig, answer: Answer, metric: Column, value: float, volume_reply: Any
) -> float | None:
    row = answer.rows[0]
    if volume_reply is not None and volume_reply.error is None and volume_reply.answer is not None:
        other = volume_reply.answer
        found = _first_metric(other)
        if found is not None:
            v = other.rows[0][found[0]] if other.rows else 0  # no calls at all: volume 0
            return 0.0 if v is None else float(v)
    if alert.volume:
        for i, c in enumerate(answer.columns):
            if c.name == alert.volume:
                return None if row[i] is None else float(row[i])
        return None
    sample = answer.sample(metric.metric or metric.name)
    if sample is not None:  # the rate's own base: connect rate → its outbound calls
        return float(sample.counts[0])
    for i, c in enumerate(answer.columns):
        if c.role == "metric" and c.format == "count" and c.name != metric.name:
            return None if row[i] is None else float(row[i])
    return value if metric.format == "count" else None


def _previous_value(answer: Answer, col: Column, i: int, previous: Any) -> Any:
    """The KPI's value in the period before: its previous column, else the previous reply's."""
    p = answer.companion(col, "previous")
    if p is not None:
        return answer.rows[0][p]
    if previous is not None and getattr(previous, "answer", None) is not None:
        rows = previous.answer.rows
        return rows[0][i] if rows and i < len(rows[0]) else None
    return None


def evaluate(
    alert: AlertConfig,
    reply: Any,
    previous: Any,
    *,
    armed: bool,
    currency: str,
    volume_reply: Any = None,
    lang: Language = Language.EN,
) -> Evaluation:
    """Decide one check. ``previous`` is the Reply for the period before (change conditions).
    The detail of a clear or fired check is said in ``lang`` (the alert's message)."""
    cond = alert.parsed_condition
    found = _the_value(alert, reply)
    if isinstance(found, Evaluation):
        return found
    answer, i, col, value = found
    shown = format_value(value, col.format, currency=currency, lang=lang)
    volume = None
    if alert.min_volume is not None:
        volume = _volume(alert, answer, col, value, volume_reply)
        low = _too_few(alert.min_volume, col, value, volume)
        if low is not None:
            return low
    if cond.kind == "threshold":
        holds = cond.holds(value)
        limit = format_value(cond.value, col.format, currency=currency, lang=lang)
        detail = t(lang, "alert.threshold", metric=col.spoken, value=shown, op=cond.op, limit=limit)
        change = None
    else:
        judged = _change(alert, answer, i, col, value, shown, previous, lang)
        if isinstance(judged, Evaluation):
            return judged
        holds, detail, change = judged
    if not holds:
        return Evaluation("clear", detail, value, change, volume)
    return Evaluation("fired" if armed else "still", detail, value, change, volume)


def _the_value(alert: AlertConfig, reply: Any) -> Evaluation | tuple[Answer, int, Column, float]:
    """The one KPI value an alert checks (the answer, its column index, column, value), or
    the Evaluation saying why there is none."""
    if reply.error is not None:
        return Evaluation("error", f'"{alert.question}": {reply.error.message}')
    answer: Answer | None = reply.answer
    if answer is None or not answer.rows:
        return Evaluation("no_data", "no data")
    found = _first_metric(answer)
    if found is None:
        return Evaluation("error", f'"{alert.question}" gives no KPI value to check')
    if len(answer.rows) != 1:
        return Evaluation(
            "error",
            f'"{alert.question}" gives {len(answer.rows)} rows; an alert '
            "checks one number (remove the grouping)",
        )
    i, col = found
    raw = answer.rows[0][i]
    if raw is None:
        return Evaluation("no_data", f"{col.name} has no value")
    return answer, i, col, float(raw)


def _too_few(
    min_volume: float, col: Column, value: float, volume: float | None
) -> Evaluation | None:
    """An Evaluation when ``min_volume`` cannot be checked or is not reached, else None."""
    if volume is None:
        return Evaluation(
            "error",
            f"min_volume needs a sample size for {col.name}: ask e.g. "
            f'"{col.name} and calls …" or set volume: to a count KPI',
        )
    if volume < min_volume:
        return Evaluation(
            "low_volume",
            f"volume {volume:,.0f} < min_volume {min_volume:,.0f}",
            value,
            None,
            volume,
        )
    return None


def _change(
    alert: AlertConfig,
    answer: Answer,
    i: int,
    col: Column,
    value: float,
    shown: str,
    previous: Any,
    lang: Language,
) -> Evaluation | tuple[bool, str, Any]:
    """A change condition: (holds, detail, the change), or the Evaluation saying there is no
    previous period to compare with."""
    cond = alert.parsed_condition
    previous_value = _previous_value(answer, col, i, previous)
    change = next(
        (
            answer.rows[0][j]
            for j, c in enumerate(answer.columns)
            if c.role == "growth" and c.metric == col.name
        ),
        None,
    )
    if (
        change is None
        and previous is not None
        and getattr(previous, "answer", None) is not None
        and previous.answer.rows
    ):
        change = growth(value, previous.answer.rows[0][i])
    if change is None:
        return Evaluation("no_data", "no previous period to compare with", value)
    holds = cond.holds(float(change))
    said = format_growth(change)
    if col.format in CHANGE_IN_POINTS and previous_value is not None:
        # A rate moves in points; the rule itself is relative, so both are said.
        said = f"{format_points(value, previous_value, lang)} ({said})"
    detail = t(lang, "alert.change", metric=col.spoken, value=shown, change=said, rule=cond.text)
    return holds, detail, change


def alert_message(
    alert: AlertConfig, ev: Evaluation, reply: Any, *, currency: str, lang: Language = Language.EN
) -> Message:
    """'🚨 connect-rate-low: connect rate is 21.0%, < 25.0%' with the chart in the thread."""
    answer: Answer | None = reply.answer
    window = ""
    if answer is not None and answer.window is not None:
        window = f" · {format_range(answer.window.start, answer.window.end, lang)}"
    text = f":rotating_light: *{alert.name}*: {ev.detail}{window}"
    if ev.volume is not None:
        text += t(lang, "alert.volume", volume=f"{ev.volume:,.0f}")
    blocks = (
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": t(
                        lang,
                        "alert.context",
                        condition=alert.condition,
                        question=alert.question,
                        schedule=alert.schedule,
                    ),
                }
            ],
        },
    )
    thread: list[Part] = []
    title = answer.restated if answer is not None else alert.question
    if reply.chart_png:
        thread.append(Part(text=f"*{title}*", image=reply.chart_png, image_title=title))
    elif answer is not None:
        body = f"*{title}*\n" + details_text(answer, currency=currency)
        thread.append(
            Part(
                text=body,
                blocks=({"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},),
            )
        )
    return Message(headline=Part(text=text, blocks=blocks), thread=tuple(thread))
