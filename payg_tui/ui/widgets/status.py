"""The two bars every main screen shows: the header line and the sync progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar, Static

from payg_tui.ui.display import plain, source_label, when, zone_abbr

if TYPE_CHECKING:
    from payg_tui.sources.sync import SyncProgress
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


class SyncBar(Horizontal):
    """Shown while a sync runs: what it does and how far it is."""

    def compose(self) -> ComposeResult:
        yield Label("", id="sync-label", markup=False)
        # A known total while idle: an indeterminate bar animates (and wakes the app) even when hidden.
        yield ProgressBar(total=100, show_eta=False, id="sync-progress")

    def on_mount(self) -> None:
        self.watch(self.app, "sync_progress", self._show, init=True)

    def _show(self, progress: SyncProgress | None) -> None:
        app: PaygApp = self.app  # type: ignore[assignment]
        self.display = app.syncing
        label = self.query_one("#sync-label", Label)
        bar = self.query_one("#sync-progress", ProgressBar)
        if not app.syncing:
            bar.update(total=100, progress=0)
            return
        if progress is None or progress.stage in ("provider", "products"):
            label.update(f"sync: {progress.stage if progress else 'connecting'}… ")
            bar.update(total=None)
            return
        text = f"sync: {progress.hours_added} h added "
        if progress.retry:
            text = f"sync: {progress.retry} "
        label.update(text)
        bar.update(total=max(1, progress.hours_total), progress=progress.hours_done)
