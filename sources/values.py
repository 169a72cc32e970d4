"""A source's values converted to its table's types, each error naming where the value was."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cache import schema

_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_DAY = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?$")


class BadValue(ValueError):
    """The value does not fit the column's type; the message says what was expected."""


def to_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    text = str(v).strip()
    m = _DAY.match(text)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = _MONTH.match(text)
        if not m:
            raise BadValue(f'"{text}" is not a date (write 2024-05-31, or 2024-05 for a month)')
        y, mo, d = int(m.group(1)), int(m.group(2)), 1
    try:
        return date(y, mo, d)
    except ValueError:
        raise BadValue(f'"{text}" is not a date on the calendar') from None


def to_money(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise BadValue(f'"{v}" is not an amount')
    if isinstance(v, int | float | Decimal):
        return Decimal(str(v)).quantize(Decimal("0.01"))
    text = str(v).strip().replace(",", "").replace("_", "")
    text = re.sub(r"^[^\d\-+.]+", "", text)  # a currency sign: $, ¥, USD
    try:
        out = Decimal(text)
    except InvalidOperation:
        raise BadValue(f'"{str(v).strip()}" is not an amount') from None
    if not out.is_finite() or abs(out) >= Decimal(10) ** 16:
        raise BadValue(f'"{str(v).strip()}" is not an amount')
    return out.quantize(Decimal("0.01"))


def to_number(v: Any) -> float:
    return float(to_money(v)) if not isinstance(v, float) else v


def to_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


_CONVERT = {
    schema.DATE: to_date,
    schema.MONEY: to_money,
    "DOUBLE": to_number,
    schema.TEXT: to_text,
}


def convert(field: schema.Field, v: Any) -> Any:
    """The value as the field's type, None for an empty cell; BadValue when it does not fit."""
    if v is None or (isinstance(v, str) and not v.strip()):
        if field.required:
            raise BadValue("is empty")
        return None
    return _CONVERT[field.type](v)
