"""TH-SPLIT (Thai-specific) split purchases: at least ``$min_count`` awards just under
``$threshold`` from one buyer to one supplier
within ``$window_days`` days (first to last contract date). One supplier: one OCDS supplier id
(a sole trader, its citizen id masked, is a supplier of its own per award)."""

QUERY = """
WITH qualifying AS (
    SELECT agency_code, project_id, supplier_id, contract_date, contract_value
    FROM awards
    WHERE list_contains($methods, method)
      AND contract_date IS NOT NULL
      AND supplier_id IS NOT NULL
      AND contract_value >= $threshold * (1 - $margin)
      AND contract_value < $threshold
),
windows AS (
    -- one window per qualifying award, starting at its contract date
    SELECT agency_code, supplier_id, contract_date AS window_start,
           count(*) OVER (
               PARTITION BY agency_code, supplier_id ORDER BY contract_date
               RANGE BETWEEN CURRENT ROW AND to_days(CAST($window_days AS INTEGER)) FOLLOWING
           ) AS awards_in_window
    FROM qualifying
),
flagged AS (
    SELECT q.agency_code, q.project_id, max(w.awards_in_window) AS awards_in_window,
           any_value(q.contract_value) AS contract_value
    FROM qualifying AS q
    JOIN windows AS w
      ON q.agency_code = w.agency_code
     AND q.supplier_id = w.supplier_id
     AND q.contract_date >= w.window_start
     AND q.contract_date <= w.window_start + to_days(CAST($window_days AS INTEGER))
    WHERE w.awards_in_window >= $min_count
    GROUP BY q.agency_code, q.project_id
)
SELECT agency_code, project_id,
       format('{} awards to one supplier within {} days, each {:,.0f} to under {:,.0f} THB',
              awards_in_window, $window_days,
              CAST($threshold * (1 - $margin) AS DOUBLE), CAST($threshold AS DOUBLE)) AS detail,
       to_json({'awards_in_window': awards_in_window,
                'contract_value': contract_value})::VARCHAR AS "values"
FROM flagged
"""
