"""The alerts webhook against a real server on 127.0.0.1 (alerts.md: Webhook)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from payg_tui.errors import NetworkError
from payg_tui.providers.retry import RetryPolicy
from payg_tui.providers.webhook import post_alerts
from tests.builders import World, h

SECRET_PATH = "/hooks/T0001/very-secret-key-123"
NOW = "2026-12-02T04:00:00Z"


class Hook:
    """A chat service's incoming webhook: answers from a script, remembers what it got."""

    def __init__(self, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.answers = answers
        self.received: list[tuple[str, dict[str, str], Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((self.path, dict(self.headers), json.loads(body)))
                status, headers, answer = hook.answers.pop(0) if hook.answers else (200, {}, b"ok")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{SECRET_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook([])
    yield server
    server.close()


def down_url() -> str:
    """A loopback port nothing listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET_PATH}"


BODY = {"schema": "payg-alerts/1", "now": NOW, "alerts": [], "text": "x"}
QUICK = RetryPolicy(tries=3, base_delay=0.01, max_delay=0.05, total=10.0)


def test_429_then_success_waits_the_retry_after_and_delivers(hook):
    hook.answers = [(429, {"Retry-After": "2"}, b"slow down")]
    waits: list[float] = []
    post_alerts(hook.url, BODY, retry=QUICK, sleep=waits.append)
    assert len(hook.received) == 2 and hook.received[1][2] == BODY
    assert len(waits) == 1 and waits[0] >= 2.0


def test_a_5xx_is_retried_then_reported_with_the_tries(hook):
    hook.answers = [(503, {}, b"down for maintenance")] * 5
    waits: list[float] = []
    with pytest.raises(NetworkError) as caught:
        post_alerts(hook.url, BODY, retry=QUICK, sleep=waits.append)
    assert len(hook.received) == 3 and len(waits) == 2
    message = caught.value.message
    assert "503 Service Unavailable: down for maintenance" in message and "3 tries" in message
    assert "very-secret-key" not in message


def test_the_body_is_posted_as_json(hook):
    post_alerts(hook.url, BODY)
    [(path, headers, got)] = hook.received
    assert path == SECRET_PATH and got == BODY
    assert headers["Content-Type"] == "application/json"


def test_a_server_that_is_down_is_a_network_error_without_the_secret():
    with pytest.raises(NetworkError) as caught:
        post_alerts(down_url(), BODY, connect_timeout=1, retry=QUICK)
    message = caught.value.message
    assert "could not be reached" in message and "127.0.0.1" in message
    assert "very-secret-key" not in message and "T0001" not in message


def test_a_client_error_is_not_retried_and_says_the_status(hook):
    hook.answers = [(404, {}, f"no such hook {SECRET_PATH}".encode())]
    with pytest.raises(NetworkError) as caught:
        post_alerts(hook.url, BODY, retry=QUICK)
    assert len(hook.received) == 1
    assert "404" in caught.value.message and "very-secret-key" not in caught.value.message


def test_a_redirect_is_not_followed(hook):
    hook.answers = [(302, {"Location": "http://127.0.0.1:1/elsewhere"}, b"")]
    with pytest.raises(NetworkError, match="302"):
        post_alerts(hook.url, BODY, retry=QUICK)
    assert len(hook.received) == 1


def test_plain_http_is_refused_off_loopback():
    with pytest.raises(Exception, match="https://") as caught:
        post_alerts("http://hooks.chat.example/very-secret-key-123", BODY)
    assert "very-secret-key" not in str(caught.value)


def test_a_huge_answer_is_not_read_whole(hook):
    hook.answers = [(500, {}, b"x" * 5_000_000)] * 10
    with pytest.raises(NetworkError) as caught:
        post_alerts(hook.url, BODY, retry=QUICK)
    assert len(caught.value.message) < 400


def test_a_server_that_never_finishes_its_answer_is_cut_off_at_the_deadline():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}{SECRET_PATH}"
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            # Accepted by the kernel, never answered: only the deadline ends each try.
            post_alerts(url, BODY, read_timeout=30, request_timeout=0.5,
                        retry=RetryPolicy(tries=2, base_delay=0.01, max_delay=0.01, total=10))
        assert time.monotonic() - started < 5
    assert "2 tries" in caught.value.message


# -- through the command, in a real process ---------------------------------------


def _cache(tmp_path: Path) -> dict[str, str]:
    w = World(timezone="Europe/Brussels")
    w.account("old", "p72", h("2026-11-25T00"))
    w.account("new", "p72", h("2026-12-01T08"))
    w.names["new"] = "<!channel> & co @channel @all"
    (tmp_path / "cache").mkdir()
    w.store(tmp_path / "cache" / "cache.sqlite3", h("2026-11-25T00"), h("2026-12-02T04")).close()
    return {**os.environ, "PAYG_TUI_CACHE_DIR": str(tmp_path / "cache"),
            "PAYG_TUI_CONFIG_DIR": str(tmp_path / "config")}


def alerts(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "payg_tui.cli", "alerts", "--now", NOW, *argv],
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_command_posts_the_alerts_with_a_text_field(tmp_path, hook):
    done = alerts(_cache(tmp_path), "--within", "30", "--webhook", hook.url)
    assert done.returncode == 1 and done.stderr == ""
    [(_, _, got)] = hook.received
    assert got["schema"] == "payg-alerts/1" and got["alerts"][0]["item"] == "new"
    # One message a line; what Slack reads as a mention or a link is escaped.
    # An @ before a word gets a zero-width space: no mention in Mattermost either.
    assert got["text"] == ("&lt;!channel&gt; &amp; co @\u200bchannel @\u200ball: delete before "
                           "3 Dec 08:00 CET to pay nothing (71.13 EUR to month end)")
    assert got["alerts"][0]["name"] == "<!channel> & co @channel @all"


def test_nothing_to_say_posts_nothing(tmp_path, hook):
    done = alerts(_cache(tmp_path), "--within", "12", "--webhook", hook.url)
    assert done.returncode == 0 and hook.received == []


def test_a_webhook_that_is_down_is_exit_3_and_the_alerts_are_still_printed(tmp_path):
    done = alerts(_cache(tmp_path), "--within", "30", "--webhook", down_url())
    assert done.returncode == 3
    assert "delete before 3 Dec 08:00 CET" in done.stdout
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("payg-tui: the webhook ")
    assert "very-secret-key" not in done.stderr


def test_the_webhook_setting_is_used_when_no_option_is_given(tmp_path, hook):
    env = _cache(tmp_path)
    subprocess.run([sys.executable, "-m", "payg_tui.cli", "config", "set", "alerts.webhook", hook.url],
                   env=env, check=True, capture_output=True)
    done = alerts(env, "--within", "30")
    assert done.returncode == 1 and len(hook.received) == 1
