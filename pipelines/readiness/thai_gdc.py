"""The national catalog's required fields: each dataset on the portal checked against the fields
data.go.th's dataset form (ckanext-thai_gdc) requires — present, and where the form validates
more than presence, a value it accepts (a listed choice, an e-mail address) — so agencies see
what would fail before the national catalog harvests them. Pure computation over CKAN package
dicts (as ``package_show`` / ``package_search`` return them); the field list, the accepted values
and their source are data (``datasets/ogp/mqa.yaml``, section ``thai_gdc``). Entry points:
:func:`check_package`, :func:`check_packages`, :func:`thai_gdc_figures`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure, figure, register_labels, share
from pipelines.readiness.mqa_rules import GdcField, ThaiGdcRules


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class MissingField(_Model):
    field: str  # e.g. "maintainer_email", or "resources[2].name"
    label_th: str
    label_en: str


class RejectedValue(_Model):
    """A required field whose value the form's validator refuses. ``values``: the refused
    choices (never the text of a pattern field such as an e-mail address)."""

    field: str
    label_th: str
    label_en: str
    values: list[str]
    reason_th: str
    reason_en: str


class DatasetCheck(_Model):
    name: str
    organization: str
    url: str
    missing: list[MissingField]
    rejected: list[RejectedValue] = []

    @property
    def complete(self) -> bool:
        return not self.missing and not self.rejected


class AgencyCheck(_Model):
    organization: str
    url: str
    datasets: int
    complete: int
    missing_by_field: dict[str, int]  # field -> datasets missing it
    rejected_by_field: dict[str, int] = {}  # field -> datasets whose value would be refused
    datasets_checked: list[DatasetCheck]


class CatalogCheck(_Model):
    datasets: list[DatasetCheck]
    agencies: dict[str, AgencyCheck]
    portal: AgencyCheck


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True


def _value(package: Mapping[str, Any], field: GdcField) -> Any:
    # package_show gives tags as a list; tag_string is what the form sends.
    if field.field == "tag_string":
        return package.get("tag_string") or [
            t for t in package.get("tags") or [] if _filled(t.get("name"))
        ]
    return package.get(field.field)


def _selected(value: Any, multiple: bool) -> list[str]:
    """The choices a value selects, as ckanext-scheming reads them: a list, a JSON list (how
    multiple choices are stored) or one text."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if multiple and text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            return [text]
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
    return [text]


def _rejected(field: GdcField, value: Any) -> RejectedValue | None:
    if field.choices is not None:
        refused = [v for v in _selected(value, field.multiple) if v not in field.choices]
        if refused:
            return RejectedValue(
                field=field.field,
                label_th=field.label_th,
                label_en=field.label_en,
                values=refused,
                reason_th="ไม่อยู่ในตัวเลือกที่ data.go.th รับ",
                reason_en="not one of the choices data.go.th accepts",
            )
    if field.pattern is not None and not re.match(field.pattern, str(value)):
        return RejectedValue(
            field=field.field,
            label_th=field.label_th,
            label_en=field.label_en,
            values=[],
            reason_th="รูปแบบไม่ถูกต้องตามที่ CKAN ตรวจ",
            reason_en="not in the form CKAN's validator accepts",
        )
    return None


def check_package(package: Mapping[str, Any], rules: ThaiGdcRules, portal_url: str) -> DatasetCheck:
    """The required fields a dataset lacks (empty text counts as missing) and the values the
    form would refuse; a resource without one of the resource fields is named by position."""
    missing: list[MissingField] = []
    rejected: list[RejectedValue] = []
    for field in rules.dataset_fields:
        value = _value(package, field)
        if not _filled(value):
            missing.append(
                MissingField(field=field.field, label_th=field.label_th, label_en=field.label_en)
            )
        elif (refused := _rejected(field, value)) is not None:
            rejected.append(refused)
    for index, resource in enumerate(package.get("resources") or []):
        missing += [
            MissingField(
                field=f"resources[{index}].{f.field}",
                label_th=f"{f.label_th} (ทรัพยากรลำดับที่ {index + 1})",
                label_en=f"{f.label_en} (resource {index + 1})",
            )
            for f in rules.resource_fields
            if not _filled(resource.get(f.field))
        ]
    name = package["name"]
    return DatasetCheck(
        name=name,
        organization=(package.get("organization") or {}).get("name", ""),
        url=f"{portal_url.rstrip('/')}/dataset/{name}",
        missing=missing,
        rejected=rejected,
    )


