"""The API client: auth, retries, strict pages. Rules first against scripted
answers (httpx.MockTransport, no waiting), then against the real sandbox over TCP."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from payg_tui.engine.model import Slot, slot_iso
from payg_tui.errors import DataContractError, NetworkError, UsageError
from payg_tui.providers.hosting_api import ApiClient, RetryNotice
from payg_tui.providers.retry import RetryPolicy

TOKEN = "s3cr3t-tok-0123456789abcdef"
T0: Slot = 497_000  # 2026-09-13T08:00:00Z

Handler = Callable[[httpx.Request], httpx.Response]


def snapshot(slot: Slot, accounts: int = 2) -> dict[str, Any]:
    return {"taken_at": slot_iso(slot), "accounts": [
        {"id": f"acc-{i}", "name": f"site{i}.example", "customer": None, "pack": "pack-pro",
         "addons": [{"id": f"add-{i}", "product": "ssl"}]} for i in range(accounts)]}


def page(slots: list[Slot], cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"snapshots": [snapshot(s) for s in slots],
                                     "next_cursor": cursor})


class Recorder:
    """A scripted server: answers in turn, records requests and sleeps."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.retries: list[RetryNotice] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def client(self, url: str = "https://api.host.example/payg", **kwargs: Any) -> ApiClient:
        kwargs.setdefault("retry", RetryPolicy(tries=4, base_delay=0.01, max_delay=0.05, total=5))
        return ApiClient(url, TOKEN, transport=httpx.MockTransport(self.handle),
                         sleep=self.sleeps.append, on_retry=self.retries.append,
                         rng=random.Random(7), **kwargs)


PROVIDER = {"name": "Example Hosting", "currency": "EUR", "currency_exponent": 2,
            "timezone": "Europe/Brussels"}


def test_requests_carry_the_bearer_token_and_ask_for_gzip() -> None:
    server = Recorder(httpx.Response(200, json=PROVIDER))
    with server.client() as client:
        assert client.provider().name == "Example Hosting"
    request = server.requests[0]
    assert request.url == "https://api.host.example/payg/v1/provider"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "gzip" in request.headers["Accept-Encoding"]


def test_the_token_is_in_no_repr() -> None:
    with Recorder(httpx.Response(200, json=PROVIDER)).client() as client:
        assert TOKEN not in repr(client)
        assert TOKEN not in repr(vars(client))
        assert TOKEN not in repr(client._http.headers)


@pytest.mark.parametrize("url", ["http://api.host.example", "http://192.168.1.5:8080"])
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(UsageError, match="https://"):
        ApiClient(url, TOKEN)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_busy_and_server_errors_are_retried(status: int) -> None:
    server = Recorder(httpx.Response(status), httpx.Response(status), httpx.Response(200, json=PROVIDER))
    with server.client() as client:
        client.provider()
    assert len(server.requests) == 3
    assert len(server.sleeps) == 2
    assert server.sleeps[0] <= server.sleeps[1]  # backing off, not hammering


