"""R003 short bid period: fewer than ``$min_days`` days from announcement to bid closing."""

QUERY = """
SELECT agency_code, project_id,
       format('bid period {} days (fewer than {})',
              date_diff('day', announce_date, bid_close_date), $min_days) AS detail
FROM procurement
WHERE list_contains($methods, method)
  AND announce_date IS NOT NULL
  AND bid_close_date IS NOT NULL
  AND date_diff('day', announce_date, bid_close_date) < $min_days
"""
