"""The sync progress bar: mounted by a screen when a sync first runs (see `TableScreen`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

if TYPE_CHECKING:
    from payg_tui.sources.sync import SyncProgress
    from payg_tui.ui.app import PaygApp


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
