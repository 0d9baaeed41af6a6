"""`c`: the API URL and token and the alert settings, validated, saved to config.toml (tomli-w, 0600).

The file is read when the screen is built and its widgets are made with their
values, so nothing is queried in `on_mount`: a screen closed before it mounted
(Enter and `c` in one write) has nothing left to do.

With the demo (`in_memory`), the file is neither read nor written: the
settings live in the app for the session, and the screen says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from payg_tui.config import DEFAULT_STALE_AFTER, DEFAULT_WARN_AT, DEFAULT_WITHIN
from payg_tui.errors import UserError
from payg_tui.ui.lifetime import close
from payg_tui.ui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from payg_tui.config import Config
    from payg_tui.ui.app import PaygApp


# The [alerts] settings the screen edits (alerts.md): (key, field id, label). An
# empty field puts the setting back to its default (no budget for the budget).
ALERT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("alerts.budget", "alerts-budget", "Monthly budget, in the provider's currency (empty: no budget)"),
    ("alerts.warn_at", "alerts-warn-at", f"Warn at this % of the budget (empty: {DEFAULT_WARN_AT})"),
    ("alerts.stale_after", "alerts-stale-after",
     f"Stale after this many hours without a new snapshot (empty: {DEFAULT_STALE_AFTER})"),
    ("alerts.within", "alerts-within",
     f"Announce grace deadlines this many hours ahead (empty: {DEFAULT_WITHIN})"),
)
OVERRIDES = ("PAYG_API_URL", "PAYG_API_TOKEN", "PAYG_ALERTS_WEBHOOK")


class SettingsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        Binding("ctrl+s", "save", "Save", id="save"),
    ]

    AUTO_FOCUS = None  # focused in `on_mount`, without scrolling the title out of view

    def __init__(self, config_path: Path | None = None, *, in_memory: Config | None = None) -> None:
        super().__init__()
        self.config_path = config_path
        self.in_memory = in_memory is not None
        self.config: Config | None = in_memory
        self.url_field = Input(placeholder="https://api.host.example/payg", id="api-url")
        self.token_field = Input(password=True, id="api-token")
        self.alert_fields = {key: Input(id=field_id) for key, field_id, _ in ALERT_FIELDS}
        self.webhook_field = Input(password=True, id="alerts-webhook")
        self.error_line = Static("", id="settings-error", markup=False)

    def compose(self) -> ComposeResult:
        where = self._read()
        with VerticalScroll(id="settings-box"):
            yield Label("Settings", id="settings-title")
            yield Static(where, id="settings-where", markup=False)
            yield Label("API URL (https://…, or http:// on 127.0.0.1)")
            yield self.url_field
            yield Label("API token (hidden; leave empty to keep the saved one)")
            yield self.token_field
            yield Label("Alerts", classes="settings-section")
            for key, _, label in ALERT_FIELDS:
                yield Label(label)
                yield self.alert_fields[key]
            yield Label("Alerts webhook URL (hidden; leave empty to keep the saved one)")
            yield self.webhook_field
            yield self.error_line
            with Horizontal(id="settings-buttons"):
                yield Button("Save", variant="primary", id="settings-save")
                yield Button("Back", id="settings-back")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(self.url_field, scroll_visible=False)

    def _read(self) -> str:
        """Read the file into the fields; returns where it is and what overrides it."""
        from payg_tui import locations
        from payg_tui.config import load_config

        if self.config is not None and self.in_memory:
            self._show(self.config, "set")
            return ("demo: these settings are kept in memory for this session only; "
                    "the config file is not read or written")
        try:
            self.config = load_config(self.config_path, apply_env=False)
        except UserError as error:
            self._error(error.message)
            return ""
        path = self.config.path or self.config_path or locations.config_path()
        notes = [f"file: {path}"]
        notes += [f"{variable} is set and overrides the file" for variable in OVERRIDES
                  if os.environ.get(variable)]
        self._show(self.config, "saved")
        return "\n".join(notes)

    def _show(self, config: Config, state: str) -> None:
        """The fields filled from `config`; secrets only as placeholders, masked."""
        from payg_tui.config import mask, mask_url

        self.url_field.value = config.api_url or ""
        self.token_field.placeholder = f"{state}: {mask(config.api_token)}"
        values = {"alerts.budget": config.alerts_budget or "", "alerts.warn_at": config.alerts_warn_at,
                  "alerts.stale_after": config.alerts_stale_after, "alerts.within": config.alerts_within}
        for key, field in self.alert_fields.items():
            field.value = str(values[key])
        self.webhook_field.placeholder = f"{state}: {mask_url(config.alerts_webhook)}"

    def _error(self, message: str) -> None:
        self.error_line.update(Text(message))
        if message:
            self.app.notify(message, severity="error")

    @on(Input.Submitted)
    @on(Button.Pressed, "#settings-save")
    def action_save(self) -> None:
        from payg_tui.config import save_config

        if self.config is None:
            return
        try:
            config = self._edited(self.config)
            path = None if self.in_memory else save_config(config, self.config_path)
        except UserError as error:
            self._error(error.message)
            return
        self.config = config
        self._error("")
        self.token_field.value = self.webhook_field.value = ""
        self._show(config, "set" if self.in_memory else "saved")
        app: PaygApp = self.app  # type: ignore[assignment]
        app.settings_saved(config)
        app.notify("settings kept for this session (demo)" if path is None else f"settings saved to {path}")

    def _edited(self, config: Config) -> Config:
        """`config` with the fields' values, each validated; a `UserError` names the first wrong one."""
        url = self.url_field.value.strip()
        config = config.with_value("api.url", url) if url else config.without("api.url")
        for key, field in self.alert_fields.items():
            text = field.value.strip()
            config = config.with_value(key, text) if text else config.without(key)
        # Secrets: an empty field keeps the saved value (`payg-tui config unset` removes it).
        for key, field in (("api.token", self.token_field), ("alerts.webhook", self.webhook_field)):
            if field.value.strip():
                config = config.with_value(key, field.value.strip())
        return config

    @on(Button.Pressed, "#settings-back")
    def action_back(self) -> None:
        close(self)
