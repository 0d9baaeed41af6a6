"""One rule for broken and hostile text (engine/text.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from payg_tui.engine.text import printable, storable


def test_a_lone_surrogate_becomes_one_replacement_character_in_the_cache_and_on_screen() -> None:
    assert storable("shop\ud800.be") == "shop\ufffd.be"
    assert printable("shop\ud800.be") == "shop\ufffd.be"
    assert storable("\udfff\ud800") == "\ufffd\ufffd"  # two lone halves stay two losses


def test_good_text_is_kept_as_it_is() -> None:
    for text in ("shop.be", "Bäckerei Müller", "日本語", "😀", "?"):
        assert storable(text) == text and printable(text) == text


def test_what_could_steer_a_terminal_is_shown_as_a_question_mark() -> None:
    assert printable("a\x1b[31mred\x07") == "a?[31mred?"
    assert printable("evil\u202eexe.txt\u2028x") == "evil?exe.txt?x"


def test_long_text_is_cut_with_an_ellipsis_and_none_is_a_dash() -> None:
    assert printable("abcdefgh", 5) == "abcd…"
    assert printable(None) == "-"


@given(st.text(st.characters(exclude_categories=())))
def test_every_text_becomes_utf8_and_printable_text_does_too(text: str) -> None:
    kept = storable(text)
    kept.encode("utf-8")  # raises for a surrogate left behind
    assert len(kept) == len(text)
    shown = printable(text)
    shown.encode("utf-8")
    assert all(ch.isprintable() or ch.isspace() for ch in shown)
