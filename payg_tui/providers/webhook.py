"""The alerts webhook: one JSON POST, with the sync client's rules (alerts.md).

https only (http:// on loopback), connect and read timeouts, an overall
deadline (`api.request_timeout`) and at most `MAX_ANSWER` bytes of the
answer read, both kept by `bounded.py` like every request to a provider. The URL
is a secret (incoming-webhook URLs carry their key): messages show its
scheme and host only, and anything the server or httpx says is scrubbed of it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from payg_tui.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    check_webhook,
    mask_url,
)
from payg_tui.engine.text import printable
from payg_tui.errors import NetworkError
from payg_tui.providers import bounded

MAX_ANSWER = 64 * 1024  # a chat service answers "ok"; anything long is not worth reading
_USER_AGENT = "payg-tui/0.1"


class _Scrubber:
    """Removes the webhook's URL, and its secret path and query, from text."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        secret = parts.path + (f"?{parts.query}" if parts.query else "")
        self._words = sorted({w for w in (url, secret, parts.path, parts.query) if len(w) > 1},
                             key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for word in self._words:
            text = text.replace(word, "/…")
        return printable(text, 200)


def post_alerts(url: str, body: dict[str, Any], *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                read_timeout: float = DEFAULT_READ_TIMEOUT,
                request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                transport: httpx.BaseTransport | None = None) -> None:
    """POST `body` as JSON to the webhook; `NetworkError` (exit 3) when it cannot be delivered."""
    url = check_webhook(url)
    shown = mask_url(url)
    scrub = _Scrubber(url)
    data = json.dumps(body).encode("utf-8")
    with httpx.Client(timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
                      follow_redirects=False, verify=True, transport=transport,
                      headers={"User-Agent": _USER_AGENT}) as http:
        bounded.bound_sockets(http)
        try:
            response = bounded.request(http, "POST", url, bounded.Bounds(request_timeout, MAX_ANSWER),
                                       content=data, headers={"Content-Type": "application/json"})
        except bounded.TooLarge:
            return  # a 200 with a long answer: delivered all the same
        except bounded.TooSlow as error:
            raise NetworkError(f"the webhook {shown} could not be reached: no complete answer "
                               f"within {error.seconds:g} s") from None
        except httpx.TimeoutException:
            raise NetworkError(f"the webhook {shown} could not be reached: timed out") from None
        except httpx.HTTPError as error:
            problem = scrub(str(error)) or type(error).__name__
            raise NetworkError(f"the webhook {shown} could not be reached: {problem}") from None
    if not 200 <= response.status_code < 300:
        detail = scrub(response.content.decode("utf-8", "replace")).strip()
        raise NetworkError(f"the webhook {shown} answered {response.status_code} "
                           f"{response.reason_phrase}{': ' + detail if detail else ''}")

