"""What every table screen shares: header, filter-as-you-type, sync bar, footer, Enter.

The filter field and the sync bar are mounted the first time they are needed
(`/`, a sync starting), not with the screen: most screens never show them,
and every widget mounted at start-up costs styling and layout before the
first frame.

Enter opens the highlighted row from a screen binding, not from a message the
table posts: the next key of the same write (`e`, Escape, Enter again) then
acts on the screen Enter opened, in the order the keys were typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from payg_tui.ui.lifetime import still_open
from payg_tui.ui.widgets.footer import KeyFooter
from payg_tui.ui.widgets.table import VirtualTable

if TYPE_CHECKING:
    from payg_tui.ui.app import PaygApp


class FilterInput(Input):
    """`/` opens it; typing filters the table; Enter keeps the filter, Escape drops it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "drop", "Clear filter", show=False)]

    def action_drop(self) -> None:
        self.value = ""
        screen = self.screen
        if isinstance(screen, TableScreen):
            screen.close_filter()


class TableScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("escape", "back", "Back", id="back"),
        Binding("e", "export", "Export", id="export"),
        Binding("enter", "open_row", "Open", show=False, id="open"),
    ]
    FILTER_PLACEHOLDER: ClassVar[str] = "filter…"

    @property
    def payg(self) -> PaygApp:
        return self.app  # type: ignore[return-value]

    def active_table(self) -> VirtualTable[Any] | None:
        """The table the keys act on; None before the screen has mounted or once it has closed."""
        if not still_open(self):
            return None
        tables = [t for t in self.query(VirtualTable) if t.display]
        return tables[0] if tables else None

    def period_key(self) -> str | None:
        return None

    # -- opening a row ----------------------------------------------------------

    def action_open_row(self) -> None:
        table = self.active_table()
        if table is not None and table.current is not None:
            self.open_row(table.current)

    @on(VirtualTable.Selected)
    def _double_clicked(self, event: VirtualTable.Selected) -> None:
        if still_open(self):
            self.open_row(event.row)

    def open_row(self, row: Any) -> None:
        """Show what a row stands for (a period, an account, a customer); nothing by default."""

    def action_export(self) -> None:
        self.payg.action_export(self.period_key())

    # -- the sync bar, mounted when a sync first runs while this screen exists --

    @on(events.Mount)
    def _follow_sync(self) -> None:
        self.watch(self.app, "syncing", self._syncing, init=self.payg.syncing)

    def _syncing(self, syncing: bool) -> None:
        if syncing:
            self.ensure_sync_bar()

    def ensure_sync_bar(self) -> None:
        """Mount the (hidden unless syncing) sync bar if this screen has none yet."""
        if still_open(self) and not self.query("#sync-bar"):
            from payg_tui.ui.widgets.sync_bar import SyncBar

            self._mount_above_footer(SyncBar(id="sync-bar"))

    def _mount_above_footer(self, widget: Any) -> Any:
        """Mount a bottom-docked widget in the place it had when every screen composed it."""
        footers = self.query(KeyFooter)
        return self.mount(widget, before=footers.first()) if footers else self.mount(widget)

    # -- filter ---------------------------------------------------------------

    def filter_field(self) -> FilterInput | None:
        if not still_open(self):
            return None
        found = self.query(FilterInput)
        return found.first() if found else None

    async def action_filter(self) -> None:
        table = self.active_table()
        if table is None:
            return
        field = self.filter_field()
        if field is None:
            field = FilterInput(placeholder=self.FILTER_PLACEHOLDER, id="filter")
            bar = self.query("#sync-bar")  # the filter sits above the sync bar
            await (self.mount(field, before=bar.first()) if bar else self._mount_above_footer(field))
        field.value = table.filter_text
        field.display = True
        self.set_focus(field)

    def hide_filter(self) -> None:
        field = self.filter_field()
        if field is not None:
            field.display = False

    def close_filter(self) -> None:
        field = self.filter_field()
        if field is None:
            return
        field.display = False
        table = self.active_table()
        if table is not None:
            table.set_filter(field.value)
            table.focus()

    def action_back(self) -> None:
        table = self.active_table()
        if table is not None and table.filter_text:
            table.set_filter("")
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @on(FilterInput.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        table = self.active_table()
        if table is not None:
            table.set_filter(event.value)

    @on(FilterInput.Submitted)
    def _filter_kept(self, event: Input.Submitted) -> None:
        self.close_filter()
