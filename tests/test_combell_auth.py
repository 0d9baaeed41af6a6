"""Combell's HMAC signature, checked against vectors worked out by hand.

The expected strings below were written from the spec's algorithm (and the
HMAC/MD5 values computed with `openssl dgst`), not produced by the code under
test.
"""

from __future__ import annotations

import pytest

from payg_tui.providers.combell.auth import (
    Credentials,
    authorization,
    content_digest,
    encode_path,
    signature,
    signing_text,
)

KEY = "key-1"
SECRET = "s3cr3t"


def test_paging_query_is_encoded_whole_with_upper_case_codes() -> None:
    assert encode_path("/v2/accounts?skip=0&take=25") == "%2Fv2%2Faccounts%3Fskip%3D0%26take%3D25"


def test_signature_of_a_get_with_paging_query() -> None:
    text = signing_text(KEY, "GET", "/v2/accounts?skip=0&take=25", 1700000000, "abc123")
    assert text == "key-1get%2Fv2%2Faccounts%3Fskip%3D0%26take%3D251700000000abc123"
    assert signature(SECRET, text) == "WubSunofWeM8GcuLKTFHEfbSbq3y1vxGhFoz8T46YdI="


def test_signature_of_a_path_that_needs_percent_encoding_and_a_body() -> None:
    # Lower-cased first (Ä->ä, BE->be), then every reserved byte encoded:
    # '@' %40, 'ä' is UTF-8 C3 A4, the space %20.
    body = b'{"name":"x"}'
    assert content_digest(body) == "XPjvtoWAtUEjboURSJmvgQ=="
    text = signing_text(KEY, "POST", "/v2/mailboxes/Info@ExÄmple.BE?q=A b", 1700000000,
                        "nonce-2", body)
    assert text == ("key-1post%2Fv2%2Fmailboxes%2Finfo%40ex%C3%A4mple.be%3Fq%3Da%20b"
                    "1700000000nonce-2XPjvtoWAtUEjboURSJmvgQ==")
    assert signature(SECRET, text) == "DETKe3gvQ35y6LGKvBSOSBa7R2vgmTcf5VcPffey5Gc="


def test_an_empty_body_adds_nothing() -> None:
    assert content_digest(b"") == ""
    assert signing_text(KEY, "get", "/v2/servicepacks", 1, "n") == "key-1get%2Fv2%2Fservicepacks1n"


def test_authorization_header_is_hmac_key_signature_nonce_timestamp() -> None:
    header = authorization(Credentials(KEY, SECRET), "GET", "/v2/accounts?skip=0&take=25",
                           1700000000, "abc123")
    assert header == "hmac key-1:WubSunofWeM8GcuLKTFHEfbSbq3y1vxGhFoz8T46YdI=:abc123:1700000000"


def test_credentials_never_show_in_repr_or_str() -> None:
    credentials = Credentials("visible-key-123", "very-secret-456")
    for shown in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
        assert "visible-key-123" not in shown
        assert "very-secret-456" not in shown


def test_credentials_refuse_to_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Credentials("k", "s"))
