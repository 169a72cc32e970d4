"""Every phrase the parser knows, with what it means: built from the catalog, the data and
keywords.yaml, once per (catalog, values).

The lexer finds the longest phrase at any position, with or without spaces (Chinese): the
language's phrases live in a character trie, the data's values (which can be hundreds of
thousands of account names) in a hash index by first character and length. A phrase may mean
several things (``jordan``: a rep and an account); the lexer decides with the context.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from grammar.normalize import is_cjk, is_word_char, normalize
from metrics.catalog import GRAINS, Catalog
from metrics.config_yaml import packaged_yaml

MeaningKind = str  # "metric" | "dimension" | "value" | "keyword"


@dataclass(frozen=True)
class Meaning:
    """What a phrase stands for. ``type`` is the grammar's token type (METRIC, DIMENSION, VALUE,
    BY, UNIT…); ``name`` the canonical catalog name, the stored value or the keyword's payload."""

    kind: MeaningKind
    type: str
    name: str | None = None
    dim: str | None = None  # for values: the dimension whose data holds it
    alias: bool = False  # a value named by its first word only ("alice" for Alice Chen)


_END = ""  # trie key of the meanings of the phrase ending here


class Trie:
    """The language's own phrases (keywords, KPI and dimension names: a few thousand), walked
    character by character."""

    def __init__(self) -> None:
        self.root: dict[str, Any] = {}

    def add(self, phrase: str, meaning: Meaning) -> None:
        node = self.root
        for ch in phrase:
            node = node.setdefault(ch, {})
        bucket = node.setdefault(_END, [])
        if meaning not in bucket:
            bucket.append(meaning)

    def longest(self, s: str, i: int) -> tuple[int, list[Meaning]]:
        """End and meanings of the longest phrase starting at ``i`` that ends on a word boundary
        (a Latin word is never cut: ``rep`` does not match inside ``report``)."""
        node: Any = self.root
        best_end, best = i, []
        j, n = i, len(s)
        while j < n:
            node = node.get(s[j])
            if node is None:
                break
            j += 1
            if _END in node and _boundary(s, j):
                best_end, best = j, node[_END]
        return best_end, best


def _boundary(s: str, j: int) -> bool:
    return j == len(s) or not (is_word_char(s[j - 1]) and is_word_char(s[j]))


class PhraseIndex:
    """The data's values (270,000 account names in a big org): one hash entry per phrase and,
    per first character, the lengths phrases have. The longest match at ``i`` tries those
    lengths, longest first: a few dictionary lookups, where a character trie of every name would
    cost millions of nodes to build."""

    def __init__(self) -> None:
        self.meanings: dict[str, list[Meaning]] = {}
        self._lengths: dict[str, set[int]] = {}
        self._ordered: dict[str, tuple[int, ...]] = {}

    def add(self, phrase: str, meaning: Meaning) -> None:
        bucket = self.meanings.setdefault(phrase, [])
        if meaning not in bucket:
            bucket.append(meaning)
        lengths = self._lengths.setdefault(phrase[0], set())
        if len(phrase) not in lengths:
            lengths.add(len(phrase))
            self._ordered.pop(phrase[0], None)

    def longest(self, s: str, i: int) -> tuple[int, list[Meaning]]:
        """As Trie.longest."""
        if i >= len(s):
            return i, []
        first = s[i]
        ordered = self._ordered.get(first)
        if ordered is None:
            ordered = tuple(sorted(self._lengths.get(first, ()), reverse=True))
            self._ordered[first] = ordered
        n = len(s)
        for k in ordered:
            j = i + k
            if j <= n and _boundary(s, j):
                hit = self.meanings.get(s[i:j])
                if hit is not None:
                    return j, hit
        return i, []


class Phrases:
    """Every phrase of the parser: the language's in a trie, the data's values in a
    PhraseIndex; the longest match of the two wins (both: the language's meanings first)."""

    def __init__(self) -> None:
        self.words = Trie()
        self.values = PhraseIndex()

    def add(self, phrase: str, meaning: Meaning) -> None:
        (self.values if meaning.kind == "value" else self.words).add(phrase, meaning)

    def longest(self, s: str, i: int) -> tuple[int, list[Meaning]]:
        end, ms = self.words.longest(s, i)
        vend, vms = self.values.longest(s, i)
        if vend > end:
            return vend, vms
        if vend == end and vms:
            return end, [*ms, *(m for m in vms if m not in ms)]
        return end, ms


# A first word shared by more values than this is too common to name a value by.
_MAX_ALIAS_SHARE = 5
# Typos are never corrected into filler or context-only words: "form" is not "from".
# Nor into a dashboard: a name that is no dashboard is a did-you-mean ("sales dashboard").
_NOT_CORRECTED_TO = {
    "IGNORE",
    "UNSUPPORTED",
    "FROM",
    "AND",
    "TO",
    "EQ_WEAK",
    "IN",
    "NUMBER",
    "VERB",
    "AGG",
    "DURATION",
    "DASHBOARD",
    "DASHBOARD_WORD",
}
# Sections of keywords.yaml read against the whole question (grammar/intents.py), not tokens.
WHOLE_QUESTION = {"help", "define", "complete_next", "complete_windows"}


