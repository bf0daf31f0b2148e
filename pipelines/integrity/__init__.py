"""Procurement integrity: OCDS 1.1 export and validation, and procurement red flags."""
