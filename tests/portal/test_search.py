"""package_search on the real portal, served by ckanext-pgsearch from PostgreSQL.

One small catalog per test run (names carry the run id, every dataset carries the tag
``run-<id>``) so the assertions can be exact even on a portal full of other data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import ckanapi
import pytest
import requests

FACETS = ["organization", "tags", "res_format", "license_id", "groups"]


class Catalog:
    def __init__(self, ckan: ckanapi.RemoteCKAN, rid: str, created: list[tuple[str, str]]) -> None:
        self.rid = rid
        self.started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.finance = f"t-{rid}-finance"
        self.health = f"t-{rid}-health"
        self.group = f"g-{rid}"
        self.tag = f"run-{rid}"
        ckan.action.organization_create(name=self.finance, title="กรมบัญชีกลาง")
        ckan.action.organization_create(name=self.health, title="กรมควบคุมโรค")
        ckan.action.group_create(name=self.group, title="กลุ่มการคลัง")
        created.extend(
            [("organization", self.finance), ("organization", self.health), ("group", self.group)]
        )
        self.admin_id = ckan.action.user_show(id="ogp_admin")["id"]
        self.ids: dict[str, str] = {}

        def create(key: str, **data: Any) -> None:
            data.setdefault("license_id", "cc-by")
            data["tags"] = [{"name": self.tag}] + [{"name": t} for t in data.pop("extra_tags", [])]
            pkg = ckan.action.package_create(name=f"{key}-{rid}", **data)
            created.append(("dataset", pkg["name"]))
            self.ids[key] = pkg["id"]

        create(
            "budget",
            title="งบประมาณรายจ่ายประจำปี 2567",
            owner_org=self.finance,
            extra_tags=[f"budget-{rid}"],
            groups=[{"name": self.group}],
            data_type="ข้อมูลสถิติ",
            update_frequency_unit="ปี",
            resources=[{"name": "budget.csv", "url": "http://example.org/b.csv", "format": "CSV"}],
        )
        create(
            "procure",
            title="ข้อมูลการจัดซื้อจัดจ้าง",
            owner_org=self.finance,
            notes="โครงการจัดซื้อจากงบประมาณปี 2566",
            license_id="odc-odbl",
            extra_tags=["procurement"],
            resources=[
                {"name": "p.json", "url": "http://example.org/p.json", "format": "JSON"},
                {"name": "p.csv", "url": "http://example.org/p.csv", "format": "CSV"},
            ],
        )
        create(
            "disease",
            title="Disease Surveillance Report",
            owner_org=self.health,
            notes="weekly figures",
            resources=[
                {"name": "รายงานโรคไข้เลือดออก", "url": "http://example.org/d.xlsx", "format": "XLSX"}
            ],
        )
        create("alpha", title="Alpha open data", owner_org=self.health, notes="plain")
        create("secret", title="งบประมาณลับ", owner_org=self.health, private=True)
        create("draft", title="ร่างงบประมาณ", owner_org=self.finance, state="draft")

    def name(self, key: str) -> str:
        return f"{key}-{self.rid}"

    def names(self, *keys: str) -> set[str]:
        return {self.name(k) for k in keys}


@pytest.fixture(scope="module")
def catalog(ckan: ckanapi.RemoteCKAN, run_id: str, created: list[tuple[str, str]]) -> Catalog:
    return Catalog(ckan, run_id, created)


def search(client: ckanapi.RemoteCKAN, catalog: Catalog, **params: Any) -> dict[str, Any]:
    """package_search limited to this run's datasets."""
    fq = f"tags:{catalog.tag}" + (f" AND ({params.pop('fq')})" if "fq" in params else "")
    params.setdefault("rows", 100)
    return client.action.package_search(fq=fq, **params)  # type: ignore[no-any-return]


def names(result: dict[str, Any]) -> set[str]:
    return {p["name"] for p in result["results"]}


def facet(result: dict[str, Any], field: str) -> dict[str, int]:
    return {i["name"]: i["count"] for i in result["search_facets"][field]["items"]}


