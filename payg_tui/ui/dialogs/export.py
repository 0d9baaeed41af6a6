"""`e`: where to write the period's report, and as what. Returns an `ExportRequest`.

The dialog may be closed before it has mounted (Enter and `e` in one write
open a period over it): it keeps its own field rather than querying for it,
and the field takes the focus and puts its cursor at the end by itself.

Export checks the path before closing: a folder that does not exist (or a
path that is a folder) is one line under the field, and an existing file is
replaced only after Export is pressed a second time for that same file.
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
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from payg_tui.errors import UsageError
from payg_tui.service import export_file
from payg_tui.service.books import ExportFormat
from payg_tui.ui.lifetime import close


@dataclass(frozen=True)
class ExportRequest:
    fmt: ExportFormat
    path: Path
    overwrite: bool = False  # the user agreed to replace the file that is there


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
        self.problem = Static("", id="export-problem", markup=False)
        self.ok_button = Button("Export", variant="primary", id="export-ok")
        self.replacing: Path | None = None  # the existing file the user was asked about

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(f"Export the report of {self.key}", id="export-title")
            with RadioSet(id="export-format"):
                yield RadioButton("CSV (the lines)", value=True, id="fmt-csv")
                yield RadioButton("JSON (payg-report/1)", id="fmt-json")
            yield Label("File:")
            yield self.path_field
            yield self.problem
            with Horizontal(id="export-buttons"):
                yield self.ok_button
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

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        self._say("")

    def _say(self, problem: str, *, replacing: Path | None = None) -> None:
        self.problem.update(problem)
        self.replacing = replacing
        self.ok_button.label = "Replace" if replacing is not None else "Export"

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _ok(self) -> None:
        text = self.path_field.value.strip()
        if not text:
            self._say("give a file name")
            return
        path = Path(text).expanduser()
        try:
            export_file.target(path)
        except export_file.ExportExists:
            found = export_file.target(path, overwrite=True)
            if self.replacing != found:
                self._say(f"{found.name} is already there: press Replace (or Enter) to replace it",
                          replacing=found)
                return
            close(self, ExportRequest(self.fmt, path, overwrite=True))
            return
        except UsageError as error:
            self._say(error.message)
            return
        close(self, ExportRequest(self.fmt, path))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        close(self, None)
