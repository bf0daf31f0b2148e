"""Nothing personal reaches the real portal: a test agency of our own sends decisions (CSV and
XLSX), procurement and budget files full of disguised citizen IDs, phones and e-mails; the real
pipeline (the Dagster ``agency_job``, as ``ogp run`` runs it) publishes what its gate lets
through; then every published file (CSV per year, validation report JSON and HTML,
datapackage.json, OCDS release package, red flags) and every DataStore table of the agency is
downloaded and scanned with the guard's own normaliser and detector and with plain regular
expressions: no citizen ID, no phone number, no e-mail address.

Also a person's name whose applicant type is blank, and a winner tax id that is ``0066`` + a
mobile number (it fits no juristic-id pattern).

Contracts are copied into a temporary folder where the decisions and procurement privacy rules
say ``mask`` (so those partitions are published, masked); budget keeps ``block`` and carries a
phone in an amount column (so it is not published at all).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import ckanapi
import pytest
from stdnum.th import pin

from pipelines.settings import REPO_ROOT
from pipelines.validation.personal_text import detect
from tests.validation.personal_corpus import (
    UNMAPPED,
    Disguised,
    citizen_id,
    clean_decision,
    corpus,
    email,
    mobile,
    procurement_row,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.portal

BLANK_TYPE_NAME = "นายสมชาย ทดสอบไม่ระบุประเภท"
TEXT_COLUMNS = ["title", "legal_basis", "remarks", "applicant_name@juristic", UNMAPPED]
RUN_JOB = """
import json, sys
import dagster as dg
from pipelines.definitions import defs
result = defs.resolve_job_def("agency_job").execute_in_process(
    partition_key=sys.argv[1], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
)
print(json.dumps({"success": result.success}))
"""
# Identifiers the portal and the pipeline make (UUIDs, hex digests) are not personal data.
_HEX_IDS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,}"
    # sha256 prefixes as the reports print them; one starting with ten digits (about 1 input in
    # 100) reads as a mobile number to the plain expressions below
    r"|(?<=<code>)[0-9a-f]{12}(?=</code>)|(?<=\(raw )[0-9a-f]{12}(?=…\))"
)
PLAIN = {
    "citizen_id": re.compile(r"(?<![0-9])[1-8][0-9]{12}(?![0-9])"),
    "phone": re.compile(r"(?<![0-9])(?:0[689][0-9]{8}|0[2-57][0-9]{7}|66[689][0-9]{8})(?![0-9])"),
    # a masked address (s***@gmail.com) keeps its domain only
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
}


def decisions_files(drops: Path, agency: str) -> list[Disguised]:
    """The corpus in string columns, an unmapped column and juristic rows (CSV and XLSX)."""
    values = corpus()
    rows = []
    for index, value in enumerate(values):
        row = clean_decision(index + 1, agency)
        place = TEXT_COLUMNS[index % len(TEXT_COLUMNS)]
        if value.text.startswith(("http", "mailto:", "tel:")):
            place = "document_url"
        if place == "applicant_name@juristic":
            row["applicant_type"] = "juristic"
            row["applicant_name"] = f"บริษัท ตัวอย่าง จำกัด {value.text}"
        else:
            row[place] = value.text
        rows.append(row)
    # Enum violations holding personal data: quarantined rows whose cells the report names.
    extra = [
        ("outcome", Disguised("email", "ok [at] example [dot] com", "ok@example.com", "enum")),
        ("decision_type", Disguised("phone", "๐๙๑ ๒๒๒ ๓๓๓๓", "0912223333", "enum")),
    ]
    for column, value in extra:
        row = clean_decision(len(rows) + 1, agency)
        row[column] = value.text
        rows.append(row)
        values.append(value)
    # A person's name with the applicant type left blank: masked all the same (fails safe).
    row = clean_decision(len(rows) + 1, agency)
    row.update(applicant_type="", applicant_name=BLANK_TYPE_NAME)
    rows.append(row)
    half = len(rows) // 2
    write_csv(drops / "decisions_2567.csv", rows[:half])
    write_xlsx(drops / "decisions_2568.xlsx", rows[half:])
    return values


def procurement_file(drops: Path, agency: str) -> list[str]:
    person, phone, address = citizen_id(700), mobile(701), email(702)
    prefixed = "0066" + mobile(703)[1:]  # fits no juristic-id pattern: 0066 + a mobile
    rows = [
        procurement_row(1, agency_code=agency),
        procurement_row(2, agency_code=agency, project_name=f"จ้างเหมา ติดต่อ {phone}"),
        procurement_row(3, agency_code=agency, winner_tax_id=person, winner_name="นาย ก"),
        procurement_row(4, agency_code=agency, winner_name=f"ร้าน ข ({address})"),
        procurement_row(5, agency_code=agency),
        procurement_row(6, agency_code=agency, winner_tax_id=prefixed, winner_name="นาย ค"),
    ]
    write_csv(drops / "procurement_2567.csv", rows)
    return [person, phone, address, prefixed, mobile(703)]


def budget_file(drops: Path, agency: str) -> str:
    phone = mobile(800)
    header = ["budget_line_id", "fiscal_year", "agency_code", "plan", "programme"]
    header += ["economic_category", "allocated", "revised", "disbursed"]
    thai_phone = phone.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    line = ["2567", agency, "แผนงานพื้นฐาน", "ผลผลิต", "งบดำเนินงาน"]
    rows = [
        ["0125670001", *line, "1,000,000.00", "1,000,000.00", "500,000.00"],
        ["0125670002", *line, thai_phone, "1", "1"],  # a phone in an amount: cannot be masked
    ]
    with (drops / "budget_2567.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return phone


def sandbox(root: Path, agency: str) -> dict[str, str]:
    """Contracts for one test agency whose sources are our drops; decisions and procurement
    mask personal data (budget keeps blocking)."""
    datasets = root / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    registry = datasets / "agencies" / "agencies.csv"
    with registry.open(encoding="utf-8", newline="") as handle:
        template = next(csv.DictReader(handle))
    with registry.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        writer.writerow({**template, "agency_code": agency, "name_en": f"Privacy test {agency}"})
    for family in ("decisions", "procurement", "budget"):
        contract = datasets / family / "dataset.yaml"
        source = f'kind: file, path: "{root}/drops/{{agency}}/{family}_*"'
        text, count = re.subn(
            r"\nsources:\n(?:  .*\n)+",
            f"\nsources:\n  default: {{{source}}}\n",
            contract.read_text(),
        )
        assert count == 1
        if family != "budget":
            text = re.sub(r"(\n  default_action:) block", r"\1 mask", text)
            text = text.replace(
                "    - column: remarks\n      action: block",
                "    - column: remarks\n      action: mask",
            )
        contract.write_text(text, encoding="utf-8")
    return {
        "OGP_DATASETS_DIR": str(datasets),
        "OGP_DATA_DIR": str(root / "data"),
        "OGP_BUILD_DIR": str(root / "build"),
    }


def scan(text: str) -> list[tuple[str, str]]:
    """Personal data in a downloaded file, as (kind, what matched) — synthetic values only: the
    guard's detector line by line, and plain regular expressions over the whole text."""
    text = _HEX_IDS.sub("#", text)
    hits: list[tuple[str, str]] = [
        (str(found.kind), line[found.start : found.end])
        for line in text.splitlines()
        for found in detect(line)
    ]
    for kind, pattern in PLAIN.items():
        hits += [(kind, match.group()) for match in pattern.finditer(text)]
    # 13 digits that fail the check digit are not IDs (datapackage.json: a maximum 1000000000000)
    return [(kind, value) for kind, value in hits if kind != "citizen_id" or pin.is_valid(value)]


