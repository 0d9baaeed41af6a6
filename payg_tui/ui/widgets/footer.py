"""Textual's footer, rebuilt only when the keys it shows change.

`Footer` recomposes (unmounts and mounts a widget per key) after every
change of focus or bindings, even when it would show the same keys: opening a
period moved the focus three times and rebuilt the footer six times, a good
part of the time to the first paint. This one rebuilds once per refresh at
most, and not at all when the shown keys are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

Shown = tuple[tuple[str, str, str, bool, str], ...]


class KeyFooter(Footer):
    def __init__(self, *, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self._pending = False
        self._shown: Shown | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._update)

    def _keys(self) -> Shown:
        return tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                     if binding.show or binding.action == "command_palette")

    async def _update(self) -> None:
        self._pending = False
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()
