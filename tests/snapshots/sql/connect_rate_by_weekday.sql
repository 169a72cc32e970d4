-- Query(metrics=('connect rate',), groupings=('weekday',), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    STRFTIME(TIMEZONE($tz, TO_TIMESTAMP(r.bucket * 900)), '%a') AS d0,
    CAST(SUM(r.a0_0) AS BIGINT) AS a0_0,
    CAST(SUM(r.a0_1) AS BIGINT) AS a0_1
  FROM (
    SELECT
      EPOCH_US(r.CreatedDate) // 900000000 AS bucket,
      COUNT(*) FILTER(WHERE
        r.TaskSubtype = 'Call'
        AND r.CallType = 'Outbound'
        AND ARRAY_CONTAINS($connected_dispositions, LOWER(TRIM(r.CallDisposition)))) AS a0_0,
      COUNT(*) FILTER(WHERE
        r.TaskSubtype = 'Call' AND r.CallType = 'Outbound') AS a0_1
    FROM "Task" AS r
    WHERE
      r.CreatedDate >= $cur_start_ts
      AND r.CreatedDate < $cur_end_ts
      AND (
        (
          r.TaskSubtype = 'Call'
          AND r.CallType = 'Outbound'
          AND ARRAY_CONTAINS($connected_dispositions, LOWER(TRIM(r.CallDisposition)))
        )
        OR (
          r.TaskSubtype = 'Call' AND r.CallType = 'Outbound'
        )
      )
    GROUP BY
      1
  ) AS r
  GROUP BY
    1
), cur AS (
  SELECT
    s0.d0,
    CAST(COALESCE(s0.a0_0, 0) AS DOUBLE) / NULLIF(s0.a0_1, 0) AS m0,
    COALESCE(s0.a0_1, 0) AS x0
  FROM s0
)
SELECT
  cur.d0,
  cur.m0,
  cur.x0
FROM cur
ORDER BY
  LIST_POSITION($order_0, cur.d0),
  cur.d0
