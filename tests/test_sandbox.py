"""The sandbox speaks api.md over real TCP, and misbehaves only when asked."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import httpx
import jsonschema
import pytest

from payg_tui.engine.model import Slot, slot_iso, slot_of
from payg_tui.providers import payload
from payg_tui.sandbox.server import (
    CORRUPTIONS,
    SandboxServer,
    parse_faults,
    start_sandbox,
)

NOW = slot_of(datetime(2026, 11, 20, 13, tzinfo=UTC))
START = NOW - 200
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Clock:
    def __init__(self, now: Slot) -> None:
        self.now = now

    def __call__(self) -> Slot:
        return self.now


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(accounts=20, seed=3, token=TOKEN, now=Clock(NOW), start=START) as server:
        yield server


@pytest.fixture(scope="module")
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers=AUTH, timeout=10) as http:
        yield http


def all_pages(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    pages = [http.get("/v1/snapshots", params=params).json()]
    while pages[-1]["next_cursor"] is not None:
        assert len(pages) < 1000
        cursor = pages[-1]["next_cursor"]
        pages.append(http.get("/v1/snapshots", params={**params, "cursor": cursor}).json())
    return pages


def validator(schema_name: str) -> jsonschema.Draft202012Validator:
    text = resources.files("payg_tui.sandbox").joinpath("openapi.json").read_text("utf-8")
    doc = json.loads(text)
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]})


# -- auth and errors ---------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": TOKEN}])
def test_a_missing_or_wrong_token_gets_401(sandbox: SandboxServer,
                                           headers: dict[str, str]) -> None:
    answer = httpx.get(f"{sandbox.url}/v1/snapshots", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    validator("Error").validate(answer.json())


@pytest.mark.parametrize("params", [
    {"limit": "0"}, {"limit": "169"}, {"limit": "ten"}, {"limit": "-1"},
    {"from": "2026-11-01"}, {"from": "2026-11-01T10:30:00Z"}, {"to": "yesterday"},
    {"from": slot_iso(NOW), "to": slot_iso(NOW - 5)}, {"cursor": "not-a-cursor"},
])
def test_bad_query_parameters_get_400(client: httpx.Client, params: dict[str, str]) -> None:
    answer = client.get("/v1/snapshots", params=params)
    assert answer.status_code == 400, answer.text
    validator("Error").validate(answer.json())


def test_a_parameter_given_twice_gets_400(client: httpx.Client) -> None:
    answer = client.get("/v1/snapshots?limit=2&limit=3")
    assert answer.status_code == 400


def test_unknown_paths_and_methods_are_json_errors(client: httpx.Client) -> None:
    missing = client.get("/v1/invoices")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    posted = client.post("/v1/snapshots", content=b"{}")
    assert posted.status_code == 405 and "error" in posted.json()


# -- the contract ------------------------------------------------------------

def test_provider_and_products_validate_and_parse(client: httpx.Client) -> None:
    provider = client.get("/v1/provider").json()
    validator("Provider").validate(provider)
    assert payload.parse_provider(provider).timezone == "Europe/Brussels"
    products = client.get("/v1/products").json()
    validator("ProductList").validate(products)
    parsed = payload.parse_products(products)
    assert {"pack-starter", "ssl"} <= set(parsed)


def test_pages_validate_against_the_openapi_document(client: httpx.Client) -> None:
    page = client.get("/v1/snapshots", params={"limit": 5}).json()
    validator("SnapshotPage").validate(page)
    broken = json.loads(json.dumps(page))
    broken["snapshots"][0]["accounts"][0]["customer"] = 17
    with pytest.raises(jsonschema.ValidationError):  # the schema is not vacuous
        validator("SnapshotPage").validate(broken)


def test_the_openapi_document_is_well_formed() -> None:
    doc = json.loads(resources.files("payg_tui.sandbox").joinpath("openapi.json").read_text())
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/v1/provider", "/v1/products", "/v1/snapshots"}
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_pagination_covers_every_hour_exactly_once(sandbox: SandboxServer,
                                                   client: httpx.Client) -> None:
    pages = all_pages(client, limit=7)
    taken = [snap["taken_at"] for page in pages for snap in page["snapshots"]]
    expected = [slot_iso(h) for h in range(START, NOW + 1) if not sandbox.reseller.is_missing(h)]
    assert taken == expected
    assert sandbox.reseller.missing_hours(START, NOW + 1), "the range should hold a missing hour"
    assert all(len(page["snapshots"]) == 7 for page in pages[:-1])
    assert 1 <= len(pages[-1]["snapshots"]) <= 7
    snaps = list(payload.parse_snapshots([s for page in pages for s in page["snapshots"]]))
    assert snaps[-1].slot == NOW


def test_from_is_inclusive_and_to_exclusive(sandbox: SandboxServer,
                                            client: httpx.Client) -> None:
    begin = next(h for h in range(START + 10, NOW) if not sandbox.reseller.is_missing(h))
    page = client.get("/v1/snapshots", params={
        "from": slot_iso(begin), "to": slot_iso(begin + 3), "limit": 168}).json()
    taken = [s["taken_at"] for s in page["snapshots"]]
    assert taken[0] == slot_iso(begin)
    assert slot_iso(begin + 3) not in taken and len(taken) <= 3
    assert page["next_cursor"] is None


def test_default_limit_is_24_and_168_is_allowed(client: httpx.Client) -> None:
    assert len(client.get("/v1/snapshots").json()["snapshots"]) == 24
    assert len(client.get("/v1/snapshots", params={"limit": 168}).json()["snapshots"]) == 168


def test_the_future_is_not_served(client: httpx.Client) -> None:
    page = client.get("/v1/snapshots", params={
        "from": slot_iso(NOW - 2), "to": slot_iso(NOW + 50), "limit": 168}).json()
    assert page["snapshots"][-1]["taken_at"] == slot_iso(NOW)
    assert page["next_cursor"] is None


def test_answers_match_the_generator(sandbox: SandboxServer, client: httpx.Client) -> None:
    page = client.get("/v1/snapshots", params={"from": slot_iso(NOW - 30), "limit": 3}).json()
    for snap in page["snapshots"]:
        slot = payload.parse_hour(snap["taken_at"], "test", "taken_at")
        assert snap == sandbox.reseller.snapshot(slot)


def test_gzip_when_asked(client: httpx.Client) -> None:
    params = {"limit": 30}
    plain = client.get("/v1/snapshots", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", "/v1/snapshots", params=params,
                       headers={"Accept-Encoding": "gzip"}) as answer:
        assert answer.headers["content-encoding"] == "gzip"
        raw = b"".join(answer.iter_raw())
    assert raw[:2] == b"\x1f\x8b"
    assert len(raw) * 5 < len(plain.content)
    assert json.loads(gzip.decompress(raw)) == plain.json()
    provider = client.get("/v1/provider", headers={"Accept-Encoding": "gzip"})
    assert provider.headers["content-encoding"] == "gzip"
    assert provider.json()["currency"] == "EUR"


# -- time passing ------------------------------------------------------------

def test_an_hour_is_the_same_whether_now_is_one_or_a_hundred_hours_later() -> None:
    hour = NOW - 5
    clock = Clock(hour + 1)
    bodies = []
    with start_sandbox(accounts=15, seed=9, token=TOKEN, now=clock, start=hour - 48) as server:
        params = {"from": slot_iso(hour), "to": slot_iso(hour + 1)}
        with httpx.Client(base_url=server.url, headers=AUTH) as http:
            bodies.append(http.get("/v1/snapshots", params=params).json())
            clock.now = hour + 100  # time passes on the same server
            bodies.append(http.get("/v1/snapshots", params=params).json())
            latest = http.get("/v1/snapshots", params={"from": slot_iso(hour + 95)}).json()
    with start_sandbox(accounts=15, seed=9, token=TOKEN, now=Clock(hour + 100),
                       start=hour - 48) as fresh, httpx.Client(base_url=fresh.url,
                                                                headers=AUTH) as http:
        bodies.append(http.get("/v1/snapshots", params=params).json())
    assert len(bodies[0]["snapshots"]) == 1
    assert bodies[0] == bodies[1] == bodies[2]
    assert latest["snapshots"][-1]["taken_at"] == slot_iso(hour + 100)  # history grew


# -- faults and corruptions --------------------------------------------------

def test_fault_specs_are_parsed_and_checked() -> None:
    plan = parse_faults("429:0.1@0,503:0.05,slow:0.05@0.5")
    assert (plan.rate_429, plan.rate_503, plan.rate_slow) == (0.1, 0.05, 0.05)
    assert (plan.retry_after, plan.slow_seconds) == (0, 0.5)
    for bad in ("418:0.1", "429:x", "503:1.5", "429:0.7,503:0.7", "slow"):
        with pytest.raises(ValueError):
            parse_faults(bad)


def statuses(server: SandboxServer, count: int) -> list[tuple[int, str | None]]:
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        answers = [http.get("/v1/provider") for _ in range(count)]
    return [(a.status_code, a.headers.get("Retry-After")) for a in answers]


def test_faults_come_at_their_rates_and_the_same_way_every_run() -> None:
    spec = "429:0.3@0,503:0.2@0,slow:0.1@0.01"
    with start_sandbox(accounts=10, seed=5, token=TOKEN, now=Clock(NOW), faults=spec) as one:
        first = statuses(one, 60)
    with start_sandbox(accounts=10, seed=5, token=TOKEN, now=Clock(NOW), faults=spec) as two:
        second = statuses(two, 60)
    assert first == second
    codes = [code for code, _ in first]
    assert 8 <= codes.count(429) <= 30 and 4 <= codes.count(503) <= 22
    assert codes.count(200) >= 15
    assert all(retry == "0" for code, retry in first if code in (429, 503))


def test_slow_answers_are_slow() -> None:
    with start_sandbox(accounts=10, seed=5, token=TOKEN, now=Clock(NOW),
                       faults="slow:1@0.3") as server:
        began = time.perf_counter()
        assert statuses(server, 1)[0][0] == 200
        assert time.perf_counter() - began >= 0.3


SNAPSHOT_BREAKS = ["missing_field", "wrong_type", "unaligned_time", "duplicate_id", "out_of_order"]


@pytest.mark.parametrize("kind", SNAPSHOT_BREAKS)
def test_each_corruption_is_refused_by_the_strict_parser(sandbox: SandboxServer,
                                                         client: httpx.Client, kind: str) -> None:
    sandbox.corrupt = kind
    try:
        page = client.get("/v1/snapshots", params={"limit": 4}).json()
    finally:
        sandbox.corrupt = None
    with pytest.raises(payload.ContractError):
        list(payload.parse_snapshots(page["snapshots"]))


@pytest.mark.parametrize("kind", ["bad_decimal", "money_as_number"])
def test_price_corruptions_are_refused(sandbox: SandboxServer, client: httpx.Client,
                                       kind: str) -> None:
    sandbox.corrupt = kind
    try:
        products = client.get("/v1/products").json()
    finally:
        sandbox.corrupt = None
    with pytest.raises(payload.ContractError, match="monthly"):
        payload.parse_products(products)


def test_a_corruption_can_target_one_hour(sandbox: SandboxServer, client: httpx.Client) -> None:
    hours = [h for h in range(START, START + 30) if not sandbox.reseller.is_missing(h)]
    sandbox.corrupt, sandbox.corrupt_at = "wrong_type", hours[12]
    try:
        pages = [client.get("/v1/snapshots", params={"from": slot_iso(START), "limit": 10})]
        pages.append(client.get("/v1/snapshots", params={
            "cursor": pages[0].json()["next_cursor"], "limit": 10}))
    finally:
        sandbox.corrupt, sandbox.corrupt_at = None, None
    list(payload.parse_snapshots(pages[0].json()["snapshots"]))  # the first page is fine
    with pytest.raises(payload.ContractError) as refused:
        list(payload.parse_snapshots(pages[1].json()["snapshots"]))
    assert slot_iso(hours[12]) in str(refused.value) and "customer" in str(refused.value)


def test_page_rewind_and_cut_bodies(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.corrupt = "page_rewind"
    try:
        first = client.get("/v1/snapshots", params={"limit": 5}).json()
        second = client.get("/v1/snapshots", params={"cursor": first["next_cursor"]}).json()
        sandbox.corrupt = "not_json"
        cut = client.get("/v1/snapshots", params={"limit": 2})
    finally:
        sandbox.corrupt = None
    assert second["snapshots"][0]["taken_at"] < first["snapshots"][-1]["taken_at"]
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert set(CORRUPTIONS) >= {*SNAPSHOT_BREAKS, "page_rewind", "not_json", "bad_decimal"}


# -- the command -------------------------------------------------------------

def test_the_command_refuses_a_silly_account_count() -> None:
    from payg_tui.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "--accounts", "5"])
    assert exited.value.code == 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child")
def test_the_command_serves_until_ctrl_c() -> None:
    command = [sys.executable, "-m", "payg_tui.cli", "sandbox", "--accounts", "10",
               "--token", "t0k", "--quiet"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert child.stdout is not None
        url = child.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{url}/v1/provider", headers={"Authorization": "Bearer t0k"})
        assert answer.status_code == 200
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert child.returncode == 0
    assert "Traceback" not in err
