-- Query(metrics=('lead response time',), groupings=(), window=None, filters=(Filter(dimension='channel', op='in', values=('inbound',)),), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    CAST(AVG(r.response_seconds / 3600.0) AS DOUBLE) AS a0_0
  FROM "_kpibot_lead_facts" AS r
  WHERE
    r.CreatedDate >= $cur_start_ts
    AND r.CreatedDate < $cur_end_ts
    AND (
      ARRAY_CONTAINS(
        $f0,
        LOWER(
          TRIM(
            CAST(COALESCE(
              LIST_EXTRACT($channel_names, LIST_POSITION($channel_sources, LOWER(TRIM(r.LeadSource)))),
              'other'
            ) AS TEXT)
          )
        )
      )
    )
    AND (
      (
        NOT (
          r.response_seconds / 3600.0
        ) IS NULL
      )
    )
), cur AS (
  SELECT
    s0.a0_0 AS m0
  FROM s0
)
SELECT
  cur.m0
FROM cur
