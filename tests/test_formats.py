"""The report's JSON writer: the fast path writes what `json` itself writes.

`report --format json` writes each line with `formats.line_json` and streams
the report in pieces; these tests hold both to the plain `json` encoding of
`formats.report_object`, the dict form of `payg-report/1`.
"""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from payg_tui.engine.model import Lifetime, Line
from payg_tui.service import formats
from tests.builders import World, h

ENCODE = json.JSONEncoder(separators=(", ", ": ")).encode

# Any text at all, lone surrogates, control characters and quotes included: names
# and customer references come from the API and are untrusted.
hostile_text = st.text(st.characters(codec=None), max_size=12)


@st.composite
def lines(draw: st.DrawFn) -> Line:
    state = draw(st.sampled_from(["billed", "pending", "exempt"]))
    first = draw(st.integers(0, 10**6))
    hours = draw(st.integers(1, 2000))
    amount = draw(st.none() | st.integers(0, 10**9).map(lambda cents: Decimal(cents).scaleb(-2)))
    return Line(draw(st.sampled_from(["account", "addon"])), draw(hostile_text), draw(hostile_text),
                draw(hostile_text), draw(st.none() | hostile_text), draw(hostile_text),
                first, first + hours, hours, draw(st.integers(1, 31)), state, amount, amount,
                amount, draw(st.booleans()),
                Lifetime(first, first + hours, state, ongoing=False, pre_existing=False))


@given(lines(), st.integers(0, 3))
def test_a_line_is_written_byte_for_byte_as_json_writes_its_object(line, exponent):
    written = formats.line_json(line, exponent)
    assert written == ENCODE(formats.line_object(line, exponent))
    assert json.loads(written) == formats.line_object(line, exponent)


def _report(tmp_path, accounts: int):
    world = World(timezone="Europe/Brussels")
    world.names["acc-0"] = 'quote " backslash \\ bell \x07 é 名前'
    for n in range(accounts):
        world.account(f"acc-{n}", "p72", h("2026-10-28"), None, customer=f"cust-{n % 3}")
        world.addon(f"add-{n}", f"acc-{n}", "p144", h("2026-11-02"), h("2026-11-06") if n % 2 else None)
    return world.report(tmp_path / "cache.sqlite3", h("2026-10-28"), h("2026-11-10T05"), "2026-11")


def test_the_streamed_report_is_the_layout_of_its_object(tmp_path, monkeypatch):
    # Batches of 3 lines: the 22 lines cross several batch boundaries.
    monkeypatch.setattr(formats, "_BATCH", 3)
    report = _report(tmp_path, 11)
    assert len(report.lines) == 22
    streamed = formats.report_json(report)
    assert streamed == formats.layout_json(formats.report_object(report))
    assert json.loads(streamed) == formats.report_object(report)
    # One line per array element, as a pager shows it.
    assert streamed.count('\n  {"kind": ') == len(report.lines)


def test_sections_and_an_empty_array_keep_the_layout(tmp_path):
    report = _report(tmp_path, 2)
    for section in ("days", "products", "customers"):
        text = formats.report_json(report, section)
        assert json.loads(text) == formats.section_object(report, section)
    assert '"warnings": []' in formats.report_json(report)