def _field_key(field: str) -> str:
    return "resources.name" if field.startswith("resources[") else field


def _count(fields_per_dataset: Iterable[Iterable[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for fields in fields_per_dataset:
        for key in dict.fromkeys(_field_key(f) for f in fields):
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _agency(organization: str, url: str, checks: Sequence[DatasetCheck]) -> AgencyCheck:
    return AgencyCheck(
        organization=organization,
        url=url,
        datasets=len(checks),
        complete=sum(1 for c in checks if c.complete),
        missing_by_field=_count([m.field for m in c.missing] for c in checks),
        rejected_by_field=_count([r.field for r in c.rejected] for c in checks),
        datasets_checked=list(checks),
    )


def check_packages(
    packages: Iterable[Mapping[str, Any]], rules: ThaiGdcRules, portal_url: str
) -> CatalogCheck:
    """Every dataset, per agency (its datasets complete of all, and how many miss each field
    or hold a refused value) and portal-wide."""
    base = portal_url.rstrip("/")
    checks = [check_package(p, rules, base) for p in packages]
    groups: dict[str, list[DatasetCheck]] = {}
    for check in checks:
        groups.setdefault(check.organization, []).append(check)
    return CatalogCheck(
        datasets=checks,
        agencies={
            org: _agency(org, f"{base}/organization/{org}", group)
            for org, group in sorted(groups.items())
        },
        portal=_agency("portal", base, checks),
    )


THAI_GDC_READY = "thai_gdc_ready"
THAI_GDC_MISSING = "thai_gdc_missing_fields"
THAI_GDC_REJECTED = "thai_gdc_rejected_values"
register_labels(
    {
        THAI_GDC_READY: (
            "ชุดข้อมูลที่ผ่านแบบฟอร์มของ data.go.th",
            "Datasets data.go.th's form would accept",
        ),
        THAI_GDC_MISSING: (
            "ฟิลด์ที่ data.go.th กำหนดแต่ยังขาด",
            "Fields data.go.th requires that are missing",
        ),
        THAI_GDC_REJECTED: (
            "ค่าที่แบบฟอร์มของ data.go.th ไม่รับ",
            "Values data.go.th's form would refuse",
        ),
    }
)


def _named(counts: Mapping[str, int], rules: ThaiGdcRules) -> tuple[str, str]:
    labels = {f.field: f for f in rules.dataset_fields}
    resource = rules.resource_fields[0] if rules.resource_fields else None
    named_th, named_en = [], []
    for key, count in counts.items():
        field = labels.get(key, resource)
        named_th.append(f"{field.label_th if field else key} {count} ชุด")
        plural = "dataset" if count == 1 else "datasets"
        named_en.append(f"{field.label_en if field else key}: {count} {plural}")
    return "; ".join(named_th), "; ".join(named_en)


def thai_gdc_figures(check: AgencyCheck, rules: ThaiGdcRules) -> dict[str, Figure]:
    """``thai_gdc_ready``: datasets with every required field present and accepted, of all
    datasets (n/N); ``thai_gdc_missing_fields`` and ``thai_gdc_rejected_values``: how many
    (dataset, field) pairs are missing or refused, the fields named in both languages."""
    evidence = [check.url, rules.source.url]
    ready = share(
        THAI_GDC_READY,
        check.complete,
        check.datasets,
        evidence,
        note_th=f"ตรวจตาม{rules.source.title_th}",
        note_en=f"checked against the {rules.source.title_en}",
    )
    missing_th, missing_en = _named(check.missing_by_field, rules)
    missing = figure(
        THAI_GDC_MISSING,
        sum(len(d.missing) for d in check.datasets_checked),
        "count",
        evidence,
        note_th=missing_th or "ไม่มีฟิลด์ที่ขาด",
        note_en=missing_en or "no field missing",
    )
    refused_th, refused_en = _named(check.rejected_by_field, rules)
    refused = figure(
        THAI_GDC_REJECTED,
        sum(len(d.rejected) for d in check.datasets_checked),
        "count",
        evidence,
        note_th=refused_th or "ไม่มีค่าที่ถูกปฏิเสธ",
        note_en=refused_en or "no value refused",
    )
    return {THAI_GDC_READY: ready, THAI_GDC_MISSING: missing, THAI_GDC_REJECTED: refused}
