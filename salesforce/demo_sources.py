"""The demo org's sources beside Salesforce: marketing spend by channel and month, and
quarterly quotas by rep, derived from the demo's own deals so the stories hold (demo_story.py):
partner leads have the lowest CAC, two reps are far ahead of quota.

Written into the demo's snapshot as if `kpibot import` had brought them in (source "demo").
"""

from __future__ import annotations

import duckdb

from salesforce import demo_story as story


def add_demo_sources(con: duckdb.DuckDBPyConnection, fiscal_shift: int) -> None:
    con.execute("DELETE FROM marketing_spend WHERE source = 'demo'")
    con.execute("DELETE FROM quota WHERE source = 'demo'")
    _add_marketing_spend(con)
    _add_quotas(con, fiscal_shift)


def _add_marketing_spend(con: duckdb.DuckDBPyConnection) -> None:
    """One row per channel and month of the history: CAC × that month's new customers, give or
    take 12% from month to month, at least the base spend, in whole hundreds."""
    channels = [(s.name.lower(), s.channel) for s in story.SOURCES]
    cac = list(story.CAC_BY_CHANNEL.items())
    con.execute(
        """
        WITH ch AS (SELECT * FROM (VALUES {ch}) AS t(src, channel)),
             cac AS (SELECT * FROM (VALUES {cac}) AS t(channel, cac, k)),
             months AS (
               SELECT DISTINCT CAST(date_trunc('month', CloseDate) AS DATE) AS m
               FROM "Opportunity"
               WHERE CloseDate <= (SELECT max(CAST(CreatedDate AS DATE)) FROM "Opportunity")),
             wins AS (
               SELECT CAST(date_trunc('month', o.CloseDate) AS DATE) AS m, ch.channel, count(*) AS n
               FROM "Opportunity" AS o JOIN ch ON ch.src = lower(o.LeadSource)
               WHERE o.IsWon AND o.Type = 'New Business' GROUP BY ALL)
        INSERT INTO marketing_spend (date, channel, amount, source)
        SELECT months.m, cac.channel,
               round(greatest(cac.cac * coalesce(wins.n, 0)
                              * (1 + 0.12 * sin(month(months.m) * 1.7 + cac.k)), ?) / 100) * 100,
               'demo'
        FROM months CROSS JOIN cac
        LEFT JOIN wins ON wins.m = months.m AND wins.channel = cac.channel
        """.format(
            ch=", ".join(f"('{s}', '{c}')" for s, c in channels),
            cac=", ".join(f"('{c}', {v}, {i})" for i, (c, v) in enumerate(cac)),
        ),
        [story.BASE_MONTHLY_SPEND],
    )


def _add_quotas(con: duckdb.DuckDBPyConnection, fiscal_shift: int) -> None:
    """Each rep's quota for every quarter of the history, the current one included."""
    con.execute(
        """
        WITH won AS (
               SELECT o.OwnerId, CAST(date_trunc('quarter', o.CloseDate - to_months($shift))
                                      + to_months($shift) AS DATE) AS qs, o.Amount
               FROM "Opportunity" AS o WHERE o.IsWon AND o.Amount IS NOT NULL),
             quarters AS (SELECT DISTINCT qs FROM won),
             per_q AS (SELECT OwnerId, qs, sum(Amount) AS revenue FROM won GROUP BY ALL),
             usual AS (SELECT OwnerId, sum(revenue) / (SELECT count(*) FROM quarters) AS usual
                       FROM per_q GROUP BY 1),
             grid AS (
               SELECT usual.OwnerId, quarters.qs, usual.usual,
                      coalesce(per_q.revenue, 0) AS revenue,
                      row_number() OVER (
                        PARTITION BY quarters.qs
                        ORDER BY coalesce(per_q.revenue, 0) DESC, usual.OwnerId) AS rank
               FROM usual CROSS JOIN quarters
               LEFT JOIN per_q ON per_q.OwnerId = usual.OwnerId AND per_q.qs = quarters.qs)
        INSERT INTO quota (rep, rep_id, period_start, period_end, amount, source)
        SELECT u.Email, u.Id, grid.qs, CAST(grid.qs + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE),
               round(CASE WHEN grid.rank <= $ahead AND grid.revenue > 0
                          THEN grid.revenue / $ahead_attainment
                          ELSE greatest(grid.usual * $factor, grid.revenue / $normal_max) END
                     / 1000) * 1000,
               'demo'
        FROM grid JOIN "User" AS u ON u.Id = grid.OwnerId
        """,
        {
            "shift": fiscal_shift,
            "factor": story.QUOTA_FACTOR,
            "normal_max": story.NORMAL_MAX,
            "ahead": story.QUOTA_AHEAD,
            "ahead_attainment": story.AHEAD_ATTAINMENT,
        },
    )
