"""The ``digests:`` and ``alerts:`` sections of app.yaml, validated with the rest.

Every problem carries its key path (``digests[2].schedule: …``) because these models are nested
inside AppConfig and reported by ``bot.config.problems_of``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.digests.schedule import Schedule, parse_schedule

_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
_THRESHOLD = re.compile(r"^\s*(<=|>=|<|>|==|=)\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$")
_CHANGE = re.compile(r"^\s*(drops|falls|rises|grows)\s+by\s+(\d+(?:\.\d+)?)\s*%\s*$", re.IGNORECASE)
CONDITION_EXAMPLES = '"< 0.25", ">= 100", "< 25%", "drops by 20%" or "rises by 10%"'


def check_channel(v: str) -> str:
    v = v.strip()
    if not _CHANNEL.match(v):
        raise ValueError(f'"{v}" is not a channel; write a channel id like C0123456789 or "#sales"')
    return v


def check_timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'"{v}" is not an IANA time zone (e.g. "Asia/Shanghai", "UTC")') from None
    return v


@dataclass(frozen=True)
class Condition:
    """A parsed alert condition: a threshold on the value, or a change vs the previous period."""

    text: str
    kind: Literal["threshold", "change"]
    op: Literal["<", "<=", ">", ">=", "=="]  # for "change": "<" = drops, ">" = rises
    value: float  # threshold value, or the change as a fraction (0.2 for 20%)

    def holds(self, x: float) -> bool:
        """For a threshold ``x`` is the value; for a change, the growth (-0.25 = dropped 25%)."""
        if self.kind == "change":
            return x <= -self.value if self.op == "<" else x >= self.value
        return {
            "<": x < self.value,
            "<=": x <= self.value,
            ">": x > self.value,
            ">=": x >= self.value,
            "==": x == self.value,
        }[self.op]


def parse_condition(text: str) -> Condition:
    m = _THRESHOLD.match(text)
    if m:
        op = "==" if m.group(1) == "=" else m.group(1)
        value = float(m.group(2)) / (100 if m.group(3) else 1)
        return Condition(text.strip(), "threshold", op, value)  # type: ignore[arg-type]
    m = _CHANGE.match(text)
    if m:
        drop = m.group(1).lower() in ("drops", "falls")
        return Condition(text.strip(), "change", "<" if drop else ">", float(m.group(2)) / 100)
    raise ValueError(f'"{text}" is not a condition; write {CONDITION_EXAMPLES}')


class _Scheduled(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    channel: str
    schedule: str
    timezone: str | None = None  # default: the org's timezone
    # The language it is sent in (docs/languages.md); default: app.yaml's top-level language.
    language: Literal["auto", "en", "zh"] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f'"{v}" is not a name; use letters, digits, "-", "_" (up to 64)')
        return v

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        return check_channel(v)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        parse_schedule(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return None if v is None else check_timezone(v)

    @property
    def parsed_schedule(self) -> Schedule:
        return parse_schedule(self.schedule)


class DigestConfig(_Scheduled):
    """One scheduled digest: a headline of KPIs in the channel, charts in its thread."""

    questions: list[str] = Field(default_factory=list)
    dashboards: list[str] = Field(default_factory=list)
    filters: list[str] = Field(default_factory=list)  # appended to every question: "for rep Alice"
    skip_if_empty: bool = False  # send nothing when every answer has no rows

    @model_validator(mode="after")
    def _something(self) -> DigestConfig:
        if not self.questions and not self.dashboards:
            raise ValueError("needs questions or dashboards (at least one)")
        if any(not q.strip() for q in [*self.questions, *self.dashboards]):
            raise ValueError("questions and dashboards must not be empty strings")
        return self


class AlertConfig(_Scheduled):
    """One alert: the question's first KPI value checked against ``condition`` on each schedule."""

    question: str
    condition: str
    min_volume: float | None = Field(None, ge=0)
    # The sample size min_volume is compared with: a count column of the answer with this name
    # ("calls"), or, when absent, the first count column of the answer. See docs/digests.md.
    volume: str | None = None

    @field_validator("condition")
    @classmethod
    def _condition(cls, v: str) -> str:
        parse_condition(v)
        return v

    @property
    def parsed_condition(self) -> Condition:
        return parse_condition(self.condition)


class DeliverySettings(BaseModel):
    """How scheduled sends behave; ``digest_delivery:`` in app.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_minutes: float = Field(120, ge=0, le=7 * 24 * 60)  # catch up sends missed this recently
    retries: int = Field(3, ge=0, le=10)  # after the first attempt
    retry_base_seconds: float = Field(2.0, ge=0, le=300)  # backoff: base, 2×base, 4×base…
    lease_seconds: float = Field(600, gt=0)  # a 'sending' claim older than this is recovered
    tick_seconds: float = Field(20, gt=0, le=3600)  # how often the loop looks for due sends

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)


def check_unique_names(items: list[DigestConfig] | list[AlertConfig], what: str) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.name in seen:
            raise ValueError(
                f'the name "{item.name}" is used by {what}[{seen[item.name]}] and {what}[{i}]; '
                "names must be unique"
            )
        seen[item.name] = i
