"""The compiled validator (jsonschema-rs) against the reference (the pure-Python jsonschema) on
the same schema: the OCDS 1.1.5 release package schema, the release schema merged with the bid
extension. Both must report the same errors, by path and keyword, on a valid package, on each
deliberate fault, on all of them at once, and on seeded random corruptions."""

import copy
import random
from collections import Counter

import pytest

from pipelines.integrity.ocds_export import export_release_package, write_release_package
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.ocds_validate import (
    package_validator,
    reference_issues,
    reference_validator,
    validate_package,
)


@pytest.fixture(scope="module")
def validators(ocds_schema_dir):
    schemas = load_schemas(ocds_schema_dir)
    return package_validator(schemas), reference_validator(schemas)


def _with_bids(package):
    for release in package["releases"]:
        tenderers = release["tender"].get("numberOfTenderers")
        if tenderers:
            project = release["tender"]["id"]
            release["bids"] = {
                "statistics": [{"id": f"{project}-bids", "measure": "bids", "value": tenderers}],
                "details": [
                    {
                        "id": f"{project}-bid-{n}",
                        "date": "2024-01-20T00:00:00+07:00",
                        "status": "valid",
                        "tenderers": [{"id": f"TH-TIN-{n}", "name": f"ผู้เสนอราคา {n}"}],
                        "value": {"amount": 900_000 + n, "currency": "THB"},
                    }
                    for n in range(tenderers)
                ],
            }
    return package


@pytest.fixture
def package(make_project, make_table, buyer):
    rows = [
        make_project(1),
        make_project(2, status="awarded", contract_date=None, method="selection"),
        make_project(3, status="announced", contract_date=None, winner_tax_id=None),
        make_project(4, status="planned", announce_date=None, bid_close_date=None),
        make_project(5, status="cancelled", method="specific", number_of_bidders=1),
    ]
    return _with_bids(export_release_package(make_table(rows), buyer))


def _both(validators, package):
    compiled, reference = validators
    found = Counter((i.path, i.validator) for i in validate_package(package, compiled))
    expected = Counter((i.path, i.validator) for i in reference_issues(package, reference))
    return found, expected


def _set(path, value):
    def mutate(package):
        *parents, last = path
        target = package
        for part in parents:
            target = target[part]
        target[last] = value

    return mutate


def _delete(path):
    def mutate(package):
        *parents, last = path
        target = package
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


def _duplicate_release(package):
    package["releases"].append(copy.deepcopy(package["releases"][0]))


def _duplicate_document(package):
    document = {"id": "d1", "url": "https://example.org/d1.pdf"}
    package["releases"][0]["awards"][0]["documents"] = [document, dict(document)]


def _duplicate_party(package):
    parties = package["releases"][0]["parties"]
    parties.append(copy.deepcopy(parties[0]))


FAULTS = {
    "date-time not a date": _set(["releases", 0, "date"], "2024-02-30T00:00:00+07:00"),
    "date without time": _set(["publishedDate"], "2024-06-01"),
    "uri not a uri": _set(["uri"], "ocds release package"),
    "closed codelist": _set(["releases", 0, "tender", "procurementMethod"], "auction"),
    "required release field": _delete(["releases", 1, "initiationType"]),
    "required package field": _delete(["publisher"]),
    "type of an amount": _set(["releases", 0, "awards", 0, "value", "amount"], "900,000"),
    "version pattern": _set(["version"], "1.1.5"),
    "ocid type": _set(["releases", 2, "ocid"], 67000000003),
    "empty tag": _set(["releases", 0, "tag"], []),
    "tag outside the codelist": _set(["releases", 0, "tag"], ["tender", "auction"]),
    "duplicate releases": _duplicate_release,
    "duplicate documents": _duplicate_document,
    "duplicate parties": _duplicate_party,
    "bid statistic value": _set(["releases", 0, "bids", "statistics", 0, "value"], "three"),
    "bid statistic without measure": _delete(["releases", 0, "bids", "statistics", 0, "measure"]),
    "bid status": _set(["releases", 0, "bids", "details", 0, "status"], "won"),
    "bid without id": _delete(["releases", 0, "bids", "details", 1, "id"]),
    "bid date": _set(["releases", 0, "bids", "details", 0, "date"], "20/01/2567"),
    "bid value currency": _set(["releases", 0, "bids", "details", 0, "value", "currency"], "BAHT"),
}


