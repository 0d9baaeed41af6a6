"""Hostile servers (issue 10): every request ends in bounded time and memory, in one line.

Against `tests/hostile_server.py` on loopback: first the clients alone, with
small bounds to keep the suite quick; then `payg-tui sync` in a real process,
for the exit code, the single line on stderr and a cache left exactly as it
was (a real SQLite file, seeded from the worked example).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from payg_tui.engine.model import Slot
from payg_tui.errors import DataContractError, NetworkError
from payg_tui.providers.combell.auth import Credentials
from payg_tui.providers.combell.client import CombellClient
from payg_tui.providers.hosting_api import MAX_EMPTY_PAGES, ApiClient
from payg_tui.providers.retry import RetryPolicy
from payg_tui.service.importing import import_dump
from tests.hostile_server import HostileServer
from tests.test_bad_input import DUMP, ROOT, one_error_line, tables

T0: Slot = 499_000  # 2026-12-05T16:00:00Z, after the worked example's last hour
MB = 1 << 20
QUICK = RetryPolicy(tries=3, base_delay=0.01, max_delay=0.05, total=5)


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    fault, options = request.param if isinstance(request.param, tuple) else (request.param, {})
    with HostileServer(fault, **options) as server:
        yield server


def client(server: HostileServer, **options: object) -> ApiClient:
    options.setdefault("retry", QUICK)
    return ApiClient(server.url, "t0ken", **options)  # type: ignore[arg-type]


def faulty(server: HostileServer) -> list[str]:
    """The requests that reached the faulty path."""
    return [path for path in server.requests if server.on in path]


# -- the clients alone --------------------------------------------------------------------


@pytest.mark.parametrize("hostile", [("trickle", {"on": "/v1/provider"}),
                                     ("trickle_headers", {"on": "/v1/provider"}),
                                     ("silent", {"on": "/v1/provider"})], indirect=True)
def test_a_stalled_answer_ends_at_the_request_deadline_and_is_not_retried(
        hostile: HostileServer) -> None:
    started = time.monotonic()
    with client(hostile, request_timeout=1.0, read_timeout=30.0) as api, \
            pytest.raises(NetworkError) as caught:
        api.provider()
    took = time.monotonic() - started
    assert 0.9 <= took < 2.5, took
    assert "within 1 s (api.request_timeout)" in caught.value.message
    assert len(faulty(hostile)) == 1  # a retry would stall just as long


@pytest.mark.parametrize("hostile", [("trickle", {"on": "/v1/provider", "interval": 0.01})],
                         indirect=True)
def test_a_slow_but_steady_answer_within_the_deadline_is_read(hostile: HostileServer) -> None:
    with client(hostile, request_timeout=5.0) as api:
        assert api.provider().name == "Worked Example Hosting"


@pytest.mark.parametrize("hostile", ["endless", "endless_close", "length_huge",
                                     ("gzip_bomb", {"size": 64 * MB}),
                                     ("deflate_bomb", {"size": 64 * MB})], indirect=True)
def test_an_answer_that_never_ends_or_inflates_stops_at_the_cap(hostile: HostileServer) -> None:
    tracemalloc.start()
    try:
        with client(hostile, max_page_bytes=1 * MB) as api, \
                pytest.raises(DataContractError) as caught:
            list(api.snapshot_pages(T0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "more than 1 MB for /v1/snapshots (api.max_page_mb)" in caught.value.message
    assert peak < 4 * MB, peak  # streamed and stopped, never read whole
    assert len(faulty(hostile)) == 1


@pytest.mark.parametrize("hostile", ["close_mid_body", "huge_header", "reset", "endless_error",
                                     "bad_gzip"], indirect=True)
def test_a_broken_answer_is_retried_then_one_network_error(hostile: HostileServer) -> None:
    with client(hostile) as api, pytest.raises(NetworkError) as caught:
        list(api.snapshot_pages(T0))
    assert "gave up after 3 tries" in caught.value.message
    assert len(faulty(hostile)) == 3


@pytest.mark.parametrize("hostile", [("double_gzip", {"size": 64 * MB})], indirect=True)
def test_an_encoding_not_asked_for_is_a_contract_error(hostile: HostileServer) -> None:
    """`gzip, gzip` would inflate twice: 64 GB from one 64 KB read of a double bomb."""
    with client(hostile) as api, pytest.raises(DataContractError) as caught:
        list(api.snapshot_pages(T0))
    assert "encoding that was not asked for (Content-Encoding 'gzip, gzip')" in caught.value.message


@pytest.mark.parametrize("hostile", ["length_short"], indirect=True)
def test_a_body_shorter_than_the_json_is_a_contract_error(hostile: HostileServer) -> None:
    with client(hostile) as api, pytest.raises(DataContractError, match="not valid JSON"):
        list(api.snapshot_pages(T0))


@pytest.mark.parametrize("hostile", ["cycle"], indirect=True)
def test_a_cursor_seen_before_in_the_sync_is_refused_naming_it(hostile: HostileServer) -> None:
    with client(hostile) as api, pytest.raises(DataContractError) as caught:
        list(api.snapshot_pages(T0))
    assert "field 'next_cursor': 'a' was already given in this sync" in caught.value.message
    assert len(faulty(hostile)) == 3  # a, b, then a again


@pytest.mark.parametrize("hostile", ["empty_pages"], indirect=True)
def test_more_than_a_few_empty_pages_in_a_row_are_refused(hostile: HostileServer) -> None:
    with client(hostile) as api, pytest.raises(DataContractError) as caught:
        list(api.snapshot_pages(T0))
    last = f"c{MAX_EMPTY_PAGES + 1}"
    assert f"{MAX_EMPTY_PAGES + 1} empty pages in a row still point on (to '{last}')" in (
        caught.value.message)
    assert len(faulty(hostile)) == MAX_EMPTY_PAGES + 1


@pytest.mark.parametrize("hostile", [("empty_pages", {"pages": MAX_EMPTY_PAGES})], indirect=True)
def test_a_few_empty_pages_that_end_are_an_honest_gap(hostile: HostileServer) -> None:
    with client(hostile) as api:
        pages = list(api.snapshot_pages(T0))
    assert len(pages) == MAX_EMPTY_PAGES + 1 and not any(p.snapshots for p in pages)


@pytest.mark.parametrize("hostile", [("trickle", {"on": "/v2/accounts"}),
                                     ("endless", {"on": "/v2/accounts"}),
                                     ("gzip_bomb", {"on": "/v2/accounts", "size": 64 * MB})],
                         indirect=True)
def test_the_combell_client_has_the_same_deadline_and_cap(hostile: HostileServer) -> None:
    from payg_tui.providers.bounded import Bounds

    started = time.monotonic()
    bounds = Bounds(seconds=1.0, max_bytes=1 * MB)
    with CombellClient(Credentials("key", "secret"), hostile.url, bounds=bounds) as combell, \
            pytest.raises((NetworkError, DataContractError)) as caught:
        combell.get("/v2/accounts?skip=0&take=100")
    assert time.monotonic() - started < 2.5
    if hostile.fault == "trickle":
        assert isinstance(caught.value, NetworkError)
        assert "no complete answer to GET /v2/accounts?skip=0&take=100 within 1 s" in str(caught.value)
    else:
        assert isinstance(caught.value, DataContractError)
        assert "larger than 1 MB" in str(caught.value)


# -- name lookups (socket.getaddrinfo stands in for the system resolver: loopback only) -----

REAL_GETADDRINFO = socket.getaddrinfo


def by_name(server: HostileServer) -> str:
    return server.url.replace("127.0.0.1", "localhost")


def localhost_is(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """The name `localhost` resolves to `addresses`, in that order."""
    def resolve(host: str, port: int, *args: object, **kwargs: object) -> object:
        if host == "localhost":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in addresses]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_a_name_lookup_that_hangs_ends_at_the_request_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    def hung(host: str, *args: object, **kwargs: object) -> object:
        if host == "localhost":
            time.sleep(5)
        return REAL_GETADDRINFO(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hung)
    with HostileServer("silent", on="/nowhere") as server:
        started = time.monotonic()
        with ApiClient(by_name(server), "t0ken", retry=QUICK, request_timeout=1.0) as api, \
                pytest.raises(NetworkError) as caught:
            api.provider()
        assert time.monotonic() - started < 2.5
        assert "within 1 s (api.request_timeout)" in caught.value.message
        assert server.requests == []


def test_each_address_of_a_name_is_tried_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first address refuses (nothing listens on 127.0.0.2); the second answers."""
    localhost_is(monkeypatch, "127.0.0.2", "127.0.0.1")
    with HostileServer("silent", on="/nowhere") as server, ApiClient(by_name(server), "t0ken") as api:
        assert api.provider().name == "Worked Example Hosting"


