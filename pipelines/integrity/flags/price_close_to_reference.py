"""TH-PRICE-REF (Thai-specific): the winning price is unusually close to, or above, the
reference price (ราคากลาง), a low outlier of (reference − contract) / contract per (method,
fiscal year). The OCDS view: tender.value against awards[].value."""

from pipelines.integrity.flags.price_difference import outlier_query

QUERY = outlier_query("lower")
