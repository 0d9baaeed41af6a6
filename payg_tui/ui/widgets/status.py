"""The header every main screen shows (the sync bar is in `sync_bar`, mounted on demand).

One line, and a second one with the most urgent alert when there is any
(alerts.md): the count sits right after the app's tag, where a narrow
terminal does not cut it. Offline, "offline · cache N min old" comes first,
even before it: the line is cut from the right, and how stale the figures
are matters more than anything else on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from payg_tui.ui.display import plain, source_label, when, zone_abbr

if TYPE_CHECKING:
    from payg_tui.service.alerts import AlertCheck
    from payg_tui.ui.app import PaygApp


class DashboardHeader(Static):
    """[alert count] provider · currency · data source · as of (and how old); the top alert."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"dashboard-header--critical", "dashboard-header--warning"}

    def on_mount(self) -> None:
        app: PaygApp = self.app  # type: ignore[assignment]
        self.watch(app, "status", self._show, init=True)
        self.watch(app, "online", self._show, init=False)
        self.watch(app, "alerts", self._show, init=False)

    def _show(self, *_: object) -> None:
        app: PaygApp = self.app  # type: ignore[assignment]
        status = app.status
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" payg ", style="bold reverse")
        text.append(" ")
        offline = app.online == "offline"
        if offline:
            age = status.age.removeprefix("last updated ").removesuffix(" ago") if status.age else None
            text.append(f"offline · cache {age} old" if age else "offline · cache", style="bold")
            text.append(" · ")
        alerts = app.alerts
        if alerts is not None and alerts.alerts:
            count = len(alerts.alerts)
            text.append(f" {count} alert{'s' if count != 1 else ''} ", style=self._tone(alerts))
            text.append(" ")
        provider = status.provider
        if provider is None:
            text.append("no data yet: press s to sync, c for settings")
        else:
            text.append_text(plain(provider.name, 32))
            text.append(f" · {provider.currency}")
            if not offline:
                text.append(" · ")
                text.append(source_label(app.books.source, app.online), style="bold")
            if status.as_of is not None:
                text.append(f" · as of {when(status.as_of, provider.timezone)} "
                            f"{zone_abbr(status.as_of, provider.timezone)}")
            if status.age and not offline:
                text.append(f" ({status.age.removeprefix('last updated ')})")
        top = alerts.most_urgent if alerts is not None else None
        if alerts is None or top is None:
            self.update(text)
            return
        line = Text(no_wrap=True, overflow="ellipsis", style=self._tone(alerts))
        line.append(f" {top.severity}: ")
        line.append_text(plain(top.message))  # names are untrusted: literal text only
        self.update(Group(text, line))

    def _tone(self, alerts: AlertCheck) -> Style:
        top = alerts.most_urgent
        severity = top.severity if top is not None else "warning"
        return self.get_component_rich_style(f"dashboard-header--{severity}")
