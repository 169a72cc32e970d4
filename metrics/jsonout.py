"""Answers and errors as JSON (``kpibot ask --json``, one object per question).

``{"question","restated","window":{"start","end"}|null,"compare_window","columns","rows","sql","notes",
"samples","open_shares","partial"}`` with ISO dates, ``null`` for no value, and no rounding.

The last three say what the columns cannot without breaking their contract (query-language.md):
``samples`` maps each rate or mean to ``{"base": noun, "counts": [n per row]}`` (with a
comparison also ``"previous_counts"``, the compared value's base per row); ``open_shares``
maps a rate whose outcome can still change to the share of open records per row; ``partial`` is
per row ``null`` or ``{"first","last","to_date"}`` for a time bucket only partly inside the window
(``null`` as a whole when the answer is not grouped by time).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from i18n import Language
from metrics.answer import Answer, PartialBucket, ResolvedWindow
from metrics.errors import UserError


def json_value(v: Any) -> Any:
    """A raw answer value as JSON: dates ISO, Decimal → float, NaN → null."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _window(w: ResolvedWindow | None) -> dict[str, str | None] | None:
    if w is None:
        return None
    return {"start": json_value(w.start), "end": json_value(w.end)}


def _partial(p: PartialBucket | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"first": p.first.isoformat(), "last": p.last.isoformat(), "to_date": p.running}


def answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "restated": answer.restated,
        "window": _window(answer.window),
        "compare_window": _window(answer.compare_window),
        "columns": [c.name for c in answer.columns],
        "rows": [[json_value(v) for v in row] for row in answer.rows],
        "sql": answer.sql,
        "notes": [*answer.notes, *answer.caveats],
        "samples": {
            s.metric: {
                "base": s.noun,
                "counts": list(s.counts),
                **({"previous_counts": list(s.previous)} if s.previous else {}),
            }
            for s in answer.samples
        },
        "open_shares": {u.metric: list(u.shares) for u in answer.unsettled},
        "partial": [_partial(p) for p in answer.partial] if answer.partial else None,
        # The language of "restated" and "notes"; columns and values are always canonical.
        "language": answer.language.value,
    }


def error_to_json(
    question: str, err: UserError, lang: Language = Language.EN
) -> dict[str, Any]:
    """``{"question", "error": {"kind", "message", "suggestions"}, "language"}``: the message
    and suggestions in ``lang``."""
    return {"question": question, "error": err.to_json(lang), "language": lang.value}
