"""Keyword questions (English, Chinese, mixed) → the typed query of metrics.query.

>>> from metrics.catalog_load import load_catalog
>>> parse("top 5 reps by revenue won this quarter", load_catalog(), {}).query.ranking
Ranking(direction='top', n=5, metric=None)
"""

from grammar.parser import Parser, parse, parser_for, reply_text, warm

__all__ = ["Parser", "parse", "parser_for", "reply_text", "warm"]
