"""A virtual table: cost follows the screen, not the data.

`VirtualTable` is a `ScrollView` that draws only the visible lines with
`render_line`, keeping the last few hundred drawn rows in a small LRU. Rows
are any Python objects; `Column`s say how to draw, sort and search them.
Sorting and filtering rearrange a plain list of row references and then
only refresh the view, so 15,000 lines sort in milliseconds.

The header is line 0 and stays put while the rows scroll under it. Columns
with a `drop` rank are hidden, highest rank first, when the table is too
narrow for them (80 columns over SSH), so nothing wraps or overlaps; if that
is not enough, whole columns go from the right: a column is never shown cut.
Digit n sorts by the n-th column of the table, shown or not.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

R = TypeVar("R")
Cell = Text | str
GAP = 1  # blank cells between columns
MARK = 2  # the cursor marker column on the left


@dataclass(frozen=True)
class Column(Generic[R]):
    label: str
    cell: Callable[[R], Cell]
    sort_key: Callable[[R], Any] | None = None
    width: int = 10  # fixed width; the minimum width of a flex column
    flex: bool = False  # takes the room the others leave
    align: Literal["left", "right"] = "left"
    drop: int = 0  # > 0: hidden when narrow, the highest rank first
    search: Callable[[R], str] | None = None  # the text the filter looks in
    tone: Callable[[R], str | None] | None = None  # a component class for the cell


def _sortable(key: Callable[[Any], Any]) -> Callable[[Any], tuple[bool, Any]]:
    def wrapped(row: Any) -> tuple[bool, Any]:
        value = key(row)
        return (value is None, value if value is not None else 0)

    return wrapped


class VirtualTable(ScrollView, Generic[R], can_focus=True):
    """Rows of `R` under a sticky header; Enter or a double click selects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        *(Binding(str(n), f"sort({n - 1})", f"Sort by column {n}", show=False) for n in range(1, 10)),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vtable--header",
        "vtable--sorted",
        "vtable--cursor",
        "vtable--cursor-blurred",
        "vtable--odd",
        "vtable--empty",
        "vtable--good",
        "vtable--warn",
        "vtable--bad",
        "vtable--muted",
        "vtable--bar",
    }

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class RowMessage(Message):
        """Something happened to one row of the table."""

        def __init__(self, table: VirtualTable[Any], row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> VirtualTable[Any]:
            return self.table

    class Selected(RowMessage):
        """A double click on a row (Enter is a binding of the screen: see `TableScreen.open_row`)."""

    class Highlighted(RowMessage):
        """The cursor moved to another row (or the rows changed under it)."""

    class Ready(Message):
        """Mounted: the app may apply the sort it remembers for this table."""

        def __init__(self, table: VirtualTable[Any]) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> VirtualTable[Any]:
            return self.table

    class Sorted(Message):
        def __init__(self, table: VirtualTable[Any], label: str, reverse: bool) -> None:
            super().__init__()
            self.table = table
            self.label = label
            self.reverse = reverse

    def __init__(self, columns: Sequence[Column[R]], *, empty: str = "nothing to show",
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: list[Column[R]] = list(columns)
        self.empty = empty
        self._rows: list[R] = []
        self._pinned: list[R] = []  # rows kept last, whatever the sort and filter (a total)
        self._sorted: list[R] = []
        self._view: list[R] = []
        self._haystack: dict[int, str] | None = None
        self._filter = ""
        self._sort_column: int | None = None
        self._reverse = False
        self._layout: list[tuple[int, int]] = []  # (column index, width)
        self._layout_width = -1
        self._cache: OrderedDict[tuple[int, bool, bool], Strip] = OrderedDict()
        self._styles_drawn: tuple[Style, ...] | None = None  # what the cached rows were drawn with
        self._cache_size = 400

    # -- data -----------------------------------------------------------------

    @property
    def rows(self) -> list[R]:
        return self._rows

    @property
    def view(self) -> list[R]:
        """The rows shown, in order (after sort and filter)."""
        return self._view

    @property
    def current(self) -> R | None:
        if 0 <= self.cursor_row < len(self._view):
            return self._view[self.cursor_row]
        return None

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def sort_state(self) -> tuple[str, bool] | None:
        if self._sort_column is None:
            return None
        return self.columns[self._sort_column].label, self._reverse

    def set_columns(self, columns: Sequence[Column[R]]) -> None:
        """New columns (same meaning, e.g. another currency exponent); keeps the sort."""
        self.columns = list(columns)
        self._layout_width = -1
        self._haystack = None
        self._cache.clear()
        self.refresh()

    def set_rows(self, rows: Sequence[R], pinned: Sequence[R] = ()) -> None:
        """Replace the rows, keeping the sort order and the filter; `pinned` rows stay last."""
        keep = self.current
        self._rows = list(rows)
        self._pinned = list(pinned)
        self._haystack = None
        self._cache.clear()
        self._resort()
        self._refilter(keep)

    def sort_by(self, column: int | str, reverse: bool | None = None) -> None:
        """Sort by a column (index or label); sorting the same column again reverses it."""
        index = column if isinstance(column, int) else self._column_index(column)
        if index is None or not 0 <= index < len(self.columns):
            return
        if self.columns[index].sort_key is None:
            return
        if reverse is None:
            reverse = not self._reverse if index == self._sort_column else False
        keep = self.current
        self._sort_column, self._reverse = index, reverse
        self._resort()
        self._refilter(keep)
        self.post_message(self.Sorted(self, self.columns[index].label, reverse))

    def set_filter(self, text: str) -> None:
        """Show only rows whose searchable text holds `text` (case-insensitive)."""
        if text == self._filter:
            return
        keep = self.current
        self._filter = text
        self._refilter(keep)

    def _column_index(self, label: str) -> int | None:
        for i, column in enumerate(self.columns):
            if column.label.casefold() == label.casefold():
                return i
        return None

    def _resort(self) -> None:
        if self._sort_column is None:
            self._sorted = self._rows + self._pinned
            return
        key = self.columns[self._sort_column].sort_key
        assert key is not None
        self._sorted = sorted(self._rows, key=_sortable(key), reverse=self._reverse) + self._pinned

    def _haystacks(self) -> dict[int, str]:
        if self._haystack is None:
            finders = [c.search for c in self.columns if c.search is not None]
            self._haystack = {
                id(row): "\0".join(find(row) for find in finders).casefold() for row in self._rows
            }
        return self._haystack

    def _refilter(self, keep: R | None) -> None:
        needle = self._filter.strip().casefold()
        if needle:
            hay = self._haystacks()
            self._view = [row for row in self._sorted if needle in hay.get(id(row), needle)]
        else:
            self._view = list(self._sorted)
        self._cache.clear()
        self.virtual_size = Size(self._content_width(), len(self._view) + 1)
        cursor = 0
        if keep is not None:
            for i, row in enumerate(self._view):
                if row is keep:
                    cursor = i
                    break
        self.cursor_row = min(cursor, max(0, len(self._view) - 1))
        self.refresh()

    # -- cursor ---------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self._view) - 1)) if self._view else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 1:
            return
        top = round(self.scroll_offset.y)
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row > top + height - 2:
            self.scroll_to(y=row - height + 2, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.cursor_row += step

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * max(1, self.scrollable_content_region.height - 2)

    def action_edge(self, end: int) -> None:
        self.cursor_row = len(self._view) - 1 if end else 0

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_mount(self) -> None:
        self.post_message(self.Ready(self))

    def action_sort(self, index: int) -> None:
        """Digit n sorts by the table's n-th column, whatever the width: a column a
        narrow terminal hides keeps its digit (and the sort says it is hidden)."""
        if index >= len(self.columns) or self.columns[index].sort_key is None:
            return
        self.sort_by(index)
        self._ensure_layout()
        if index not in (i for i, _ in self._layout):
            self.app.notify(f"sorted by {self.columns[index].label} (hidden at this width)")

    # -- mouse ----------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.sort_by(column)
            return
        index = round(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < len(self._view):
            self.cursor_row = index
            if event.chain >= 2:
                self.action_select()

    def _column_at(self, x: int) -> int | None:
        self._ensure_layout()
        left = MARK
        for index, width in self._layout:
            if left <= x < left + width + GAP:
                return index
            left += width + GAP
        return None

    # -- layout ---------------------------------------------------------------

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def on_resize(self, event: events.Resize) -> None:
        # The drawn rows depend on the width only, and `_ensure_layout` drops them when
        # it changes: a resize that keeps the width (a height change) keeps them.
        self.virtual_size = Size(self._content_width(), len(self._view) + 1)
        self._scroll_cursor_into_view()

    def _ensure_layout(self) -> None:
        width = self._content_width()
        if width == self._layout_width:
            return
        self._layout_width = width
        self._cache.clear()
        shown = list(range(len(self.columns)))

        def needed(indices: list[int]) -> int:
            return MARK + sum(self.columns[i].width + GAP for i in indices)

        while needed(shown) > width:
            droppable = [i for i in shown if self.columns[i].drop > 0]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda i: (self.columns[i].drop, i)))
        # Still too wide (a very narrow terminal): hide whole columns from the right
        # rather than show half of one: a cut "936.55" reads as "93".
        while needed(shown) > width and len(shown) > 1:
            shown.pop()
        spare = max(0, width - needed(shown))
        flex = [i for i in shown if self.columns[i].flex]
        widths = {i: self.columns[i].width for i in shown}
        if flex:
            share, extra = divmod(spare, len(flex))
            for n, i in enumerate(flex):
                widths[i] += share + (1 if n < extra else 0)
        self._layout = [(i, widths[i]) for i in shown]

    @property
    def visible_labels(self) -> list[str]:
        self._ensure_layout()
        return [self.columns[i].label for i, _ in self._layout]

    # -- drawing --------------------------------------------------------------

    def notify_style_update(self) -> None:
        # Textual calls this on every restyle (focus, a screen shown, a theme): the drawn
        # rows are dropped only if a style they use has really changed, or the first
        # frame of the period list would draw every row twice.
        super().notify_style_update()
        signature = self._style_signature()
        if signature != self._styles_drawn:
            self._styles_drawn = signature
            self._cache.clear()

    def _style_signature(self) -> tuple[Style, ...] | None:
        if not self.is_mounted:
            return None
        return (self.rich_style, *(self.get_component_rich_style(name, partial=True)
                                   for name in sorted(self.COMPONENT_CLASSES)))

    def on_focus(self) -> None:
        self.refresh()  # the cursor row is drawn per focus state (its cache key says so)

    def on_blur(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        base = self.rich_style  # worked out from the ancestors on each read: once per line
        strip = self._render_line(y, base)
        # Every segment carries a style: the NO_COLOR (monochrome) filter cannot take None.
        return Strip([seg if seg.style is not None else Segment(seg.text, base, seg.control)
                      for seg in strip], strip.cell_length)

    def _render_line(self, y: int, base: Style) -> Strip:
        self._ensure_layout()
        width = self._content_width()
        if y == 0:
            return self._header(width, base)
        index = round(self.scroll_offset.y) + y - 1
        if index >= len(self._view):
            if index == 0:
                message = f"{self.empty} (filter: {self._filter})" if self._filter else self.empty
                style = base + self.get_component_rich_style("vtable--empty")
                return Strip([Segment(" " * MARK), Segment(message[: width - MARK], style)]
                             ).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        row = self._view[index]
        cursor = index == self.cursor_row
        key = (id(row), cursor, cursor and self.has_focus)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw_row(row, index, cursor, width, base)
            self._cache[key] = strip
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return strip

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("vtable--header")
        sorted_style = style + self.get_component_rich_style("vtable--sorted")
        line = Text(" " * MARK, style=style, no_wrap=True)
        for index, size in self._layout:
            column = self.columns[index]
            label = column.label
            active = index == self._sort_column
            if active:
                label = f"{label}{'▼' if self._reverse else '▲'}"
            cell = Text(label, style=sorted_style if active else style)
            cell.truncate(size, overflow="ellipsis")
            cell.align(column.align, size)
            line.append_text(cell)
            line.append(" " * GAP, style=style)
        return Strip(line.render(self.app.console)).adjust_cell_length(width, style)

    def _draw_row(self, row: R, index: int, cursor: bool, width: int, base: Style) -> Strip:
        if cursor:
            name = "vtable--cursor" if self.has_focus else "vtable--cursor-blurred"
            style = base + self.get_component_rich_style(name)
        elif index % 2:
            style = base + self.get_component_rich_style("vtable--odd")
        else:
            style = base
        line = Text("▌ " if cursor else "  ", style=style, no_wrap=True)
        for column_index, size in self._layout:
            column = self.columns[column_index]
            value = column.cell(row)
            cell = value.copy() if isinstance(value, Text) else Text(value)
            cell.no_wrap = True
            if column.tone is not None:
                tone = column.tone(row)
                if tone:
                    cell.stylize(self.get_component_rich_style(tone, partial=True))
            cell.truncate(size, overflow="ellipsis")
            cell.align(column.align, size)
            line.append_text(cell)
            line.append(" " * GAP)
        line.stylize_before(style)
        return Strip(line.render(self.app.console)).adjust_cell_length(width, style)