@cache
def _keywords() -> dict[str, Any]:
    data: dict[str, Any] = packaged_yaml("grammar", "keywords.yaml")
    return data


def keyword_section(name: str) -> Any:
    """One section of keywords.yaml as written (the whole-question phrases, dashboards)."""
    return _keywords()[name]


@cache
def keyword_table() -> tuple[tuple[str, Meaning], ...]:
    """(phrase, meaning) for every phrase of keywords.yaml."""
    data = _keywords()
    out: list[tuple[str, Meaning]] = []

    def phrases(items: list[Any]) -> list[str]:
        # YAML reads on/off/yes/no as booleans: such a phrase must be quoted in the file.
        bad = [p for p in items if not isinstance(p, (str, int))]
        if bad:
            raise ValueError(f"keywords.yaml: quote {bad!r}")
        return [normalize(str(p)) for p in items]

    for section, body in data.items():
        if section in WHOLE_QUESTION:
            continue
        ttype = {"previous_period": "PREV_PERIOD"}.get(section, section.upper())
        if isinstance(body, dict):
            for payload, items in body.items():
                out += [(p, Meaning("keyword", ttype, str(payload))) for p in phrases(items)]
        else:
            out += [(p, Meaning("keyword", ttype)) for p in phrases(body)]
    return tuple(out)


# Surnames whose reading differs from their characters' usual one (单 is Shan as a surname, not
# Dan), and two-character surnames (欧阳: the given name starts after both). A name gets the
# forms of each reading given here and of its characters' own one (乐 is both Le and Yue).
SURNAMES: dict[str, tuple[str, ...]] = {
    "单": ("shan",), "曾": ("zeng",), "解": ("xie",), "仇": ("qiu",), "区": ("ou",),
    "查": ("zha",), "乐": ("yue",), "朴": ("piao",), "盖": ("ge",), "覃": ("qin",),
    "缪": ("miao",), "翟": ("zhai",), "员": ("yun",), "繁": ("po",), "黑": ("he",),
    "种": ("chong",), "秘": ("bi",), "折": ("she",), "召": ("shao",), "薄": ("bo",),
    "阚": ("kan",), "句": ("gou",), "隗": ("wei",), "祭": ("zhai",),
    "尉迟": ("yu chi",), "万俟": ("mo qi",), "澹台": ("tan tai",), "单于": ("chan yu",),
    "欧阳": (), "司马": (), "诸葛": (), "上官": (), "皇甫": (), "东方": (), "慕容": (),
    "宇文": (), "夏侯": (), "司徒": (), "公孙": (), "长孙": ("zhang sun",), "令狐": (),
    "呼延": (), "轩辕": (), "端木": (), "南宫": (), "独孤": (),
}  # fmt: skip


def pinyin_forms(name: str) -> list[str]:
    """How a Chinese personal name (two to four Han characters) is written in Latin letters,
    without tones, surname first or last; empty for other names."""
    if not 2 <= len(name) <= 4 or not all(is_cjk(c) for c in name):
        return []
    # Loaded only for data with Chinese names, without its phrase book: names are not in it,
    # and reading it takes 0.2 s of every command's start (the surnames above do its work).
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    from pypinyin import lazy_pinyin

    syl = [x.lower() for x in lazy_pinyin(name)]
    if not all(x.isascii() and x.isalpha() for x in syl):
        return []
    n = 2 if len(name) >= 3 and name[:2] in SURNAMES else 1
    given = syl[n:]
    forms: list[str] = []
    for reading in dict.fromkeys([" ".join(syl[:n]), *SURNAMES.get(name[:n], ())]):
        family, whole = reading.replace(" ", ""), "".join(given)
        forms += [f"{family} {whole}", f"{family}{whole}", f"{whole} {family}"]
        forms.append(" ".join([reading, *given]))
    return list(dict.fromkeys(forms))


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _has_letter(s: str) -> bool:
    if s.isascii():
        return _ASCII_LETTER.search(s) is not None
    return any(c.isalpha() or is_cjk(c) for c in s)


