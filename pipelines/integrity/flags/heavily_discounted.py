"""R058 heavily discounted: the price difference is a high outlier (upper IQR fence)."""

from pipelines.integrity.flags.price_difference import outlier_query

QUERY = outlier_query("upper")
