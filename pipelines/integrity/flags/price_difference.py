"""The price difference of TH-PRICE-REF and its IQR fences per (method, fiscal year).

difference = (reference_price − contract_value) / contract_value: Cardinal's R024 formula with
the reference price in place of the second-lowest bid (Cardinal's own R024 and R058 compare
bids: :mod:`.second_lowest_bid`). An outlier must also lie outside the box (below Q1): when
IQR = 0 the inclusive fence would otherwise flag every award at the group's typical value.
"""

from typing import Literal

_PRICED = """
WITH priced AS (
    SELECT agency_code, project_id, method, fiscal_year, contract_value, reference_price,
           (reference_price - contract_value) / contract_value AS difference
    FROM awards
    WHERE list_contains($methods, method)
      AND contract_value > 0
      AND reference_price > 0
),
fences AS (
    SELECT method, fiscal_year,
           quantile_cont(difference, 0.25) AS q1,
           quantile_cont(difference, 0.75) AS q3
    FROM priced
    GROUP BY method, fiscal_year
    HAVING count(*) >= $min_group_size
),
bounded AS (
    SELECT p.*, f.q1, f.q3,
           f.q1 - $iqr_multiplier * (f.q3 - f.q1) AS lower_fence,
           f.q3 + $iqr_multiplier * (f.q3 - f.q1) AS upper_fence
    FROM priced AS p JOIN fences AS f USING (method, fiscal_year)
)
"""

_OUTLIERS = {
    "lower": """
SELECT agency_code, project_id,
       format('price difference {:.2f}% at or below the lower fence {:.2f}% ({} FY{})',
              100 * difference, 100 * lower_fence, method, fiscal_year) AS detail,
       to_json({'contract_value': contract_value, 'reference_price': reference_price,
                'difference': difference, 'q1': q1, 'q3': q3,
                'lower_fence': lower_fence})::VARCHAR AS "values"
FROM bounded
WHERE difference <= lower_fence AND difference < q1
""",
}


def outlier_query(fence: Literal["lower"]) -> str:
    """The query flagging awards beyond the ``fence`` of their group."""
    return _PRICED + _OUTLIERS[fence]
