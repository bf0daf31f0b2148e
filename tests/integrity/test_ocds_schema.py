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
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from pipelines.integrity import ocds_schema
from pipelines.integrity.ocds_schema import (
    UNREACHABLE_TTL_S,
    OcdsSchemaError,
    OcdsSchemaUnavailableError,
    cache_folder,
    download_schemas,
    forget_unreachable,
    load_schemas,
    schema_directory,
)
from pipelines.integrity.ocds_validate import (
    package_validator,
    reference_validator,
    validate_package,
)
from pipelines.settings import Settings

MINIMAL: dict[str, Any] = {
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
        reference_validator(load_schemas(ocds_schema_dir))


def test_a_compiled_validator_without_format_checks_is_refused(ocds_schema_dir, monkeypatch):
    # jsonschema-rs checks formats only when told to: a validator built without is refused.
    import jsonschema_rs

    compiled = jsonschema_rs.Draft4Validator

    def formats_off(schema, **options):
        return compiled(schema, **{**options, "validate_formats": False})

    monkeypatch.setattr(jsonschema_rs, "Draft4Validator", formats_off)
    with pytest.raises(OcdsSchemaError, match="does not check date-time"):
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
    assert directory == tmp_path / "cache" / "ocds" / cache_folder(url)
    assert directory.name.startswith("1__1__5-")
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
    # A typo'd URL is withheld like an outage, but the steward sees it is not one.
    with pytest.raises(
        OcdsSchemaUnavailableError,
        match=rf"missing/ \(HTTP 404 from {url}missing/release-schema\.json\)",
    ):
        schema_directory(settings)
    assert not (tmp_path / "cache").exists(), "nothing cached on failure"


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
    assert error.reason_th == (
        f"ดาวน์โหลดสคีมา OCDS 1.1.5 จาก {url} ไม่ได้ (ไม่มีเครือข่าย: ติดต่อเครื่องปลายทางไม่ได้) "
        "ตั้งค่า OGP_OCDS_SCHEMA_DIR ให้ชี้ไปยังสำเนาสคีมาในเครื่อง"
    )
    # The public sentence: no URL, no cause.
    assert error.what == (
        "the official OCDS 1.1.5 schema could not be obtained when this dataset was published"
    )
    assert error.what_th == "ไม่สามารถรับสคีมา OCDS 1.1.5 ฉบับทางการได้ขณะเผยแพร่ชุดข้อมูลนี้"


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


# --- a download that is not the schema, too slow, too large; URLs kept out of the text ----------


@contextlib.contextmanager
def answering(replies):
    """A server answering each path in ``replies`` (path -> (status, body bytes)); others 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = replies.get(self.path.split("?")[0], (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def schema_replies(ocds_schema_dir, folder="/schema/1__1__5/", **override):
    replies = {
        folder + name: (200, (ocds_schema_dir / name).read_bytes())
        for name in ("release-schema.json", "release-package-schema.json")
    }
    replies.update({folder + name: (200, body) for name, body in override.items()})
    return replies


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"release-schema.json": b"{}"}, r"release-schema\.json is not the OCDS release schema"),
        ({"release-package-schema.json": b"{}"}, r"\(no releases\)"),
        (
            {"release-package-schema.json": b'{"properties": {"releases": {"items": {}}}}'},
            r"releases do not refer to https://standard\.open-contracting\.org/",
        ),
    ],
)
def test_json_that_is_not_the_schema_is_unavailable_and_never_cached(
    ocds_schema_dir, tmp_path, override, message
):
    with answering(schema_replies(ocds_schema_dir, **override)) as base:
        url = base + "/schema/1__1__5/"
        settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url)
        with pytest.raises(OcdsSchemaUnavailableError, match=message):
            schema_directory(settings)
    assert not (tmp_path / "cache").exists()


def test_a_corrected_url_downloads_again_into_its_own_folder(ocds_schema_dir, tmp_path):
    # The wrong URL answers 200 {} ; the corrected one the schema, on the same version folder.
    replies = {
        **schema_replies(ocds_schema_dir, "/wrong/1__1__5/", **{"release-schema.json": b"{}"}),
        **schema_replies(ocds_schema_dir, "/schema/1__1__5/"),
    }
    with answering(replies) as base:
        wrong = Settings(
            ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=base + "/wrong/1__1__5/"
        )
        with pytest.raises(OcdsSchemaUnavailableError):
            schema_directory(wrong)
        right = wrong.model_copy(update={"ocds_schema_url": base + "/schema/1__1__5/"})
        directory = schema_directory(right)
    assert directory.name != cache_folder(wrong.ocds_schema_url)
    assert load_schemas(directory).release == load_schemas(ocds_schema_dir).release


def test_a_cache_holding_something_else_is_downloaded_again(schema_server, tmp_path):
    # e.g. filled by an older version that cached any JSON
    url, requested = schema_server
    settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url)
    stale = tmp_path / "cache" / "ocds" / cache_folder(url)
    stale.mkdir(parents=True)
    for name in ("release-schema.json", "release-package-schema.json"):
        (stale / name).write_text("{}", encoding="utf-8")
    assert load_schemas(schema_directory(settings)).release["id"].endswith("release-schema.json")
    assert len(requested) == 2


class Trickle(http.server.BaseHTTPRequestHandler):
    """Headers at once, then one byte every 0.2 s (for up to a minute): each read succeeds."""

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        for _ in range(300):
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def log_message(self, *args):
        pass


@pytest.mark.timeout(30)  # a hang-guard: without an overall deadline this takes a minute
def test_a_trickling_server_is_stopped_by_the_overall_deadline(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/schema/1__1__5/"
        with pytest.raises(
            OcdsSchemaUnavailableError, match=r"the download took longer than 1 s in all"
        ):
            download_schemas(url, tmp_path / "cache", timeout_s=5.0, deadline_s=1.0)
    finally:
        server.shutdown()
        server.server_close()
    assert not (tmp_path / "cache").exists()


class Unsized(http.server.BaseHTTPRequestHandler):
    """A reply without Content-Length (ends when the connection closes): 20 KB of JSON."""

    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"id": "' + b"x" * 20_000 + b'"}')

    def log_message(self, *args):
        pass


def test_a_reply_larger_than_the_cap_is_unavailable(ocds_schema_dir, tmp_path):
    with (
        answering(schema_replies(ocds_schema_dir)) as base,  # declares its Content-Length
        pytest.raises(
            OcdsSchemaUnavailableError, match=r"release-schema\.json is larger than 10,000 bytes"
        ),
    ):
        download_schemas(base + "/schema/1__1__5/", tmp_path / "a", max_bytes=10_000)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unsized)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/schema/1__1__5/"
        with pytest.raises(OcdsSchemaUnavailableError, match="is larger than 10,000 bytes"):
            download_schemas(url, tmp_path / "b", max_bytes=10_000)
        forget_unreachable()
        # The control: under the cap the same reply is read whole, and judged by its content.
        with pytest.raises(OcdsSchemaUnavailableError, match=r"\(no releases\)"):
            download_schemas(url, tmp_path / "c", max_bytes=30_000)
    finally:
        server.shutdown()
        server.server_close()
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


def test_credentials_and_query_never_reach_the_reason(ocds_schema_dir, tmp_path):
    with answering({}) as base:  # every path 404
        url = base.replace("http://", "http://steward:s3cretpass@") + "/schema/1__1__5/?key=tok3n"
        settings = Settings(ocds_schema_dir=None, data_dir=tmp_path, ocds_schema_url=url)
        with pytest.raises(OcdsSchemaUnavailableError) as caught:
            schema_directory(settings)
    error = caught.value
    texts = [str(error), error.reason, error.reason_th, error.what, error.what_th, error.cause]
    for text in texts:
        for secret in ("steward", "s3cretpass", "tok3n"):
            assert secret not in text, text
    assert f"HTTP 404 from {base}/schema/1__1__5/?key=" not in error.reason
    assert f"HTTP 404 from {base}/schema/1__1__5/release-schema.json" in error.reason
    assert error.__cause__ is None, "no chained httpx error carrying the full URL"


def test_the_public_sentence_does_not_depend_on_the_cause(ocds_schema_dir, tmp_path):
    closed = f"http://127.0.0.1:{closed_port()}/schema/1__1__5/"
    with pytest.raises(OcdsSchemaUnavailableError) as refused:
        download_schemas(closed, tmp_path / "a")
    wrong_schema = schema_replies(ocds_schema_dir, **{"release-schema.json": b"{}"})
    with answering(wrong_schema) as base, pytest.raises(OcdsSchemaUnavailableError) as wrong:
        download_schemas(base + "/schema/1__1__5/", tmp_path / "b")
    assert refused.value.reason != wrong.value.reason
    assert (refused.value.what, refused.value.what_th) == (wrong.value.what, wrong.value.what_th)
