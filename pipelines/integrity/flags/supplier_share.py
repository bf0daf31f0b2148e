"""TH-SUPPLIER-SHARE (Thai-specific) supplier share: one supplier holds more than
``$max_share`` of a buyer's award value in a fiscal year
(buyer-years with at least ``$min_buyer_awards`` awards). A supplier is the award's OCDS
supplier id: the juristic tax id, or an id of its own per award for a sole trader (whose citizen
id is masked, so two could share a mask)."""

QUERY = """
WITH valued AS (
    SELECT agency_code, fiscal_year, project_id, supplier_id, contract_value
    FROM awards
    WHERE supplier_id IS NOT NULL AND contract_value IS NOT NULL
),
buyer_years AS (
    SELECT agency_code, fiscal_year, sum(contract_value) AS total
    FROM valued
    GROUP BY agency_code, fiscal_year
    HAVING count(*) >= $min_buyer_awards AND sum(contract_value) > 0
),
shares AS (
    SELECT v.agency_code, v.fiscal_year, v.supplier_id,
           sum(v.contract_value) / any_value(b.total) AS share
    FROM valued AS v JOIN buyer_years AS b USING (agency_code, fiscal_year)
    GROUP BY v.agency_code, v.fiscal_year, v.supplier_id
)
SELECT v.agency_code, v.project_id,
       format('supplier holds {:.1f}% of the buyer''s FY{} award value (more than {:.1f}%)',
              100 * s.share, v.fiscal_year, 100 * $max_share) AS detail,
       to_json({'supplier_share': s.share, 'fiscal_year': v.fiscal_year,
                'contract_value': v.contract_value})::VARCHAR AS "values"
FROM valued AS v JOIN shares AS s USING (agency_code, fiscal_year, supplier_id)
WHERE s.share > $max_share
"""
