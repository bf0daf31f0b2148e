"""R024 price close to the reference: the price difference is a low outlier (lower IQR fence)."""

from pipelines.integrity.flags.price_difference import outlier_query

QUERY = outlier_query("lower")
