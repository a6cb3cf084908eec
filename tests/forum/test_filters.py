"""ThreadFilter: the category and tag pages list the same threads as /api/v1/forum/threads/ for the same query."""

from __future__ import annotations

import pytest

from apps.forum.models import Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(category, other_category, alice, bob) -> dict[str, Thread]:
    made = {
        "question": Thread(category=category, title="Why 2/eta?", author=alice, is_question=True, tags=["eos"]),
        "talk": Thread(category=category, title="EoS in transformers", author=bob, tags=["eos", "sgd"]),
        "near-miss": Thread(category=category, title="Noise scale", author=bob, tags=["sgd-noise"]),
        "elsewhere": Thread(category=other_category, title="Site tags", author=alice, is_question=True, tags=["sgd"]),
        "hidden": Thread(category=category, title="Spam", author=bob, is_hidden=True, tags=["eos"]),
    }
    for thread in made.values():
        thread.save()
    return made


def _titles(threads) -> set[str]:
    return {thread.title for thread in threads}


def _on_page(response) -> set[str]:
    return _titles(response.context["page"])


def _in_api(response) -> set[str]:
    return {thread["title"] for thread in response.json()["results"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"question", "talk", "near-miss"}),
        ("is_question=true", {"question"}),
        ("is_question=false", {"talk", "near-miss"}),
        ("tag=sgd", {"talk"}),
        ("author=bob", {"talk", "near-miss"}),
        ("author=nobody", set()),
    ],
)
def test_a_category_page_lists_what_the_api_lists_for_that_category(client, threads, query, expected) -> None:
    page = client.get(f"/forum/c/general/?{query}")
    api = client.get(f"/api/v1/forum/threads/?category=general&{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    assert _on_page(page) == _in_api(api) == {threads[name].title for name in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", {"talk", "elsewhere"}), ("is_question=true", {"elsewhere"}), ("category=general", {"talk"})],
)
def test_a_tag_page_lists_what_the_api_lists_for_that_tag(client, threads, query, expected) -> None:
    page = client.get(f"/forum/tag/sgd/?{query}")
    api = client.get(f"/api/v1/forum/threads/?tag=sgd&{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    assert _on_page(page) == _in_api(api) == {threads[name].title for name in expected}


def test_the_category_in_the_url_wins_over_one_in_the_query(client, threads) -> None:
    page = client.get("/forum/c/general/?category=meta")
    assert _on_page(page) == {threads[name].title for name in ("question", "talk", "near-miss")}


def test_a_moderator_sees_hidden_threads_on_the_page_and_in_the_api(client, threads, mod) -> None:
    client.force_login(mod, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/forum/tag/eos/")
    api = client.get("/api/v1/forum/threads/?tag=eos")
    assert _on_page(page) == _in_api(api) == {threads[name].title for name in ("question", "talk", "hidden")}


def test_an_invalid_value_is_a_400_naming_the_field_in_the_api(client, threads) -> None:
    response = client.get("/api/v1/forum/threads/?category=general&is_question=maybe")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["is_question"]


@pytest.mark.parametrize("path", ["/forum/c/general/", "/forum/tag/eos/"])
def test_an_invalid_value_is_shown_on_the_page_which_lists_nothing(client, threads, path) -> None:
    response = client.get(f"{path}?is_question=maybe")
    assert response.status_code == 400
    assert "Questions: Use true or false, not maybe." in response.content.decode()
    assert _on_page(response) == set()
