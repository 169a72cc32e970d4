"""Letter-triple index of a big phrase pool: a typo or an unknown word is compared with the few
phrases that share its rarest triples, not with every one of an org's 270,000 account names.

Built lazily, the first time a pool is searched, and kept as long as the pool (a parser's pools
live as long as its snapshot). Pools of up to ``SMALL`` phrases are always compared whole.

Exact for edit distances (``within``): an insertion, deletion or substitution changes at most
``Q`` of a phrase's triples and a swap of neighbours ``Q + 1``, so a phrase within ``k`` edits
of the typed one keeps all but ``k·(Q+1)`` of its distinct triples, and so holds at least one of
any ``k·(Q+1) + 1`` of them — the rarest are taken. For similarity scores (``like``) the
phrases sharing the most of the typed triples are the candidates, which is what such a score
rewards.

>>> ix = GramIndex(["account 000123 holdings", "account 000124 holdings", "alice wang"])
>>> sorted(ix.within("account 000123 holdngs", 2))
['account 000123 holdings', 'account 000124 holdings']
>>> ix.like("alise")[0]
'alice wang'
>>> ix.starting("ali")
['alice wang']
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np

Q = 3
SMALL = 5_000
LIKE_LIMIT = 2_000  # candidates handed to a similarity scorer
LIKE_BUDGET = 200_000  # postings read at most for one similarity search
_SEP = "\x00"  # between phrases in the index's one string (never inside a normalized phrase)
_BITS = 21  # a code point fits in 21 bits, so a triple fits in 63


def grams(s: str) -> set[str]:
    """The distinct letter triples of ``s``, padded with a space at each end."""
    p = f" {s} "
    return {p[i : i + Q] for i in range(len(p) - Q + 1)}


def _code(g: str) -> int:
    return (ord(g[0]) << (2 * _BITS)) | (ord(g[1]) << _BITS) | ord(g[2])


class GramIndex:
    """Postings of every triple as one sorted array (numpy): built in a few array operations
    over all phrases at once, not a Python loop over millions of triples."""

    def __init__(self, phrases: Iterable[str]):
        self.phrases = list(phrases)
        self.lengths = np.fromiter((len(p) for p in self.phrases), np.int64, len(self.phrases))
        text = _SEP.join(f" {p} " for p in self.phrases)
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if len(cps) < Q:
            self.codes = np.zeros(0, dtype=np.uint64)
            self.ids = np.zeros(0, dtype=np.int64)
        else:
            codes = (cps[:-2] << np.uint64(2 * _BITS)) | (cps[1:-1] << np.uint64(_BITS)) | cps[2:]
            owner = np.repeat(
                np.arange(len(self.phrases), dtype=np.int64),
                [len(p) + 2 + 1 for p in self.phrases],
            )[: len(cps) - 2]
            sep = cps == ord(_SEP)
            whole = ~(sep[:-2] | sep[1:-1] | sep[2:])  # triples inside one phrase
            codes, owner = codes[whole], owner[whole]
            order = np.argsort(codes, kind="stable")  # stable: each posting stays in pool order
            codes, owner = codes[order], owner[order]
            first = np.ones(len(codes), dtype=bool)  # a triple twice in one phrase counts once
            first[1:] = (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])
            self.codes = codes[first]
            self.ids = owner[first]
        self._words: list[tuple[str, int]] | None = None

    def _posting(self, g: str) -> np.ndarray:
        c = np.uint64(_code(g))
        lo = int(np.searchsorted(self.codes, c, side="left"))
        hi = int(np.searchsorted(self.codes, c, side="right"))
        return self.ids[lo:hi]

    def _rarest(self, typed: str) -> list[np.ndarray]:
        return sorted((self._posting(g) for g in grams(typed)), key=len)

    def within(self, typed: str, edits: int) -> list[str] | None:
        """Every phrase that can be within ``edits`` edits of ``typed`` (and some that are not),
        or None when ``typed`` is too short to rule any out."""
        rare = self._rarest(typed)
        need = edits * (Q + 1) + 1
        if len(rare) < need:
            return None
        ids = np.concatenate(rare[:need])
        ids = ids[np.abs(self.lengths[ids] - len(typed)) <= edits]  # an edit moves length by 1
        seen = np.zeros(len(self.phrases), dtype=bool)
        seen[ids] = True
        return [self.phrases[k] for k in np.flatnonzero(seen)]

    def like(self, typed: str, limit: int = LIKE_LIMIT) -> list[str]:
        """Up to ``limit`` phrases sharing the most triples with ``typed``, rarest read first."""
        taken: list[np.ndarray] = []
        read = 0
        for post in self._rarest(typed):
            if read and read + len(post) > LIKE_BUDGET:
                break
            taken.append(post)
            read += len(post)
        if not read:
            return []
        counts = np.bincount(np.concatenate(taken), minlength=len(self.phrases))
        hit = np.flatnonzero(counts)
        if len(hit) > limit:
            hit = hit[np.argpartition(-counts[hit], limit - 1)[:limit]]
        order = sorted(hit.tolist(), key=lambda k: (-counts[k], k))
        return [self.phrases[k] for k in order]

    def starting(self, prefix: str) -> list[str]:
        """Phrases with a word that starts with ``prefix``, in pool order."""
        if self._words is None:
            self._words = sorted(
                (w, k) for k, phrase in enumerate(self.phrases) for w in set(phrase.split())
            )
        lo = bisect.bisect_left(self._words, (prefix, -1))
        found: set[int] = set()
        for w, k in self._words[lo:]:
            if not w.startswith(prefix):
                break
            found.add(k)
        return [self.phrases[k] for k in sorted(found)]
