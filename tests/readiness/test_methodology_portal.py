"""methodology.yaml's ``portal:`` block holds only rules the code uses (issue 15, L4): timeliness
is by content (timeliness.yaml), so the keys of the old metadata_modified rule are gone, and a
file that still carries one is refused, never loaded and ignored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.readiness.methodology import MethodologyError, OgpConfig, load_config

from .conftest import OGP_DIR

OLD_KEYS = ("frequency_unit_days", "family_update_days", "grace_days")


def test_the_portal_block_has_no_timeliness_keys(config: OgpConfig) -> None:
    shipped = yaml.safe_load((OGP_DIR / "methodology.yaml").read_text("utf-8"))["portal"]
    assert not set(OLD_KEYS) & set(shipped)
    assert "metadata_modified is no older" not in (OGP_DIR / "methodology.yaml").read_text("utf-8")
    assert set(config.methodology.portal.model_dump()) == set(shipped)


@pytest.mark.parametrize("key", OLD_KEYS)
def test_an_unused_timeliness_key_is_refused(tmp_path: Path, key: str) -> None:
    target = tmp_path / "ogp"
    shutil.copytree(OGP_DIR, target)
    path = target / "methodology.yaml"
    document = yaml.safe_load(path.read_text("utf-8"))
    document["portal"][key] = 15
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(MethodologyError, match=f"portal.{key}"):
        load_config(target)
