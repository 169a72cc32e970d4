-- Query(metrics=('calls', 'connect rate', 'demos booked', 'deals won'), groupings=('rep',), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    owner.Name AS d0,
    CAST(SUM(r.a0_0) AS BIGINT) AS a0_0,
    CAST(SUM(r.a1_0) AS BIGINT) AS a1_0,
    CAST(SUM(r.a1_1) AS BIGINT) AS a1_1
  FROM (
    SELECT
      r.OwnerId AS OwnerId,
      COUNT(*) FILTER(WHERE
        r.TaskSubtype = 'Call') AS a0_0,
      COUNT(*) FILTER(WHERE
        r.TaskSubtype = 'Call'
        AND r.CallType = 'Outbound'
        AND ARRAY_CONTAINS($connected_dispositions, LOWER(TRIM(r.CallDisposition)))) AS a1_0,
      COUNT(*) FILTER(WHERE
        r.TaskSubtype = 'Call' AND r.CallType = 'Outbound') AS a1_1
    FROM "Task" AS r
    WHERE
      r.CreatedDate >= $cur_start_ts
      AND r.CreatedDate < $cur_end_ts
      AND (
        (
          r.TaskSubtype = 'Call'
        )
        OR (
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
  LEFT JOIN "User" AS owner
    ON owner.Id = r.OwnerId
  GROUP BY
    1
), s1 AS (
  SELECT
    owner.Name AS d0,
    CAST(SUM(r.a2_0) AS BIGINT) AS a2_0
  FROM (
    SELECT
      r.OwnerId AS OwnerId,
      COUNT(*) FILTER(WHERE
        r.Type = 'Demo') AS a2_0
    FROM "Event" AS r
    WHERE
      r.CreatedDate >= $cur_start_ts
      AND r.CreatedDate < $cur_end_ts
      AND (
        (
          r.Type = 'Demo'
        )
      )
    GROUP BY
      1
  ) AS r
  LEFT JOIN "User" AS owner
    ON owner.Id = r.OwnerId
  GROUP BY
    1
), s2 AS (
  SELECT
    owner.Name AS d0,
    CAST(SUM(r.a3_0) AS BIGINT) AS a3_0
  FROM (
    SELECT
      r.OwnerId AS OwnerId,
      COUNT(*) FILTER(WHERE
        r.IsWon) AS a3_0
    FROM "Opportunity" AS r
    WHERE
      r.CloseDate >= $cur_start AND r.CloseDate <= $cur_end AND (
        (
          r.IsWon
        )
      )
    GROUP BY
      1
  ) AS r
  LEFT JOIN "User" AS owner
    ON owner.Id = r.OwnerId
  GROUP BY
    1
), cur_keys AS (
  SELECT
    d0
  FROM s0
  UNION
  SELECT
    d0
  FROM s1
  UNION
  SELECT
    d0
  FROM s2
), cur AS (
  SELECT
    cur_keys.d0,
    COALESCE(s0.a0_0, 0) AS m0,
    CAST(COALESCE(s0.a1_0, 0) AS DOUBLE) / NULLIF(s0.a1_1, 0) AS m1,
    COALESCE(s1.a2_0, 0) AS m2,
    COALESCE(s2.a3_0, 0) AS m3,
    COALESCE(s0.a1_1, 0) AS x0
  FROM cur_keys
  LEFT JOIN s0
    ON cur_keys.d0 IS NOT DISTINCT FROM s0.d0
  LEFT JOIN s1
    ON cur_keys.d0 IS NOT DISTINCT FROM s1.d0
  LEFT JOIN s2
    ON cur_keys.d0 IS NOT DISTINCT FROM s2.d0
)
SELECT
  cur.d0,
  cur.m0,
  cur.m1,
  cur.m2,
  cur.m3,
  cur.x0
FROM cur
ORDER BY
  cur.m0 DESC,
  cur.d0
