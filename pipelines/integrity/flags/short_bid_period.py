"""R003 short submission period (Cardinal): tenderPeriod end − start, in whole days, is below
``$threshold`` (a ``$procurement_method_details`` entry overrides it for that method). An empty
``$procurement_methods`` checks every method, Cardinal's default."""

QUERY = """
WITH periods AS (
    SELECT agency_code, project_id, ocds_method, method_details,
           date_diff('day', announce_date, bid_close_date) AS days,
           coalesce(
               TRY_CAST(json_extract_string(
                   $procurement_method_details,
                   '/' || replace(replace(method_details, '~', '~0'), '/', '~1')
               ) AS INTEGER),
               $threshold
           ) AS threshold
    FROM processes
    WHERE (len($procurement_methods) = 0 OR list_contains($procurement_methods, ocds_method))
      AND announce_date IS NOT NULL
      AND bid_close_date IS NOT NULL
)
SELECT agency_code, project_id,
       format('tender period {} days (fewer than {}), procurement method {}',
              days, threshold, ocds_method) AS detail,
       to_json({'tender_period_days': days, 'threshold': threshold,
                'procurement_method': ocds_method})::VARCHAR AS "values"
FROM periods
WHERE days < threshold
"""
