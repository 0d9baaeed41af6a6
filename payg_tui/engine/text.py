"""Untrusted text (account names, customer references, server messages), made safe.

One rule for broken text everywhere: a lone surrogate (valid in JSON as
`"\\ud800"`, but not Unicode text, so SQLite and UTF-8 files cannot hold it)
becomes U+FFFD, the replacement character, one for each. A literal `?` would
pass for a real question mark in a name; U+FFFD says "a character was lost
here", as every UTF-8 decoder does.

`storable` applies that rule only (what the cache keeps); `printable` also
hides what could steer a terminal (what screens and tables show).
"""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD; anything else kept as is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(REPLACEMENT, text)
    return text


def printable(value: str | None, width: int | None = None) -> str:
    """Printable text: control and escape characters shown as `?`, long text cut with `…`.

    `?` replaces every other "other" character (Unicode category C: controls
    such as ESC, BEL, CR and BS; format characters such as the bidi override
    U+202E and zero-width spaces; unassigned code points) and the line and
    paragraph separators U+2028/U+2029, so that text cannot move the cursor,
    recolour the terminal, reorder a line or break it. Lone surrogates become
    U+FFFD, as in `storable`. `None` is shown as `-`.
    """
    if value is None:
        return "-"
    text = value if value.isprintable() else "".join(_shown(ch) for ch in value)
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def _shown(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cs":
        return REPLACEMENT
    if category[0] == "C" or ch in "\u2028\u2029":
        return "?"
    return ch