# -- free text ---------------------------------------------------------------------------------


def test_thai_free_text_matches_title_and_notes(ckan, catalog):
    result = search(ckan, catalog, q="งบประมาณ")
    # title of "budget", notes of "procure"; private and draft ones stay hidden by default
    assert names(result) == catalog.names("budget", "procure")
    assert result["count"] == 2


def test_free_text_ranks_title_matches_first(ckan, catalog):
    result = search(ckan, catalog, q="งบประมาณ")
    assert result["results"][0]["name"] == catalog.name("budget")


def test_free_text_searches_resource_names_case_insensitively(ckan, catalog):
    assert names(search(ckan, catalog, q="ไข้เลือดออก")) == catalog.names("disease")
    assert names(search(ckan, catalog, q="SURVEILLANCE")) == catalog.names("disease")


def test_free_text_terms_are_anded(ckan, catalog):
    assert names(search(ckan, catalog, q="alpha data")) == catalog.names("alpha")
    assert names(search(ckan, catalog, q="alpha surveillance")) == set()


def test_free_text_matches_tags_and_catalog_fields(ckan, catalog):
    assert names(search(ckan, catalog, q="procurement")) == catalog.names("procure")
    assert names(search(ckan, catalog, q="ข้อมูลสถิติ")) == catalog.names("budget")


def test_no_match_returns_empty(ckan, catalog):
    result = search(ckan, catalog, q="ไม่มีคำนี้แน่นอน")
    assert result["count"] == 0
    assert result["results"] == []


# -- results are the current, validated dataset dicts ------------------------------------------


def test_results_are_validated_package_dicts(ckan, catalog):
    (pkg,) = search(ckan, catalog, fq=f"name:{catalog.name('budget')}")["results"]
    shown = ckan.action.package_show(id=catalog.name("budget"))
    assert pkg["data_type"] == "ข้อมูลสถิติ"  # scheming field at top level, as package_show
    assert pkg["organization"]["name"] == catalog.finance
    assert pkg["resources"][0]["format"] == "CSV"
    assert pkg["metadata_modified"] == shown["metadata_modified"]


def test_updates_and_deletes_are_searchable_at_once(ckan, catalog, run_id, created):
    name = f"changing-{run_id}"
    created.append(("dataset", name))
    ckan.action.package_create(
        name=name, title="ชื่อเดิม", owner_org=catalog.health, tags=[{"name": catalog.tag}]
    )
    ckan.action.package_patch(id=name, title="ชื่อใหม่ล่าสุด")
    result = search(ckan, catalog, q="ชื่อใหม่ล่าสุด")
    assert [p["title"] for p in result["results"]] == ["ชื่อใหม่ล่าสุด"]
    assert search(ckan, catalog, q="ชื่อเดิม")["count"] == 0
    ckan.action.package_delete(id=name)
    assert search(ckan, catalog, fq=f"name:{name}")["count"] == 0


# -- facets ------------------------------------------------------------------------------------


def test_facet_counts(ckan, catalog):
    result = search(ckan, catalog, **{"facet.field": FACETS})
    assert facet(result, "organization") == {catalog.finance: 2, catalog.health: 2}
    assert facet(result, "res_format") == {"CSV": 2, "JSON": 1, "XLSX": 1}
    assert facet(result, "license_id") == {"cc-by": 3, "odc-odbl": 1}
    assert facet(result, "groups") == {catalog.group: 1}
    tags = facet(result, "tags")
    assert tags[catalog.tag] == 4
    assert tags["procurement"] == 1
    assert tags[f"budget-{catalog.rid}"] == 1
    orgs = {i["name"]: i["display_name"] for i in result["search_facets"]["organization"]["items"]}
    assert orgs[catalog.finance] == "กรมบัญชีกลาง"


def test_facet_limit_keeps_the_most_frequent(ckan, catalog):
    result = search(ckan, catalog, **{"facet.field": ["tags"], "facet.limit": 1})
    assert facet(result, "tags") == {catalog.tag: 4}


