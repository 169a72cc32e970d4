"""The chart gallery: answers of every shape the charts meet, as hand-built engine answers.

Chart kinds × (1, 5, 12, 40 groups) × (long Latin, CJK, mixed names) × (with and without a
comparison) × (partial periods, nulls, zeros, negatives). tests/test_charts_gallery_*.py assert
layout facts on each (tests/layout_facts.py); `make gallery` writes them as PNGs with an HTML
index (tests/write_gallery.py). Values are made up; only the layout is under test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from itertools import product

from metrics.answer import Answer, ResolvedWindow
from tests import chart_answers as ca

_FIRST = ("Alexandra", "Bartholomew", "Christopher", "Dmitri", "Evangeline", "Fitzgerald",
          "Gwendolyn", "Maximilian")
_LAST = ("Montgomery-Fitzgerald", "Richardson", "O'Sullivan-Whitaker", "Hernández-Castellanos",
         "Vandenberghe", "Abernathy")
LATIN = tuple(f"{f} {ln}" for ln, f in product(_LAST, _FIRST))[:40]
_CJK_SHORT = ("温家豪", "李静", "王芳", "张伟", "刘洋", "李明", "陈", "欧阳娜娜")
_CJK_LONG = ("上海远景科技有限公司", "华东区年度框架协议", "北京东方云计算", "深圳前海微众")
CJK = tuple(_CJK_SHORT + _CJK_LONG + tuple(f"{a}{b}" for a, b in product(
    "赵钱孙李周吴郑冯", "子轩浩然宇航"))[:28])[:40]
MIXED = tuple(
    ("温家豪 (Kevin Wen)", "Olivia Brown", "李静", "Miguel Hernández-Castellanos", "东方 Labs",
     "Sarah O'Connor", "王芳", "Partner Referral", "华为 Labs - Enterprise Expansion", "Al")
    + LATIN[:15] + CJK[:15])[:40]
NAME_SETS = {"latin": LATIN, "cjk": CJK, "mixed": MIXED}
ALL_NAMES = sorted(set(LATIN + CJK + MIXED))

SIZES = (1, 5, 12, 40)
ODD = ("plain", "nulls", "zeros", "negatives")
THIS_MONTH = ResolvedWindow(date(2026, 12, 1), date(2026, 12, 4), "this month",
                            shape="to_date", unit="month")


def _values(n: int, odd: str, base: float = 1000.0) -> list[float | None]:
    vals: list[float | None] = [round(base * (1 + ((i * 7) % 11) / 5), 2) for i in range(n)]
    if odd == "nulls":
        vals = [None if i % 4 == 1 else v for i, v in enumerate(vals)]
    elif odd == "zeros":
        vals = [0 if i % 3 == 2 else v for i, v in enumerate(vals)]
    elif odd == "negatives":
        vals = [-(v or 0) / 3 if i % 4 == 3 else v for i, v in enumerate(vals)]
    return vals


def _category(kind: str, n: int, names: tuple[str, ...], odd: str) -> Answer:
    cur = _values(n, odd)
    if kind == "bars":
        return ca.make("revenue won by rep", ("revenue won",), ("rep",),
                       [(names[i], cur[i]) for i in range(n)])
    if kind == "compare":
        prev = _values(n, "plain", 900.0)[::-1]
        return ca.make("deals won by rep vs previous period", ("deals won",), ("rep",),
                       [(names[i], cur[i], prev[i]) for i in range(n)], compare=ca.PREV31)
    # panels: several KPIs by rep
    rate = [None if v is None else abs(v) / 5000 for v in cur]
    return ca.make("calls, connect rate and deals won by rep", (
        "calls", "connect rate", "deals won"), ("rep",),
        [(names[i], cur[i], rate[i], (i * 3) % 17) for i in range(n)])


def _category_entries() -> dict[str, Callable[[], Answer]]:
    out: dict[str, Callable[[], Answer]] = {}
    k = 0
    for kind, n, (label, names) in product(("bars", "compare", "panels"), SIZES,
                                           NAME_SETS.items()):
        odd = ODD[k % len(ODD)]
        k += 1
        out[f"{kind}_{n}_{label}_{odd}"] = (
            lambda kind=kind, n=n, names=names, odd=odd: _category(kind, n, names, odd))
    return out


def _by_day(n: int, odd: str, compare: bool) -> Answer:
    start = date(2026, 11, 4)
    vals = _values(n, odd, 120)
    rows = [(start + timedelta(days=i), vals[i], *((vals[-1 - i],) if compare else ()))
            for i in range(n)]
    w = ResolvedWindow(start, start + timedelta(days=n - 1), "last 31 days")
    return ca.make("calls by day", ("calls",), ("day",), rows, window=w,
                   compare=ca.PREV31 if compare else None)


def _by_month(n: int, odd: str, compare: bool, start_year: int = 2026) -> Answer:
    vals = _values(n, odd, 400_000)
    rows = []
    for i in range(n):
        m = date(start_year + i // 12, i % 12 + 1, 1)
        rows.append((m, vals[i], *((vals[-1 - i],) if compare else ())))
    w = ResolvedWindow(date(start_year, 1, 1), date(2026, 12, 4), "this year", shape="to_date",
                       unit="year")
    return ca.make("revenue won by month", ("revenue won",), ("month",), rows, window=w,
                   compare=ca.PREV_Q if compare else None)


def _ordered(dim: str, names: tuple[str, ...], odd: str, compare: bool = False) -> Answer:
    vals = _values(len(names), odd, 0.2)
    prev = _values(len(names), "plain", 0.18)
    rows = [(nm, vals[i], *((prev[i],) if compare else ())) for i, nm in enumerate(names)]
    return ca.make(f"connect rate by {dim}", ("connect rate",), (dim,), rows,
                   compare=ca.PREV31 if compare else None)


def _two(d1: str, v1: tuple[object, ...], d2: str, v2: tuple[object, ...], odd: str) -> Answer:
    rows = []
    for i, a in enumerate(v1):
        for j, b in enumerate(v2):
            v = _values(1, "plain", 50 + 37 * ((i * 3 + j * 5) % 11))[0]
            if odd == "nulls" and (i + j) % 7 == 3:
                v = None
            if odd == "zeros" and (i * j) % 5 == 4:
                v = 0
            rows.append((a, b, v))
    return ca.make(f"calls by {d1} by {d2}", ("calls",), (d1, d2), rows)


def _nested(metric: str, n: int, names: tuple[str, ...], teams: tuple[str, ...],
            odd: str) -> Answer:
    """Reps within teams (each rep in one team): ``metric`` by team and rep."""
    base = 0.2 if metric == "win rate" else 400.0
    vals = _values(n, odd, base)
    rows = [(teams[i % len(teams)], names[i], vals[i]) for i in range(n)]
    return ca.make(f"{metric} by team by rep", (metric,), ("team", "rep"), rows)


TEAMS = ("Outbound Team", "Inbound Team", "Partner Sales Team - Asia Pacific",
         "华东区销售团队", "Enterprise Accounts (EMEA)", "SMB")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
          "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
          "Negotiation/Review")
DISPOSITIONS = ("Connected", "Left Voicemail", "No Answer", "Busy", "Wrong Number")
MONTHS = tuple(date(2026, m, 1) for m in range(1, 13))


def _shape_entries() -> dict[str, Callable[[], Answer]]:
    out: dict[str, Callable[[], Answer]] = {
        "line_day_31_partial": lambda: _by_day(31, "plain", False),
        "line_day_31_compare_nulls": lambda: _by_day(31, "nulls", True),
        "line_month_12_this_year": lambda: _by_month(12, "plain", False),
        "line_month_12_compare_negatives": lambda: _by_month(12, "negatives", True),
        "line_month_24_zeros": lambda: _by_month(24, "zeros", False, 2025),
        "columns_month_3": lambda: _by_month(3, "plain", False),
        "columns_month_1": lambda: _by_month(1, "plain", False),
        "compare_month_4": lambda: _by_month(4, "plain", True),
        "columns_weekday_7": lambda: _ordered("weekday", WEEKDAYS, "zeros"),
        "compare_weekday_5": lambda: _ordered("weekday", WEEKDAYS[:5], "plain", True),
        "columns_hour_24": lambda: _ordered("hour", tuple(range(24)), "zeros"),
        "columns_stage_8": lambda: _ordered("stage", STAGES, "plain"),
        "compare_stage_8": lambda: _ordered("stage", STAGES, "nulls", True),
        "columns_attempt_5": lambda: _ordered("contact attempt", ("1", "2", "3", "4", "5+"),
                                              "plain"),
        "grouped_rep5_disposition3": lambda: _two("rep", MIXED[:5], "disposition",
                                                  DISPOSITIONS[:3], "plain"),
        "heatmap_rep12_disposition5": lambda: _two("rep", MIXED[:12], "disposition",
                                                   DISPOSITIONS, "nulls"),
        "heatmap_rep40_weekday5": lambda: _two("rep", LATIN, "weekday", WEEKDAYS[:5],
                                               "zeros"),
        "heatmap_weekday_hour": lambda: _two("weekday", WEEKDAYS, "hour", tuple(range(24)),
                                             "zeros"),
        "heatmap_month_rep12": lambda: _two("month", MONTHS, "rep", CJK[:12], "plain"),
        "nested_team3_rep12": lambda: _nested("calls", 12, MIXED, TEAMS[:3], "plain"),
        "nested_team6_rep40_cjk": lambda: _nested("calls", 40, CJK, TEAMS, "zeros"),
        "nested_team2_rep11_rate": lambda: _nested("win rate", 11, LATIN, TEAMS[:2], "nulls"),
        "lines_month_source3": lambda: _two("month", MONTHS[:6], "lead source",
                                            ("Web", "Partner Referral", "Cold Call"), "plain"),
        "kpi_one": ca.connect_rate_kpi,
        "kpi_six": ca.headline_kpis,
        "gauge": ca.calls_gauge,
        "funnel": ca.funnel,
        "donut_cjk": lambda: ca.make("leads by lead source as pie", ("leads",),
                                     ("lead source",), [(n, 100 + 40 * i)
                                                        for i, n in enumerate(CJK[8:13])],
                                     chart="pie"),
        "stacked_8": ca.leads_by_status_many_as_pie,
        "records_top5": ca.top_deals,
        "records_one_rep": _records_one_rep,
        # Side-by-side bars asked for (`as bar`) where a dumbbell would be chosen: the current
        # value must sit past the longer bar of its pair, not over the previous one.
        "compare_bars_12_latin_zeros": lambda: _as_bar(_category("compare", 12, LATIN, "zeros")),
        "compare_bars_11_cjk_negatives": lambda: _as_bar(
            _category("compare", 11, CJK, "negatives")),
        "bars_this_month_partial": lambda: ca.make(
            "calls by rep this month", ("calls",), ("rep",),
            [(n, 40 + i) for i, n in enumerate(MIXED[:5])], window=THIS_MONTH),
    }
    return out


def _as_bar(a: Answer) -> Answer:
    import dataclasses

    return dataclasses.replace(a, query=dataclasses.replace(a.query, chart="bar"))


def _records_one_rep() -> Answer:
    import dataclasses

    a = ca.top_deals()
    rep = a.column_index("rep")
    rows = tuple(tuple("Olivia Brown" if j == rep else v for j, v in enumerate(r))
                 for r in a.rows)
    return dataclasses.replace(a, rows=rows)


CATEGORY = _category_entries()
SHAPES = _shape_entries()
ALL: dict[str, Callable[[], Answer]] = {**CATEGORY, **SHAPES}
