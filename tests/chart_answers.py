"""Hand-built Answers of every shape the charts meet, with realistic values (a 5-rep team).

Each is what the metrics engine returns for the question in its ``question``; numbers are
made up by hand, not computed by kpibot.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from metrics.answer import Answer, Column, ResolvedWindow
from metrics.provenance import SourceMissing
from metrics.query import (
    ChartKind,
    Comparison,
    Filter,
    Query,
    Ranking,
    WindowSpec,
)

AS_OF = datetime(2024, 6, 27, 6, 0)
LAST31 = ResolvedWindow(date(2024, 5, 27), date(2024, 6, 26), "last 31 days")
PREV31 = ResolvedWindow(date(2024, 4, 26), date(2024, 5, 26), "previous 31 days")
THIS_Q = ResolvedWindow(date(2024, 4, 1), date(2024, 6, 27), "this quarter", shape="to_date",
                        unit="quarter")
PREV_Q = ResolvedWindow(date(2024, 1, 1), date(2024, 3, 28), "previous period")
LAST_Q = ResolvedWindow(date(2024, 1, 1), date(2024, 3, 31), "last quarter", shape="full",
                        unit="quarter")
LAST30 = ResolvedWindow(date(2024, 5, 28), date(2024, 6, 26), "last 30 days")
PREV30 = ResolvedWindow(date(2024, 4, 28), date(2024, 5, 27), "previous 30 days")

REPS = ("温家豪", "Sarah O'Connor", "李静", "Miguel Hernández-Castellanos", "Priya Natarajan")
FORMATS = {
    "leads": ("count", "higher"), "converted leads": ("count", "higher"),
    "lead-to-opportunity ratio": ("percent", "higher"),
    "lead conversion rate": ("percent", "higher"), "lead response time": ("hours", "lower"),
    "follow-up rate": ("percent", "higher"), "deals won": ("count", "higher"),
    "revenue won": ("currency", "higher"), "average deal size": ("currency", "higher"),
    "win rate": ("percent", "higher"), "sales cycle length": ("days", "lower"),
    "new opportunities": ("count", "higher"), "time in stage": ("days", "lower"),
    "calls": ("count", "higher"), "outbound calls": ("count", "higher"),
    "connect rate": ("percent", "higher"), "activities": ("count", "higher"),
    "meetings booked": ("count", "higher"), "demos booked": ("count", "higher"),
    "calls per deal": ("number", "lower"), "lead source share": ("percent", "higher"),
    "follow-up rate by attempt": ("percent", "higher"),
}
_DIM_FORMAT = {"day": "date", "week": "date", "month": "date", "quarter": "date", "year": "date"}


def metric_cols(name: str, comparison: bool) -> list[Column]:
    fmt, better = FORMATS[name]
    cols = [Column(name, "metric", fmt, name, better)]  # type: ignore[arg-type]
    if comparison:
        cols.append(Column(f"{name} (previous)", "previous", fmt, name, better))  # type: ignore[arg-type]
        cols.append(Column(f"{name} growth", "growth", "percent", name, better))
    return cols


def make(question: str, metrics: tuple[str, ...], groupings: tuple[str, ...],
         rows: list[tuple[Any, ...]], *, window: ResolvedWindow = LAST31,
         compare: ResolvedWindow | None = None, chart: ChartKind | None = None,
         restated: str | None = None, ranking: Ranking | None = None,
         filters: tuple[Filter, ...] = ()) -> Answer:
    """An Answer whose rows give, per row, the groupings then each metric's value — and, with
    ``compare``, each metric's previous value (growth is computed here, as the engine would)."""
    cols: list[Column] = [Column(g, "dimension", _DIM_FORMAT.get(g, "text")) for g in groupings]
    for m in metrics:
        cols += metric_cols(m, compare is not None)
    out: list[tuple[Any, ...]] = []
    ng = len(groupings)
    for r in rows:
        vals = list(r[:ng])
        for k, _m in enumerate(metrics):
            cur = r[ng + k]
            vals.append(cur)
            if compare is not None:
                prev = r[ng + len(metrics) + k]
                vals.append(prev)
                vals.append(None if cur is None or not prev
                            else (float(cur) - float(prev)) / float(prev))
        out.append(tuple(vals))
    query = Query(metrics=metrics, groupings=groupings, chart=chart, ranking=ranking,
                  comparison=Comparison("previous") if compare else None, filters=filters)
    what = ", ".join(f"[{m}]" for m in metrics)
    by = (" by " + " by ".join(f"[{g}]" for g in groupings)) if groupings else ""
    from metrics.format import format_range

    rs = restated or f"{what}{by} · {format_range(window.start, window.end)} ({window.label})"
    return Answer(question=question, query=query, restated=rs, window=window,
                  compare_window=compare, columns=tuple(cols), rows=tuple(out),
                  sql="-- hand-built", data_as_of=AS_OF)


