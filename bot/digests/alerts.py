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
from metrics.answer import Answer, Column
from metrics.format import format_growth, format_range, format_value

Outcome = Literal["fired", "still", "clear", "no_data", "low_volume", "error"]
# The sample size of a ratio KPI (its denominator's count, kpis.md), for min_volume when the
# alert's answer has no count column of its own. A KPI not listed needs ``volume:``.
VOLUME_OF = {
    "connect rate": "outbound calls",
    "average call duration": "connected calls",
    "lead conversion rate": "leads",
    "lead-to-opportunity ratio": "leads",
    "follow-up rate": "leads",
    "lead response time": "leads",
    "average deal size": "deals won",
}


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
    """The question that gives min_volume's sample size when the answer lacks it, e.g.
    ``outbound calls last 7 days`` for ``connect rate last 7 days``; None when not needed/known."""
    if alert.min_volume is None or answer is None or answer.window is None or answer.query.filters:
        return None
    found = _first_metric(answer)
    if found is None:
        return None
    metric = found[1]
    if alert.volume:
        name: str | None = alert.volume
        if any(c.name == name for c in answer.columns):
            return None
    elif metric.format == "count" or any(
        c.role == "metric" and c.format == "count" and c.name != metric.name for c in answer.columns
    ):
        return None  # the answer carries its own count
    else:
        name = VOLUME_OF.get(metric.name)
    if name is None:
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
    for i, c in enumerate(answer.columns):
        if c.role == "metric" and c.format == "count" and c.name != metric.name:
            return None if row[i] is None else float(row[i])
    return value if metric.format == "count" else None


def evaluate(
    alert: AlertConfig,
    reply: Any,
    previous: Any,
    *,
    armed: bool,
    currency: str,
    volume_reply: Any = None,
) -> Evaluation:
    """Decide one check. ``previous`` is the Reply for the period before (change conditions)."""
    cond = alert.parsed_condition
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
    value = float(raw)
    shown = format_value(value, col.format, currency=currency)
    volume = None
    if alert.min_volume is not None:
        volume = _volume(alert, answer, col, value, volume_reply)
        if volume is None:
            return Evaluation(
                "error",
                f"min_volume needs a sample size for {col.name}: ask e.g. "
                f'"{col.name} and calls …" or set volume: to a count KPI',
            )
        if volume < alert.min_volume:
            return Evaluation(
                "low_volume",
                f"volume {volume:,.0f} < min_volume {alert.min_volume:,.0f}",
                value,
                None,
                volume,
            )
    if cond.kind == "threshold":
        holds = cond.holds(value)
        limit = format_value(cond.value, col.format, currency=currency)
        detail = f"{col.name} is {shown}, {cond.op} {limit}"
        change = None
    else:
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
        detail = f"{col.name} is {shown}, {format_growth(change)} vs previous period ({cond.text})"
    if not holds:
        return Evaluation("clear", detail, value, change, volume)
    return Evaluation("fired" if armed else "still", detail, value, change, volume)


def alert_message(alert: AlertConfig, ev: Evaluation, reply: Any, *, currency: str) -> Message:
    """'🚨 connect-rate-low: connect rate is 21.0%, < 25.0%' with the chart in the thread."""
    answer: Answer | None = reply.answer
    window = ""
    if answer is not None and answer.window is not None:
        window = f" · {format_range(answer.window.start, answer.window.end)}"
    text = f":rotating_light: *{alert.name}*: {ev.detail}{window}"
    if ev.volume is not None:
        text += f" (volume {ev.volume:,.0f})"
    blocks = (
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Alert `{alert.condition}` on _{alert.question}_, "
                    f"checked {alert.schedule}. "
                    "It fires again only after the condition clears.",
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
