-- Query(metrics=('top deals',), groupings=(), window=None, filters=(), metric_filters=(), ranking=None, sort=None, comparison=None, chart=None, dashboard=None)
SELECT
  r.Name AS c0,
  acct.Name AS c1,
  owner.Name AS c2,
  CAST(r.Amount AS DOUBLE) AS c3,
  r.CloseDate AS c4,
  DATE_DIFF('DAY', CAST(TIMEZONE($tz, r.CreatedDate) AS DATE), r.CloseDate) AS c5
FROM "Opportunity" AS r
LEFT JOIN "User" AS owner
  ON owner.Id = r.OwnerId
LEFT JOIN "Account" AS acct
  ON acct.Id = r.AccountId
WHERE
  r.CloseDate >= $cur_start
  AND r.CloseDate <= $cur_end
  AND (
    r.IsWon AND NOT r.Amount IS NULL
  )
ORDER BY
  r.Amount DESC,
  r.CloseDate DESC,
  r.Name,
  r.Id
LIMIT $rank_n
