from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.validators import MAX_LINKS, orcid_check_character, validate_links, validate_orcid


@pytest.mark.parametrize("orcid", ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"])
def test_real_orcid_ids_pass(orcid: str) -> None:
    validate_orcid(orcid)


@pytest.mark.parametrize("orcid", ["0000-0002-1825-0098", "0000-0001-5109-3701", "0000-0002-1694-2330"])
def test_an_orcid_with_a_wrong_check_character_is_rejected(orcid: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_orcid(orcid)
    assert exc.value.code == "orcid_checksum"


def test_swapping_two_digits_breaks_the_checksum() -> None:
    with pytest.raises(ValidationError):
        validate_orcid("0000-0002-8125-0097")


@pytest.mark.parametrize(
    "orcid",
    [
        "0000000218250097",
        "0000-0002-1825-009",
        "0000-0002-1825-00977",
        "X000-0002-1825-0097",
        "0000-0002-1825-009x",
        "",
    ],
)
def test_a_badly_formatted_orcid_is_rejected(orcid: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_orcid(orcid)
    assert exc.value.code == "orcid_format"


def test_the_check_character_can_be_x() -> None:
    assert orcid_check_character("000000021694233") == "X"


def test_up_to_five_http_links_are_accepted() -> None:
    validate_links([f"https://example.org/{i}" for i in range(MAX_LINKS)])
    validate_links(["http://example.org/"])
    validate_links([])


def test_a_sixth_link_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_links([f"https://example.org/{i}" for i in range(MAX_LINKS + 1)])
    assert exc.value.code == "links_count"


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://example.org/file", "not a url", "//example.org"])
def test_links_must_be_http_or_https_urls(link: str) -> None:
    with pytest.raises(ValidationError):
        validate_links([link])


def test_links_must_be_a_list_of_strings() -> None:
    with pytest.raises(ValidationError):
        validate_links("https://example.org/")
    with pytest.raises(ValidationError):
        validate_links([42])
