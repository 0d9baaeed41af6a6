"""Keys as a terminal delivers them: several in one write, none waiting for the app.

`Pilot.press` waits for the app to be idle after every key, which hides every
race between a key and the work the previous key started. Over SSH, a paste,
or a fast typist, the keys of one write are all queued before the app handles
the first; `burst` does exactly that (a `resize:WxH` item resizes the terminal
in the same write).
"""

from __future__ import annotations

import unicodedata

from textual import events
from textual.geometry import Size
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot

from tests.ui.conftest import settle


def key_event(key: str) -> events.Key:
    """The event the driver would make for a key name, as `Pilot.press` makes it."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def burst(pilot: Pilot[object], *keys: str) -> None:
    """Queue every key (and `resize:WxH`) at once, like one write to the terminal."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        if key.startswith("resize:"):
            width, height = (int(n) for n in key.removeprefix("resize:").split("x"))
            size = Size(width, height)
            driver._size = size  # type: ignore[attr-defined]  # the headless driver's terminal size
            message: events.Event = events.Resize(size, size)
        else:
            message = key_event(key)
        message.set_sender(app)
        driver.send_message(message)


async def still_running(pilot: Pilot[object]) -> None:
    """Whatever the keys did, the app has not crashed and is still there."""
    await settle(pilot)
    app = pilot.app
    assert app._exception is None, f"the app crashed: {app._exception!r}"
    assert app.is_running and app.return_code is None


async def quits_on_q(pilot: Pilot[object]) -> None:
    """Escape out of any dialog, field or screen, then `q` quits with 0."""
    await pilot.press(*["escape"] * 8)
    await pilot.press("q")
    await pilot.pause()
    app = pilot.app
    assert app._exception is None, f"the app crashed: {app._exception!r}"
    assert app.return_code == 0
