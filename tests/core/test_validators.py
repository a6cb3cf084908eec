"""One-line fields refuse control characters and line breaks; stored text is mended to one clean line."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.core.validators import (
    clean_text,
    require_single_line,
    single_line,
    validate_single_line,
    validate_text,
    xml_safe,
)

C0 = [chr(c) for c in range(0x00, 0x20)]
C1 = [chr(c) for c in range(0x7F, 0xA0)]


@pytest.mark.parametrize("char", C0 + C1, ids=lambda c: f"U+{ord(c):04X}")
def test_every_c0_and_c1_character_is_refused_in_a_one_line_field(char: str) -> None:
    with pytest.raises(ValidationError):
        validate_single_line(f"Edge{char}of stability")


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85"])
def test_a_line_break_is_refused_with_a_message_that_says_so(brk: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_single_line(f"first{brk}second")
    assert caught.value.code == "line_break"
    assert "one line" in caught.value.messages[0]


def test_a_control_character_is_named_in_the_message() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_single_line("Edge\x01of stability")
    assert "U+0001" in caught.value.messages[0]


def test_a_right_to_left_override_is_refused_by_name() -> None:
    # "moc.evil" displayed as "live.com": the classic reversal trick.
    with pytest.raises(ValidationError) as caught:
        validate_single_line("files\u202emoc.evil")
    assert "RIGHT-TO-LEFT OVERRIDE" in caught.value.messages[0]


@pytest.mark.parametrize("text", ["Edge of stability", "Théorie des réseaux — μP", "深度学习", "Scaling laws 🚀", ""])
def test_ordinary_text_in_any_script_passes(text: str) -> None:
    validate_single_line(text)


def test_require_single_line_names_each_field_that_fails() -> None:
    with pytest.raises(ValidationError) as caught:
        require_single_line(title="a\nb", name="fine", changelog="x\x07")
    assert set(caught.value.message_dict) == {"title", "changelog"}


def test_prose_keeps_line_breaks_and_tabs_but_refuses_other_controls() -> None:
    validate_text("First line.\n\n\tSecond paragraph.\r\n")
    with pytest.raises(ValidationError):
        validate_text("A bell\x07 rings")
    with pytest.raises(ValidationError):
        validate_text("A form feed\x0c here")


@pytest.mark.parametrize(
    "stored, mended",
    [
        ("Edge\x01of stability", "Edgeof stability"),
        ("Edge of\r\nstability", "Edge of stability"),
        ("  Edge \t\t of   stability \n", "Edge of stability"),
        ("Edge\u2028of\x0bstability", "Edge of stability"),
        ("files\u202emoc.evil", "filesmoc.evil"),
        ("Clean title", "Clean title"),
    ],
)
def test_single_line_mends_stored_text_as_the_migrations_do(stored: str, mended: str) -> None:
    assert single_line(stored) == mended
    validate_single_line(single_line(stored))


def test_clean_text_drops_controls_and_keeps_paragraphs() -> None:
    assert clean_text("One.\x01\n\nTwo\x1b.") == "One.\n\nTwo."


def test_xml_safe_keeps_everything_xml_allows() -> None:
    allowed = "tab\there, lf\n, cr\r, é, 深, 🚀, \x85 and \u2028"
    assert xml_safe(allowed) == allowed
    assert xml_safe("a\x00b\x01c\x1fd\ufffee") == "abcde"
