"""The sync progress bar: mounted by a screen when a sync first runs (see `TableScreen`).

One `Static` that draws its own bar as text: Textual's `ProgressBar` is three
widgets whose styles are parsed on first mount, a pause of ~0.1 s on the UI
thread right when a sync starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from payg_tui.service.sync import SyncProgress
    from payg_tui.ui.app import PaygApp

BAR_WIDTH = 24


def bar_text(progress: SyncProgress | None, width: int = BAR_WIDTH) -> Text:
    """`sync: 120 h added ━━━━━━━━━━────── 62% · 40 h/s · 3 s left`."""
    if progress is None or progress.stage in ("provider", "products"):
        return Text(f"sync: {progress.stage if progress else 'connecting'}…")
    if progress.retry:
        return Text(f"sync: {progress.retry}")
    total = max(1, progress.hours_total)
    done = min(progress.hours_done, total)
    filled = round(width * done / total)
    text = Text(f"sync: {progress.hours_added} h added ")
    text.append("━" * filled, style="bold")
    text.append("─" * (width - filled), style="dim")
    text.append(f" {100 * done // total}% · {progress.rate:.0f} h/s")
    if progress.eta is not None:
        text.append(f" · {progress.eta:.0f} s left")
    return text


class SyncBar(Static):
    """Shown while a sync runs: what it does and how far it is."""

    def on_mount(self) -> None:
        self.watch(self.app, "sync_progress", self._show, init=True)

    def _show(self, progress: SyncProgress | None) -> None:
        app: PaygApp = self.app  # type: ignore[assignment]
        self.display = app.syncing
        if app.syncing:
            self.update(bar_text(progress))