# ---- one of each shape -------------------------------------------------------------------------

def connect_rate_kpi() -> Answer:
    return make("connect rate last 31 days vs previous period", ("connect rate",), (),
                [(0.1793, 0.1925)], compare=PREV31)


def headline_kpis() -> Answer:
    return make("kpis this quarter vs previous", (
        "revenue won", "deals won", "average deal size", "sales cycle length",
        "lead response time", "follow-up rate"), (),
        [(1_284_500, 38, 33_802.6, 41.6, 3.4, 0.62,
          1_102_300, 35, 31_494.3, 45.2, 4.1, 0.58)], window=THIS_Q, compare=PREV_Q)


def calls_by_rep() -> Answer:
    return make("calls by rep last 31 days", ("calls",), ("rep",),
                [(REPS[0], 1240), (REPS[1], 1102), (REPS[2], 987), (REPS[3], 864),
                 (REPS[4], 701)])


def response_time_by_rep() -> Answer:
    return make("lead response time by rep this quarter", ("lead response time",), ("rep",),
                [(REPS[0], 1.2), (REPS[1], 3.8), (REPS[2], 2.4), (REPS[3], 6.1),
                 (REPS[4], None)], window=THIS_Q)


def connect_rate_by_weekday() -> Answer:
    return make("connect rate by weekday last 31 days", ("connect rate",), ("weekday",),
                [("Mon", 0.142), ("Tue", 0.211), ("Wed", 0.205), ("Thu", 0.176),
                 ("Fri", 0.131)])


def calls_by_hour() -> Answer:
    vals = [0, 0, 0, 0, 0, 0, 0, 12, 88, 140, 162, 150, 96, 120, 171, 165, 143, 110, 52, 18,
            4, 0, 0, 0]
    return make("calls by hour last 31 days", ("calls",), ("hour",),
                [(h, v) for h, v in enumerate(vals)])


def time_in_stage() -> Answer:
    return make("time in stage by stage this quarter", ("time in stage",), ("stage",),
                [("Prospecting", 6.2), ("Qualification", 9.8), ("Needs Analysis", 12.4),
                 ("Proposal/Price Quote", 15.1), ("Negotiation/Review", 8.7)], window=THIS_Q)


def calls_by_day() -> Answer:
    start = LAST31.start
    assert start is not None
    rows = []
    for i in range(31):
        d = start + timedelta(days=i)
        base = 0 if d.weekday() >= 5 else 120 + (i * 7) % 40
        rows.append((d, base))
    return make("calls by day last 31 days", ("calls",), ("day",), rows)


def revenue_by_month() -> Answer:
    w = ResolvedWindow(date(2024, 1, 1), date(2024, 6, 27), "this year", shape="to_date",
                       unit="year")
    rows = [(date(2024, m, 1), v) for m, v in zip(range(1, 7), (
        312_000, 288_500, 405_200, 377_900, 451_300, 455_300), strict=True)]
    return make("revenue won by month this year", ("revenue won",), ("month",), rows, window=w)