def test_facets_follow_the_query(ckan, catalog):
    result = search(ckan, catalog, q="งบประมาณ", **{"facet.field": ["organization"]})
    assert facet(result, "organization") == {catalog.finance: 2}


# -- fq forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:{finance}", {"budget", "procure"}),
        ('organization:"{health}"', {"disease", "alpha"}),
        ("-organization:{finance}", {"disease", "alpha"}),
        ("NOT organization:{finance}", {"disease", "alpha"}),
        ("res_format:(JSON OR XLSX)", {"procure", "disease"}),
        ("res_format:CSV AND license_id:cc-by", {"budget"}),
        ("+res_format:CSV +license_id:odc-odbl", {"procure"}),
        ("res_format:CSV OR organization:{health}", {"budget", "procure", "disease", "alpha"}),
        ("tags:budget-{rid}", {"budget"}),
        ("groups:{group}", {"budget"}),
        ('data_type:"ข้อมูลสถิติ"', {"budget"}),
        ("update_frequency_unit:ปี", {"budget"}),
        ("capacity:public", {"budget", "procure", "disease", "alpha"}),
        ("dataset_type:dataset AND type:dataset", {"budget", "procure", "disease", "alpha"}),
        ("name:alpha-{rid}", {"alpha"}),
        ("name:alpha-*", {"alpha"}),
        ("title:surveillance", {"disease"}),
        ("creator_user_id:{admin}", {"budget", "procure", "disease", "alpha"}),
        ("metadata_modified:[{started} TO *]", {"budget", "procure", "disease", "alpha"}),
        ("metadata_created:[* TO 2000-01-01T00:00:00Z]", set()),
        ("metadata_modified:[NOW-1DAY TO NOW+1DAY]", {"budget", "procure", "disease", "alpha"}),
        ("num_resources:[2 TO *]", {"procure"}),
        ("organization:*", {"budget", "procure", "disease", "alpha"}),
    ],
)
def test_fq_forms(ckan, catalog, fq, expected):
    fq = fq.format(
        finance=catalog.finance,
        health=catalog.health,
        rid=catalog.rid,
        group=catalog.group,
        admin=catalog.admin_id,
        started=catalog.started,
    )
    assert names(search(ckan, catalog, fq=fq)) == catalog.names(*expected)


def test_fq_by_id(ckan, catalog):
    result = search(ckan, catalog, fq=f'id:"{catalog.ids["alpha"]}"')
    assert names(result) == catalog.names("alpha")


def test_invalid_query_is_a_search_error_not_a_crash(ckan, catalog):
    # the same error type CKAN raises for a query Solr rejects
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="metadata_modified:[not-a-date TO *]")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="organization:(unbalanced")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="name sideways")


# -- sort and paging ---------------------------------------------------------------------------


def test_sort_by_name_and_title(ckan, catalog):
    public = sorted(catalog.names("budget", "procure", "disease", "alpha"))
    result = search(ckan, catalog, sort="name asc")
    assert [p["name"] for p in result["results"]] == public
    result = search(ckan, catalog, sort="name desc")
    assert [p["name"] for p in result["results"]] == public[::-1]
    titles = [p["title"] for p in search(ckan, catalog, sort="title_string asc")["results"]]
    assert titles == sorted(titles, key=str.lower)


def test_sort_by_dates(ckan, catalog):
    in_creation_order = [catalog.name(k) for k in ("budget", "procure", "disease", "alpha")]
    result = search(ckan, catalog, sort="metadata_created asc")
    assert [p["name"] for p in result["results"]] == in_creation_order
    result = search(ckan, catalog, sort="metadata_modified desc")
    modified = [p["metadata_modified"] for p in result["results"]]
    assert modified == sorted(modified, reverse=True)


def test_paging(ckan, catalog):
    pages = [search(ckan, catalog, sort="name asc", rows=3, start=s) for s in (0, 3, 6)]
    assert [len(p["results"]) for p in pages] == [3, 1, 0]
    assert all(p["count"] == 4 for p in pages)
    seen = [p["name"] for page in pages for p in page["results"]]
    assert seen == sorted(catalog.names("budget", "procure", "disease", "alpha"))


