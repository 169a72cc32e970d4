-- Query(metrics=('follow-up rate by attempt',), groupings=(), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    CASE WHEN r.k >= 5 THEN '5+' ELSE CAST(r.k AS TEXT) END AS d0,
    CAST(SUM(r.a0_0) AS BIGINT) AS a0_0,
    CAST(SUM(r.a0_1) AS BIGINT) AS a0_1
  FROM (
    SELECT
      r.k AS k,
      COUNT(*) FILTER(WHERE
        r.attempts >= r.k + 1) AS a0_0,
      COUNT(*) AS a0_1
    FROM (
      SELECT
        l.*,
        k.k
      FROM "_kpibot_lead_facts" AS l
      JOIN RANGE(1, 6) AS k(k)
        ON l.attempts >= k.k
    ) AS r
    WHERE
      r.CreatedDate >= $cur_start_ts AND r.CreatedDate < $cur_end_ts
    GROUP BY
      1
  ) AS r
  GROUP BY
    1
), cur AS (
  SELECT
    s0.d0,
    CAST(COALESCE(s0.a0_0, 0) AS DOUBLE) / NULLIF(s0.a0_1, 0) AS m0
  FROM s0
)
SELECT
  cur.d0,
  cur.m0
FROM cur
ORDER BY
  LIST_POSITION($order_0, cur.d0),
  cur.d0