class Vocabulary:
    """The phrase tables of one catalog and one set of data values."""

    def __init__(self, catalog: Catalog, values: Mapping[str, Sequence[str]]):
        self.catalog = catalog
        self.trie = Phrases()
        self.value_tries: dict[str, PhraseIndex] = {}
        # Fuzzy pools: normalized phrase → meanings, for typo correction and suggestions.
        self.pool: dict[str, list[Meaning]] = {}
        self.metric_pool: dict[str, list[Meaning]] = {}
        self.dimension_pool: dict[str, list[Meaning]] = {}
        self.value_pools: dict[str, dict[str, list[Meaning]]] = {}
        # Canonical values per dimension, normalized → stored (first one wins).
        self.stored: dict[str, dict[str, str]] = {}

        keyword_phrases: dict[str, Meaning] = {}
        for phrase, m in keyword_table():
            keyword_phrases.setdefault(phrase, m)
            self._add(phrase, m, fuzzy=len(phrase) >= 4 and m.type not in _NOT_CORRECTED_TO)
        for metric in catalog.metrics:
            m = Meaning("metric", "METRIC", metric.name)
            for w in metric.words:
                p = normalize(w)
                self._add(p, m)
                self.metric_pool.setdefault(p, []).append(m)
        for dim in catalog.dimensions:
            m = Meaning("dimension", "DIMENSION", dim.name)
            for w in dim.words:
                p = normalize(w)
                km = keyword_phrases.get(p)
                # "month" is a unit word (last 3 months) and the month grain; the grammar reads a
                # bare UNIT as the grain, so the keyword meaning is enough.
                if km is not None and km.type == "UNIT" and dim.name in GRAINS:
                    continue
                self._add(p, m)
                self.dimension_pool.setdefault(p, []).append(m)
        # Dimensions whose values are people (read from a table of names: rep ← User.Name).
        self.people = [d.name for d in catalog.dimensions if d.values is not None]
        for dim_name, stored_values in values.items():
            self._add_values(str(dim_name), stored_values)
        for dim in catalog.dimensions:
            self._add_value_aliases(dim.name, dim.value_aliases)
        for person in self.people:
            self._add_pinyin(person)
        # Every dimension's values in one pool: what an unknown word in a value position is
        # compared with ("calls for alise").
        self.all_values: dict[str, list[Meaning]] = {}
        for pool in self.value_pools.values():
            for k, ms in pool.items():
                self.all_values.setdefault(k, []).extend(ms)
        self.dashboards = tuple(str(name) for name in keyword_section("dashboard"))

    def _add(self, phrase: str, m: Meaning, fuzzy: bool = True) -> None:
        if not phrase:
            return
        self.trie.add(phrase, m)
        if fuzzy:
            self.pool.setdefault(phrase, []).append(m)

    def _add_values(self, dim: str, stored_values: Iterable[str]) -> None:
        trie = self.value_tries.setdefault(dim, PhraseIndex())
        pool = self.value_pools.setdefault(dim, {})
        stored = self.stored.setdefault(dim, {})
        exact: dict[str, str] = {}
        for raw in stored_values:
            if raw is None:
                continue
            v = str(raw)  # kept as stored: the compiler matches it trimmed, case-insensitively
            p = normalize(v)
            if not p or p in exact:
                continue
            exact[p] = v
        aliases: dict[str, list[str]] = {}
        for p, v in exact.items():
            m = Meaning("value", "VALUE", v, dim)
            stored[p] = v
            trie.add(p, m)
            pool.setdefault(p, []).append(m)
            if _has_letter(p):
                self._add(p, m)
            first = p.split(" ", 1)[0]
            if " " in p and len(first) >= 3 and first.isalpha() and first not in exact:
                aliases.setdefault(first, []).append(v)
        for first, vs in aliases.items():
            if len(vs) > _MAX_ALIAS_SHARE:
                continue  # "account" for Account 0001 Holdings… names no one
            for v in vs:
                m = Meaning("value", "VALUE", v, dim, alias=True)
                trie.add(first, m)
                self.trie.add(first, m)

    def _add_value_aliases(self, dim: str, aliases: Sequence[tuple[str, str]]) -> None:
        """Catalog-given other names of stored values (入站 → inbound): as good as the value
        itself, so an alias of a value the data lacks is left out."""
        stored = self.stored.get(dim, {})
        for phrase, value in aliases:
            v = stored.get(normalize(value))
            p = normalize(phrase)
            if v is None or not p or p in stored:
                continue
            m = Meaning("value", "VALUE", v, dim)
            self.value_tries[dim].add(p, m)
            self.value_pools[dim].setdefault(p, []).append(m)
            self._add(p, m)

    def _add_pinyin(self, dim: str) -> None:
        """Romanised Chinese names: 温家豪 is also "wen jiahao", "wenjiahao", "jiahao wen" and
        "wen jia hao" (surname first or last), matched as the name itself."""
        for p, v in list(self.stored.get(dim, {}).items()):
            for form in pinyin_forms(p):
                if form in self.stored[dim]:
                    continue
                m = Meaning("value", "VALUE", v, dim)
                self.value_tries[dim].add(form, m)
                self.value_pools[dim].setdefault(form, []).append(m)
                self._add(form, m)

    def dimension_words(self, name: str) -> tuple[str, ...]:
        return self.catalog.dimension(name).words if self.catalog.has_dimension(name) else (name,)
