"""The key footer, drawn by one widget.

Textual's `Footer` mounts a widget per key and mounts them all again after
every change of focus or bindings; opening a period spent a tenth of its
time to the first paint styling and laying out footer keys. This footer
draws the same line (`k Description` per key, the palette key on the right
behind a thin rule) as one piece of text, read from the screen's bindings
when it is painted, so a change of bindings costs one repaint.

Keys that do not fit the width are left out whole. A click on a key presses
it; a key its screen disables (`check_action`) is shown dim and only rings
the bell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

RULE = "▏"  # before the palette key, as Textual's footer draws it


class Key(NamedTuple):
    key: str  # what a click presses
    display: str
    description: str
    enabled: bool


class KeyFooter(Widget, can_focus=False):
    ALLOW_SELECT = False  # a click presses a key; a drag or double-click selects nothing
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover { background: $block-hover-background; }
        & > .key-footer--disabled { text-style: dim; }
        & > .key-footer--rule { color: $foreground 20%; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key", "key-footer--description", "key-footer--hover", "key-footer--disabled",
        "key-footer--rule",
    }

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[list[Key], Key | None] | None = None  # (keys, palette key) last read
        self._spans: list[tuple[int, int, Key]] = []  # where each drawn key is, for clicks
        self._hover: Key | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self._keys = None  # read again when painted
        self.refresh()

    def _read_keys(self) -> tuple[list[Key], Key | None]:
        """The screen's shown keys, one per action (the first bound), and the palette key."""
        keys: dict[str, Key] = {}
        palette: Key | None = None
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            key = Key(binding.key, self.app.get_key_display(binding), binding.description, enabled)
            if binding.action == "command_palette":
                palette = palette or key
            elif binding.show:
                keys.setdefault(binding.action, key)
        if not self.app.ENABLE_COMMAND_PALETTE:
            palette = None
        return list(keys.values()), palette

    def render(self) -> Text:
        if self._keys is None:
            self._keys = self._read_keys()
        keys, palette = self._keys
        width = self.size.width
        right = _cells(palette) + 2 if palette else 0  # the rule, the key, one cell of padding
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for key in keys:
            need = _cells(key) + 1  # and the space after it
            if line.cell_len + need > width - right:
                break
            self._append(line, key)
            line.append(" ")
        if palette is not None and right <= width:
            line.append(" " * (width - right - line.cell_len))
            line.append(RULE, style=self.get_component_rich_style("key-footer--rule"))
            self._append(line, palette)
            line.append(" ")
        return line

    def _append(self, line: Text, key: Key) -> None:
        start = line.cell_len
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        if key == self._hover:
            hover = self.get_component_rich_style("key-footer--hover", partial=True)
            key_style, description_style = key_style + hover, description_style + hover
        if not key.enabled:
            dim = self.get_component_rich_style("key-footer--disabled", partial=True)
            key_style, description_style = key_style + dim, description_style + dim
        line.append(key.display, style=key_style)
        if key.description:
            line.append(" " + key.description, style=description_style)
        self._spans.append((start, line.cell_len, key))

    def _key_at(self, x: int) -> Key | None:
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        event.stop()
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._key_at(event.x))

    def on_leave(self) -> None:
        self._set_hover(None)

    def _set_hover(self, key: Key | None) -> None:
        if key != self._hover:
            self._hover = key
            self.refresh()


def _cells(key: Key) -> int:
    """Cells a key takes: `k Description`."""
    return cell_len(key.display) + (1 + cell_len(key.description) if key.description else 0)
