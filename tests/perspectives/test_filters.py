"""ArticleFilter: /perspectives/ and /api/v1/perspectives/ answer the same query string with the same articles."""

from __future__ import annotations

import pytest

from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(db) -> None:
    make_article("eos-tutorial", kind="tutorial", tags=("eos",))
    make_article("scaling-tutorial", kind="tutorial", tags=("scaling",))
    make_article("eos-perspective", kind="perspective", tags=("eos", "sgd"))
    make_article("muP-guide", kind="guide")
    make_article("unpublished", kind="tutorial", tags=("eos",), status="draft")


def _on_page(response) -> list[str]:
    return [article.slug for article in response.context["page_obj"]]


def _in_api(response) -> list[str]:
    return [article["slug"] for article in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"eos-tutorial", "scaling-tutorial", "eos-perspective", "muP-guide"}),
        ("kind=tutorial", {"eos-tutorial", "scaling-tutorial"}),
        ("tag=eos", {"eos-tutorial", "eos-perspective"}),
        ("kind=tutorial&tag=eos", {"eos-tutorial"}),
        ("kind=guide&tag=eos", set()),
        ("tag=no-such-tag", set()),
        ("kind=&tag=", {"eos-tutorial", "scaling-tutorial", "eos-perspective", "muP-guide"}),
    ],
)
def test_the_page_and_the_api_list_the_same_articles_for_a_query(articles, client, query, expected) -> None:
    page = client.get(f"/perspectives/?{query}")
    api = client.get(f"/api/v1/perspectives/?{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    assert set(_on_page(page)) == set(_in_api(api)) == expected


@pytest.mark.parametrize("ordering", ["title", "-title"])
def test_the_page_and_the_api_order_by_the_same_ordering(articles, client, ordering) -> None:
    query = f"kind=tutorial&ordering={ordering}"
    on_page = _on_page(client.get(f"/perspectives/?{query}"))
    in_api = _in_api(client.get(f"/api/v1/perspectives/?{query}"))
    by_title = ["eos-tutorial", "scaling-tutorial"]
    assert on_page == in_api == (by_title if ordering == "title" else by_title[::-1])


@pytest.mark.parametrize(("query", "field"), [("kind=poem", "kind"), ("tag=eos&ordering=popularity", "ordering")])
def test_an_invalid_value_is_a_400_naming_the_field_in_the_api(articles, client, query, field) -> None:
    response = client.get(f"/api/v1/perspectives/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=poem", "Kind: Select a valid choice. poem is not one of the available choices."),
        (
            "tag=eos&ordering=popularity",
            "Order: Select a valid choice. popularity is not one of the available choices.",
        ),
    ],
)
def test_an_invalid_value_is_shown_on_the_page_which_lists_nothing(articles, client, query, message) -> None:
    response = client.get(f"/perspectives/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _on_page(response) == []


def test_page_links_keep_the_filters(client, db) -> None:
    for i in range(21):
        make_article(f"tutorial-{i}", kind="tutorial")
    make_article("a-guide", kind="guide")
    html = client.get("/perspectives/?kind=tutorial").content.decode()
    assert 'href="?kind=tutorial&amp;page=2"' in html
    second = client.get("/perspectives/?kind=tutorial&page=2")
    assert len(_on_page(second)) == 1
