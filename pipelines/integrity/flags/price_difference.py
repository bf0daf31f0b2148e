"""The price difference shared by R024 and R058, and its IQR fences per (method, fiscal year).

difference = (reference_price − contract_value) / contract_value, Cardinal's formula with the
reference price standing in for the second-lowest bid, which the clean table does not hold.
An outlier must also lie outside the box (below Q1, above Q3): when IQR = 0 the inclusive
fences would otherwise flag every award at the group's typical value.
"""

from typing import Literal

_PRICED = """
WITH priced AS (
    SELECT agency_code, project_id, method, fiscal_year,
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
              100 * difference, 100 * lower_fence, method, fiscal_year) AS detail
FROM bounded
WHERE difference <= lower_fence AND difference < q1
""",
    "upper": """
SELECT agency_code, project_id,
       format('price difference {:.2f}% at or above the upper fence {:.2f}% ({} FY{})',
              100 * difference, 100 * upper_fence, method, fiscal_year) AS detail
FROM bounded
WHERE difference >= upper_fence AND difference > q3
""",
}


def outlier_query(fence: Literal["lower", "upper"]) -> str:
    """The query flagging awards beyond the ``fence`` of their group."""
    return _PRICED + _OUTLIERS[fence]
