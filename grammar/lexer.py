"""Question text → typed tokens (METRIC, DIMENSION, VALUE, UNIT, DATE…) for question.lark.

A longest-match scan over the vocabulary trie: at every position the longest known phrase wins,
which needs no spaces (Chinese) and keeps multi-word names whole (``lead source``). The few
words whose meaning depends on their neighbours are settled here, so that the grammar stays
LALR(1): ``is`` is an operator only after a dimension, ``in`` only before a parenthesis,
``and``/``to`` only between two dates, a value right after a dimension filters on it.
Unknown words are typo-corrected (fuzzy.py) or reported with suggestions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grammar import messages, phrasing
from grammar.dates import BadDate, read_literal
from grammar.fuzzy import closest, closest_names, display, suggest, words_starting
from grammar.normalize import MAX_LENGTH, is_cjk, is_word_char, normalize
from grammar.tokens import Tok
from grammar.vocabulary import Meaning, Vocabulary
from i18n import Term
from metrics.query import Correction

# Signs that are not punctuation: dropping them would change what was asked (_symbol).
_SYMBOLS = {"%", "-", "−"}
# Words after which an unknown word is most likely a name in the data ("calls for ali").
_VALUE_CUES = {"for", "of", "对", "给"}
# Tokens that never name a dashboard ("outbound dashboard last month": the window is no name).
_NOT_A_NAME = {"LAST", "THIS", "NEXT", "NUMBER", "UNIT", "THIS_PERIOD", "PREV_PERIOD", "TODAY"}
# Ranking words that list records ("top 5 deals" = the top deals list); "the most deals" counts.
_RECORD_RANKS = {"top", "bottom", "best", "biggest", "largest", "前", "排名前"}
# Longest typo span tried, in Latin words or CJK characters.
_MAX_SPAN = {"latin": 5, "cjk": 10}


@dataclass
class Lexed:
    tokens: list[Tok] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    text: str = ""


def _what(m: Meaning) -> str:
    if m.kind == "value":
        return m.dim or "value"
    return {"metric": "metric", "dimension": "dimension"}.get(m.kind, "word")


class Lexer:
    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        # "top 5 deals": the rest of a records KPI's name after a ranking word ("deals" of
        # "top deals") names that KPI when it follows top/bottom.
        self.records_tail: dict[str, str] = {}
        tops = [p + " " for p, m in _keyword_phrases(vocab) if m.type == "TOP"]
        for metric in vocab.catalog.metrics:
            if metric.kind != "records":
                continue
            for w in metric.words:
                p = normalize(w)
                for t in tops:
                    if p.startswith(t):
                        self.records_tail[p[len(t) :]] = metric.name

    # -- scanning ----------------------------------------------------------------------------

    def lex(self, text: str) -> Lexed:
        if len(text) > MAX_LENGTH * 4:
            raise messages.too_long(len(text), MAX_LENGTH)
        s = normalize(text)
        if len(s) > MAX_LENGTH:
            raise messages.too_long(len(s), MAX_LENGTH)
        out = Lexed(text=s)
        i, n = 0, len(s)
        while i < n:
            c = s[i]
            if c == " ":
                i += 1
                continue
            if c == '"' or (c == "'" and (i == 0 or not is_word_char(s[i - 1]))):
                j = s.find(c, i + 1)
                if j > i + 1:
                    self._quoted(out, s[i + 1 : j].strip(), i)
                    i = j + 1
                    continue
            i = self._token_at(out, s, i)
        toks = phrasing.settle(out.tokens, self.vocab, s, out.corrections)
        out.tokens = self._settle(self._dashboard_words(toks, s))
        return out

    def _dashboard_words(self, toks: list[Tok], s: str) -> list[Tok]:
        """ "dashboard" after a dashboard's name is part of it; after anything else ("sales
        dashboard") it names no dashboard: a did-you-mean, never another dashboard."""
        words = [t for t in toks if t.type == "DASHBOARD_WORD"]
        if not words:
            return toks
        if not any(t.type == "DASHBOARD" for t in toks):
            w = words[0]
            named = [t for t in toks if t.start < w.start and t.type not in _NOT_A_NAME]
            said = s[named[0].start : w.start].strip() if named else ""
            raise messages.unknown_dashboard(said, self.vocab.dashboards)
        return [t for t in toks if t.type != "DASHBOARD_WORD"]

    def _ctx_dim(self, toks: list[Tok]) -> tuple[str | None, bool]:
        """The dimension a value at this point belongs to, and whether an EQ is implied
        ("lead source web"). After ``rep =``, ``rep in (``, ``rep = alice,``: rep."""
        k = len(toks) - 1
        while k >= 0 and toks[k].type in ("VALUE", "LPAR"):
            k -= 1
        if k >= 1 and toks[k].type in ("EQ", "NEQ") and toks[k - 1].type == "DIMENSION":
            return toks[k - 1].value, False
        if k == len(toks) - 1 and k >= 0 and toks[k].type == "DIMENSION":
            prev = toks[k - 1].type if k >= 1 else ""
            if prev not in ("BY", "SORT_BY", "RANKED_BY"):
                return toks[k].value, True
        return None, False

    def _token_at(self, out: Lexed, s: str, i: int) -> int:
        toks = out.tokens
        try:
            lit = read_literal(s, i)
        except BadDate as e:
            raise messages.bad_date(e.text) from None
        lit_end = lit[0] if lit else i
        end, meanings = self.vocab.trie.longest(s, i)
        end, meanings = self._fair_split(s, i, end, meanings)
        dim, implied = self._ctx_dim(toks)
        if dim is not None and dim in self.vocab.value_tries:
            vend, vms = self.vocab.value_tries[dim].longest(s, i)
            if vend > i and vend >= max(end, lit_end):
                if implied:
                    toks.append(Tok("EQ", "", None, i))
                toks.append(Tok("VALUE", s[i:vend], _prefer_exact(vms), i))
                return vend
        if lit is not None and lit_end > end:
            toks.append(Tok(lit[1], s[i:lit_end], lit[2], i))
            return lit_end
        if s[i] in _SYMBOLS and not _dash_between_dates(toks, s, i):
            return self._symbol(out, s, i)
        if end > i:
            self._emit(out, s, i, end, meanings)
            return end
        c = s[i]
        if not (is_word_char(c) or is_cjk(c)):
            return i + 1  # punctuation carries no meaning ("calls, by rep; last week?")
        return self._unknown(out, s, i, dim)

    def _symbol(self, out: Lexed, s: str, i: int) -> int:
        """A sign that would change the question's meaning if dropped: read it, or refuse."""
        c, toks = s[i], out.tokens
        prev = toks[-1] if toks else None
        if c == "%":
            if (
                prev is not None
                and prev.type == "NUMBER"
                and not s[prev.start + len(prev.text) : i].strip()
            ):
                # "win rate > 25%": rates are fractions, so 25% is 0.25.
                value = float(prev.value) / 100
                toks[-1] = Tok("NUMBER", prev.text + "%", value, prev.start)
                out.corrections.append(Correction(f"{prev.text}%", f"{value:g}", "sign"))
                return i + 1
            raise messages.stray_symbol(c)
        # A minus sign or hyphen on its own: before a number it would make it negative.
        rest = s[i + 1 :].lstrip()
        if rest[:1].isdigit() or rest[:1] == ".":
            raise messages.negative_number(c + rest.split(" ", 1)[0])
        out.corrections.append(Correction(c, "a separator, not a minus sign", "sign"))
        return i + 1

    def _fair_split(
        self, s: str, i: int, end: int, meanings: list[Meaning]
    ) -> tuple[int, list[Meaning]]:
        """Longest match is greedy: "by month of year" would read as "by month" + "year". When
        the first word alone is a phrase and the longest phrase after it reaches further, take
        the first word alone ("by" + "month of year")."""
        sp = s.find(" ", i, end)
        if sp < 0:
            return end, meanings
        head_end, head = self.vocab.trie.longest(s[:sp], i)
        if head_end != sp:
            return end, meanings
        if self.vocab.trie.longest(s, sp + 1)[0] > end:
            return head_end, head
        return end, meanings

    def _emit(self, out: Lexed, s: str, i: int, end: int, meanings: list[Meaning]) -> None:
        toks = out.tokens
        text = s[i:end]
        words = [m for m in meanings if m.kind != "value"]
        if words:
            # Catalog names beat keywords (the catalog is the user's vocabulary).
            m = next((w for w in words if w.kind != "keyword"), words[0])
            tok = (
                self._keyword(toks, s, end, text, m)
                if m.kind == "keyword"
                else Tok(m.type, text, m.name, i)
            )
            if tok is not None:
                toks.append(Tok(tok.type, tok.text, tok.value, i))
            return
        toks.append(Tok("VALUE", text, _prefer_exact(meanings), i))

    def _keyword(self, toks: list[Tok], s: str, end: int, text: str, m: Meaning) -> Tok | None:
        t = m.type
        if t == "IGNORE":
            return None
        if t == "EQ_WEAK":
            return Tok("EQ", text) if toks and toks[-1].type == "DIMENSION" else None
        if t == "IN":
            rest = s[end:].lstrip()
            return Tok("EQ", text) if rest[:1] in ("(", "[", "（") else None
        if t == "NUMBER":
            return Tok("NUMBER", text, float(m.name or 0))
        return Tok(t, text, m.name)

    def _quoted(self, out: Lexed, inner: str, i: int) -> None:
        if not inner:
            return
        dim, implied = self._ctx_dim(out.tokens)
        dims = [dim] if dim is not None and dim in self.vocab.stored else list(self.vocab.stored)
        found = [
            Meaning("value", "VALUE", self.vocab.stored[d][inner], d)
            for d in dims
            if inner in self.vocab.stored[d]
        ]
        if not found:
            pools = [self.vocab.value_pools.get(d, {}) for d in dims]
            merged: dict[str, list[Meaning]] = {}
            for p in pools:
                for k, v in p.items():
                    merged.setdefault(k, []).extend(v)
            hit = closest(inner, merged, lasting=False)
            if hit is None:
                sugg = closest_names(inner, merged)
                raise messages.unknown_value(
                    inner, self._term(dim) if dim else messages.VALUE, sugg
                )
            found = hit[1]
            out.corrections.append(Correction(inner, found[0].name or inner, _what(found[0])))
        if implied:
            out.tokens.append(Tok("EQ", "", None, i))
        out.tokens.append(Tok("VALUE", inner, found, i))

    # -- unknown words -----------------------------------------------------------------------

    def _units(self, s: str, i: int, only_unknown: bool) -> list[tuple[int, int]]:
        """Words (Latin) or characters (CJK) from ``i``, of one script; with ``only_unknown``,
        up to the next known phrase."""
        units: list[tuple[int, int]] = []
        cjk = is_cjk(s[i])
        j, n = i, len(s)
        while j < n and len(units) < _MAX_SPAN["cjk" if cjk else "latin"]:
            if s[j] == " ":
                j += 1
                continue
            if is_cjk(s[j]) != cjk or not (is_word_char(s[j]) or is_cjk(s[j])):
                break
            if (
                only_unknown
                and units
                and (self.vocab.trie.longest(s, j)[0] > j or _literal_end(s, j) > j)
            ):
                break
            if cjk:
                units.append((j, j + 1))
                j += 1
            else:
                k = j
                while k < n and (is_word_char(s[k]) or s[k] in "-_'."):
                    k += 1
                units.append((j, k))
                j = k
        return units

    def _unknown(self, out: Lexed, s: str, i: int, dim: str | None) -> int:
        """Correct the unknown word at ``i`` (with its neighbours: "averge deal size",
        "bob smth") when one phrase clearly fits, else raise UnknownWord. In a value position
        ("calls for alice", "olivia's win rate") it is compared with the data's values only,
        never with the language's own words."""
        wants_value = dim is None and self._value_position(s, i)
        pools: list[dict[str, list[Meaning]]] = []
        implied = dim is not None and self._ctx_dim(out.tokens)[1]
        if dim is not None and dim in self.vocab.value_pools:
            pools.append(self.vocab.value_pools[dim])
        pools.append(self.vocab.all_values if wants_value else self.vocab.pool)
        starts = [i]
        prev = out.tokens[-1] if out.tokens else None
        if (
            not wants_value
            and prev is not None
            and prev.type in ("VALUE", "METRIC", "DIMENSION", "VERB", "AGG", "DURATION")
            and prev.text
        ):
            gap = s[prev.start + len(prev.text) : i]
            if gap.strip() == "" and is_cjk(prev.text[-1]) == is_cjk(s[i]):
                starts.insert(0, prev.start)
        for start in starts:
            units = self._units(s, start, only_unknown=wants_value)
            # A correction must cover the unknown word: from an earlier start the span may stop
            # short of it ("x follow-up rate by attempt x"), and correcting only what was
            # already read again would never move on.
            cover = next((x for x, u in enumerate(units) if u[1] > i), None)
            if cover is None:
                continue
            need = cover + 1
            for k in range(len(units), need - 1, -1):
                typed = s[units[0][0] : units[k - 1][1]]
                for pool in pools:
                    hit = closest(typed, pool)
                    if hit is not None:
                        if start != i:
                            out.tokens.pop()
                        in_context = pool is not self.vocab.pool
                        return self._corrected(
                            out, s, start, units[k - 1][1], typed, hit, in_context
                        )
        units = self._units(s, i, only_unknown=True)
        end = units[-1][1] if units else i + 1
        if self._before_dashboard_word(s, end):
            raise messages.unknown_dashboard(s[i:end], self.vocab.dashboards)
        if wants_value:
            raise self._no_such_value(s[i:end].removesuffix("'s"))
        if implied:
            # "customer lifetime value": the dimension word was the start of an unknown phrase.
            i, dim = out.tokens[-1].start, None
        elif dim is not None and prev is not None and prev.type == "VALUE":
            i = prev.start  # "web form": report the whole name
        after_by = bool(out.tokens) and out.tokens[-1].type in ("BY", "SORT_BY")
        self._raise_unknown(s, s[i:end], dim, after_by)
        return end  # not reached

    def _value_position(self, s: str, i: int) -> bool:
        """After "for"/"of"/对/给, or before a possessive "'s", a name from the data is expected."""
        before = s[:i].rstrip().rsplit(" ", 1)[-1]
        if before in _VALUE_CUES:
            return True
        units = self._units(s, i, only_unknown=True)
        end = units[-1][1] if units else i + 1
        return s[end - 2 : end] == "'s" or s[end : end + 2] == "'s"

    def _before_dashboard_word(self, s: str, end: int) -> bool:
        j = end
        while j < len(s) and s[j] == " ":
            j += 1
        return any(m.type == "DASHBOARD_WORD" for m in self.vocab.trie.longest(s, j)[1])

    def _no_such_value(self, word: str) -> Exception:
        """ "calls for alice" without an Alice: the closest people's names, then other
        dimensions' values that contain the word."""
        v = self.vocab
        person = v.people[0] if v.people else None
        names = closest_names(word, v.value_pools.get(person, {})) if person else []
        w = normalize(word)
        others = list(
            dict.fromkeys(
                str(m.name)
                for p in words_starting(w, v.all_values)
                for m in v.all_values[p]
                if m.name not in names
            )
        )
        said = self._term(person) if person else messages.VALUE
        return messages.unknown_value(word, said, [*names, *others][:4])

    def _corrected(
        self,
        out: Lexed,
        s: str,
        i: int,
        end: int,
        typed: str,
        hit: tuple[str, list[Meaning]],
        in_context: bool,
    ) -> int:
        phrase, meanings = hit
        first = meanings[0]
        out.corrections.append(Correction(typed, display(first, phrase), _what(first)))
        if first.type == "VALUE":
            _, implied = self._ctx_dim(out.tokens)
            if implied and in_context:
                out.tokens.append(Tok("EQ", "", None, i))
            out.tokens.append(Tok("VALUE", typed, _prefer_exact(meanings), i))
        else:
            self._emit(out, s, i, end, [first])
        return end

    def _raise_unknown(self, s: str, word: str, dim: str | None, after_by: bool) -> None:
        v = self.vocab
        if dim is not None and dim in v.value_pools:
            raise messages.unknown_value(
                word, self._term(dim), closest_names(word, v.value_pools[dim])
            )
        if after_by:
            raise messages.unknown_word(word, self._terms(closest_names(word, v.dimension_pool)))
        if not any(m.type == "METRIC" for m in self.scan(s)):
            raise messages.unknown_kpi(word, self._terms(closest_names(word, v.metric_pool)))
        raise messages.unknown_word(word, self._terms(suggest(word, [v.pool])))

    def _term(self, name: str) -> Term:
        """A KPI or dimension said in the reader's language (a value: as it is)."""
        return self.vocab.catalog.term(name)

    def _terms(self, names: Sequence[str]) -> list[Term]:
        return [self._term(n) for n in names]

    def scan(self, s: str) -> list[Meaning]:
        """Every non-value meaning of a phrase anywhere in ``s`` (for error messages only: the
        question could not be read, yet it may name a KPI or ask for something unsupported)."""
        found: list[Meaning] = []
        for i in range(len(s)):
            if i and is_word_char(s[i - 1]) and is_word_char(s[i]):
                continue
            end, ms = self.vocab.trie.longest(s, i)
            found += [m for m in ms if m.kind != "value"]
        return found

    # -- settling context-dependent words ----------------------------------------------------

    def _is_noun(self, t: Tok, value: Tok, toks: list[Tok]) -> bool:
        """A plain record count ("leads", "calls") right after a value, in a question that asks
        other KPIs, qualifies them ("inbound leads win rate") rather than adding a column. Not
        after a person ("alice calls connect rate" asks both KPIs for Alice)."""
        cat = self.vocab.catalog
        if not cat.has_metric(t.value):
            return False
        for m in value.value or ():
            if cat.has_dimension(str(m.dim)) and cat.dimension(str(m.dim)).values is not None:
                return False
        sql = cat.metric(t.value).sql
        if sql.get("agg") != "count" or sql.get("where"):
            return False
        return any(o.type == "METRIC" and o.value != t.value for o in toks)

    def _settle(self, toks: list[Tok]) -> list[Tok]:
        out: list[Tok] = []
        n = len(toks)
        for k, t in enumerate(toks):
            prev = out[-1].type if out else ""
            nxt = toks[k + 1].type if k + 1 < n else ""
            if t.type in ("AND", "TO") and not (prev == "DATE" and nxt == "DATE"):
                continue
            if t.type == "FROM" and nxt != "DATE":
                continue
            if t.type == "BY" and nxt == "VALUE":
                continue  # "calls by alice chen": a filter, not a grouping
            if t.type == "METRIC" and prev == "VALUE" and self._is_noun(t, out[-1], toks):
                continue  # "入站线索 线索转商机率": "leads" names the records, not a KPI column
            if t.type == "EQ" and prev == "METRIC" and nxt == "NUMBER":
                t = Tok("CMP", t.text, "eq", t.start)  # "calls = 50"
            if t.type == "YEAR" and prev in ("TOP", "BOTTOM", "CMP", "LAST", "NEXT", "EQ"):
                t = Tok("NUMBER", t.text, float(t.value), t.start)
            if (
                t.type == "UNIT"
                and prev == "NUMBER"
                and len(out) >= 2
                and out[-2].type in ("TOP", "BOTTOM")
            ):
                # 前7天 = the last 7 days, 后3天 = the next 3 days: a ranking word before N units.
                rank = out[-2]
                out[-2] = Tok("LAST" if rank.type == "TOP" else "NEXT", rank.text, None, rank.start)
            if (
                t.type == "METRIC"
                and t.text in self.records_tail
                and (
                    (prev in ("TOP", "BOTTOM") and out[-1].text in _RECORD_RANKS)
                    or (
                        prev == "NUMBER"
                        and len(out) >= 2
                        and out[-2].type in ("TOP", "BOTTOM")
                        and out[-2].text in _RECORD_RANKS
                    )
                )
            ):
                t = Tok("METRIC", t.text, self.records_tail[t.text], t.start)
            out.append(t)
        return out


def _prefer_exact(ms: list[Meaning]) -> list[Meaning]:
    """Per dimension, an exact value beats a first-word one (``partner`` is Partner, not
    Partner Referral); across dimensions all stay, for the parser to settle or ask."""
    exact_dims = {m.dim for m in ms if not m.alias}
    return [m for m in ms if not m.alias or m.dim not in exact_dims]


def _dash_between_dates(toks: list[Tok], s: str, i: int) -> bool:
    """``2024-05-01 - 2024-05-31``: the dash is "to" (keywords.yaml), not a minus."""
    if not toks or toks[-1].type != "DATE":
        return False
    j = len(s) - len(s[i + 1 :].lstrip())
    try:
        lit = read_literal(s, j)
    except BadDate:
        return False
    return lit is not None and lit[1] == "DATE"


def _literal_end(s: str, i: int) -> int:
    try:
        lit = read_literal(s, i)
    except BadDate:
        return i + 1
    return lit[0] if lit else i


def _keyword_phrases(vocab: Vocabulary) -> list[tuple[str, Meaning]]:
    from grammar.vocabulary import keyword_table

    return list(keyword_table())
