"""The command palette (ctrl+p): what can be done from where the user is.

Context-aware: on a period screen its tabs and its export come first; from
anywhere, every period, sync, export, settings, help and the themes.

`Palette` is Textual's palette that closes only itself: an Enter typed in the
same write as the Escape that closed it must not pop the screen under it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.await_complete import AwaitComplete
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from payg_tui.ui.app import PaygApp

Command = tuple[str, str, Callable[[], object]]  # (title, help, callback)


class Palette(CommandPalette):
    def dismiss(self, result: None = None) -> AwaitComplete:
        if self.is_current:
            return super().dismiss(result)
        return AwaitComplete()  # already closed: Textual's dismiss would pop the screen on top


class PaygCommands(Provider):
    def _commands(self) -> Iterator[Command]:
        app: PaygApp = self.app  # type: ignore[assignment]
        screen = self.screen
        context = getattr(screen, "commands", None)
        if callable(context):
            yield from context()
        for summary in app.periods:
            key = summary.period.key
            yield (f"Open period {key}", f"{summary.status}: estimate {summary.totals.estimate}",
                   partial(app.open_period, key))
        if app.alerts is not None and app.alerts.alerts:
            count = len(app.alerts.alerts)
            yield (f"Show the {count} alert{'s' if count != 1 else ''}",
                   "grace deadlines, a stopped sync, the budget: most urgent first", app.show_alerts)
        yield ("Sync now", "fetch new hours from the API into the cache", app.action_sync)
        current = app.focused_period()
        if current is not None:
            yield (f"Export {current}…", "write the report as CSV or JSON",
                   partial(app.action_export, current))
        for summary in app.periods:
            if summary.period.key != current:
                yield (f"Export {summary.period.key}…", "write the report as CSV or JSON",
                       partial(app.action_export, summary.period.key))
        yield ("Settings", "API URL and token", app.action_settings)
        yield ("Help: keys", "every key binding of this screen", app.action_help)
        for name in sorted(app.available_themes):
            if name != app.theme:
                yield (f"Theme: {name}", "change the colours", partial(setattr, app, "theme", name))

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            if title.startswith("Theme: "):
                continue
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
