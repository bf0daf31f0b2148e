"""The OCDS schema: a configured local copy wins, else a one-time download into the cache
(served here by a real HTTP server on 127.0.0.1); the validator checks refs and formats."""

import contextlib
import copy
import functools
import http.server
import shutil
import socket
import threading
import time

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from pipelines.integrity import ocds_schema
from pipelines.integrity.ocds_schema import (
    UNREACHABLE_TTL_S,
    OcdsSchemaError,
    OcdsSchemaUnavailableError,
    download_schemas,
    forget_unreachable,
    load_schemas,
    package_validator,
    schema_directory,
    validate_package,
)
from pipelines.settings import Settings

MINIMAL = {
    "uri": "https://example.org/ocds/cgd.json",
    "publishedDate": "2024-06-01T09:30:00+07:00",
    "publisher": {"name": "กรมบัญชีกลาง"},
    "version": "1.1",
    "releases": [
        {
            "ocid": "ocds-th0000-67000000001",
            "id": "67000000001-announced",
            "date": "2024-01-01T00:00:00+07:00",
            "tag": ["tender"],
            "initiationType": "tender",
            "tender": {"id": "67000000001", "procurementMethod": "open"},
        }
    ],
}


def closed_port() -> int:
    """A local port nobody listens on (bound, then released): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(root):
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def _no_remembered_failures():
    forget_unreachable()
    yield
    forget_unreachable()


def registry_of(schemas):
    resource = Resource.from_contents(schemas.release, default_specification=DRAFT4)
    return Registry().with_resource(schemas.release["id"], resource)


@pytest.fixture(scope="module")
def validator(ocds_schema_dir):
    return package_validator(load_schemas(ocds_schema_dir))


@pytest.fixture
def schema_server(ocds_schema_dir):
    """Serves the schema copy at /schema/1__1__5/ and records the paths requested."""
    requested: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            requested.append(path)
            folder, _, name = path.rpartition("/")
            if folder != "/schema/1__1__5":
                return str(ocds_schema_dir / "no-such-file")
            return str(ocds_schema_dir / name)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/schema/1__1__5/", requested
    finally:
        server.shutdown()
        server.server_close()


def test_a_minimal_package_is_valid(validator):
    assert validate_package(MINIMAL, validator) == []


def test_release_fields_are_checked_through_the_registered_release_schema(validator):
    package = copy.deepcopy(MINIMAL)
    del package["releases"][0]["initiationType"]
    package["releases"][0]["tender"]["procurementMethod"] = "auction"
    issues = validate_package(package, validator)
    assert [(i.path, i.validator) for i in issues] == [
        ("releases/0", "required"),
        ("releases/0/tender/procurementMethod", "enum"),
    ]


def test_duplicate_releases_are_refused_as_the_schema_requires(validator, ocds_schema_dir):
    # The pairwise uniqueItems check runs outside jsonschema (linear time): same verdict.
    package = copy.deepcopy(MINIMAL)
    package["releases"].append(copy.deepcopy(package["releases"][0]))
    issues = validate_package(package, validator)
    assert [(i.path, i.validator) for i in issues] == [("releases/1", "uniqueItems")]
    schemas = load_schemas(ocds_schema_dir)
    assert schemas.package["properties"]["releases"]["uniqueItems"] is True
    reference = Draft4Validator(schemas.package, registry=registry_of(schemas))
    assert [e.validator for e in reference.iter_errors(package)] == ["uniqueItems"]


def test_dates_are_format_checked(validator):
    package = copy.deepcopy(MINIMAL)
    package["releases"][0]["date"] = "2024-02-30T00:00:00+07:00"
    package["publishedDate"] = "1 มิ.ย. 2567"
    issues = validate_package(package, validator)
    assert [(i.path, i.validator) for i in issues] == [
        ("publishedDate", "format"),
        ("releases/0/date", "format"),
    ]


def test_a_validator_is_refused_when_dates_cannot_be_checked(ocds_schema_dir, monkeypatch):
    # Without rfc3339-validator jsonschema drops its date-time check silently.
    without = FormatChecker()
    without.checkers = {k: v for k, v in without.checkers.items() if k != "date-time"}
    monkeypatch.setattr(Draft4Validator, "FORMAT_CHECKER", without)
    with pytest.raises(OcdsSchemaError, match="rfc3339-validator"):
        package_validator(load_schemas(ocds_schema_dir))


def test_a_configured_local_copy_wins(ocds_schema_dir, tmp_path):
    settings = Settings(
        ocds_schema_dir=ocds_schema_dir,
        data_dir=tmp_path,
        ocds_schema_url="http://127.0.0.1:9/unreachable/",
    )
    assert schema_directory(settings) == ocds_schema_dir
    assert not (tmp_path / "cache").exists()


def test_the_schema_is_downloaded_once_into_the_cache(schema_server, tmp_path, ocds_schema_dir):
    url, requested = schema_server
    settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url)
    directory = schema_directory(settings)
    assert directory == tmp_path / "cache" / "ocds" / "1__1__5"
    assert sorted(requested) == [
        "/schema/1__1__5/release-package-schema.json",
        "/schema/1__1__5/release-schema.json",
    ]
    downloaded, original = load_schemas(directory), load_schemas(ocds_schema_dir)
    assert (downloaded.release, downloaded.package) == (original.release, original.package)
    schema_directory(settings)
    assert len(requested) == 2, "a filled cache is not downloaded again"


def test_a_failed_download_names_the_url(schema_server, tmp_path):
    url, _ = schema_server
    settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url + "missing/")
    with pytest.raises(
        OcdsSchemaUnavailableError, match=r"missing/ \(HTTP 404 for release-schema\.json\)"
    ):
        schema_directory(settings)
    assert not (tmp_path / "cache" / "ocds" / "missing").exists(), "nothing cached on failure"


def test_an_unreachable_host_is_unavailable_with_one_sentence_in_both_languages(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/schema/1__1__5/"
    settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url)
    with pytest.raises(OcdsSchemaUnavailableError) as caught:
        schema_directory(settings)
    error = caught.value
    assert error.reason == (
        f"the OCDS 1.1.5 schema could not be downloaded from {url} "
        "(no network: the host could not be reached); set OGP_OCDS_SCHEMA_DIR to a local copy"
    )
    assert error.what_th == (
        f"ดาวน์โหลดสคีมา OCDS 1.1.5 จาก {url} ไม่ได้ (ไม่มีเครือข่าย: ติดต่อเครื่องปลายทางไม่ได้)"
    )
    assert "OGP_OCDS_SCHEMA_DIR" in error.reason_th


def test_a_failed_download_is_not_retried_in_the_same_process(schema_server, tmp_path):
    url, requested = schema_server
    settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url + "gone/")
    for _ in range(3):  # e.g. three agency partitions of one run
        with pytest.raises(OcdsSchemaUnavailableError):
            schema_directory(settings)
    assert requested == ["/schema/1__1__5/gone/release-schema.json"]
    forget_unreachable()
    with pytest.raises(OcdsSchemaUnavailableError):
        schema_directory(settings)
    assert len(requested) == 2, "forgotten: the network is tried again"


def test_a_remembered_failure_expires(schema_server, tmp_path, monkeypatch):
    url, requested = schema_server
    settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url + "later/")
    with pytest.raises(OcdsSchemaUnavailableError):
        schema_directory(settings)
    now = time.monotonic()
    monkeypatch.setattr(ocds_schema.time, "monotonic", lambda: now + UNREACHABLE_TTL_S + 1)
    with pytest.raises(OcdsSchemaUnavailableError):
        schema_directory(settings)
    assert len(requested) == 2


def test_a_reply_that_is_not_json_is_unavailable_and_nothing_is_cached(tmp_path):
    # e.g. a captive portal answering 200 with its HTML page
    folder = tmp_path / "site" / "schema" / "1__1__5"
    folder.mkdir(parents=True)
    for name in ("release-schema.json", "release-package-schema.json"):
        (folder / name).write_text("<html>log in to the Wi-Fi</html>", encoding="utf-8")
    with serve(tmp_path / "site") as base:
        url = base + "/schema/1__1__5/"
        settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url)
        with pytest.raises(OcdsSchemaUnavailableError, match=r"release-schema\.json was not JSON"):
            schema_directory(settings)
    assert not (tmp_path / "cache").exists()


def test_a_slow_server_times_out_as_unavailable(tmp_path):
    # Accepts the connection, never answers: the read timeout ends it.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/schema/1__1__5/"
        with pytest.raises(OcdsSchemaUnavailableError, match="timed out"):
            download_schemas(url, tmp_path / "cache", timeout_s=0.5)
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"release-schema.json": None}, "cannot read the OCDS schema"),
        ({"release-package-schema.json": "{not json"}, "cannot read the OCDS schema"),
        ({"release-schema.json": '{"title": "no id"}'}, "not the OCDS release schema"),
        ({"release-package-schema.json": "[]"}, "not the OCDS release package schema"),
    ],
)
def test_a_broken_configured_folder_is_an_error_not_unavailable(
    ocds_schema_dir, tmp_path, broken, message
):
    folder = tmp_path / "ocds"
    folder.mkdir()
    for name in ("release-schema.json", "release-package-schema.json"):
        shutil.copyfile(ocds_schema_dir / name, folder / name)
    for name, text in broken.items():
        if text is None:
            (folder / name).unlink()
        else:
            (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(
        ocds_schema_dir=folder, data_dir=tmp_path, ocds_schema_url="http://127.0.0.1:9/"
    )
    with pytest.raises(OcdsSchemaError, match=message) as caught:
        load_schemas(schema_directory(settings))
    assert not isinstance(caught.value, OcdsSchemaUnavailableError)


def test_a_folder_without_the_schema_says_which_setting_to_fix(tmp_path):
    with pytest.raises(OcdsSchemaError, match="OGP_OCDS_SCHEMA_DIR"):
        load_schemas(tmp_path)
