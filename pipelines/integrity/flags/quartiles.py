"""Quartiles as Cardinal computes them (the Rust ``statrs`` crate's order statistics: the R-8,
approximately median-unbiased, estimator), as DuckDB macros over a list.

For n sorted values x_1..x_n and a probability p: h = (n + 1/3) p + 1/3; the quantile is x_1
when h < 1, x_n when h >= n, else x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋). Cardinal's R024 example
(differences 1, 99, 99, 99, 99) gives Q1 = 66.33 and flags only the 1; DuckDB's
``quantile_cont`` (R-7) would give Q1 = Q3 = 99 and flag all five.
"""

MACROS = (
    "CREATE OR REPLACE MACRO r8_h(n, p) AS (n + 1.0 / 3) * p + 1.0 / 3",
    "CREATE OR REPLACE MACRO r8_at(xs, i) AS list_sort(xs)[CAST(i AS BIGINT)]",
    """CREATE OR REPLACE MACRO r8(xs, p) AS CASE
        WHEN xs IS NULL OR len(xs) = 0 THEN NULL
        WHEN r8_h(len(xs), p) < 1 THEN r8_at(xs, 1)
        WHEN r8_h(len(xs), p) >= len(xs) THEN r8_at(xs, len(xs))
        ELSE r8_at(xs, floor(r8_h(len(xs), p)))
             + (r8_h(len(xs), p) - floor(r8_h(len(xs), p)))
             * (r8_at(xs, floor(r8_h(len(xs), p)) + 1) - r8_at(xs, floor(r8_h(len(xs), p))))
    END""",
)