def test_rows_zero_returns_only_count_and_facets(ckan, catalog):
    result = search(ckan, catalog, rows=0, **{"facet.field": ["organization"]})
    assert result["count"] == 4
    assert result["results"] == []
    assert sum(facet(result, "organization").values()) == 4


# -- permissions -------------------------------------------------------------------------------


def test_private_dataset_hidden_from_anonymous(anon, catalog):
    assert catalog.name("secret") not in names(search(anon, catalog, include_private=True))
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_show(id=catalog.name("secret"))


def test_private_dataset_visible_to_sysadmin_with_include_private(ckan, catalog):
    assert catalog.name("secret") not in names(search(ckan, catalog))
    result = search(ckan, catalog, include_private=True, q="งบประมาณ")
    assert names(result) == catalog.names("budget", "procure", "secret")


def test_drafts_only_with_include_drafts(ckan, anon, catalog):
    assert catalog.name("draft") not in names(search(ckan, catalog))
    assert catalog.name("draft") in names(search(ckan, catalog, include_drafts=True))
    assert catalog.name("draft") not in names(search(anon, catalog, include_drafts=True))


# -- counts used by organization, group and tag pages -----------------------------------------


def test_organization_and_group_counts(ckan, anon, catalog):
    assert anon.action.organization_show(id=catalog.health)["package_count"] == 2
    assert ckan.action.organization_show(id=catalog.finance)["package_count"] == 2
    assert anon.action.group_show(id=catalog.group)["package_count"] == 1
    orgs = anon.action.organization_list(all_fields=True, organizations=[catalog.finance])
    assert [o["package_count"] for o in orgs if o["name"] == catalog.finance] == [2]


def test_tag_show_lists_datasets(anon, catalog):
    tag = anon.action.tag_show(id=f"budget-{catalog.rid}", include_datasets=True)
    assert [p["name"] for p in tag["packages"]] == [catalog.name("budget")]


def test_autocomplete(anon, catalog):
    found = anon.action.package_autocomplete(q=f"alpha-{catalog.rid}")
    assert catalog.name("alpha") in [p["name"] for p in found]


# -- web pages ---------------------------------------------------------------------------------


def test_dataset_search_page_shows_results_and_facets(ckan_portal, catalog):
    resp = requests.get(  # /en/: the English interface (Thai is the default at /)
        f"{ckan_portal.url}/en/dataset/", params={"q": "งบประมาณ", "tags": catalog.tag}, timeout=30
    )
    assert resp.status_code == 200
    assert "งบประมาณรายจ่ายประจำปี 2567" in resp.text
    assert "ข้อมูลการจัดซื้อจัดจ้าง" in resp.text
    assert "งบประมาณลับ" not in resp.text  # private: not for anonymous visitors
    assert "Filter by: Agencies" in resp.text  # the organization facet (the theme: "Agencies")
    assert "กรมบัญชีกลาง" in resp.text
    assert "2 datasets found" in resp.text


def test_organization_page_lists_its_datasets(ckan_portal, catalog):
    resp = requests.get(f"{ckan_portal.url}/organization/{catalog.finance}", timeout=30)
    assert resp.status_code == 200
    assert "งบประมาณรายจ่ายประจำปี 2567" in resp.text


def test_tag_facet_link_page(ckan_portal, catalog):
    resp = requests.get(
        f"{ckan_portal.url}/dataset/", params={"tags": f"budget-{catalog.rid}"}, timeout=30
    )
    assert resp.status_code == 200
    assert "งบประมาณรายจ่ายประจำปี 2567" in resp.text
    assert "Disease Surveillance Report" not in resp.text


def test_stray_syntax_in_free_text_is_searched_as_words(ckan, catalog):
    # what people type into the search box: an unbalanced quote must not become an error
    assert names(search(ckan, catalog, q='alpha "open')) == catalog.names("alpha")
