"""The header line every main screen shows (the sync bar is in `sync_bar`, mounted on demand)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from payg_tui.ui.display import plain, source_label, when, zone_abbr

if TYPE_CHECKING:
    from payg_tui.ui.app import PaygApp


class DashboardHeader(Static):
    """Provider · currency · data source · as of (and how old)."""

    def on_mount(self) -> None:
        app: PaygApp = self.app  # type: ignore[assignment]
        self.watch(app, "status", self._show, init=True)
        self.watch(app, "online", self._show, init=False)

    def _show(self, *_: object) -> None:
        app: PaygApp = self.app  # type: ignore[assignment]
        status = app.status
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" payg ", style="bold reverse")
        text.append(" ")
        provider = status.provider
        if provider is None:
            text.append("no data yet: press s to sync, c for settings")
        else:
            text.append_text(plain(provider.name, 32))
            text.append(f" · {provider.currency} · ")
            text.append(source_label(app.books.source, app.online), style="bold")
            if status.as_of is not None:
                text.append(f" · as of {when(status.as_of, provider.timezone)} "
                            f"{zone_abbr(status.as_of, provider.timezone)}")
            if status.age:
                text.append(f" ({status.age.removeprefix('last updated ')})")
        self.update(text)
