"""The dashboard application: state, workers, and the keys that work everywhere.

Workers (threads) ask `Books` and post messages from `messages.py`; the
handlers here own the app-wide state (`status`, `periods`, `online`,
`sync_progress`) that screens watch. Nothing here computes money.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.worker import get_current_worker

from payg_tui.engine.model import PeriodSummary, Provider, Slot
from payg_tui.errors import NetworkError, UserError
from payg_tui.service.books import Books
from payg_tui.ui.foreground import Foreground
from payg_tui.ui.messages import (
    AlertsChecked,
    CacheChanged,
    ExportFailed,
    ExportFinished,
    LoadFailed,
    PeriodsLoaded,
    ReportBuilt,
    ResaleLoaded,
    ResaleTotalsComputed,
    SyncFailed,
    SyncFinished,
    SyncProgressed,
)
from payg_tui.ui.preferences import Preferences, tab_of
from payg_tui.ui.widgets.table import VirtualTable

if TYPE_CHECKING:
    from textual.command import Provider as PaletteProvider
    from textual.screen import Screen
    from textual.theme import Theme

    from payg_tui.config import Config
    from payg_tui.engine.alerts import AlertRules
    from payg_tui.engine.resale import ResaleTotals
    from payg_tui.service.alerts import AlertCheck
    from payg_tui.service.books import ExportFormat
    from payg_tui.service.statements import Resale
    from payg_tui.service.sync import SyncProgress
    from payg_tui.service.sync_child import SyncRequest

PROGRESS_EVERY = 0.1  # seconds between progress messages from the sync thread
WATCH_EVERY = 1.0  # seconds between looks for another process's writes to the cache
PREPARE_SYNC_BAR = 1.0  # seconds after the period list is shown
FIRST_ALERTS = 0.5  # seconds after the period list is shown: start-up paints first
ALERTS_SHOWN = 8  # in the palette's "show the alerts" notification
BUILT_IN = 0.05  # seconds: a report that took longer was built, not remembered


def _palette() -> type[PaletteProvider]:
    """The palette's provider, imported when the palette first opens (start-up stays lean)."""
    from payg_tui.ui.palette import PaygCommands

    return PaygCommands


@dataclass(frozen=True)
class Status:
    """What the header shows."""

    provider: Provider | None = None
    as_of: Slot | None = None
    age: str | None = None


