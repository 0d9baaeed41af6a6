"""Work a screen starts belongs to that screen, and ends with it.

Keys come faster than screens mount: Enter then Escape in one write pops a
period before its report arrives. A popped screen is taken apart widget by
widget, yet what it started may still come due: a worker's reply, a timer, a
`call_after_refresh` callback (Textual runs those on whichever screen is on
top by then). Each of them asks `still_open` first and does nothing once its
screen has gone; Textual cancels a node's workers and timers when it unmounts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.dom import DOMNode, NoScreen
from textual.screen import Screen


def on_stack(node: DOMNode) -> bool:
    """The node is attached and its screen is on the app's screen stack (mounted or not yet)."""
    try:
        screen = node if isinstance(node, Screen) else node.screen
        return node.is_attached and screen in node.app.screen_stack
    except (NoScreen, RuntimeError):  # RuntimeError: Textual's NoActiveAppError (private)
        return False


def still_open(node: DOMNode) -> bool:
    """The node's screen has mounted (its widgets can be queried) and is still on the stack."""
    try:
        screen = node if isinstance(node, Screen) else node.screen
    except (NoScreen, RuntimeError):  # RuntimeError: Textual's NoActiveAppError (private)
        return False
    return screen.is_mounted and on_stack(node)


def if_open(node: DOMNode, callback: Callable[[], Any]) -> Callable[[], Awaitable[None]]:
    """`callback`, to be run later, only if `node` is still open by then."""

    async def guarded() -> None:
        if still_open(node):
            result = callback()
            if isinstance(result, Awaitable):
                await result

    return guarded


def close(screen: Screen[Any], result: Any = None) -> None:
    """Dismiss `screen` with `result` if it is the one on top, else nothing.

    Textual's `dismiss` pops whatever screen is on top; a button press or an
    Enter still queued for a dialog that Escape already closed must not pop
    the screen under it.
    """
    if screen.is_current:
        screen.dismiss(result)


def later(node: DOMNode, callback: Callable[[], Any]) -> None:
    """`call_after_refresh`, dropped if the node's screen has closed in the meantime."""
    node.call_after_refresh(if_open(node, callback))

