-- Query(metrics=('win rate',), groupings=('lead source',), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=Comparison(kind='last_year', window=None, full=False, unit=None), chart=None, dashboard=None, anchor=None)
WITH s0 AS (
  SELECT
    r.LeadSource AS d0,
    COUNT(*) FILTER(WHERE
      r.IsWon) AS a0_0,
    COUNT(*) FILTER(WHERE
      r.IsClosed) AS a0_1
  FROM "Opportunity" AS r
  WHERE
    r.CloseDate >= $cur_start
    AND r.CloseDate <= $cur_end
    AND (
      (
        r.IsWon
      ) OR (
        r.IsClosed
      )
    )
  GROUP BY
    1
), cur AS (
  SELECT
    s0.d0,
    CAST(COALESCE(s0.a0_0, 0) AS DOUBLE) / NULLIF(s0.a0_1, 0) AS m0,
    COALESCE(s0.a0_1, 0) AS x0
  FROM s0
), p0 AS (
  SELECT
    r.LeadSource AS d0,
    COUNT(*) FILTER(WHERE
      r.IsWon) AS a0_0,
    COUNT(*) FILTER(WHERE
      r.IsClosed) AS a0_1
  FROM "Opportunity" AS r
  WHERE
    r.CloseDate >= $prev_start
    AND r.CloseDate <= $prev_end
    AND (
      (
        r.IsWon
      ) OR (
        r.IsClosed
      )
    )
  GROUP BY
    1
), prev AS (
  SELECT
    p0.d0,
    CAST(COALESCE(p0.a0_0, 0) AS DOUBLE) / NULLIF(p0.a0_1, 0) AS m0,
    COALESCE(p0.a0_1, 0) AS x0
  FROM p0
)
SELECT
  cur.d0,
  cur.m0,
  prev.m0 AS m0_prev,
  (
    cur.m0 - prev.m0
  ) / NULLIF(prev.m0, 0) AS m0_growth,
  cur.x0,
  COALESCE(prev.x0, 0) AS x0_prev
FROM cur
LEFT JOIN prev
  ON cur.d0 IS NOT DISTINCT FROM prev.d0
ORDER BY
  cur.m0 DESC,
  cur.d0
