"""Odd values never break a chart: empty denominators (None), zeros, negatives, huge numbers,
Decimals from DuckDB, datetimes as buckets, missing dimension values, long Chinese names."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charts import render_answer
from tests import chart_answers as ca
from tests.strict_drawing import warnings_are_errors
from tests.test_charts_render import png_size

VALUES = st.one_of(
    st.none(),
    st.just(0),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
)
NAMES = st.one_of(st.none(), st.sampled_from([
    "温家豪", "A very long account name that will never fit on a bar label", "", "Web",
    "华东区年度框架协议华东区年度框架协议", "O'Brien & Sons (EMEA)",
]))
SHAPES = st.sampled_from(["kpi", "bars", "columns", "line", "compare", "grouped", "pie"])


def _answer(shape: str, values: list[object], names: list[object]) -> ca.Answer:
    n = len(values)
    if shape == "kpi":
        return ca.make("q", ("connect rate",), (), [(values[0], values[-1])], compare=ca.PREV31)
    if shape == "bars":
        rows = [(f"{names[i % len(names)]}{i}", v) for i, v in enumerate(values)]
        return ca.make("q", ("revenue won",), ("rep",), rows)
    if shape == "columns":
        return ca.make("q", ("calls",), ("hour",), [(i, v) for i, v in enumerate(values)])
    if shape == "line":
        start = datetime(2024, 1, 1)
        return ca.make("q", ("win rate",), ("day",),
                       [(start + timedelta(days=i), v) for i, v in enumerate(values)])
    if shape == "compare":
        rows = [(names[i % len(names)], v, values[-1 - i]) for i, v in enumerate(values)]
        return ca.make("q", ("deals won",), ("lead source",), rows[:20], compare=ca.PREV31)
    if shape == "grouped":
        rows = [(f"r{i % 4}", names[i % len(names)], v) for i, v in enumerate(values)]
        return ca.make("q", ("calls",), ("rep", "disposition"), rows)
    return ca.make("q", ("leads",), ("status",), [(f"s{i}", v) for i, v in
                                                    enumerate(values)][:n], chart="pie")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=SHAPES, values=st.lists(VALUES, min_size=1, max_size=26),
       names=st.lists(NAMES, min_size=1, max_size=6))
def test_odd_values_render(shape: str, values: list[object], names: list[object]) -> None:
    answer = _answer(shape, values, names)
    with warnings_are_errors():
        png = render_answer(answer)
    assert png is not None and png_size(png) == (1120, 700)


def test_decimal_values_read_like_numbers() -> None:
    from charts import figure_for_answer, texts

    a = ca.make("q", ("calls",), ("rep",), [("温家豪", Decimal("1240")), ("李静", Decimal("987"))])
    fig = figure_for_answer(a)
    assert fig is not None
    assert {"1,240", "987"} <= set(texts(fig))


def test_date_buckets_as_dates_or_datetimes() -> None:
    from charts import figure_for_answer, texts

    rows = [(date(2024, 1, 1), 1.0), (datetime(2024, 2, 1), 2.0), (date(2024, 3, 1), 3.0)]
    fig = figure_for_answer(ca.make("q", ("calls",), ("month",), rows))
    assert fig is not None
    assert {"Jan 2024", "Feb 2024", "Mar 2024"} <= set(texts(fig))
