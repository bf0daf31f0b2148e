"""Contract value above budget (beyond a ``$tolerance`` fraction)."""

QUERY = """
SELECT agency_code, project_id,
       format('contract value {:,.2f} THB above budget {:,.2f} THB', contract_value, budget)
           AS detail
FROM awards
WHERE contract_value IS NOT NULL
  AND budget IS NOT NULL
  AND contract_value > budget * (1 + $tolerance)
"""
