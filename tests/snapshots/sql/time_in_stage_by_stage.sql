-- Query(metrics=('time in stage',), groupings=('stage',), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    r.StageName AS d0,
    CAST(AVG(r.days) AS DOUBLE) AS a0_0
  FROM (
    SELECT
      o.Id,
      o.OwnerId,
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
    s0.a0_0 AS m0
  FROM s0
)
SELECT
  cur.d0,
  cur.m0
FROM cur
ORDER BY
  LIST_POSITION($order_0, cur.d0),
  cur.d0
