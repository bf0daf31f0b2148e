"""TH-ABOVE-BUDGET (Thai-specific): contract value above the budget (beyond ``$tolerance``)."""

QUERY = """
SELECT agency_code, project_id,
       format('contract value {:,.2f} THB above budget {:,.2f} THB', contract_value, budget)
           AS detail,
       to_json({'contract_value': contract_value, 'budget': budget,
                'over_budget': (contract_value - budget) / budget})::VARCHAR AS "values"
FROM awards
WHERE contract_value IS NOT NULL
  AND budget IS NOT NULL
  AND contract_value > budget * (1 + $tolerance)
"""