def download(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode("utf-8")


def published(anon: ckanapi.RemoteCKAN, name: str) -> dict[str, str]:
    """Every file of one dataset and every DataStore table, as text, by resource name."""
    package = anon.action.package_show(id=name)
    texts: dict[str, str] = {}
    for resource in package["resources"]:
        texts[resource["name"]] = download(resource["url"])
        if resource.get("datastore_active"):
            records = anon.action.datastore_search(resource_id=resource["id"], limit=32000)
            texts[f"datastore:{resource['name']}"] = json.dumps(
                records["records"], ensure_ascii=False
            )
    return texts


@pytest.mark.timeout(1200)
def test_nothing_personal_is_published(
    tmp_path: Path,
    ckan: ckanapi.RemoteCKAN,
    anon: ckanapi.RemoteCKAN,
    created: list[tuple[str, str]],
    run_id: str,
    ocds_schema_dir: Path,
) -> None:
    # letters only: the decision ids are "<AGENCY>-2567/<row>", and a run id ending in five
    # digits made some of them 13 digits with a valid check digit, read (and masked) as a
    # citizen ID: two masked ids became one primary key, and the publisher refused the dataset
    agency = "tpriv" + run_id.translate(str.maketrans("0123456789", "ghijklmnop"))
    drops = tmp_path / "drops" / agency
    drops.mkdir(parents=True)
    values = decisions_files(drops, agency)
    secrets = [value.canonical for value in values]
    secrets += procurement_file(drops, agency)
    secrets.append(budget_file(drops, agency))
    env = sandbox(tmp_path, agency)
    created.append(("organization", agency))
    created += [("dataset", f"{agency}-{family}") for family in ("decisions", "procurement")]
    created.append(("dataset", f"{agency}-budget"))
    ckan.action.organization_create(name=agency, title=f"Privacy test {agency}")

    process = subprocess.run(
        [sys.executable, "-c", RUN_JOB, agency],
        cwd=REPO_ROOT,
        env={**_environ(), **env, "OGP_OCDS_SCHEMA_DIR": str(ocds_schema_dir)},
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert process.returncode == 0, process.stderr[-3000:]

    # The gate ran on every partition: decisions and procurement published masked, budget not.
    data = Path(env["OGP_DATA_DIR"]) / "validation"
    decisions_report = json.loads((data / "decisions" / agency / "report.json").read_text())
    actions = {f["action"] for f in decisions_report["privacy"]["findings"]}
    assert actions == {"mask", "not_published"}
    assert len(decisions_report["privacy"]["findings"]) >= len(values)
    redacted = [e for e in decisions_report["schema"]["errors"] if e.get("cellRedacted")]
    assert {e["fieldName"] for e in redacted} == {"outcome", "decision_type"}
    assert decisions_report["status"] == "quarantined"
    budget_report = json.loads((data / "budget" / agency / "report.json").read_text())
    assert budget_report["status"] == "blocked"
    with pytest.raises(ckanapi.NotFound):
        anon.action.package_show(id=f"{agency}-budget")

    files: dict[str, str] = {}
    for family in ("decisions", "procurement"):
        for name, text in published(anon, f"{agency}-{family}").items():
            files[f"{family}/{name}"] = text
    names = set(files)
    assert any(n.startswith("decisions/") and n.endswith(".csv") for n in names), names
    assert any(n.startswith("decisions/datastore:") for n in names), names
    assert any("ocds" in n for n in names), names
    assert {"decisions/validation-report.json", "decisions/validation-report.html"} <= names
    assert "procurement/datapackage.json" in names
    masked = "".join(files.values())
    for form in ("xxxxxxxx", "***@", "-xxxx-xxxxx-xx-"):  # the data is there, masked
        assert form in masked

    found = {name: scan(text) for name, text in files.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    for secret in [*secrets, BLANK_TYPE_NAME]:
        assert all(secret not in text for text in files.values()), secret


def _environ() -> dict[str, str]:
    import os

    environ = dict(os.environ)
    for name in ("OGP_DATASETS_DIR", "OGP_DATA_DIR", "OGP_BUILD_DIR", "OGP_CKAN_TOKEN"):
        environ.pop(name, None)
    return environ


def test_a_digest_prefix_in_a_report_is_not_taken_for_a_phone() -> None:
    """The input's sha256 prefix in the HTML report (``<code>…</code>``) and in a file-level error
    (``(raw …)``) may start with ten digits; a phone number beside them is still found."""
    report = (
        "input sha256 <code>0892561248ab</code> · budget.csv (raw 0812345678cd…), row 3: "
        "โทร 0898765432"
    )
    assert scan(report) == [("phone", "0898765432"), ("phone", "0898765432")]
