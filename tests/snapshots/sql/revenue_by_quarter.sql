-- Query(metrics=('revenue won',), groupings=('quarter',), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', r.CloseDate - TO_MONTHS($fiscal_shift)) + TO_MONTHS($fiscal_shift) AS DATE) AS d0,
    CAST(SUM(r.Amount) FILTER(WHERE
      r.IsWon) AS DOUBLE) AS a0_0
  FROM "Opportunity" AS r
  WHERE
    r.CloseDate >= $cur_start AND r.CloseDate <= $cur_end AND (
      (
        r.IsWon
      )
    )
  GROUP BY
    1
), cur AS (
  SELECT
    s0.d0,
    COALESCE(s0.a0_0, 0) AS m0
  FROM s0
)
SELECT
  cur.d0,
  cur.m0
FROM cur
ORDER BY
  cur.d0
