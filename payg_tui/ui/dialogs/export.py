"""`e`: where to write the period's report, and as what. Returns an `ExportRequest`.

The dialog may be closed before it has mounted (Enter and `e` in one write
open a period over it): it keeps its own field rather than querying for it,
and the field takes the focus and puts its cursor at the end by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from payg_tui.service.books import ExportFormat
from payg_tui.ui.lifetime import close


@dataclass(frozen=True)
class ExportRequest:
    fmt: ExportFormat
    path: Path


class ExportDialog(ModalScreen[ExportRequest | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#export-path"

    def __init__(self, key: str, csv_path: Path, json_path: Path) -> None:
        super().__init__()
        self.key = key
        self.defaults: dict[str, Path] = {"csv": csv_path, "json": json_path}
        self.fmt: ExportFormat = "csv"
        # Focused with the cursor at the end of the suggested path, nothing selected.
        self.path_field = Input(str(csv_path), select_on_focus=False, id="export-path")

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(f"Export the report of {self.key}", id="export-title")
            with RadioSet(id="export-format"):
                yield RadioButton("CSV (the lines)", value=True, id="fmt-csv")
                yield RadioButton("JSON (payg-report/1)", id="fmt-json")
            yield Label("File:")
            yield self.path_field
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    @on(RadioSet.Changed)
    def _format(self, event: RadioSet.Changed) -> None:
        fmt: ExportFormat = "json" if event.pressed.id == "fmt-json" else "csv"
        field = self.path_field
        if field.value.strip() in (str(p) for p in self.defaults.values()):
            field.value = str(self.defaults[fmt])
        else:
            path = Path(field.value.strip())
            if path.suffix.lower() in (".csv", ".json"):
                field.value = str(path.with_suffix(f".{fmt}"))
        self.fmt = fmt

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _ok(self) -> None:
        text = self.path_field.value.strip()
        if not text:
            self.app.notify("give a file name", severity="warning")
            return
        close(self, ExportRequest(self.fmt, Path(text).expanduser()))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        close(self, None)