class PaygApp(App[int]):
    """payg-tui: see, check and forecast a pay-as-you-use hosting bill."""

    TITLE = "payg-tui"
    CSS_PATH = Path(__file__).with_name("payg.tcss")
    COMMANDS: ClassVar = App.COMMANDS | {_palette}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("s", "sync", "Sync", id="sync"),
        Binding("c", "settings", "Settings", id="settings"),
    ]

    status: reactive[Status] = reactive(Status, init=False)
    periods: reactive[tuple[PeriodSummary, ...]] = reactive((), init=False)
    online: reactive[str] = reactive("cache", init=False)
    sync_progress: reactive[SyncProgress | None] = reactive(None, init=False, always_update=True)
    syncing: reactive[bool] = reactive(False, init=False)
    loaded: reactive[bool] = reactive(False, init=False)
    alerts: reactive[AlertCheck | None] = reactive(None, init=False)
    resale: reactive[Resale | None] = reactive(None, init=False)  # None: no (valid) resale.toml
    resale_totals: reactive[dict[str, ResaleTotals]] = reactive(dict, init=False, always_update=True)

    def __init__(self, books: Books, *, config: Config | None = None, config_path: Path | None = None,
                 now: Callable[[], datetime] | None = None, auto_sync: bool = True,
                 export_dir: Path | None = None, exit_when_loaded: bool = False, resale: bool = True) -> None:
        super().__init__()
        self.show_resale = resale  # False: costs only, even with a price list (tests of the cost figures)
        self.exit_when_loaded = exit_when_loaded  # benchmarks: quit once the period list is painted
        self.books = books
        self.config = config
        self.config_path = config_path
        self.now = now or (lambda: datetime.now(UTC))
        self.auto_sync = auto_sync
        self.export_dir = export_dir or Path.cwd()
        self.last_export: Path | None = None
        self._last_progress = 0.0
        self._ahead_wanted: str | None = None  # the period whose report to build next
        self._ahead_running = False
        self.built_ahead: str | None = None  # the last period whose report was built ahead
        self.foreground = Foreground()  # a period being opened: background workers step aside
        # The theme and each tab's sort are remembered in the config file; the demo
        # neither reads nor writes them (its choices last the session).
        self.remembers = books.source != "demo"
        self.preferences = Preferences.read(config_path) if self.remembers else Preferences()
        if self.preferences.theme in self.available_themes:
            self.theme = self.preferences.theme
        if books.source == "demo":
            self.set_reactive(PaygApp.online, "demo")
        elif config is None or not (config.api_url and config.api_token):
            self.set_reactive(PaygApp.online, "no-api")

    # -- start ----------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        """The period list is the bottom screen: no empty default screen to mount first."""
        from payg_tui.ui.screens.periods import PeriodsScreen

        return PeriodsScreen()

    def on_load(self) -> None:
        children = sys.modules.get("payg_tui.service.children")  # loaded by an earlier app (tests)
        if children is not None:
            children.reopen()
        # Before the driver starts and the first screen is composed. A warm cache's saved
        # period list is a few rows read in a millisecond or two: read it here, so that the
        # rows are in the first frame without waiting for a worker thread to be scheduled
        # (a busy machine made that wait the longest part of the start). Anything to compute
        # (new data) or any error goes to the worker, as later reloads do.
        if not self._load_saved_periods():
            self.load_periods()

    def _load_saved_periods(self) -> bool:
        books = self.books
        try:
            provider = books.provider
            periods = books.saved_periods() if provider is not None else None
            if periods is None:
                return False
            message = PeriodsLoaded(periods, provider, books.as_of(), books.age_text(self.now()))
        except UserError:
            return False
        self._periods_loaded(message)
        return True

    def on_mount(self) -> None:
        if self.auto_sync and self.online == "cache":
            self.start_sync(quick=True)
        self.set_interval(60, self._refresh_age)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.books.source == "cache":
            self.set_interval(WATCH_EVERY, self._watch_cache)

    def _watch_cache(self) -> None:
        self._check_cache()

    @work(thread=True, exclusive=True, group="watch")
    def _check_cache(self) -> None:
        """Ask (off the UI thread) whether another process wrote the cache."""
        try:
            changed = self.books.changed_elsewhere()
        except UserError:
            return  # the next load says what is wrong
        if changed:
            self.post_message(CacheChanged())

    @on(CacheChanged)
    def _cache_changed(self, _message: CacheChanged) -> None:
        if not self.syncing:  # our own sync reloads when it ends
            self._reload_data()

    def _reload_data(self) -> None:
        self.load_periods()
        from payg_tui.ui.screens.period import PeriodScreen

        for screen in self.screen_stack:
            if isinstance(screen, PeriodScreen):
                screen.reload()

    def on_unmount(self) -> None:
        # Whatever made the app quit (q, ctrl+q, an error), a child still running (a
        # sync, the periods' revenue) is ended now: its worker thread, which the exit
        # joins, waits on it. Imported here, not looked up in sys.modules: a worker may
        # be importing it at this very moment, and an import waits for that to finish.
        from payg_tui.service import children

        children.end_all()

    async def on_event(self, event: events.Event) -> None:
        # A key typed right after q can still be on its way while the app closes its
        # screens; with no screen left, Textual would fail looking up its bindings.
        if isinstance(event, events.Key) and not self.screen_stack:
            return
        await super().on_event(event)

    def _refresh_age(self) -> None:
        """Keep "x min ago" honest; a running sync reloads the periods when it ends."""
        if not self.syncing:
            self.load_periods()

    @work(thread=True, exclusive=True, group="periods")
    def load_periods(self) -> None:
        books = self.books
        try:
            provider = books.provider
            periods = books.periods() if provider is not None else []
            message = PeriodsLoaded(periods, provider, books.as_of(), books.age_text(self.now()))
        except UserError as error:
            self.post_message(LoadFailed("periods", error.message))
            return
        self.post_message(message)

    @on(PeriodsLoaded)
    def _periods_loaded(self, message: PeriodsLoaded) -> None:
        self.status = Status(message.provider, message.as_of, message.age)
        self.periods = tuple(message.periods)
        if self.exit_when_loaded:  # benchmarks: quit on the first frame with the rows
            self.loaded = True
            self.call_after_refresh(self.exit)
            return
        if not self.loaded:
            self.set_timer(PREPARE_SYNC_BAR, self._prepare_sync_bar)
            self.set_timer(FIRST_ALERTS, self.check_alerts)
            # After the rows are painted: reading resale.toml imports the resale engine
            # (some 40 ms) on a worker that would otherwise share the GIL with the first frame.
            self.call_after_refresh(self.load_resale)
        else:
            # After a sync and every minute: a grace deadline passes while the app is open.
            self.check_alerts()
            self.load_resale_totals()
        self.loaded = True

    def _prepare_sync_bar(self) -> None:
        # Mount the (hidden) sync bar once the list has been shown, not at start-up
        # nor in the first moments of a sync. The app may be closing by then.
        from payg_tui.ui.screens.base import TableScreen

        screen = self.screen_stack[-1] if self.screen_stack else None
        if isinstance(screen, TableScreen):
            screen.ensure_sync_bar()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.loaded = True
        if self.exit_when_loaded:
            self.exit(return_code=1)
        self.notify(message.message, title=f"cannot load {message.what}", severity="error")

    # -- alerts -------------------------------------------------------------------

    def check_alerts(self) -> None:
        """The header's alerts (alerts.md), from the same books and settings as `payg-tui alerts`.

        What the check needs is taken here, on the UI thread, and handed to
        the worker, which never reaches back into the app from its thread.
        """
        from payg_tui.config import Config
        from payg_tui.service.alerts import rules_from

        self._check_alerts(self.books, self.now(), rules_from(self.config or Config()), self.foreground)

    @work(thread=True, exclusive=True, group="alerts")
    def _check_alerts(self, books: Books, now: datetime, rules: AlertRules, foreground: Foreground) -> None:
        from payg_tui.service import alerts

        foreground.wait()
        try:
            result = alerts.check(books, now, rules)
        except UserError:
            result = None  # no data yet, or a report that cannot be built: the list says why
        self.post_message(AlertsChecked(result))

    @on(AlertsChecked)
    def _alerts_checked(self, message: AlertsChecked) -> None:
        self.alerts = message.result

    def show_alerts(self) -> None:
        """Every alert, most urgent first, in one notification (the header shows only the first)."""
        from payg_tui.engine.text import printable

        found = self.alerts.alerts if self.alerts is not None else []
        if not found:
            self.notify("no alerts", title="alerts")
            return
        lines = [f"{alert.severity}: {printable(alert.message)}" for alert in found[:ALERTS_SHOWN]]
        if len(found) > ALERTS_SHOWN:
            lines.append(f"and {len(found) - ALERTS_SHOWN} more: `payg-tui alerts` lists them all")
        critical = found[0].severity == "critical"
        self.notify("\n".join(lines), title=f"{len(found)} alert{'s' if len(found) != 1 else ''}",
                    severity="error" if critical else "warning", timeout=20)

    # -- resale (resale.md): only with a price list ---------------------------------

    @work(thread=True, exclusive=True, group="resale-list")
    def load_resale(self) -> None:
        """Read resale.toml once the periods are in; a refused one is told, and the app goes on without."""
        from payg_tui.service.statements import open_resale

        if not self.show_resale:
            return
        self.foreground.wait()  # reading it imports the resale engine: a period being opened first
        try:
            resale = open_resale(self.books, demo=self.books.source == "demo")
        except UserError as error:
            self.post_message(ResaleLoaded(None, error.lines))
            return
        self.post_message(ResaleLoaded(resale, []))

    @on(ResaleLoaded)
    def _resale_loaded(self, message: ResaleLoaded) -> None:
        if message.problems:
            more = len(message.problems) - 1
            self.notify(message.problems[0] + (f" (and {more} more: `payg-tui statements` lists them)"
                                               if more else ""),
                        title="resale.toml refused: showing costs only", severity="error", timeout=12)
        self.resale = message.resale
        self.load_resale_totals()

    @work(thread=True, exclusive=True, group="resale-totals")
    def load_resale_totals(self) -> None:
        """Revenue and margin of each period for the list, newest first (each needs its report).

        Worked out in a child process (`service/resale_child.py`), stopped while a
        period loads: in this one it would slow down every screen opened meanwhile.
        """
        from payg_tui.service import resale_child

        resale, keys = self.resale, [p.period.key for p in self.periods]
        if resale is None or not keys:
            return
        worker = get_current_worker()
        try:
            resale_child.run(self.books.cache_path, keys, demo=self.books.source == "demo",
                             found=lambda key, totals: worker.is_cancelled
                             or self.post_message(ResaleTotalsComputed(key, totals)),
                             should_stop=lambda: worker.is_cancelled,
                             attach=self.foreground.attach, detach=self.foreground.detach)
        except UserError as error:
            if not worker.is_cancelled:
                self.post_message(LoadFailed("revenue of the periods", error.message))

    @on(ResaleTotalsComputed)
    def _resale_totals(self, message: ResaleTotalsComputed) -> None:
        self.resale_totals = {**self.resale_totals, message.key: message.totals}

    # -- reports built ahead ----------------------------------------------------

    def build_ahead(self, key: str) -> None:
        """Build a period's report on a worker so that opening it is instant; one at a time."""
        self._ahead_wanted = key
        if not self._ahead_running:
            self._ahead_running = True
            self._build_report(key)

    @work(thread=True, group="ahead")
    def _build_report(self, key: str) -> None:
        self.foreground.wait()  # a period being opened comes first
        started = time.perf_counter()
        with contextlib.suppress(Exception):  # only a head start: opening the period reports errors
            self.books.report(key)
        if time.perf_counter() - started > BUILT_IN:
            # Building a large report leaves the collector a full pass to make (0.1-0.2 s
            # holding the GIL): make it now, while the list rests, not when the period opens.
            gc.collect()
        self.post_message(ReportBuilt(key))

    @on(ReportBuilt)
    def _report_built(self, message: ReportBuilt) -> None:
        self._ahead_running = False
        self.built_ahead = message.key
        wanted, self._ahead_wanted = self._ahead_wanted, None
        if wanted is not None and wanted != message.key:
            self.build_ahead(wanted)

    # -- sync -----------------------------------------------------------------

    def action_sync(self) -> None:
        self.start_sync(quick=False)

    def start_sync(self, *, quick: bool) -> None:
        if self.books.source == "demo":
            self.notify("demo data: there is no API to sync with", severity="warning")
            return
        if self.syncing:
            self.notify("a sync is already running")
            return
        from payg_tui.config import load_config
        from payg_tui.service import sync_child

        if self.books.read_only:
            if not quick:
                self.notify("this cache is read-only for you: the dashboard shows it, a sync cannot "
                            "write to it", title="sync", severity="warning")
            return
        elsewhere = sync_child.running_elsewhere(self.books.cache_path)
        if elsewhere is not None:  # its pages show here as they are stored (data_version)
            if not quick:
                self.notify(f"another sync is running on this cache ({elsewhere}); its data shows "
                            "here as it arrives", title="sync", severity="warning")
            return
        try:
            config = self.config or load_config(self.config_path)
            request = sync_child.request_from(config, self.books.cache_path, quick=quick)
        except UserError as error:
            self.online = "no-api"
            if not quick:
                self.notify(error.message, severity="warning")
            return
        self.syncing = True
        self.online = "syncing"
        self.sync_progress = None
        self._run_sync(request)

    @work(thread=True, exclusive=True, group="sync")
    def _run_sync(self, request: SyncRequest) -> None:
        from payg_tui.service import sync_child

        worker = get_current_worker()

        def progress(update: SyncProgress) -> None:
            moment = time.monotonic()
            if update.retry or update.stage != "snapshots" or moment - self._last_progress >= PROGRESS_EVERY:
                self._last_progress = moment
                self.post_message(SyncProgressed(update))

        try:
            summary = sync_child.run(request, progress, lambda: worker.is_cancelled)
        except UserError as error:
            self.post_message(SyncFailed(error.message, isinstance(error, NetworkError), request.quick))
            return
        except Exception as error:  # an unexpected failure must not kill the dashboard
            self.post_message(SyncFailed(f"sync failed: {type(error).__name__}: {error}", False,
                                         request.quick))
            return
        self.post_message(SyncFinished(summary, request.quick))

    @on(SyncProgressed)
    def _sync_progressed(self, message: SyncProgressed) -> None:
        if self.syncing:
            self.sync_progress = message.progress

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        self.online = "live"
        self.sync_progress = None
        if message.summary.hours_added or not message.quick:
            from payg_tui.service import sync_child

            self.notify(sync_child.describe(message.summary))
        if message.summary.hours_added:
            self._reload_data()

    @on(SyncFailed)
    def _sync_failed(self, message: SyncFailed) -> None:
        self.syncing = False
        self.sync_progress = None
        self.online = "offline"
        prefix = "offline, showing the cache: " if message.network else ""
        self.notify(prefix + message.message, title="sync", severity="error" if not message.quick
                    else "warning", timeout=8)

    # -- what is remembered: the theme, each tab's sort --------------------------

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name != self.preferences.theme:
            self.preferences.theme = theme.name
            self._remember()

    @on(VirtualTable.Ready)
    def _sort_as_remembered(self, message: VirtualTable.Ready) -> None:
        tab = tab_of(message.table.id)
        remembered = self.preferences.sorts.get(tab) if tab else None
        if remembered is not None:
            message.table.sort_by(*remembered)

    @on(VirtualTable.Sorted)
    def _sorted(self, message: VirtualTable.Sorted) -> None:
        tab = tab_of(message.table.id)
        if tab and self.preferences.sorts.get(tab) != (message.label, message.reverse):
            self.preferences.sorts[tab] = (message.label, message.reverse)
            self._remember()

    def _remember(self) -> None:
        if self.remembers:
            self._save_preferences(replace(self.preferences, sorts=dict(self.preferences.sorts)))

    @work(thread=True, exclusive=True, group="preferences")
    def _save_preferences(self, preferences: Preferences) -> None:
        try:
            preferences.save(self.config_path)
        except (UserError, OSError) as error:
            reason = error.message if isinstance(error, UserError) else (error.strerror or str(error))
            self.call_from_thread(self.notify, f"cannot remember the theme and sort: {reason}",
                                  severity="warning")

    # -- export ---------------------------------------------------------------

    def default_export_path(self, key: str, fmt: ExportFormat) -> Path:
        return self.export_dir / f"payg-{key}.{fmt}"

    def action_export(self, key: str | None = None) -> None:
        from payg_tui.ui.dialogs.export import ExportDialog, ExportRequest

        if key is None:
            key = self.focused_period()
        if key is None:
            self.notify("no period to export yet", severity="warning")
            return
        chosen = key

        def done(request: ExportRequest | None) -> None:
            if request is not None:
                self.export_report(chosen, request.fmt, request.path, request.overwrite)

        self.push_screen(ExportDialog(chosen, self.default_export_path(chosen, "csv"),
                                      self.default_export_path(chosen, "json")), done)

    def focused_period(self) -> str | None:
        """The period the user is looking at: the top screen's (under any dialog or the
        palette), else the highlighted row, else the newest."""
        from payg_tui.ui.screens.base import TableScreen

        screens = [s for s in self.screen_stack if isinstance(s, TableScreen)]
        key = screens[-1].period_key() if screens else None
        if key is None and self.periods:
            key = self.periods[0].period.key
        return key

    @work(thread=True, group="export")
    def export_report(self, key: str, fmt: ExportFormat, path: Path, overwrite: bool = False) -> None:
        try:
            written = self.books.export(key, fmt, path, overwrite=overwrite)
        except UserError as error:  # its message starts "cannot export"
            self.post_message(ExportFailed(error.message))
            return
        self.post_message(ExportFinished(written))

    @on(ExportFailed)
    def _export_failed(self, message: ExportFailed) -> None:
        self.notify(message.message, title="export", severity="error")

    @on(ExportFinished)
    def _exported(self, message: ExportFinished) -> None:
        self.last_export = message.path
        self.notify(f"exported to {message.path}", title="export", markup=False)

    # -- other screens --------------------------------------------------------

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        from payg_tui.ui.palette import Palette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(Palette(id="--command-palette"))

    def action_help(self) -> None:
        from payg_tui.ui.dialogs.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_settings(self) -> None:
        from payg_tui.ui.screens.settings import SettingsScreen

        if isinstance(self.screen, SettingsScreen):
            return
        if self.books.source == "demo":  # the demo never touches the user's config file
            from payg_tui.config import Config

            self.push_screen(SettingsScreen(in_memory=self.config or Config()))
        else:
            self.push_screen(SettingsScreen(self.config_path))

    def settings_saved(self, config: Config) -> None:
        """The settings screen wrote the file: use it from now on (unless env overrides).
        With the demo, it kept them in memory."""
        from payg_tui.config import load_config

        if self.books.source == "demo":
            self.config = config  # in memory only
        else:
            try:
                self.config = load_config(self.config_path)
            except UserError as error:
                self.notify(error.message, severity="error")
                return
            if self.online in ("no-api", "offline"):
                self.online = "cache"
        if self.loaded:
            self.check_alerts()  # a new budget or window changes what the header says

    def open_period(self, key: str) -> None:
        """Show one period over the list, in place of whatever was open."""
        from payg_tui.ui.screens.period import PeriodScreen

        stack = self.screen_stack
        if len(stack) == 2 and isinstance(stack[-1], PeriodScreen) and stack[-1].key == key:
            return  # already showing it (Enter twice in one write)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(PeriodScreen(key))

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications are literal text: they often carry names and server words."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


def run_dashboard(demo: bool, *, headless: bool = False, size: tuple[int, int] | None = None,
                  exit_when_loaded: bool = False) -> int:
    """`payg-tui` without a command: the cache (and the API) or the demo.

    The keywords are for the start-up benchmark, which times exactly this path:
    no terminal, and quit on the first frame that shows the period list.
    """
    from payg_tui.config import load_config

    if demo:
        with Books.open_demo() as books:
            app = PaygApp(books, auto_sync=False, exit_when_loaded=exit_when_loaded)
            app.run(headless=headless, size=size)
    else:
        config = load_config()
        with Books.open_cache(create=True) as books:
            app = PaygApp(books, config=config, exit_when_loaded=exit_when_loaded)
            app.run(headless=headless, size=size)
    return app.return_code or 0
