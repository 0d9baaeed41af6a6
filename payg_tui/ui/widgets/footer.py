"""Textual's footer, rebuilt only when the keys it shows change.

`Footer` recomposes (unmounts and mounts a widget per key) after every
change of focus or bindings, even when it would show the same keys: opening a
period moved the focus three times and rebuilt the footer six times, a good
part of the time to the first paint. This one rebuilds once per refresh at
most, and not at all when the shown keys are the same.

The rebuild is deferred to after the next refresh; by then the footer's
screen may have been popped (Escape right after Enter), so it runs only while
that screen is still on the stack (see `lifetime`).

Keys that do not fit the width are left out whole (the palette key, docked on
the right, would otherwise cover half of one: "c Setting▏^p palette").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from payg_tui.ui.lifetime import on_stack

if TYPE_CHECKING:
    from textual.screen import Screen

Shown = tuple[int, tuple[tuple[str, str, str, bool, str], ...]]  # (width, keys)


def _width(key: FooterKey) -> int:
    """Cells a compact key takes: `k Description`."""
    return cell_len(key.key_display) + (1 + cell_len(key.description) if key.description else 0)


class KeyFooter(Footer):
    def __init__(self, *, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self._pending_on: Screen[object] | None = None  # on top when the update was asked
        self._shown: Shown | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        app = screen.app
        # Textual runs a deferred callback after the refresh of the screen on top, and a
        # screen that closes before painting (a dialog opened and closed in one write)
        # drops it: once another screen is on top, ask again rather than wait for ever.
        if not app.app_focus or self._pending_on is app.screen:
            return
        if self.is_attached and screen is self.screen:
            self._pending_on = app.screen
            self.call_after_refresh(self._update)

    def on_resize(self) -> None:
        if on_stack(self):
            self.bindings_changed(self.screen)

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        palette = [w for w in widgets if w.has_class("-command-palette")]
        room = self.app.size.width - sum(_width(w) + 2 for w in palette if isinstance(w, FooterKey))
        for widget in widgets:
            if widget in palette:
                continue
            need = _width(widget) + 1 if isinstance(widget, FooterKey) else 0  # + its right margin
            if need > room:
                break
            room -= need
            yield widget
        yield from palette

    def _keys(self) -> Shown:
        return (self.app.size.width,
                tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                      for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                      if binding.show or binding.action == "command_palette"))

    async def _update(self) -> None:
        self._pending_on = None
        if not on_stack(self):
            return
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()
