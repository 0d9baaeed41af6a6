"""`?`: the keys of the screen underneath, and the ones that work everywhere."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GENERAL = (
    ("ctrl+p", "command palette: jump to a period, sync, export, sort, theme"),
    ("↑ ↓ pgup pgdn home end", "move in a table (j/k too)"),
    ("enter / double click", "open the row: a period, an account, a customer"),
    ("1-9 / click a header", "sort by the table's 1st-9th column (the same one at any width); "
                             "again to reverse; remembered per tab"),
    ("/", "filter as you type; enter keeps it, escape drops it"),
    ("[ ]", "previous / next tab (period screen)"),
    ("escape", "back (or clear the filter first)"),
    ("q", "quit"),
)

# What the figures mean (docs/dashboard.md says the same at more length).
FIGURES = (
    ("billed", "hours of items that reached 48 h (or were there at the first snapshot): owed"),
    ("billed so far", "the same while the month is still open: it grows every hour"),
    ("pending", "items younger than 48 h and still there: not billed yet; billed from their first "
                "hour if kept past their deadline, free if deleted before it"),
    ("estimate", "what the open month costs if nothing changes: everything in the latest image kept "
                 "to the month end, at the prices in force then (price changes ahead included)"),
    ("at stake", "Not billed tab: what keeping a pending item costs to the month end (its estimate)"),
    ("deadline", "first hour + 47 h: the image that would be its 48th; delete before it to pay nothing"),
    ("line rounding", "Days tab: lines are rounded one by one and days one by one; this row makes the "
                      "running column end at the billed total"),
    ("accounts / lines", "accounts are distinct accounts billed or pending; a line is one pack (or "
                         "add-on) held: an account that changed pack is 1 account, 2 lines"),
    ("open", "the month is still running"),
    ("provisional", "every hour of the month is in, but some items are still pending: the total can "
                    "still move by their amount"),
    ("closed", "every hour is in and nothing is pending: final"),
    ("times", "the provider's time zone; \"as of\" is the start of the latest hourly image; a line's "
              "\"to\" is the end of its last hour, so a running line ends 1 h after \"as of\""),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close"),
        Binding("q", "dismiss", "Close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.rows = self._collect(under)

    @staticmethod
    def _collect(under: Screen[object]) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, active in under.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or key.isdigit():
                continue
            seen.add(binding.action)
            rows.append((binding.key_display or under.app.get_key_display(binding), binding.description))
        return rows

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Keys of this screen\n", style="bold")
        for key, description in self.rows:
            text.append(f"  {key:<14}", style="bold")
            text.append(f"{description}\n")
        text.append("\nEverywhere\n", style="bold")
        for key, description in GENERAL:
            text.append(f"  {key:<24}", style="bold")
            text.append(f"{description}\n")
        text.append("\nWhat the figures mean\n", style="bold")
        for word, meaning in FIGURES:
            text.append(f"  {word:<18}", style="bold")
            text.append(f"{meaning}\n")
        text.append("\nescape or ? closes this help")
        with VerticalScroll(id="help-box"):
            yield Static(text, id="help-text")
