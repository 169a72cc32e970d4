-- Query(metrics=('time in stage',), groupings=('stage',), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    r.StageName AS d0,
    CAST(AVG(r.days) AS DOUBLE) AS a0_0,
    COUNT(*) FILTER(WHERE
      (
        NOT (
          r.days
        ) IS NULL
      )) AS a0_1
  FROM (
    SELECT
      o.Id,
      o.OwnerId,
      o._kpibot_owner_key,
      o.LeadSource,
      o.Type,
      o.AccountId,
      o.Amount,
      v.StageName,
      v.ended,
      v.days
    FROM "_kpibot_stage_visits" AS v
    JOIN "Opportunity" AS o
      ON o.Id = v.OpportunityId
  ) AS r
  WHERE
    r.ended >= $cur_start_ts
    AND r.ended < $cur_end_ts
    AND (
      (
        NOT (
          r.days
        ) IS NULL
      )
    )
  GROUP BY
    1
), cur AS (
  SELECT
    s0.d0,
    s0.a0_0 AS m0,
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
