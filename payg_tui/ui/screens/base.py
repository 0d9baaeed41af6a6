"""What every table screen shares: header, filter-as-you-type, sync bar, footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

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
    ]

    @property
    def payg(self) -> PaygApp:
        return self.app  # type: ignore[return-value]

    def active_table(self) -> VirtualTable[Any] | None:
        tables = [t for t in self.query(VirtualTable) if t.display]
        return tables[0] if tables else None

    def period_key(self) -> str | None:
        return None

    def action_export(self) -> None:
        self.payg.action_export(self.period_key())

    def action_filter(self) -> None:
        table = self.active_table()
        if table is None:
            return
        field = self.query_one(FilterInput)
        field.value = table.filter_text
        field.display = True
        field.focus()

    def close_filter(self) -> None:
        field = self.query_one(FilterInput)
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
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    @on(FilterInput.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        table = self.active_table()
        if table is not None:
            table.set_filter(event.value)

    @on(FilterInput.Submitted)
    def _filter_kept(self, event: Input.Submitted) -> None:
        self.close_filter()