@pytest.mark.parametrize("error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                                   httpx.RemoteProtocolError("peer closed connection")])
def test_connection_errors_and_timeouts_are_retried(error: Exception) -> None:
    server = Recorder(error, httpx.Response(200, json=PROVIDER))
    with server.client() as client:
        client.provider()
    assert len(server.requests) == 2
    assert server.retries[0].attempt == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(tries=10, base_delay=1.0, max_delay=8.0, total=1000, jitter=0.5)
    rng = random.Random(1)
    waits = [policy.delay(n, None, rng) for n in range(1, 7)]
    for n, wait in enumerate(waits, start=1):
        ceiling = min(8.0, 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len({round(w, 6) for w in waits}) == len(waits)  # jittered, not a fixed ladder


def test_retry_after_is_honoured() -> None:
    server = Recorder(httpx.Response(429, headers={"Retry-After": "0.3"}),
                      httpx.Response(200, json=PROVIDER))
    with server.client() as client:
        client.provider()
    assert server.sleeps[0] >= 0.3


def test_retries_are_bounded_in_tries_then_reported() -> None:
    server = Recorder(httpx.Response(503, json={"error": {"code": "unavailable",
                                                          "message": "maintenance"}}))
    with server.client() as client, pytest.raises(NetworkError) as caught:
        client.provider()
    assert len(server.requests) == 4
    assert "503" in caught.value.message and "maintenance" in caught.value.message
    assert "4 tries" in caught.value.message
    assert caught.value.exit_code == 3


def test_retries_are_bounded_in_total_time() -> None:
    now = [0.0]
    server = Recorder(httpx.Response(429, headers={"Retry-After": "40"}))
    client = server.client(retry=RetryPolicy(tries=10, base_delay=0.01, total=60),
                           clock=lambda: now[0])
    server.sleeps = []

    def sleep(seconds: float) -> None:
        server.sleeps.append(seconds)
        now[0] += seconds

    client._sleep = sleep
    with client, pytest.raises(NetworkError, match="gave up after 2 tries"):
        client.provider()
    assert sum(server.sleeps) <= 60


@pytest.mark.parametrize("status", [401, 403])
def test_refused_tokens_fail_at_once_with_a_hint(status: int) -> None:
    body = {"error": {"code": "unauthorized", "message": f"bad token {TOKEN}"}}
    server = Recorder(httpx.Response(status, json=body))
    with server.client() as client, pytest.raises(NetworkError) as caught:
        client.provider()
    assert len(server.requests) == 1 and not server.sleeps
    assert "check the token" in caught.value.message
    assert TOKEN not in caught.value.message  # even when the server echoes it


def test_other_client_errors_are_not_retried() -> None:
    server = Recorder(httpx.Response(404, json={"error": {"code": "not_found", "message": "?"}}))
    with server.client() as client, pytest.raises(NetworkError, match="404"):
        client.provider()
    assert len(server.requests) == 1


def pages_of(client: ApiClient, since: Slot = T0, until: Slot | None = None) -> list[list[Slot]]:
    return [[s.slot for s in p.snapshots] for p in client.snapshot_pages(since, until)]


def test_pages_follow_the_cursor_until_it_is_null() -> None:
    server = Recorder(page([T0, T0 + 1], "c1"), page([T0 + 3], "c2"), page([], None))
    with server.client() as client:
        assert pages_of(client, T0, T0 + 10) == [[T0, T0 + 1], [T0 + 3], []]
    params = [dict(r.url.params) for r in server.requests]
    assert [p.get("cursor") for p in params] == [None, "c1", "c2"]
    assert all(p["from"] == slot_iso(T0) and p["to"] == slot_iso(T0 + 10) for p in params)


def test_page_size_follows_the_bytes_per_snapshot() -> None:
    server = Recorder(page([T0], "c1"), page([T0 + 1], None))
    with server.client(page_bytes=10_000) as client:
        pages_of(client)
    first, second = (int(r.url.params["limit"]) for r in server.requests)
    per_snapshot = len(json.dumps(snapshot(T0)))
    assert first == 4
    assert second == min(168, 10_000 // per_snapshot)


def test_pages_are_fetched_one_at_a_time() -> None:
    server = Recorder(page([T0], "c1"), page([T0 + 1], None))
    with server.client() as client:
        pages = client.snapshot_pages(T0)
        next(pages)
        assert len(server.requests) == 1


def contract_error(*answers: httpx.Response) -> str:
    server = Recorder(*answers)
    with server.client() as client, pytest.raises(DataContractError) as caught:
        pages_of(client, T0, T0 + 100)
    assert caught.value.exit_code == 4
    assert "\n" not in caught.value.message
    return caught.value.message


def test_a_page_that_starts_before_the_previous_one_ended_is_refused() -> None:
    message = contract_error(page([T0, T0 + 5], "c1"), page([T0 + 5, T0 + 6], None))
    assert message.startswith(f"snapshot {slot_iso(T0 + 5)}: field 'taken_at'")
    assert "out of order" in message


def test_a_snapshot_outside_the_range_asked_for_is_refused() -> None:
    message = contract_error(page([T0 + 100]))
    assert f"snapshot {slot_iso(T0 + 100)}" in message and "outside the range" in message


def test_a_cursor_that_repeats_is_refused() -> None:
    message = contract_error(page([T0], "c1"), page([], "c1"))
    assert "next_cursor" in message


def test_a_missing_cursor_field_is_refused() -> None:
    message = contract_error(httpx.Response(200, json={"snapshots": []}))
    assert "'next_cursor'" in message and "missing" in message


def test_an_answer_that_is_not_json_is_a_contract_error() -> None:
    message = contract_error(httpx.Response(200, content=b'{"snapshots": [tru'))
    assert "not valid JSON" in message


def test_a_bad_snapshot_names_the_snapshot_and_the_field() -> None:
    bad = snapshot(T0 + 1)
    bad["accounts"][1]["addons"][0]["product"] = 7
    answer = httpx.Response(200, json={"snapshots": [snapshot(T0), bad], "next_cursor": None})
    message = contract_error(answer)
    assert message == (f"snapshot {slot_iso(T0 + 1)}: field 'accounts[1].addons[0].product': "
                       "expected a string, got number")


def test_pausing_the_collector_is_counted_and_restores_its_state() -> None:
    import gc

    from payg_tui.providers.hosting_api import paused_gc

    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
