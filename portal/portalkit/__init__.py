"""Building blocks of portalctl: settings, processes, and one module per service."""