def test_an_address_that_does_not_answer_is_passed_over_for_the_next(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Like an IPv6 route that drops packets: the first address never completes the
    connection (a listener whose accept queue is full drops new SYNs), the second answers."""
    with HostileServer("silent", on="/nowhere") as server:
        port = int(server.url.rsplit(":", 1)[1])
        hole = socket.socket()
        hole.bind(("127.0.0.2", port))
        hole.listen(0)
        fillers = []
        for _ in range(4):  # fill the accept queue
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.2", port))
            fillers.append(filler)
        try:
            with pytest.raises(TimeoutError):  # the premise: the first address does not answer
                socket.create_connection(("127.0.0.2", port), timeout=0.3).close()

            localhost_is(monkeypatch, "127.0.0.2", "127.0.0.1")
            started = time.monotonic()
            with ApiClient(by_name(server), "t0ken", retry=QUICK, connect_timeout=0.5,
                           request_timeout=5.0) as api:
                assert api.provider().name == "Worked Example Hosting"
            assert time.monotonic() - started < 2.5
        finally:
            for filler in fillers:
                filler.close()
            hole.close()


def test_a_name_that_does_not_resolve_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(host: str, *args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with ApiClient("https://api.hosting.invalid", "t0ken", retry=QUICK) as api, \
            pytest.raises(NetworkError) as caught:
        api.provider()
    assert "cannot look up api.hosting.invalid" in caught.value.message
    assert "\n" not in caught.value.message


# -- payg-tui sync in a real process --------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A seeded cache and a config with small bounds: request_timeout 1.5 s, max_page_mb 1."""
    env = {"PAYG_TUI_CACHE_DIR": str(tmp_path / "cache"),
           "PAYG_TUI_CONFIG_DIR": str(tmp_path / "config"), "PAYG_API_TOKEN": "t0ken"}
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        "[api]\nrequest_timeout = 1.5\nmax_page_mb = 1\n", encoding="utf-8")
    import_dump(DUMP, cache=cache_file(env))
    return env


