"""A tab shown before its widgets are mounted is blank, never a widget's name.

Seen in tmux on a cold start during a sync: `Enter ] ] ]` showed the text
"TabPane#days" under the tab bar (Textual draws an empty, layout-less widget
as its CSS identifier) until the tab's widgets arrived.
"""

from __future__ import annotations

from rich.console import Console
from textual.widgets import TabPane

from payg_tui.service.books import Books
from payg_tui.ui.screens.period import PeriodScreen
from tests.ui.conftest import settle
from tests.ui.keys import burst, quits_on_q
from tests.ui.snapshot_app import make_app


def _drawn(pane: TabPane) -> str:
    console = Console(width=80, record=True, file=None, force_terminal=False)
    with console.capture() as capture:
        console.print(pane.render())
    return capture.get()


async def test_a_tab_not_built_yet_draws_no_widget_name(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(pilot, "enter")
        await settle(pilot)
        assert isinstance(app.screen, PeriodScreen)
        empty = [pane for pane in app.screen.query(TabPane) if not pane.children]
        assert empty, "every tab is built at once: nothing left to check"
        for pane in empty:
            assert "TabPane" not in _drawn(pane), f"{pane.id} draws its widget name"
        await quits_on_q(pilot)
