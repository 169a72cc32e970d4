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
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from grammar.ngrams import SMALL, GramIndex
from grammar.normalize import is_cjk
from grammar.vocabulary import Meaning

T = TypeVar("T")


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
    n = len(typed)
    near = _grams(pool).within(typed, allow) if lasting and len(pool) > SMALL else None
    if near is not None:
        choices = near
    else:
        by_length = _lengths(pool) if lasting else _by_length(pool)
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


Pool = Mapping[str, Sequence[Meaning]]
_INDEX: dict[tuple[int, str], tuple[Pool, object]] = {}
_INDEX_LOCK = threading.Lock()


def _prepared(pool: Pool, kind: str, build: Callable[[Pool], T]) -> T:
    """An index of a parser's pool, built once (its pools live as long as its snapshot)."""
    hit = _INDEX.get((id(pool), kind))
    if hit is not None and hit[0] is pool:
        return hit[1]  # type: ignore[return-value]
    index = build(pool)
    with _INDEX_LOCK:
        if len(_INDEX) > 64:
            _INDEX.clear()
        _INDEX[(id(pool), kind)] = (pool, index)  # keeps the pool alive: its id stays its own
    return index


def _lengths(pool: Pool) -> dict[int, list[str]]:
    """The pool's phrases by length: a typo then reads only the phrases near its length."""
    return _prepared(pool, "length", _by_length)


def _grams(pool: Pool) -> GramIndex:
    """The pool's letter-triple index (grammar/ngrams.py), for pools of thousands of names."""
    return _prepared(pool, "grams", GramIndex)


def index_pools(pools: Sequence[Pool]) -> None:
    """Build the letter-triple index of every big pool now (a serving process does it in the
    background, so the first typo of the day does not pay it)."""
    for pool in pools:
        if len(pool) > SMALL:
            _grams(pool)


def choices_like(typed: str, pool: Pool) -> list[str]:
    """The phrases of ``pool`` a similarity scorer should see for ``typed``: all of a small
    pool, the closest few thousand by shared letter triples of a big one."""
    return _grams(pool).like(typed) if len(pool) > SMALL else list(pool)


def words_starting(prefix: str, pool: Pool) -> list[str]:
    """The phrases of ``pool`` with a word that starts with ``prefix``."""
    if len(pool) > SMALL:
        return _grams(pool).starting(prefix)
    return [p for p in pool if any(part.startswith(prefix) for part in p.split())]


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
            typed, choices_like(typed, pool), scorer=scorer, score_cutoff=cutoff, limit=limit * 4
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
    choices = choices_like(typed, pool)
    for phrase, _, _ in process.extract(typed, choices, scorer=fuzz.WRatio, limit=limit * 6):
        for m in pool[phrase]:
            name = display(m, phrase)
            if name not in out:
                out.append(name)
    return out[:limit]


def rank_names(typed: str, names: Sequence[str]) -> list[str]:
    """All of ``names``, closest to ``typed`` first."""
    return [n for n, _, _ in process.extract(typed, list(names), scorer=fuzz.WRatio, limit=None)]
