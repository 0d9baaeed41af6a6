"""The period's tab bar and the key footer: each one widget, drawing what Textual's drew.

The snapshots hold their look cell for cell; these tests hold what they do:
a click on a tab or a key, the active tab kept in view when the labels are
wider than the terminal, keys that follow the screen and the focus.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.widgets import Static

from payg_tui.service.books import Books
from payg_tui.ui.dialogs.help import HelpScreen
from payg_tui.ui.screens.period import TABS
from payg_tui.ui.screens.periods import PeriodsScreen
from payg_tui.ui.widgets.footer import KeyFooter
from payg_tui.ui.widgets.tab_bar import TabBar
from payg_tui.ui.widgets.table import VirtualTable
from tests.ui.conftest import screen_text, settle
from tests.ui.snapshot_app import make_app
from tests.ui.test_figures import OPEN, open_period

NEXT_TAB = "right_square_bracket"


def _row(pilot: object, word: str) -> tuple[int, int]:
    """(row, column) where `word` is first drawn on the screen."""
    for y, line in enumerate(screen_text(pilot).splitlines()):  # type: ignore[arg-type]
        if word in line:
            return y, line.index(word)
    raise AssertionError(f"{word!r} is not on the screen")


async def test_a_click_on_a_tab_label_shows_that_tab(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, app, OPEN)
        assert screen.report is not None
        bar = screen.query_one(TabBar)
        y, x = _row(pilot, " Days ")
        assert y == bar.region.y
        await pilot.click(TabBar, offset=(x + 2, 0))
        await settle(pilot)
        assert bar.active == "days"
        assert [pane.id for pane in screen.query(".pane") if pane.display] == ["days"]
        assert screen.query_one("#days-table", VirtualTable).rows == screen.report.days
        assert app.focused is screen.query_one("#days-table")  # the keys go to the tab's table
        await pilot.click(TabBar, offset=(1, 1))  # the underline under the first label
        await settle(pilot)
        assert bar.active == "accounts"


async def test_in_a_narrow_terminal_the_active_tab_is_always_in_view(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(40, 20)) as pilot:
        bar = (await open_period(pilot, app, OPEN)).query_one(TabBar)
        for pane_id, _label in [*TABS[1:], TABS[0]]:
            await pilot.press(NEXT_TAB)
            await settle(pilot)
            assert bar.active == pane_id
            row, underline = screen_text(pilot).splitlines()[bar.region.y:bar.region.y + 2]
            assert bar.label(pane_id) in row, (pane_id, row)
            assert set(underline) <= set("━╸╺"), underline  # the labels never wrap onto it
        assert screen_text(pilot).splitlines()[bar.region.y].startswith(" Accounts ")
        await pilot.press(*[NEXT_TAB] * 3)  # Days, in the middle: the tabs either side stay in view
        await settle(pilot)
        row = screen_text(pilot).splitlines()[bar.region.y]
        assert bar.active == "days" and " Packs  Days  Not billed" in row, row


class _WideTabs(App[None]):
    def compose(self) -> ComposeResult:
        yield TabBar([("a", "日本語タブ"), ("b", "データ"), ("c", "Third"), ("d", "四番目")], "a")


def _cell_of(row: str, word: str) -> int:
    """The cell (not the character) where `word` starts in `row`."""
    return cell_len(row[:row.index(word)])


async def test_wide_labels_are_drawn_where_a_click_finds_them() -> None:
    app = _WideTabs()
    async with app.run_test(size=(20, 4)) as pilot:
        bar = app.query_one(TabBar)
        for active in ("a", "b", "c", "d", "b"):
            bar.active = active
            await pilot.pause()
            row = screen_text(pilot).splitlines()[0]
            assert cell_len(row) <= 20 and bar.label(active) in row, row
            for pane_id in ("a", "b", "c", "d"):
                label = bar.label(pane_id)
                if label in row and pane_id != active:
                    await pilot.click(TabBar, offset=(_cell_of(row, label), 0))
                    assert bar.active == pane_id, (row, label)
                    bar.active = active
                    await pilot.pause()


async def test_footer_keys_follow_the_screen_and_a_click_presses_one(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        footer = screen_text(pilot).splitlines()[-1]
        assert "Next tab" not in footer and footer.rstrip().endswith("▏^p palette")
        await pilot.press("enter")
        await settle(pilot)
        assert "] Next tab" in screen_text(pilot).splitlines()[-1]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PeriodsScreen)
        assert "Next tab" not in screen_text(pilot).splitlines()[-1]
        y, x = _row(pilot, "? Help")
        assert y == 23
        await pilot.click(KeyFooter, offset=(x + 3, 0))
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        _, x = _row(pilot, "^p palette")
        await pilot.click(KeyFooter, offset=(x, 0))
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


class _Keys(App[None]):
    """A screen that disables one of its keys, as `check_action` may."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "ring", "Ring"), Binding("y", "off", "Off")]

    def __init__(self) -> None:
        super().__init__()
        self.rung = 0

    def compose(self) -> ComposeResult:
        yield Static("keys")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "off" else True

    def action_ring(self) -> None:
        self.rung += 1

    def action_off(self) -> None:  # pragma: no cover - disabled: never runs
        raise AssertionError("a disabled key ran")


async def test_a_disabled_key_is_dim_and_a_click_on_it_does_nothing() -> None:
    app = _Keys()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        footer = app.query_one(KeyFooter)
        line = footer.render()
        assert "x Ring y Off" in line.plain
        dim = [span for span in line.spans if span.style and getattr(span.style, "dim", False)]
        assert [line.plain[s.start:s.end] for s in dim] == ["y", " Off"]
        start = line.plain.index("y Off")
        await pilot.click(KeyFooter, offset=(start, 0))
        await pilot.click(KeyFooter, offset=(line.plain.index("x Ring"), 0))
        await pilot.pause()
        assert app.rung == 1


async def test_a_double_click_on_the_footer_or_the_tabs_selects_no_text(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_period(pilot, app, OPEN)
        footer = screen_text(pilot).splitlines()[-1]
        gap = len(footer.split("▏")[0].rstrip()) + 2  # between the keys and the palette key
        await pilot.double_click(KeyFooter, offset=(gap, 0))
        await settle(pilot)
        assert not app.screen.get_selected_text()
        await pilot.double_click(TabBar, offset=(3, 0))
        await settle(pilot)
        assert not app.screen.get_selected_text()