def test_a_valid_package_is_valid_to_both(validators, package):
    assert _both(validators, package) == (Counter(), Counter())


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_reported_the_same(validators, package, fault):
    FAULTS[fault](package)
    found, expected = _both(validators, package)
    assert expected, f"the reference finds no error for {fault}: the fault is not one"
    assert found == expected


def test_every_fault_at_once_is_reported_the_same(validators, package):
    for fault in FAULTS.values():
        fault(package)
    found, expected = _both(validators, package)
    assert sum(expected.values()) >= len(FAULTS)
    assert found == expected


WRONG_VALUES = [None, 42, 1.5, True, "x", "", [], {}, ["x"], {"id": 1}, "2024-13-01T00:00:00Z"]


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    if path:
        yield path


@pytest.mark.parametrize("seed", range(8))
def test_seeded_random_corruptions_are_reported_the_same(validators, package, seed):
    rng = random.Random(seed)
    paths = sorted(_leaves(package), key=repr)
    mutated = 0
    for path in rng.sample(paths, 25):
        try:
            _set(list(path), rng.choice(WRONG_VALUES))(package)
            mutated += 1
        except (KeyError, IndexError, TypeError):
            continue  # a parent was replaced by an earlier corruption
    found, expected = _both(validators, package)
    assert mutated > 0
    assert found == expected


def test_the_known_difference_is_a_leap_second(validators, package):
    # RFC 3339 allows second 60; jsonschema's rfc3339-validator refuses it. The export never
    # writes one (dates are midnight), so the differential tests above exclude it.
    package["releases"][0]["date"] = "2016-12-31T23:59:60Z"
    found, expected = _both(validators, package)
    assert found == Counter()
    assert expected == Counter({("releases/0/date", "format"): 1})


# --- where the two disagree, which one JSON Schema says is right ------------------------------
# JSON Schema patterns are ECMA-262 regular expressions: `\d` is [0-9] only and `$` is the end
# of the input. Python's re (the reference) takes Thai digits for \d and lets `$` match before a
# final newline; the runtime validator follows ECMA-262.


@pytest.mark.parametrize("version", ["๑.๑", "1.1\n"])
def test_a_version_only_python_regex_accepts_is_refused_at_runtime(validators, package, version):
    package["version"] = version
    found, expected = _both(validators, package)
    assert found == Counter({("version", "pattern"): 1})
    assert expected == Counter()  # the reference is wrong here, per ECMA-262


def test_the_version_written_is_valid_to_both(validators, package):
    assert package["version"] == "1.1"
    assert _both(validators, package) == (Counter(), Counter())


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_amount_is_refused_at_runtime_and_never_written(
    validators, package, amount, tmp_path
):
    # NaN and Infinity are no JSON numbers: the runtime validator reports them (type); the
    # reference accepts them; the writer refuses them whatever a validator said.
    package["releases"][0]["awards"][0]["value"]["amount"] = amount
    found, expected = _both(validators, package)
    assert found == Counter({("releases/0/awards/0/value/amount", "type"): 1})
    assert expected == Counter()
    with pytest.raises(ValueError, match="JSON compliant"):
        write_release_package(package, tmp_path / "package.json")
    assert not (tmp_path / "package.json").exists()


def test_whole_numbers_are_equal_for_unique_items(validators, package):
    # 900000 and 900000.0 are one JSON Schema number: a release repeated with the float is a
    # duplicate (releases' uniqueItems), for both validators.
    twin = copy.deepcopy(package["releases"][0])
    value = twin["awards"][0]["value"]
    value["amount"] = float(value["amount"])
    assert isinstance(value["amount"], float)
    package["releases"].append(twin)
    last = f"releases/{len(package['releases']) - 1}"
    found, expected = _both(validators, package)
    assert found == expected == Counter({(last, "uniqueItems"): 1})


def test_a_boolean_is_not_the_number_one_for_unique_items(validators, package):
    twin = copy.deepcopy(package["releases"][0])
    package["releases"][0]["tender"]["x"] = 1
    twin["tender"]["x"] = True
    package["releases"].append(twin)
    found, expected = _both(validators, package)
    assert found == expected == Counter()
