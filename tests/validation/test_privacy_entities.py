"""The column guard (``privacy._hits`` selects cells with ``candidates``) finds a phone number
split by ``&nbsp;`` (text copied from a web page) in a published text column, as it finds one
split by spaces (a review: it used to be published as written). ``ogp validate --json`` on a
generated procurement file: file row 2 holds the phone with spaces, row 3 the same phone with
``&nbsp;``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.validation.personal_text import mask_text
from tests.commands.test_validate_exit import _csv, _row

OGP = Path(sys.executable).with_name("ogp")
PLAIN = "ติดต่อ 081 234 5678"
ENTITY = "ติดต่อ 081&nbsp;234&nbsp;5678"


@pytest.mark.timeout(300)
def test_a_phone_split_by_nbsp_entities_in_a_published_column_is_found(tmp_path: Path) -> None:
    assert mask_text(ENTITY) != ENTITY  # the detector reads a phone in it
    rows = [_row(1, project_name=PLAIN), _row(2, project_name=ENTITY), _row(3)]
    path = _csv(tmp_path, rows)
    done = subprocess.run(
        [str(OGP), "validate", str(path), "--dataset", "procurement", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    report = json.loads(done.stdout)
    found = {(f["rowNumber"], f["column"]) for f in report["privacy"]["findings"]}
    assert (2, "project_name") in found, report["privacy"]  # the control (file row 2)
    assert (3, "project_name") in found, report["privacy"]  # the &nbsp; phone (file row 3)
