"""`e` on a statement: CSV, JSON (with cost and margin) or the customer's HTML page, and where."""

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

from payg_tui.service.statements import StatementFormat

FORMATS: tuple[tuple[StatementFormat, str], ...] = (
    ("html", "HTML page for the customer (no cost, no margin)"),
    ("csv", "CSV (the lines, with cost and margin)"),
    ("json", "JSON (payg-statements/1)"),
)


@dataclass(frozen=True)
class StatementExport:
    fmt: StatementFormat
    path: Path


class StatementExportDialog(ModalScreen[StatementExport | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: str, defaults: dict[str, Path]) -> None:
        super().__init__()
        self.key = key
        self.defaults = defaults
        self.fmt: StatementFormat = FORMATS[0][0]

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(f"Export the statement of {self.key}", id="export-title")
            with RadioSet(id="export-format"):
                for i, (fmt, label) in enumerate(FORMATS):
                    yield RadioButton(label, value=i == 0, id=f"fmt-{fmt}")
            yield Label("File:")
            yield Input(str(self.defaults[self.fmt]), id="export-path")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        field = self.query_one("#export-path", Input)
        field.focus()
        field.cursor_position = len(field.value)

    @on(RadioSet.Changed)
    def _format(self, event: RadioSet.Changed) -> None:
        fmt = next(f for f, _ in FORMATS if event.pressed.id == f"fmt-{f}")
        field = self.query_one("#export-path", Input)
        path = Path(field.value.strip())
        if field.value.strip() in (str(p) for p in self.defaults.values()):
            field.value = str(self.defaults[fmt])
        elif path.suffix.lower() in (".csv", ".json", ".html"):
            field.value = str(path.with_suffix(f".{fmt}"))
        self.fmt = fmt

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _ok(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.app.notify("give a file name", severity="warning")
            return
        self.dismiss(StatementExport(self.fmt, Path(text).expanduser()))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
