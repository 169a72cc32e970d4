"""Suggestions as you type: up to 20 completions of a partial question, from the grammar and
the data (KPIs, dimensions, values, windows; Chinese and English).

The last word (or the last few, "lead so"; or the last Chinese characters, "接通") is
completed by prefix from one sorted table of phrases — every name of every KPI and dimension,
every value of the data (with pinyin forms: "wen" → 温家豪) and the windows, comparisons,
charts and dashboards of keywords.yaml. After a complete KPI, what usually follows it is
offered too (by rep, this quarter…). Ranking: the user's own history first, then how much of
the typed text a suggestion continues, then the catalog's popularity. Built once per parser;
a completion is a few binary searches.

>>> # Completer(parser).complete("conn") → ["connect rate", "connected calls", …]
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from grammar.normalize import is_cjk, normalize
from grammar.parser import Parser
from grammar.vocabulary import keyword_section
from metrics.catalog import DATEPARTS, GRAINS, Catalog
from metrics.errors import UserError
from metrics.query import Query

LIMIT = 20
# How many trailing words (Latin) or characters (CJK) a completed phrase may start back from.
_BACK_WORDS = 3
_BACK_CJK = 6
# Kind weights: a KPI is what a question most needs, then how to slice it.
_WEIGHT = {"kpi": 300, "dimension": 200, "value": 150, "window": 120, "next": 100}


@dataclass(frozen=True)
class _Entry:
    phrase: str  # normalized, matched by prefix
    text: str  # inserted
    target: str  # what it means: one suggestion per meaning and position
    score: float


class Completer:
    def __init__(self, parser: Parser):
        self.parser = parser
        cat = parser.catalog
        entries = [*_kpis(cat), *_dimensions(cat), *_values(parser), *_words()]
        entries.sort(key=lambda e: (e.phrase, -e.score))
        self._entries = entries
        self._keys = [e.phrase for e in entries]
        self._next = {
            lang: [str(x) for x in keyword_section("complete_next")[lang]] for lang in ("en", "zh")
        }
        self._top_kpis = sorted(cat.metrics, key=lambda m: -m.popularity)
        # What may follow a question, each read once as a follow-up fragment.
        some_kpi = (cat.metrics[0].name,)
        self._next_parsed = {
            lang: [(nxt, parser.parse(nxt, context=some_kpi).query) for nxt in phrases]
            for lang, phrases in self._next.items()
        }
        self._parsed: dict[str, Query | None] = {}
        # Words after which a dimension (by …) or a value (for …) is what comes next; after a
        # dimension's own name ("team", "lead source =", "销售为") one of its values.
        self._cues = {
            "dim:": tuple(normalize(str(w)) for w in keyword_section("by")),
            "value:": ("for", "of", "对", "给", "only", "just", "只看"),
        }
        for d in cat.dimensions:
            if d.kind == "category":
                names = tuple(normalize(w) for w in d.words)
                forms = {f"{n}{op}" for n in names for op in ("", " =", " is", "=", "为", "是")}
                # longest first: "lead source" is read whole, not as its synonym "source"
                self._cues[f"value:{d.name}:"] = tuple(sorted(forms, key=len, reverse=True))

    def complete(self, partial: str, limit: int = LIMIT, history: Sequence[str] = ()) -> list[str]:
        """Up to ``limit`` completions of ``partial``, best first."""
        s = normalize(partial) if isinstance(partial, str) else ""
        ended = bool(partial) and partial[-1].isspace()
        scored: dict[str, float] = {}

        def offer(text: str, score: float) -> None:
            if score > scored.get(text, -1.0):
                scored[text] = score

        for k, past in enumerate(reversed(history)):
            p = normalize(past)
            if p.startswith(s) and p != s:
                offer(p, 10_000 - k)  # the user's own recent questions first
        if s and not ended:
            self._prefixes(s, offer)
        self._following(s, ended, offer)
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
        return [text for text, _ in ranked[:limit]]

    def _starts(self, s: str) -> list[int]:
        """Where the phrase being typed may start: the last few word starts (Latin) or the
        last few characters (CJK)."""
        starts: list[int] = []
        if is_cjk(s[-1]):
            j = len(s)
            while j > 0 and is_cjk(s[j - 1]) and len(s) - j < _BACK_CJK:
                j -= 1
                starts.append(j)
            return starts
        words = [i for i, c in enumerate(s) if i == 0 or s[i - 1] in " ,;:" or is_cjk(s[i - 1])]
        return [i for i in words[-_BACK_WORDS:] if not is_cjk(s[i])][::-1]

    def _prefixes(self, s: str, offer: object) -> None:
        for j in self._starts(s):
            frag = s[j:].strip()
            if not frag:
                continue
            head = s[:j]
            cue = self._cue(head)
            best: dict[str, tuple[float, _Entry]] = {}  # one suggestion per meaning
            i = bisect.bisect_left(self._keys, frag)
            while i < len(self._keys) and self._keys[i].startswith(frag):
                e = self._entries[i]
                i += 1
                # The more of the typed text a suggestion continues, the better it fits; after
                # "by"/按 a dimension, after "for" a value.
                score = e.score + 50 * len(frag) + (500 if cue and e.target.startswith(cue) else 0)
                if e.target not in best or score > best[e.target][0]:
                    best[e.target] = (score, e)
            for score, e in best.values():
                glue = "" if not head or head.endswith(" ") or is_cjk(head[-1]) else " "
                glue = "" if is_cjk(e.text[0]) and head.endswith(" ") is False else glue
                offer(head + glue + e.text, score)  # type: ignore[operator]

    def _cue(self, head: str) -> str | None:
        h = head.rstrip()
        for kind, words in self._cues.items():
            for w in words:
                if h.endswith(w) and (
                    len(h) == len(w) or is_cjk(w[0]) or not h[-len(w) - 1].isalnum()
                ):
                    # "by team" groups: what follows is not one of the team's values
                    if kind.count(":") == 2 and self._cue(h[: -len(w)]) == "dim:":
                        break
                    return kind
        return None

    def _following(self, s: str, ended: bool, offer: object) -> None:
        """What may come next: the most asked KPIs when none is named yet, else the usual
        slices, windows and comparisons of a question."""
        text = s.rstrip()
        if not text:
            for k, m in enumerate(self._top_kpis):
                offer(m.name, 1000 - k)  # type: ignore[operator]
            return
        if not self._ends_in_a_phrase(text):
            return
        query = self._query(text)  # only after a question that reads ("calls last" does not)
        if query is None or not query.metrics:
            return
        zh = any(is_cjk(c) for c in text)
        weight = 400 if ended else 0
        for k, (nxt, frag) in enumerate(self._next_parsed["zh" if zh else "en"]):
            # Offered only when it adds something the question can take: no second window,
            # no grouping twice, no slice the KPI lacks.
            if not self._adds(query, frag):
                continue
            joined = normalize(f"{text}{nxt}" if zh else f"{text} {nxt}")
            offer(joined, weight + 100 - k)  # type: ignore[operator]

    def _query(self, text: str) -> Query | None:
        """The question's query, or None when it does not read; recent ones are remembered (a
        typeahead asks about nearly the same text at every keystroke)."""
        if text in self._parsed:
            return self._parsed[text]
        try:
            q: Query | None = self.parser.parse(text).query
        except UserError:
            q = None
        if len(self._parsed) >= 512:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[text] = q
        return q

    def _adds(self, query: Query, frag: Query) -> bool:
        taken = [
            (frag.window, query.window),
            (frag.comparison, query.comparison),
            (frag.chart, query.chart),
            (frag.ranking, query.ranking),
        ]
        if any(new is not None and old is not None for new, old in taken):
            return False
        if frag.ranking is not None and not query.groupings:
            return False  # "top 5" ranks groups
        groupings = (*query.groupings, *frag.groupings)
        if len(set(groupings)) != len(groupings) or len(groupings) > 2:
            return False
        return self._can_group(query.metrics, groupings)

    def _can_group(self, metrics: Sequence[str], groupings: Sequence[str]) -> bool:
        """Every KPI can be grouped by every grouping ("calls by stage" cannot)."""
        cat = self.parser.catalog
        for m in metrics:
            dims = set(cat.metric(m).dimensions) | set(GRAINS) | set(DATEPARTS)
            if not set(groupings) <= dims:
                return False
        return True

    def _ends_in_a_phrase(self, text: str) -> bool:
        """Cheap check before parsing: the text ends with a known phrase or a number."""
        if text[-1].isdigit():
            return True
        trie = self.parser.vocab.trie
        return any(trie.longest(text, j)[0] == len(text) for j in self._starts(text))


def _kpis(cat: Catalog) -> list[_Entry]:
    out = []
    for m in cat.metrics:
        for k, w in enumerate(m.words):
            bonus = 5 if k == 0 else 0  # the canonical name before its synonyms
            score = _WEIGHT["kpi"] + m.popularity + bonus
            out.append(_Entry(normalize(w), w, f"kpi:{m.name}", score))
    return out


def _dimensions(cat: Catalog) -> list[_Entry]:
    out = []
    for d in cat.dimensions:
        for k, w in enumerate(d.words):
            score = _WEIGHT["dimension"] + d.popularity + (5 if k == 0 else 0)
            out.append(_Entry(normalize(w), w, f"dim:{d.name}", score))
            if not is_cjk(w[0]):
                out.append(_Entry(normalize(f"by {w}"), f"by {w}", f"dim:{d.name}", score))
    return out


def _values(parser: Parser) -> list[_Entry]:
    """Every value of the data, under each of its names (pinyin, first names, aliases)."""
    people = set(parser.vocab.people)
    out = []
    for phrase, meanings in parser.vocab.all_values.items():
        for v in meanings:
            score = _WEIGHT["value"] + (20 if v.dim in people else 0)
            out.append(_Entry(phrase, str(v.name), f"value:{v.dim}:{v.name}", score))
    return out


def _words() -> list[_Entry]:
    """Windows, comparisons, charts and dashboards, in keywords.yaml's order of preference."""
    return [
        _Entry(normalize(str(w)), str(w), f"word:{w}", _WEIGHT["window"] - k)
        for k, w in enumerate(keyword_section("complete_windows"))
    ]


def completer_for(parser: Parser) -> Completer:
    """The parser's completer, built on first use and kept with it."""
    c = getattr(parser, "_completer", None)
    if c is None:
        c = Completer(parser)
        parser._completer = c  # type: ignore[attr-defined]
    return c
