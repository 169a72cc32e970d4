"""The typed token the lexer produces and the grammar reads (one per recognised phrase)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tok:
    type: str
    text: str  # as typed (normalized)
    value: Any = None  # payload: a Meaning's name, a unit, a date, a number, VALUE candidates…
    start: int = 0
