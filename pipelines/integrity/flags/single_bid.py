"""R018 single bid: exactly ``$bidders`` tenderer in a competitive (open or selective) method."""

QUERY = """
SELECT agency_code, project_id,
       format('{} bid received, method {}', number_of_bidders, method) AS detail
FROM procurement
WHERE list_contains($methods, method)
  AND number_of_bidders = $bidders
"""
