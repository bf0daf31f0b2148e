"""Make the real-portal fixture (tests/portal/conftest.py, a colleague's) usable here."""

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "portal_fixtures", Path(__file__).resolve().parents[1] / "portal" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_portal = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _portal  # its dataclasses look their module up
_spec.loader.exec_module(_portal)

ckan_portal = _portal.ckan_portal
run_id = _portal.run_id
