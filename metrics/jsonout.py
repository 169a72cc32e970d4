"""Answers and errors as JSON (``kpibot ask --json``, one object per question).

``{"question","restated","window":{"start","end"}|null,"compare_window","columns","rows","sql","notes"}``
with ISO dates, ``null`` for no value, and no rounding.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from metrics.answer import Answer, ResolvedWindow
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


def answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "restated": answer.restated,
        "window": _window(answer.window),
        "compare_window": _window(answer.compare_window),
        "columns": [c.name for c in answer.columns],
        "rows": [[json_value(v) for v in row] for row in answer.rows],
        "sql": answer.sql,
        "notes": list(answer.notes),
    }


def error_to_json(question: str, err: UserError) -> dict[str, Any]:
    """``{"question", "error": {"kind", "message", "suggestions"}}``."""
    return {"question": question, "error": err.to_json()}
