"""R024 price close to winning bid and R058 heavily discounted bid (Cardinal): the difference
between the second-lowest valid bid and the winning bid, relative to the winning bid, is a low
(R024) or a high (R058) outlier among the processes checked together.

Per process with an active award (status awarded or contracted; the export has one award with
one supplier): among the valid bids with an amount and a tenderer id, the winning bid is the
lowest bid of the award's supplier, the second-lowest the lowest bid of any other tenderer;
difference = (second − winning) / winning, kept when second ≥ winning (else the award was not on
price alone) and winning > 0. Q1, Q3: Cardinal's quartiles (:mod:`.quartiles`) of the
differences. R024 flags difference ≤ Q1 − 1.5 IQR, only when Q1 > 0 and that fence > 0; R058
flags difference ≥ Q3 + 1.5 IQR when that fence > 0. ``$threshold`` (a number) replaces the
computed fence, as in Cardinal.

This project's deviation: Cardinal draws the quartiles over the whole dataset it is given; here
the peers are one agency's processes, which can be one or two. A computed fence (``$threshold``
null) therefore needs at least ``minimum_processes`` peers and some spread (Q1 < Q3; with Q1 = Q3
both fences equal the common difference and R024 and R058 would flag the same processes);
otherwise the flag is "not computable" for the agency (:data:`POPULATION` gives the count and
quartiles), never both contradictory flags on one process.
"""

from typing import Literal

_RATIOS = """
WITH valid AS (
    SELECT a.agency_code, a.project_id, a.supplier_id, b.tenderer_id, b.bid_amount
    FROM awards AS a JOIN bids AS b USING (agency_code, project_id)
    WHERE b.bid_status = 'valid' AND b.tenderer_id IS NOT NULL AND b.bid_amount IS NOT NULL
),
pairs AS (
    SELECT agency_code, project_id,
           min(bid_amount) FILTER (WHERE tenderer_id = supplier_id) AS winning_bid,
           min(bid_amount) FILTER (WHERE tenderer_id <> supplier_id) AS second_bid
    FROM valid
    GROUP BY agency_code, project_id
),
ratios AS (
    SELECT *, (second_bid - winning_bid) / winning_bid AS difference
    FROM pairs
    WHERE winning_bid > 0 AND second_bid >= winning_bid
),
quartiles AS (
    SELECT r8(list(difference), 0.25) AS q1, r8(list(difference), 0.75) AS q3 FROM ratios
)
"""

_OUTLIERS = {
    "low": """,
fenced AS (
    SELECT r.*, q.q1, q.q3,
           coalesce(CAST($threshold AS DOUBLE), q.q1 - 1.5 * (q.q3 - q.q1)) AS fence,
           CASE WHEN $threshold IS NULL THEN q.q1 ELSE 1.0 END AS guard
    FROM ratios AS r, quartiles AS q
)
SELECT agency_code, project_id,
       format('second-lowest valid bid {:.2f}% above the winning bid, at or below the lower '
              'fence {:.2f}%', 100 * difference, 100 * fence) AS detail,
       to_json({'winning_bid': winning_bid, 'second_lowest_valid_bid': second_bid,
                'difference': difference, 'q1': q1, 'q3': q3,
                'lower_fence': fence})::VARCHAR AS "values"
FROM fenced
WHERE guard > 0 AND fence > 0 AND difference <= fence
""",
    "high": """,
fenced AS (
    SELECT r.*, q.q1, q.q3,
           coalesce(CAST($threshold AS DOUBLE), q.q3 + 1.5 * (q.q3 - q.q1)) AS fence
    FROM ratios AS r, quartiles AS q
)
SELECT agency_code, project_id,
       format('second-lowest valid bid {:.2f}% above the winning bid, at or above the upper '
              'fence {:.2f}%', 100 * difference, 100 * fence) AS detail,
       to_json({'winning_bid': winning_bid, 'second_lowest_valid_bid': second_bid,
                'difference': difference, 'q1': q1, 'q3': q3,
                'upper_fence': fence})::VARCHAR AS "values"
FROM fenced
WHERE fence > 0 AND difference >= fence
""",
}


def outlier_query(side: Literal["low", "high"]) -> str:
    """R024 (``low``) or R058 (``high``)."""
    return _RATIOS + _OUTLIERS[side]


POPULATION = _RATIOS + "SELECT (SELECT count(*) FROM ratios), q1, q3 FROM quartiles"  # noqa: S608 - constants
CLOSE_QUERY = outlier_query("low")
DISCOUNTED_QUERY = outlier_query("high")
