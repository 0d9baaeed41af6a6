"""`c`: the API URL and token, validated, saved to config.toml (tomli-w, 0600).

The file is read when the screen is built and its widgets are made with their
values, so nothing is queried in `on_mount`: a screen closed before it mounted
(Enter and `c` in one write) has nothing left to do.

With the demo (`in_memory`), the file is neither read nor written: the
settings live in the app for the session, and the screen says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from payg_tui.errors import UserError
from payg_tui.ui.lifetime import close
from payg_tui.ui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from payg_tui.config import Config
    from payg_tui.ui.app import PaygApp


class SettingsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        Binding("ctrl+s", "save", "Save", id="save"),
    ]

    AUTO_FOCUS = "#api-url"

    def __init__(self, config_path: Path | None = None, *, in_memory: Config | None = None) -> None:
        super().__init__()
        self.config_path = config_path
        self.in_memory = in_memory is not None
        self.config: Config | None = in_memory
        self.url_field = Input(placeholder="https://api.host.example/payg", id="api-url")
        self.token_field = Input(password=True, id="api-token")
        self.error_line = Static("", id="settings-error", markup=False)

    def compose(self) -> ComposeResult:
        where = self._read()
        with Vertical(id="settings-box"):
            yield Label("Settings", id="settings-title")
            yield Static(where, id="settings-where", markup=False)
            yield Label("API URL (https://…, or http:// on 127.0.0.1)")
            yield self.url_field
            yield Label("API token (hidden; leave empty to keep the saved one)")
            yield self.token_field
            yield self.error_line
            with Horizontal(id="settings-buttons"):
                yield Button("Save", variant="primary", id="settings-save")
                yield Button("Back", id="settings-back")
        yield KeyFooter()

    def _read(self) -> str:
        """Read the file into the fields; returns where it is and what overrides it."""
        from payg_tui import locations
        from payg_tui.config import load_config, mask

        if self.config is not None and self.in_memory:
            self.url_field.value = self.config.api_url or ""
            self.token_field.placeholder = f"set: {mask(self.config.api_token)}"
            return ("demo: these settings are kept in memory for this session only; "
                    "the config file is not read or written")
        try:
            self.config = load_config(self.config_path, apply_env=False)
        except UserError as error:
            self._error(error.message)
            return ""
        path = self.config.path or self.config_path or locations.config_path()
        notes = [f"file: {path}"]
        for variable in ("PAYG_API_URL", "PAYG_API_TOKEN"):
            if os.environ.get(variable):
                notes.append(f"{variable} is set and overrides the file")
        self.url_field.value = self.config.api_url or ""
        self.token_field.placeholder = f"saved: {mask(self.config.api_token)}"
        return "\n".join(notes)

    def _error(self, message: str) -> None:
        self.error_line.update(Text(message))
        if message:
            self.app.notify(message, severity="error")

    @on(Input.Submitted)
    @on(Button.Pressed, "#settings-save")
    def action_save(self) -> None:
        from payg_tui.config import save_config, validate

        if self.config is None:
            return
        url = self.url_field.value.strip()
        token = self.token_field.value.strip()
        try:
            config = self.config
            config = config.with_value("api.url", url) if url else _without(config, "api_url")
            if token:
                validate("api.token", token)
                config = config.with_value("api.token", token)
            path = None if self.in_memory else save_config(config, self.config_path)
        except UserError as error:
            self._error(error.message)
            return
        self.config = config
        self._error("")
        self.token_field.value = ""
        app: PaygApp = self.app  # type: ignore[assignment]
        app.settings_saved(config)
        app.notify("settings kept for this session (demo)" if path is None else f"settings saved to {path}")

    @on(Button.Pressed, "#settings-back")
    def action_back(self) -> None:
        close(self)


def _without(config: Config, attribute: str) -> Config:
    from dataclasses import replace

    cleared: dict[str, Any] = {attribute: None}
    return replace(config, **cleared)
