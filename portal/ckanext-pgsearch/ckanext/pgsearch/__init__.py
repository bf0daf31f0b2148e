"""ckanext-pgsearch: PostgreSQL-backed package_search for CKAN 2.12 (no Solr needed)."""
