"""A gauge's target and what it is made of, said under the gauge so that a manager can tell
the board's default rate from targets imported per rep (docs/charts.md, Dashboards).

>>> basis = TargetBasis(days=23, rate=40, at_rate=5, own=(), source="")
>>> basis.total
4600.0
>>> caption(basis, "4,600", Language.EN)
('target 4,600 = 40 a day × 5 reps × 23 working days', "rate: the dashboard's default")
"""

from __future__ import annotations

from dataclasses import dataclass

from i18n import Language, t


@dataclass(frozen=True)
class TargetBasis:
    """``days`` working days of the window; ``at_rate`` reps counted at the board's ``rate``
    per working day; ``own`` the daily rates of the reps that have their own, from the KPI
    ``source`` ("daily call target", as said in the reply's language)."""

    days: int
    rate: float
    at_rate: int
    own: tuple[float, ...]
    source: str

    @property
    def reps(self) -> int:
        return self.at_rate + len(self.own)

    @property
    def per_day(self) -> float:
        return self.rate * self.at_rate + sum(self.own)

    @property
    def total(self) -> float:
        return float(self.per_day * self.days)


def _number(x: float) -> str:
    """40 → "40", 0.6 → "0.6", 1234.5 → "1,234.5": a rate as a person writes it."""
    return f"{x:,.1f}".removesuffix(".0")


def _count(lang: Language, key: str, n: int) -> str:
    return t(lang, f"chart.target.{key}.{'one' if n == 1 else 'other'}", n=n)


def caption(basis: TargetBasis, total: str, lang: Language) -> tuple[str, str]:
    """The sum and where its rates come from, a line each: ``target 4,600 = 40 a day × 5 reps
    × 23 working days`` and ``the dashboard's default rate``; with imported targets the rate is
    theirs, their sum when they differ, or the two kinds of reps counted apart."""
    b = basis
    if not b.own:
        kind = "default"
    elif b.at_rate:
        kind = "mixed"
    else:
        kind = "source" if len(set(b.own)) == 1 else "source_sum"
    params = {
        "rate": _number(b.own[0] if kind == "source" else b.rate),
        "per_day": _number(b.per_day),
        "reps": _count(lang, "reps", b.reps),
        "own": _count(lang, "reps", len(b.own)),
        "others": _count(lang, "reps", b.at_rate),
        "days": _count(lang, "workdays", b.days),
        "source": b.source,
    }
    sum_line = t(lang, "chart.card.target", value=total) + t(lang, f"chart.target.{kind}", **params)
    return sum_line, t(lang, f"chart.target.from.{kind}", **params)