def revenue_by_month_long() -> Answer:
    w = ResolvedWindow(date(2023, 1, 1), date(2024, 6, 27), "since 1 Jan 2023")
    vals = (210, 190, 250, 270, 240, 300, 310, 280, 330, 350, 365, 420, 312, 288, 405, 378,
            451, 455)
    rows = []
    for k, v in enumerate(vals):
        rows.append((date(2023 + k // 12, k % 12 + 1, 1), v * 1000))
    return make("revenue won by month since 2023", ("revenue won",), ("month",), rows, window=w)


def win_rate_by_week_compared() -> Answer:
    rows = []
    for k in range(13):
        d = date(2024, 4, 1) + timedelta(weeks=k)
        rows.append((d, 0.12 + (k % 5) * 0.01, 0.13 + (k % 3) * 0.008))
    return make("win rate by week this quarter vs previous", ("win rate",), ("week",), rows,
                window=THIS_Q, compare=PREV_Q)


def deals_by_source_compared() -> Answer:
    return make("deals won by lead source this quarter vs previous", ("deals won",),
                ("lead source",),
                [("Web", 14, 11), ("Partner Referral", 9, 10), ("Cold Call", 7, 4),
                 ("Trade Show", 5, 5), ("Inbound Call", 3, 6)], window=THIS_Q, compare=PREV_Q)


def deals_by_rep_compared() -> Answer:
    """Eleven reps compared: more groups than pairs of bars read well (a dumbbell)."""
    names = (*REPS, "Olivia Brown", "王芳", "Daniel Kim", "刘洋", "Grace Liu", "James Walker")
    return make("deals won by rep this quarter vs previous", ("deals won",), ("rep",),
                [(n, 6 + (i * 5) % 11, 5 + (i * 7) % 9) for i, n in enumerate(names)],
                window=THIS_Q, compare=PREV_Q)


def calls_by_weekday_compared() -> Answer:
    return make("calls by weekday vs previous period", ("calls",), ("weekday",),
                [("Mon", 980, 1010), ("Tue", 1105, 1002), ("Wed", 1088, 1120),
                 ("Thu", 1012, 950), ("Fri", 709, 802)], compare=PREV31)


def calls_by_rep_and_disposition() -> Answer:
    disp = ("Connected", "Left Voicemail", "No Answer")
    rows = []
    for i, r in enumerate(REPS):
        for k, d in enumerate(disp):
            rows.append((r, d, 90 + 37 * ((i + 2 * k) % 5) + 20 * k))
    return make("calls by rep by disposition", ("calls",), ("rep", "disposition"), rows)


def calls_by_month_and_source() -> Answer:
    rows = []
    for m in range(1, 7):
        for k, s in enumerate(("Web", "Cold Call", "Partner")):
            rows.append((date(2024, m, 1), s, 300 + 40 * m + 120 * k - 30 * (m % 2) * k))
    w = ResolvedWindow(date(2024, 1, 1), date(2024, 6, 27), "this year")
    return make("calls by month by lead source this year", ("calls",), ("month", "lead source"),
                rows, window=w)


def rep_scorecard() -> Answer:
    return make("calls, connect rate, deals won and demos booked by rep", (
        "calls", "connect rate", "deals won", "demos booked"), ("rep",),
        [(REPS[0], 1240, 0.21, 6, 14), (REPS[1], 1102, 0.18, 4, 11), (REPS[2], 987, 0.16, 5, 9),
         (REPS[3], 864, 0.15, 2, 6), (REPS[4], 701, 0.19, 3, 8)])


def many_reps() -> Answer:
    rows = [(f"Rep {i:02d}", 1000 - i * 17) for i in range(1, 31)]
    return make("calls by rep", ("calls",), ("rep",), rows)


def source_share() -> Answer:
    return make("share of leads by lead source", ("lead source share",), ("lead source",),
                [("Web", 0.41), ("Partner Referral", 0.22), ("Cold Call", 0.17),
                 ("Trade Show", 0.12), ("Content", 0.08)])


def leads_by_source_pie() -> Answer:
    return make("leads by lead source as pie", ("leads",), ("lead source",),
                [("Web", 412), ("Partner Referral", 220), ("Cold Call", 171), ("Trade Show", 118),
                 ("Content", 80)], chart="pie")


def leads_by_status_many_as_pie() -> Answer:
    names = ("Open", "Working", "Nurturing", "Qualified", "Unqualified", "Converted", "Recycled",
             "Duplicate")
    return make("leads by status as pie", ("leads",), ("status",),
                [(n, 300 - 30 * i) for i, n in enumerate(names)], chart="pie")


def funnel() -> Answer:
    return make("leads, new opportunities and deals won this quarter", (
        "leads", "new opportunities", "deals won"), (), [(1240, 222, 38)], window=THIS_Q)


def connect_rate_gauge() -> Answer:
    return make("connect rate last 31 days as gauge", ("connect rate",), (),
                [(0.1793, 0.1925)], compare=PREV31, chart="gauge")


def calls_gauge() -> Answer:
    return make("outbound calls last 31 days as gauge", ("outbound calls",), (),
                [(4894, 5120)], compare=PREV31, chart="gauge")


def top_deals() -> Answer:
    cols = (Column("name", "field", "text"), Column("account", "field", "text"),
            Column("rep", "field", "text"),
            Column("amount", "field", "currency", "top deals", "higher"),
            Column("close date", "field", "date"),
            Column("cycle length (days)", "field", "days", "top deals", "lower"))
    rows = (
        ("Global rollout 2024 — 500 seats", "Northwind Traders International", REPS[0],
         184_000, date(2024, 3, 28), 96),
        ("华东区年度框架协议", "上海远景科技有限公司", REPS[2], 152_500, date(2024, 3, 15), 41),
        ("Platform renewal + services", "Contoso Ltd", REPS[1], 98_400, date(2024, 2, 29), 23),
        ("Analytics add-on", "Fabrikam", REPS[3], 87_250, date(2024, 3, 5), 88),
        ("Pilot expansion", "Tailspin Toys", REPS[4], 66_000, date(2024, 1, 19), 102),
    )
    q = Query(metrics=("top deals",), ranking=Ranking("top", 5),
              window=WindowSpec("previous", unit="quarter"))
    return Answer(question="top 5 deals last quarter", query=q,
                  restated="[top deals] top 5 · 1 Jan – 31 Mar 2024 (last quarter)",
                  window=LAST_Q, compare_window=None, columns=cols, rows=rows,
                  sql="-- hand-built", data_as_of=AS_OF, kind="records")


def empty() -> Answer:
    return make("calls by rep yesterday", ("calls",), ("rep",), [])


ALL = {
    "kpi": connect_rate_kpi, "kpi_row": headline_kpis, "bars": calls_by_rep,
    "bars_lower_better": response_time_by_rep, "columns_weekday": connect_rate_by_weekday,
    "columns_hour": calls_by_hour, "columns_stage": time_in_stage, "line_day": calls_by_day,
    "columns_month": revenue_by_month, "line_month": revenue_by_month_long,
    "line_compare": win_rate_by_week_compared, "compare_category": deals_by_source_compared,
    "dumbbell": deals_by_rep_compared,
    "compare_weekday": calls_by_weekday_compared, "grouped": calls_by_rep_and_disposition,
    "lines": calls_by_month_and_source, "panels": rep_scorecard, "table_many": many_reps,
    "donut_share": source_share, "donut_pie": leads_by_source_pie,
    "stacked": leads_by_status_many_as_pie, "funnel": funnel, "gauge_rate": connect_rate_gauge,
    "gauge_count": calls_gauge, "records": top_deals,
}


# ---- a stand-in engine for dashboards: Query → hand-built Answer --------------------------------

# Per KPI: (current, previous) over the dashboard's whole window, and per rep / source / stage.
TOTALS: dict[str, tuple[float, float]] = {
    "lead response time": (3.4, 4.1), "follow-up rate": (0.62, 0.58), "activities": (4312, 3980),
    "average deal size": (33_802.6, 31_494.3), "deals won": (38, 35),
    "sales cycle length": (41.6, 45.2), "connect rate": (0.1793, 0.1925),
    "meetings booked": (64, 71), "calls per deal": (128.8, 146.3), "outbound calls": (4894, 5120),
    "demos booked": (41, 45), "lead-to-opportunity ratio": (0.179, 0.186),
    "win rate": (0.148, 0.139), "lead conversion rate": (0.0265, 0.0259),
}
BY_REP: dict[str, tuple[float, ...]] = {
    "lead response time": (1.2, 3.8, 2.4, 6.1, 4.0),
    "follow-up rate": (0.81, 0.64, 0.7, 0.42, 0.55),
    "outbound calls": (1240, 1102, 987, 864, 701),
    "outbound calls (previous)": (1180, 1150, 1002, 990, 798),
    "connect rate": (0.21, 0.18, 0.16, 0.15, 0.19), "deals won": (12, 8, 9, 4, 5),
    "demos booked": (14, 11, 9, 6, 8),
}
SOURCES = ("Web", "Partner Referral", "Cold Call", "Trade Show", "Inbound Call")
BY_SOURCE = {"average deal size": (28_400, 52_100, 31_900, 24_300, 19_800),
             "deals won": (14, 9, 7, 5, 3)}
STAGES = (("Prospecting", 6.2), ("Qualification", 9.8), ("Needs Analysis", 12.4),
          ("Proposal/Price Quote", 15.1), ("Negotiation/Review", 8.7))
# Follow-up success falls off after the 3rd attempt (the source document's panel).
FOLLOW_UP_BY_ATTEMPT = (("1", 0.81), ("2", 0.66), ("3", 0.31), ("4", 0.18), ("5+", 0.12))
WEEKDAY_CONNECT = (("Mon", 0.142), ("Tue", 0.211), ("Wed", 0.205), ("Thu", 0.176),
                   ("Fri", 0.131))


def resolve(spec: WindowSpec | None) -> tuple[ResolvedWindow, ResolvedWindow]:
    """The hand-resolved windows (current, previous) for the specs dashboards use."""
    if spec is None or (spec.kind == "this" and spec.unit == "quarter"):
        return THIS_Q, PREV_Q
    if spec.kind == "previous" and spec.unit == "quarter":
        return LAST_Q, ResolvedWindow(date(2023, 10, 1), date(2023, 12, 31), "previous period")
    if spec.kind == "last" and spec.n == 30:
        return LAST30, PREV30
    return LAST31, PREV31


NOT_IMPORTED = {"CAC", "quota attainment", "daily call target"}


def serve(query: Query) -> Answer:
    """What the engine would answer for a dashboard panel's query (hand-made numbers)."""
    window, prev = resolve(query.window)
    compare = prev if query.comparison else None
    ms, gs = query.metrics, query.groupings
    if set(ms) & NOT_IMPORTED:  # KPIs of sources beside Salesforce: none imported here
        raise SourceMissing(f"{', '.join(ms)} needs a source no import has filled yet.")
    if ms == ("top deals",):
        return top_deals()
    kw: dict[str, Any] = {"window": window, "compare": compare, "filters": query.filters}
    if not gs:
        cur = tuple(TOTALS[m][0] for m in ms)
        old = tuple(TOTALS[m][1] for m in ms)
        return make("panel", ms, (), [cur + (old if compare else ())], **kw)
    g = gs[0]
    if g == "rep":
        rows = []
        for i, r in enumerate(REPS):
            cur = tuple(BY_REP[m][i] for m in ms)
            old = tuple(BY_REP.get(f"{m} (previous)", BY_REP[m])[i] for m in ms)
            rows.append((r, *cur, *(old if compare else ())))
        return make("panel", ms, gs, rows, **kw)
    if g == "lead source":
        return make("panel", ms, gs, [(s, *(BY_SOURCE[m][i] for m in ms))
                                      for i, s in enumerate(SOURCES)], **kw)
    if g == "stage":
        return make("panel", ms, gs, list(STAGES), **kw)
    if g == "weekday":
        return make("panel", ms, gs, list(WEEKDAY_CONNECT), **kw)
    if g == "contact attempt":
        return make("panel", ms, gs, list(FOLLOW_UP_BY_ATTEMPT), **kw)
    # a time grain: a gentle wave around the KPI's total, one row per bucket
    assert window.start is not None and window.end is not None
    step = {"day": 1, "week": 7}.get(g, 30)
    rows, d, k = [], window.start, 0
    base = TOTALS[ms[0]][0]
    while d <= window.end:
        wave = (0.9, 1.05, 1.12, 0.97, 1.0, 0.93, 1.08)[k % 7]
        v = base * wave / (13 if ms[0] == "activities" and g == "week" else 1)
        rows.append((d, round(v, 4)))
        d += timedelta(days=step)
        k += 1
    return make("panel", ms, gs, rows, **kw)
