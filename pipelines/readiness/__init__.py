"""OGP readiness: methodology as data, indicators read back from the portal, the report."""
