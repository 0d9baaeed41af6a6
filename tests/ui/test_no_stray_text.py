"""Tabs chosen before their widgets are mounted never show a widget's name or stray text.

Seen in tmux on a cold start during a sync: `Enter ] ] ]` showed the text
"TabPane#days" under the tab bar (Textual draws an empty, layout-less widget
as its CSS identifier) until the tab's widgets arrived. Panes are now built
the first time they are shown; these keys, in one burst during loading,
must land on the Days tab with its own widgets and nothing else.
"""

from __future__ import annotations

from payg_tui.service.books import Books
from payg_tui.ui.screens.period import PeriodScreen
from payg_tui.ui.widgets.tab_bar import TabBar
from tests.ui.conftest import screen_text, settle
from tests.ui.keys import burst, quits_on_q
from tests.ui.snapshot_app import make_app

WIDGET_NAMES = ("TabPane", "Vertical", "ContentSwitcher", "VirtualTable", "Static", "#days", "#panes")


async def test_tabs_chosen_during_loading_show_their_own_widgets_only(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(pilot, "enter", "right_square_bracket", "right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert isinstance(app.screen, PeriodScreen)
        text = screen_text(pilot)
        assert not [name for name in WIDGET_NAMES if name in text], text
        await settle(pilot)
        screen = app.screen
        assert screen.query_one(TabBar).active == "days"
        shown = [pane.id for pane in screen.query(".pane") if pane.display]
        assert shown == ["days"], shown  # one pane at a time: the one the bar names
        assert screen.report is not None
        text = screen_text(pilot)
        assert "per day" in text and not [name for name in WIDGET_NAMES if name in text], text
        await quits_on_q(pilot)
