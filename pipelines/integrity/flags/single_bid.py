"""R018 single bid received (Cardinal): tender.numberOfTenderers (the procurement row's
number_of_bidders, the field the OCDS export writes it from, bid rows or not) is 1 and the OCDS
procurement method is in ``$procurement_methods`` (competitive: open and selective by default)."""

QUERY = """
SELECT agency_code, project_id,
       format('1 tenderer, procurement method {}', ocds_method) AS detail,
       to_json({'number_of_tenderers': number_of_tenderers,
                'procurement_method': ocds_method})::VARCHAR AS "values"
FROM processes
WHERE list_contains($procurement_methods, ocds_method)
  AND number_of_tenderers = 1
"""
