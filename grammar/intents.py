"""Whole-question requests that are not a query: help, and what a KPI means.

``help``, ``帮助``, ``?`` or ``what can I ask`` asks for help; ``what is follow-up rate``,
``define win rate``, ``跟进率是什么``, ``how is lead response time computed`` ask for a KPI's
definition. The phrases are data (keywords.yaml, sections ``help`` and ``define``); a question
that is not exactly one of them is parsed as usual ("what is the win rate" is a question).

>>> # read_intent("define win rate", vocab) → Define("win rate")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from grammar.normalize import is_cjk, normalize
from grammar.vocabulary import Vocabulary, keyword_section

# Trailing punctuation and politeness that do not change a whole-question request.
_TRIM = re.compile(r"^(?:please |pls |请问|请)?(.*?)(?: please| pls|吗|呢)?[\s?!.。？！]*$")


@dataclass(frozen=True)
class Help:
    """A request for help."""


@dataclass(frozen=True)
class Define:
    """A request for a KPI's definition."""

    metric: str


Intent = Help | Define


@cache
def _help_phrases() -> frozenset[str]:
    return frozenset(normalize(str(p)) for p in keyword_section("help"))


@cache
def _define_patterns() -> tuple[re.Pattern[str], ...]:
    out = []
    for template in keyword_section("define"):
        head, _, tail = normalize(str(template)).partition("{kpi}")
        out.append(re.compile(re.escape(head) + "(?P<kpi>.+?)" + re.escape(tail) + "$"))
    return tuple(out)


def read_intent(text: str, vocab: Vocabulary) -> Intent | None:
    s = normalize(text) if isinstance(text, str) else ""
    if s.strip() in ("?", "？"):
        return Help()
    m = _TRIM.match(s)
    core = m.group(1).strip() if m else s
    if core in _help_phrases():
        return Help()
    for pattern in _define_patterns():
        hit = pattern.match(core)
        if hit is None:
            continue
        named = vocab.metric_pool.get(hit.group("kpi").strip())
        if named:
            return Define(str(named[0].name))
    return None


def dashboard_question(name: str) -> str:
    """``kpibot dashboard NAME``: NAME is a dashboard's name, optionally followed by a window and
    filters ("inbound leads last 90 days", "outbound calls for 温家豪 last quarter"); the
    question is the name + "dashboard" + the rest. A name that is no dashboard still gets
    "dashboard" appended, so the parser says which dashboards there are."""
    s = normalize(name)
    words = [normalize(str(w)) for w in keyword_section("dashboard_word")]
    if any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", s) for w in words):
        return name
    for dashboard in sorted(_dashboard_names(), key=len, reverse=True):
        cjk = is_cjk(dashboard[-1])
        if s == dashboard or s.startswith(dashboard if cjk else dashboard + " "):
            word = "大屏" if cjk else " dashboard"
            return f"{dashboard}{word}{s[len(dashboard) :]}"
    return f"{s} dashboard"


def _dashboard_names() -> list[str]:
    """Each dashboard's names without the word "dashboard" ("inbound leads", "inbound", "线索")."""
    words = sorted((normalize(str(w)) for w in keyword_section("dashboard_word")), key=len)
    out = []
    for payload, phrases in keyword_section("dashboard").items():
        out.append(normalize(str(payload)))
        for p in phrases:
            p = normalize(str(p))
            for w in reversed(words):
                if p.endswith(w):
                    out.append(p[: -len(w)].strip())
                    break
    return [n for n in dict.fromkeys(out) if n]
