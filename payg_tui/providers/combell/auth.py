"""Combell's HMAC request signature (OpenAPI v2, "Authentication").

The signed text is the concatenation, without separators, of: the API key,
the lower-cased method, the URL-encoded lower-cased path and query (starting
with `/v2`, upper-case percent codes), the unix time in seconds, a nonce, and
for a non-empty body the Base64 of its MD5. The signature is the Base64 of
HMAC-SHA256 over that text with the secret; it travels as
`Authorization: hmac <key>:<signature>:<nonce>:<timestamp>`.

"URL-encoding" is not pinned down further by the spec; we percent-encode
every byte of the UTF-8 text except the RFC 3986 unreserved characters
(`A-Z a-z 0-9 - _ . ~`), so `/` is `%2F` and a space is `%20`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote

_UNRESERVED = "-_.~"


class Credentials:
    """The API key and secret. Neither ever shows up in a repr or a message."""

    __slots__ = ("_key", "_secret")

    def __init__(self, key: str, secret: str) -> None:
        self._key = key
        self._secret = secret

    @property
    def key(self) -> str:
        return self._key

    @property
    def secret(self) -> str:
        return self._secret

    def __repr__(self) -> str:
        return "Credentials(key=<hidden>, secret=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # never pickle a secret into a file
        raise TypeError("Credentials cannot be pickled")


def encode_path(path_and_query: str) -> str:
    """`/v2/accounts?skip=0` -> `%2Fv2%2Faccounts%3Fskip%3D0` (lower-cased first)."""
    return quote(path_and_query.lower(), safe=_UNRESERVED)


def content_digest(body: bytes) -> str:
    """Base64 MD5 of a non-empty body; the empty string for an empty one."""
    if not body:
        return ""
    return base64.b64encode(hashlib.md5(body).digest()).decode("ascii")


def signing_text(key: str, method: str, path_and_query: str, timestamp: int, nonce: str,
                 body: bytes = b"") -> str:
    return (f"{key}{method.lower()}{encode_path(path_and_query)}{timestamp}{nonce}"
            f"{content_digest(body)}")


def signature(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def new_nonce() -> str:
    return secrets.token_hex(16)


def authorization(credentials: Credentials, method: str, path_and_query: str, timestamp: int,
                  nonce: str, body: bytes = b"") -> str:
    """The value of the `Authorization` header for one request."""
    text = signing_text(credentials.key, method, path_and_query, timestamp, nonce, body)
    return f"hmac {credentials.key}:{signature(credentials.secret, text)}:{nonce}:{timestamp}"
