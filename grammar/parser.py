"""The question parser: text → metrics.query.Parsed, built once per (catalog, values).

>>> from metrics.catalog_load import load_catalog
>>> p = Parser(load_catalog(), {"rep": ["Alice Chen"]})
>>> p.parse("connect rate by weekday last 31 days").query.window
WindowSpec(kind='last', n=31, unit='day', year=None, number=None, start=None, end=None)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer as LarkLexer

from grammar import messages
from grammar.build import build
from grammar.explain import definition_text, help_text
from grammar.fuzzy import index_pools
from grammar.intents import Define, Help, Intent, read_intent
from grammar.lexer import Lexer
from grammar.normalize import normalize
from grammar.tokens import Tok
from grammar.vocabulary import Meaning, Vocabulary, keyword_table
from i18n import Language, Msg
from metrics.catalog import Catalog
from metrics.errors import UnknownWord
from metrics.query import Parsed


class _Tokens(LarkLexer):
    """Hands our typed tokens to Lark unchanged (Lark's own lexers read characters)."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Iterator[Token]:  # type: ignore[override]
        return iter(data)


@cache
def _lark() -> Lark:
    text = resources.files("grammar").joinpath("question.lark").read_text(encoding="utf-8")
    return Lark(text, parser="lalr", lexer=_Tokens)


class Parser:
    """A parser for one catalog and one set of data values; ``parse`` is the hot path."""

    def __init__(self, catalog: Catalog, values: Mapping[str, Sequence[str]]):
        self.catalog = catalog
        self.values = values
        self.vocab = Vocabulary(catalog, values)
        self.lexer = Lexer(self.vocab)
        self.lark = _lark()

    def intent(self, text: str) -> Intent | None:
        """Help or a KPI's definition, when the whole question asks for one (intents.py)."""
        return read_intent(text, self.vocab)

    def reply_text(self, text: str, lang: Language = Language.EN) -> str | None:
        """The words that answer a help or definition request (in ``lang``), or None for a
        query."""
        intent = self.intent(text)
        if isinstance(intent, Help):
            return help_text(self.catalog, self.values, lang)
        if isinstance(intent, Define):
            return definition_text(self.catalog, self.catalog.metric(intent.metric), lang)
        return None

    def parse(self, text: str, context: tuple[str, ...] | None = None) -> Parsed:
        """Raises only metrics.errors.UserError subclasses, whatever the text. ``context``: the
        KPIs of the question before, for a follow-up fragment that names none (followup.py)."""
        if not isinstance(text, str):
            raise messages.empty()
        try:
            lexed = self.lexer.lex(text)
        except UnknownWord:
            # An unsupported request ("为什么接通率下降") often has other words we do not know;
            # saying it is unsupported helps more than naming the unknown word.
            found = self.lexer.scan(normalize(text))
            for m in found:
                if m.type == "UNSUPPORTED":
                    metrics = [Tok("METRIC", "", x.name) for x in found if x.type == "METRIC"]
                    raise messages.unsupported(
                        str(m.name),
                        _phrase(m, normalize(text)),
                        self._alternatives(str(m.name), metrics),
                    ) from None
            raise
        if not lexed.text:
            raise messages.empty()
        toks = lexed.tokens
        for t in toks:
            if t.type == "UNSUPPORTED":
                raise messages.unsupported(
                    str(t.value), t.text, self._alternatives(str(t.value), toks)
                )
        if not toks:
            raise messages.no_metric()
        stream = [Token(t.type, t.text or t.type.lower(), start_pos=k) for k, t in enumerate(toks)]
        try:
            tree = self.lark.parse(stream)
        except UnexpectedToken as e:
            raise self._syntax_error(e, toks) from None
        except UnexpectedInput as e:  # any other Lark complaint about the token sequence
            raise messages.cannot_read(lexed.text, "") from e
        query = build(tree, toks, self.catalog, lexed.text, context)
        return Parsed(query, tuple(lexed.corrections))

    def _syntax_error(self, e: UnexpectedToken, toks: list[Tok]) -> Exception:
        tok = e.token
        k = tok.start_pos if isinstance(tok.start_pos, int) else len(toks) - 1
        if tok.type == "$END":
            return messages.incomplete(_typed(toks[-1]), sorted(e.expected))
        before = _typed(toks[k - 1]) if k >= 1 else ""
        return messages.cannot_read(_typed(toks[k]), before, sorted(e.expected))

    def _alternatives(self, kind: str, toks: list[Tok]) -> list[Msg]:
        """One to three runnable questions near an unsupported one."""
        cat = self.catalog
        names = [t.value for t in toks if t.type == "METRIC"]
        metric = next((n for n in names if cat.has_metric(n)), None)
        if metric is None:
            metric = "revenue won" if cat.has_metric("revenue won") else cat.metrics[0].name
        dims = [d for d in cat.metric(metric).dimensions if cat.has_dimension(d)][:2]
        kpi = cat.term(metric)

        def ask(key: str, **params: object) -> Msg:
            return Msg.of(f"grammar.try.{key}", metric=kpi, **params)

        if kind == "forecast":
            out = [ask("by_month_last_12_months"), ask("vs_last_year")]
            if cat.has_metric("open pipeline"):
                out.append(Msg.of("grammar.try.next_90_days", metric=cat.term("open pipeline")))
        elif kind == "why":
            out = [ask("by_last_month_vs_previous", dimension=cat.term(d)) for d in dims] or [
                ask("last_month_vs_previous")
            ]
        else:
            out = [ask("by_this_quarter", dimension=cat.term(d)) for d in dims[:1]]
            out.append(ask("last_month"))
        return out[:3]


def _phrase(m: Meaning, text: str) -> str:
    return next((p for p, k in keyword_table() if k == m and p in text), m.name or "")


def _typed(t: Tok) -> str:
    return t.text or t.type.lower()


_CACHE: OrderedDict[Any, Parser] = OrderedDict()  # by the values' content
_BY_ID: OrderedDict[Any, tuple[Catalog, Mapping[str, Sequence[str]], Parser]] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def warm(parser: Parser) -> None:
    """Build now what the parser's first typo or unknown word would build (grammar/ngrams.py)."""
    v = parser.vocab
    index_pools([v.pool, v.all_values, *v.value_pools.values()])


def parser_for(catalog: Catalog, values: Mapping[str, Sequence[str]]) -> Parser:
    """The cached parser of this catalog and these values (rebuilt when either changes).

    The values object metrics.values.load_values keeps per snapshot is found by identity, at no
    cost per question (keying by content reads every value: 270k accounts on a big org)."""
    fast = (id(catalog), id(values))
    with _LOCK:  # Slack questions arrive on several threads
        hit = _BY_ID.get(fast)
        if hit is not None and hit[0] is catalog and hit[1] is values:
            _BY_ID.move_to_end(fast)
            return hit[2]
    key = (catalog, tuple((str(k), tuple(map(str, v))) for k, v in values.items()))
    with _LOCK:
        p = _CACHE.get(key)
    if p is None:
        p = Parser(catalog, values)
    with _LOCK:
        _CACHE[key] = p
        _BY_ID[fast] = (catalog, values, p)  # keeps both alive, so their ids stay theirs
        for cache in (_CACHE, _BY_ID):
            cache.move_to_end(key if cache is _CACHE else fast)
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
    return p


def reply_text(
    text: str,
    catalog: Catalog,
    values: Mapping[str, Sequence[str]],
    lang: Language = Language.EN,
) -> str | None:
    """Help or a KPI's definition when the question asks for one, else None (parse it)."""
    return parser_for(catalog, values).reply_text(text, lang)


def parse(text: str, catalog: Catalog, values: Mapping[str, Sequence[str]]) -> Parsed:
    """Parse one question. ``values`` maps a dimension name to its stored values (from the data:
    metrics.values.load_values); filter values in the question are matched against them."""
    return parser_for(catalog, values).parse(text)