def payg(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PAYG_")}
    return subprocess.run([sys.executable, "-m", "payg_tui.cli", *argv], capture_output=True,
                          text=True, env={**environ, **env}, cwd=ROOT, timeout=60)


def cache_file(env: dict[str, str]) -> Path:
    return Path(env["PAYG_TUI_CACHE_DIR"]) / "cache.sqlite3"


SYNC_FAULTS = {
    "trickle": (3, "within 1.5 s (api.request_timeout)"),
    "trickle_headers": (3, "within 1.5 s (api.request_timeout)"),
    "silent": (3, "within 1.5 s (api.request_timeout)"),
    "stall_mid_body": (3, "within 1.5 s (api.request_timeout)"),
    "endless": (4, "more than 1 MB for /v1/snapshots (api.max_page_mb)"),
    "endless_close": (4, "more than 1 MB for /v1/snapshots (api.max_page_mb)"),
    "gzip_bomb": (4, "more than 1 MB for /v1/snapshots (api.max_page_mb)"),
    "deflate_bomb": (4, "more than 1 MB for /v1/snapshots (api.max_page_mb)"),
    "double_gzip": (4, "encoding that was not asked for"),
    "length_huge": (4, "more than 1 MB for /v1/snapshots (api.max_page_mb)"),
    "cycle": (4, "'a' was already given in this sync"),
    "empty_pages": (4, f"empty pages in a row still point on (to 'c{MAX_EMPTY_PAGES + 1}')"),
    "length_short": (4, "not valid JSON"),
    "close_mid_body": (3, "gave up after 2 tries"),
    "huge_header": (3, "gave up after 2 tries"),
    "reset": (3, "gave up after 2 tries"),
    "endless_error": (3, "503 Service Unavailable (gave up after 2 tries"),
    "bad_gzip": (3, "gave up after 2 tries"),
}


@pytest.mark.parametrize("hostile", [(fault, {"size": 64 * MB}) for fault in SYNC_FAULTS],
                         indirect=True, ids=list(SYNC_FAULTS))
def test_sync_against_a_hostile_server_is_one_line_the_right_code_and_changes_nothing(
        hostile: HostileServer, home: dict[str, str]) -> None:
    code, message = SYNC_FAULTS[hostile.fault]
    before, raw = tables(cache_file(home)), cache_file(home).read_bytes()
    retried = code == 3 and "gave up" in message
    started = time.monotonic()
    done = payg("sync", "--api-url", hostile.url, *(["--quick"] if retried else []), env=home)
    took = time.monotonic() - started
    assert done.returncode == code, done.stderr
    assert message in one_error_line(done.stderr)
    assert done.stdout == ""
    assert took < 12, took  # bounded: the 1.5 s deadline, or the quick retries
    assert tables(cache_file(home)) == before
    assert cache_file(home).read_bytes() == raw


@pytest.mark.parametrize("hostile", ["trickle"], indirect=True)
@pytest.mark.parametrize("argv", [
    ["--since", "0001-01-01"], ["--until", "9999-12-31"], ["--since", "2026-11-02T00:00:00Z"],
    ["--since", "2026-11-02", "--until", "2026-11-01"],
    ["--since", "2026-11-02T13:00:00Z", "--until", "2026-11-02"],
    ["--since", "2026-11-01T05:00:00Z", "--until", "2026-11-01T05:00:00Z"],
])
def test_since_and_until_are_checked_before_any_network(
        hostile: HostileServer, home: dict[str, str], argv: list[str]) -> None:
    if argv == ["--since", "2026-11-02T00:00:00Z"]:
        argv = ["--since", "2026-11-02T00:30:00Z"]  # not a whole hour
    done = payg("sync", "--api-url", hostile.url, *argv, env=home)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr)
    assert ("--since" in line or "--until" in line) and "Error" not in line
    assert hostile.requests == []


