"""A row of tab labels over an underline, drawn by one widget.

Textual's `TabbedContent` mounts some twenty widgets for seven tabs (tabs,
panes, a switcher, an underline, scroll containers); styling and laying them
out was a third of the time to a period's first paint. This bar draws the
labels and the underline itself and says which tab was chosen; the screen
shows the matching pane. It takes no focus: `[` and `]` (or a click) move
between tabs, and the keys stay with the table.

When the labels are wider than the bar, the row is shifted to bring the
active tab to the middle (as far as the row's ends allow), as Textual's tabs
scroll: the tabs either side of it stay in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.renderables.bar import Bar
from textual.widget import Widget

PADDING = 1  # cells each side of a label


class TabBar(Widget, can_focus=False):
    ALLOW_SELECT = False  # a double-click chooses a tab, it does not select the labels' text
    DEFAULT_CSS = """
    TabBar {
        height: 2;
        width: 1fr;
        & > .tab-bar--tab { color: $foreground 50%; }
        & > .tab-bar--active { color: $foreground; }
        & > .tab-bar--bar {
            color: $block-cursor-background;
            background: $foreground 10%;
        }
        &:ansi > .tab-bar--tab { text-style: dim; }
        &:ansi > .tab-bar--active { text-style: not dim bold; }
        &:ansi > .tab-bar--bar { background: $border-blurred; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tab-bar--tab", "tab-bar--active", "tab-bar--bar"}

    active: reactive[str] = reactive("", init=False)

    class Changed(Message):
        """Another tab was chosen (by a key, the palette or a click)."""

        def __init__(self, bar: TabBar, pane_id: str) -> None:
            super().__init__()
            self.bar = bar
            self.pane_id = pane_id

        @property
        def control(self) -> TabBar:
            return self.bar

    def __init__(self, tabs: Sequence[tuple[str, str]], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._labels: dict[str, str] = dict(tabs)
        self.set_reactive(TabBar.active, active)

    @property
    def ids(self) -> list[str]:
        return list(self._labels)

    def label(self, pane_id: str) -> str:
        return self._labels[pane_id]

    def set_label(self, pane_id: str, label: str) -> None:
        if self._labels.get(pane_id) != label:
            self._labels[pane_id] = label
            self.refresh()

    def watch_active(self, old: str, new: str) -> None:
        if new != old:
            self.post_message(self.Changed(self, new))

    def _spans(self) -> list[tuple[str, int, int]]:
        """(pane id, first cell, cell after the last) of each tab, before any shift."""
        spans, x = [], 0
        for pane_id, label in self._labels.items():
            width = cell_len(label) + 2 * PADDING
            spans.append((pane_id, x, x + width))
            x += width
        return spans

    def _shift(self, spans: list[tuple[str, int, int]]) -> int:
        """Cells the row is moved left: the active tab in the middle, within the row's ends."""
        width = self.size.width
        total = spans[-1][2] if spans else 0
        if total <= width:
            return 0
        for pane_id, start, end in spans:
            if pane_id == self.active:
                centred = (start + end - width) // 2
                # whole in view even when it is wider than half the bar
                return max(0, min(centred, total - width, start))
        return 0

    def render(self) -> RenderableType:
        spans = self._spans()
        shift = self._shift(spans)
        tab_style = self.get_component_rich_style("tab-bar--tab")
        active_style = self.get_component_rich_style("tab-bar--active")
        row = Text(no_wrap=True, overflow="crop", end="")
        highlight = (0, 0)
        for pane_id, start, end in spans:
            style = active_style if pane_id == self.active else tab_style
            row.append(" " * PADDING + self._labels[pane_id] + " " * PADDING, style=style)
            if pane_id == self.active:
                highlight = (start + PADDING - shift, end - PADDING - shift)  # under the label
        bar_style = self.get_component_rich_style("tab-bar--bar")
        underline = Bar(highlight_range=highlight, highlight_style=Style.from_color(bar_style.color),
                        background_style=Style.from_color(bar_style.bgcolor))
        shown = _crop_left(row, shift, tab_style)
        shown.no_wrap, shown.overflow = True, "crop"  # never wrapped onto the underline's row
        shown.truncate(self.size.width)
        return Group(shown, underline)

    def on_click(self, event: events.Click) -> None:
        spans = self._spans()
        x = event.x + self._shift(spans)
        for pane_id, start, end in spans:
            if start <= x < end:
                event.stop()
                self.active = pane_id
                return


def _crop_left(text: Text, cells: int, pad: Style) -> Text:
    """`text` without its first `cells` cells; a wide character cut in two becomes a space."""
    index = seen = 0
    plain = text.plain
    while index < len(plain) and seen < cells:
        seen += cell_len(plain[index])
        index += 1
    cropped = text[index:]
    if seen > cells:  # the last character dropped straddled the cut: keep its right half blank
        cropped = Text(" " * (seen - cells), style=pad, end="") + cropped
    return cropped
