-- Query(metrics=('lead response time',), groupings=(), window=None, filters=(Filter(dimension='channel', op='in', values=('inbound',)),), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
WITH s0 AS (
  SELECT
    CAST(AVG(EPOCH(acts.first_response - r.CreatedDate) / 3600.0) AS DOUBLE) AS a0_0,
    COUNT(*) FILTER(WHERE
      (
        NOT (
          EPOCH(acts.first_response - r.CreatedDate) / 3600.0
        ) IS NULL
      )) AS a0_1
  FROM "Lead" AS r
  LEFT JOIN (
    SELECT
      l.Id AS lead_id,
      MIN(a.created) AS first_response,
      COUNT(*) FILTER(WHERE
        a.attempt) AS attempts
    FROM (
      SELECT
        Id,
        CreatedDate,
        UNNEST([Id, ConvertedContactId]) AS who
      FROM "Lead"
      WHERE
        CreatedDate >= $cur_start_ts AND CreatedDate < $cur_end_ts
    ) AS l
    JOIN (
      SELECT
        WhoId,
        CreatedDate AS created,
        TaskSubtype IN ('Call', 'Email') AS attempt
      FROM "Task"
      WHERE
        CreatedDate >= $cur_start_ts
      UNION ALL
      SELECT
        WhoId,
        CreatedDate,
        FALSE
      FROM "Event"
      WHERE
        CreatedDate >= $cur_start_ts
    ) AS a
      ON a.WhoId = l.who AND a.created >= l.CreatedDate
    GROUP BY
      l.Id
  ) AS acts
    ON acts.lead_id = r.Id
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
          EPOCH(acts.first_response - r.CreatedDate) / 3600.0
        ) IS NULL
      )
    )
), cur AS (
  SELECT
    s0.a0_0 AS m0,
    COALESCE(s0.a0_1, 0) AS x0
  FROM s0
)
SELECT
  cur.m0,
  cur.x0
FROM cur
