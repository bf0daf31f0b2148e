"""The national catalog's required fields: each dataset on the portal checked against the fields
data.go.th's dataset form (ckanext-thai_gdc) requires, so agencies see what would fail before the
national catalog harvests them. Pure computation over CKAN package dicts (as ``package_show`` /
``package_search`` return them); the field list and its source are data (``datasets/ogp/mqa.yaml``,
section ``thai_gdc``). Entry points: :func:`check_package`, :func:`check_packages`,
:func:`thai_gdc_figures`.
"""

from __future__ import annotations

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


class DatasetCheck(_Model):
    name: str
    organization: str
    url: str
    missing: list[MissingField]

    @property
    def complete(self) -> bool:
        return not self.missing


class AgencyCheck(_Model):
    organization: str
    url: str
    datasets: int
    complete: int
    missing_by_field: dict[str, int]  # field -> datasets missing it
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


def check_package(package: Mapping[str, Any], rules: ThaiGdcRules, portal_url: str) -> DatasetCheck:
    """The required fields a dataset lacks (empty text counts as missing); a resource without
    one of the resource fields is named by its position."""
    missing = [
        MissingField(field=f.field, label_th=f.label_th, label_en=f.label_en)
        for f in rules.dataset_fields
        if not _filled(_value(package, f))
    ]
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
    )


def _field_key(field: str) -> str:
    return "resources.name" if field.startswith("resources[") else field


def _agency(organization: str, url: str, checks: Sequence[DatasetCheck]) -> AgencyCheck:
    by_field: dict[str, int] = {}
    for check in checks:
        for key in dict.fromkeys(_field_key(m.field) for m in check.missing):
            by_field[key] = by_field.get(key, 0) + 1
    return AgencyCheck(
        organization=organization,
        url=url,
        datasets=len(checks),
        complete=sum(1 for c in checks if c.complete),
        missing_by_field=dict(sorted(by_field.items())),
        datasets_checked=list(checks),
    )


def check_packages(
    packages: Iterable[Mapping[str, Any]], rules: ThaiGdcRules, portal_url: str
) -> CatalogCheck:
    """Every dataset, per agency (its datasets complete of all, and how many miss each field)
    and portal-wide."""
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
register_labels(
    {
        THAI_GDC_READY: (
            "ชุดข้อมูลที่มีฟิลด์ครบตามที่ data.go.th กำหนด",
            "Datasets with every field data.go.th requires",
        ),
        THAI_GDC_MISSING: (
            "ฟิลด์ที่ data.go.th กำหนดแต่ยังขาด",
            "Fields data.go.th requires that are missing",
        ),
    }
)


def thai_gdc_figures(check: AgencyCheck, rules: ThaiGdcRules) -> dict[str, Figure]:
    """``thai_gdc_ready``: datasets with every required field of all datasets (n/N);
    ``thai_gdc_missing_fields``: how many (dataset, field) pairs are missing, with the fields
    named in both languages in the notes."""
    evidence = [check.url, rules.source.url]
    labels = {f.field: f for f in rules.dataset_fields}
    resource = rules.resource_fields[0] if rules.resource_fields else None
    named_th, named_en = [], []
    for key, count in check.missing_by_field.items():
        field = labels.get(key, resource)
        th = field.label_th if field else key
        en = field.label_en if field else key
        named_th.append(f"{th} {count} ชุด")
        named_en.append(f"{en}: {count} datasets")
    ready = share(
        THAI_GDC_READY,
        check.complete,
        check.datasets,
        evidence,
        note_th=f"ตรวจตาม{rules.source.title_th}",
        note_en=f"checked against the {rules.source.title_en}",
    )
    total = sum(len(d.missing) for d in check.datasets_checked)
    missing = figure(
        THAI_GDC_MISSING,
        total,
        "count",
        evidence,
        note_th="; ".join(named_th) or "ไม่มีฟิลด์ที่ขาด",
        note_en="; ".join(named_en) or "no field missing",
    )
    return {THAI_GDC_READY: ready, THAI_GDC_MISSING: missing}
