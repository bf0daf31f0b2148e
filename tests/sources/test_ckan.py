"""The ckan connector against the real local CKAN portal (tests/conftest.py)."""

import ckanapi
import pytest

from pipelines.contracts import CkanSource
from pipelines.sources import ckan
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandingArea

pytestmark = pytest.mark.portal

CSV = "เลขที่โครงการ,ชื่อโครงการ\n67000000001,จ้างขุดลอกคลอง\n".encode()


@pytest.fixture
def remote_dataset(ckan_portal, run_id, tmp_path):
    """An organization + dataset with one CSV upload and one PDF on the portal."""
    api = ckanapi.RemoteCKAN(ckan_portal.url, apikey=ckan_portal.token)
    org = api.action.organization_create(name=f"src-{run_id}", title="แหล่งข้อมูลทดสอบ")
    name = f"src-procurement-{run_id}"
    api.action.package_create(name=name, title="จัดซื้อจัดจ้าง", owner_org=org["id"])
    upload = tmp_path / "procurement.csv"
    upload.write_bytes(CSV)
    with upload.open("rb") as handle:
        api.action.resource_create(
            package_id=name, name="procurement.csv", format="CSV", upload=handle
        )
    api.action.resource_create(
        package_id=name, name="report", format="PDF", url="http://example.invalid/r.pdf"
    )
    yield name
    api.action.dataset_purge(id=name)
    api.action.organization_purge(id=org["id"])


def test_pulls_the_csv_resources_of_a_dataset(ckan_portal, remote_dataset, tmp_path):
    landing = LandingArea(tmp_path, "procurement", "rid")
    source = CkanSource(url=ckan_portal.url, dataset=remote_dataset, formats=["CSV"])
    (landed,) = ckan.pull(source, landing)
    assert landed.path.read_bytes() == CSV
    assert landed.path.suffix == ".csv"
    assert f"/dataset/{remote_dataset}/resource/" in landed.provenance.source
    again = ckan.pull(source, landing)
    assert [file.path for file in again] == [landed.path]
    assert not again[0].new


def test_unknown_dataset_is_a_clear_error(ckan_portal, run_id, tmp_path):
    source = CkanSource(url=ckan_portal.url, dataset=f"nothing-{run_id}")
    with pytest.raises(SourceError, match="not found"):
        ckan.pull(source, LandingArea(tmp_path, "procurement", "rid"))


def test_a_resource_on_a_host_not_allowed_is_refused(ckan_portal, remote_dataset, tmp_path):
    source = CkanSource(url=ckan_portal.url, dataset=remote_dataset, formats=["PDF"])
    with pytest.raises(SourceError, match=r"example\.invalid' is not in the allowed hosts"):
        ckan.pull(source, LandingArea(tmp_path, "procurement", "rid"))
