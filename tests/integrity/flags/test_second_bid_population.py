"""R024 / R058 need a population (review finding 3): Cardinal draws the quartiles over the
whole dataset, here over one agency's processes. An agency with one comparable process had
Q1 = Q3 = its own difference, so both fences equalled it and R024 ("close") and R058
("discounted") flagged the same process. A computed fence now needs ``minimum_processes``
processes (red_flags.yaml) and Q1 < Q3; below that the flag is not computable, and
red_flags.json says why."""

import json

import pyarrow as pa

from pipelines.integrity.flags.inputs import BIDS_SCHEMA
from pipelines.integrity.red_flags import compute_flags_noted, describe_flags, load_flag_specs

from .test_cardinal_examples import two_bid_processes


def run(make_table, rows, bids, **parameters):
    specs = [s for s in load_flag_specs() if s.id in ("R024", "R058")]
    if parameters:
        specs = [s.model_copy(update={"parameters": {**s.parameters, **parameters}}) for s in specs]
    flags, notes = compute_flags_noted(
        make_table(rows), specs, pa.Table.from_pylist(bids, schema=BIDS_SCHEMA)
    )
    return flags, notes, specs


def test_one_comparable_process_is_not_flagged_close_and_discounted(
    make_table, make_project, make_juristic_id
):
    rows, bids = two_bid_processes(make_project, make_juristic_id, [1.2])
    flags, notes, specs = run(make_table, rows, bids)
    assert flags.num_rows == 0  # before: R024 and R058 both on the one process
    assert sorted(notes) == ["R024", "R058"]
    assert notes["R024"].startswith("not computable (too few processes): 1 process(es)")
    described = {d["id"]: d for d in describe_flags(flags, specs, reasons=notes)}
    assert described["R058"]["computable"] is False
    assert described["R058"]["projects"] is None
    assert "minimum_processes = 5" in described["R058"]["not_computable_reason"]
    json.dumps(described, ensure_ascii=False)  # publishable as red_flags.json


def test_the_minimum_is_a_parameter_and_a_fixed_threshold_needs_no_peers(
    make_table, make_project, make_juristic_id
):
    # Cardinal's R024 example (differences 1, 99, 99, 99, 99: the 1 flagged) on 5 processes
    rows, bids = two_bid_processes(make_project, make_juristic_id, [2.0, *[100.0] * 4])
    flags, notes, _ = run(make_table, rows, bids, minimum_processes=6)  # 5 < 6: not computable
    assert (flags.num_rows, sorted(notes)) == (0, ["R024", "R058"])
    flags, notes, _ = run(make_table, rows, bids)  # the default, 5
    assert notes == {}
    assert [(f["project_id"], f["flag_id"]) for f in flags.to_pylist()] == [
        (rows[0]["project_id"], "R024")
    ]
    one, _ = two_bid_processes(make_project, make_juristic_id, [1.01])
    flags, notes, _ = run(make_table, one, _, threshold=0.05)
    assert notes == {}
    assert sorted(f["flag_id"] for f in flags.to_pylist()) == ["R024"]  # 0.01 <= 0.05 < R058's


def test_never_both_on_one_process_when_the_differences_do_not_spread(
    make_table, make_project, make_juristic_id
):
    rows, bids = two_bid_processes(make_project, make_juristic_id, [1.1] * 6)
    flags, notes, _ = run(make_table, rows, bids)
    assert flags.num_rows == 0  # Cardinal's fences: Q1 = Q3 = 0.1, all six flagged twice
    assert notes["R058"].startswith("not computable (no spread)")
