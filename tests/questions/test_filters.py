"""QuestionFilter: /questions/ and /api/v1/questions/ answer the same query string with the same questions."""

from __future__ import annotations

import pytest

from tests.questions.test_views import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(db) -> None:
    make_question(1, status="open", tags=("eos",))
    make_question(2, status="partial", tags=("eos", "scaling"))
    make_question(3, status="resolved", tags=("scaling",))
    make_question(4, status="open")


def _on_page(response) -> list[int]:
    return [question.number for question in response.context["page_obj"]]


def _in_api(response) -> list[int]:
    return [question["number"] for question in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1, 2, 3, 4]),
        ("status=open", [1, 4]),
        ("tag=scaling", [2, 3]),
        ("status=partial&tag=eos", [2]),
        ("status=resolved&tag=eos", []),
        ("tag=no-such-tag", []),
        ("status=open&ordering=-number", [4, 1]),
    ],
)
def test_the_page_and_the_api_list_the_same_questions_in_the_same_order(questions, client, query, expected) -> None:
    page = client.get(f"/questions/?{query}")
    api = client.get(f"/api/v1/questions/?{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    assert _on_page(page) == _in_api(api) == expected


@pytest.mark.parametrize(("query", "field"), [("status=closed", "status"), ("ordering=votes", "ordering")])
def test_an_invalid_value_is_a_400_naming_the_field_in_the_api(questions, client, query, field) -> None:
    response = client.get(f"/api/v1/questions/?{query}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_an_invalid_value_is_shown_on_the_page_which_lists_nothing(questions, client) -> None:
    response = client.get("/questions/?status=closed&tag=eos")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Status: Select a valid choice. closed is not one of the available choices." in html
    assert _on_page(response) == []
