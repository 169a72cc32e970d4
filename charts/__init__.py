"""Charts: an Answer → one PNG (the chart its shape calls for), and the three dashboards.

Public surface (bot-independent)::

    from charts import render_answer, render_dashboard, choose
    png = render_answer(answer, currency="USD", fiscal_start_month=1)   # bytes | None
    png = render_dashboard("outbound calls", query, run)                # bytes

See docs/charts.md for the choice table, sizes, fonts and dashboard panels.
"""

from __future__ import annotations

from charts.choose import RULES, Chart, Choice, choose, choose_with_reason, rules_markdown
from charts.dashboards import dashboard_names, figure_for_dashboard, render_dashboard
from charts.render import figure_for_answer, render_answer, texts
from charts.theme import chart_pixels, dashboard_pixels

__all__ = [
    "RULES",
    "Chart",
    "Choice",
    "chart_pixels",
    "choose",
    "choose_with_reason",
    "dashboard_names",
    "dashboard_pixels",
    "figure_for_answer",
    "figure_for_dashboard",
    "render_answer",
    "render_dashboard",
    "rules_markdown",
    "texts",
]
