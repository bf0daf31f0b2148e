"""CKAN plugin ``pgsearch``: serve dataset search from PostgreSQL instead of Solr."""

from __future__ import annotations

from typing import Any

import ckan.plugins as plugins

from . import backend


class PgSearchPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)

    def update_config(self, config: Any) -> None:
        # update_config runs before load_environment's Solr schema check, so the hooks are in
        # place before CKAN would first try to reach Solr.
        backend.install()
