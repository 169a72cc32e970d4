"""Typos: correct the ones with a single clear meaning, suggest for the rest.

A typo is corrected only when the typed phrase is within a small edit distance (OSA: insert,
delete, substitute, swap two neighbours) of phrases that all mean the same thing. The allowance
grows with the length, so a short word never becomes another short word, and a prefix is no
match (``web`` is four edits from ``website``).

>>> from grammar.vocabulary import Meaning
>>> pool = {"connect rate": [Meaning("metric", "METRIC", "connect rate")]}
>>> closest("conect rate", pool)[1]
[Meaning(kind='metric', type='METRIC', name='connect rate', dim=None, alias=False)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from grammar.normalize import is_cjk
from grammar.vocabulary import Meaning


def allowance(phrase: str) -> int:
    """Edits a typo of this length may contain and still be corrected without asking."""
    n = len(phrase)
    if any(is_cjk(c) for c in phrase):
        return 1 if n >= 3 else 0
    if n <= 3:
        return 0
    return 1 if n <= 8 else 2


def target(m: Meaning) -> tuple[str, str | None, str | None]:
    """What a meaning points at: two phrases with the same target are the same answer."""
    return (m.type, m.name, m.dim)


def closest(typed: str, pool: Mapping[str, Sequence[Meaning]]) -> tuple[str, list[Meaning]] | None:
    """The one phrase (and its meanings) a typo clearly stands for, or None when there is no
    close phrase or several close phrases mean different things (values of several dimensions
    are one answer: the parser asks which)."""
    allow = allowance(typed)
    if allow == 0 or not pool:
        return None
    hits = process.extract(typed, list(pool), scorer=OSA.distance, score_cutoff=allow, limit=None)
    if not hits:
        return None
    best = min(h[1] for h in hits)
    phrases = [h[0] for h in hits if h[1] == best]
    meanings: list[Meaning] = []
    for p in phrases:
        meanings += [m for m in pool[p] if m not in meanings]
    targets = {target(m) for m in meanings}
    if len(targets) > 1 and not all(m.type == "VALUE" for m in meanings):
        return None
    return phrases[0], meanings


def suggest(
    typed: str,
    pools: Sequence[Mapping[str, Sequence[Meaning]]],
    limit: int = 3,
    partial: bool = False,
) -> list[str]:
    """Up to ``limit`` display names close to ``typed`` (canonical names, stored values).
    ``partial`` also counts a piece of a name (``ali`` → Alice Wang), for pools of values."""
    out: list[str] = []
    scorer, cutoff = (fuzz.WRatio, 70) if partial else (fuzz.ratio, 60)
    for pool in pools:
        if not pool:
            continue
        for phrase, _score, _ in process.extract(
            typed, list(pool), scorer=scorer, score_cutoff=cutoff, limit=limit * 4
        ):
            for m in pool[phrase]:
                name = display(m, phrase)
                if name not in out:
                    out.append(name)
        if len(out) >= limit:
            break
    return out[:limit]


def display(m: Meaning, phrase: str) -> str:
    """How a meaning is named back to the user: catalog names and stored values as they are."""
    if m.kind == "keyword":
        return phrase
    return m.name or phrase


def closest_names(typed: str, pool: Mapping[str, Sequence[Meaning]], limit: int = 3) -> list[str]:
    """The ``limit`` names of ``pool`` closest to ``typed``, however far (the closest KPIs)."""
    out: list[str] = []
    for phrase, _, _ in process.extract(typed, list(pool), scorer=fuzz.WRatio, limit=limit * 6):
        for m in pool[phrase]:
            name = display(m, phrase)
            if name not in out:
                out.append(name)
    return out[:limit]


def rank_names(typed: str, names: Sequence[str]) -> list[str]:
    """All of ``names``, closest to ``typed`` first."""
    return [n for n, _, _ in process.extract(typed, list(names), scorer=fuzz.WRatio, limit=None)]