def test_sandbox_port_out_of_range_is_one_usage_line(home: dict[str, str]) -> None:
    for port in ("99999", "-1", "65536"):
        done = payg("sandbox", "--port", port, env=home)
        assert done.returncode == 2
        assert "port number from 0 to 65535" in one_error_line(done.stderr)


# -- quiet for cron -------------------------------------------------------------------------


def test_off_a_terminal_sync_and_import_print_their_result_on_stdout_and_nothing_else(
        tmp_path: Path) -> None:
    """A hiccup the sync got over (503s, tried again) is not news for cron's mail;
    `--verbose` tells it. The same seed makes the same 503s for both servers."""
    from payg_tui.sandbox.server import parse_faults, start_sandbox

    def fresh(name: str) -> dict[str, str]:
        return {"PAYG_TUI_CACHE_DIR": str(tmp_path / name / "cache"),
                "PAYG_TUI_CONFIG_DIR": str(tmp_path / name / "config"),
                "PAYG_API_TOKEN": "sandbox-token"}

    runs = {}
    for name, argv in (("quiet", []), ("verbose", ["--verbose"])):
        with start_sandbox(accounts=4, seed=5, faults=parse_faults("503:0.4@0")) as server:
            runs[name] = payg("sync", "--api-url", server.url, *argv, env=fresh(name))
    quiet, verbose = runs["quiet"], runs["verbose"]
    assert quiet.returncode == verbose.returncode == 0, quiet.stderr + verbose.stderr
    assert "503" in verbose.stderr and "trying again" in verbose.stderr
    assert quiet.stderr == ""
    assert len(quiet.stdout.splitlines()) == 1 and quiet.stdout.startswith("synced in ")

    imported = payg("import", str(DUMP), env=fresh("import"))
    assert imported.returncode == 0 and imported.stderr == ""
    assert len(imported.stdout.splitlines()) == 1 and imported.stdout.startswith("imported ")


@pytest.mark.parametrize("hostile", [("trickle", {"on": "/hook"}), ("silent", {"on": "/hook"})],
                         indirect=True)
def test_the_alerts_webhook_has_the_same_deadline(hostile: HostileServer) -> None:
    from payg_tui.providers.webhook import post_alerts

    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"no complete answer within 1 s .*2 tries"):
        # Each try is cut at its deadline; the webhook retries a timeout like the clients do.
        post_alerts(hostile.url + "/hook", {"text": "x"}, request_timeout=1.0,
                    retry=RetryPolicy(tries=2, base_delay=0.1, max_delay=0.1, total=30))
    assert time.monotonic() - started < 4.0


@pytest.mark.parametrize("hostile", [("endless", {"on": "/hook"})], indirect=True)
def test_a_webhook_answer_that_never_ends_is_read_no_further_than_the_cap(
        hostile: HostileServer) -> None:
    from payg_tui.providers.webhook import post_alerts

    post_alerts(hostile.url + "/hook", {"text": "x"})  # a 200: delivered; the rest is not read
