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

import threading
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


def closest(
    typed: str, pool: Mapping[str, Sequence[Meaning]], *, lasting: bool = True
) -> tuple[str, list[Meaning]] | None:
    """The one phrase (and its meanings) a typo clearly stands for, or None when there is no
    close phrase or several close phrases mean different things (values of several dimensions
    are one answer: the parser asks which). ``lasting``: the pool is a parser's own (indexed
    once), not one made for this question."""
    allow = allowance(typed)
    if allow == 0 or not pool:
        return None
    by_length = _lengths(pool) if lasting else _by_length(pool)
    n = len(typed)
    # An edit changes the length by at most one: only phrases that near in length can match.
    choices = [p for k in range(n - allow, n + allow + 1) for p in by_length.get(k, ())]
    hits = process.extract(typed, choices, scorer=OSA.distance, score_cutoff=allow, limit=None)
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


_INDEX: dict[int, tuple[Mapping[str, Sequence[Meaning]], dict[int, list[str]]]] = {}
_INDEX_LOCK = threading.Lock()


def _lengths(pool: Mapping[str, Sequence[Meaning]]) -> dict[int, list[str]]:
    """The pool's phrases by length, built once per pool (a parser's pools live as long as its
    snapshot): a typo among 270,000 account names then reads only the names of its length."""
    hit = _INDEX.get(id(pool))
    if hit is not None and hit[0] is pool:
        return hit[1]
    index = _by_length(pool)
    with _INDEX_LOCK:
        if len(_INDEX) > 64:
            _INDEX.clear()
        _INDEX[id(pool)] = (pool, index)  # keeps the pool alive, so its id stays its own
    return index


def _by_length(pool: Mapping[str, Sequence[Meaning]]) -> dict[int, list[str]]:
    index: dict[int, list[str]] = {}
    for phrase in pool:
        index.setdefault(len(phrase), []).append(phrase)
    return index


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
