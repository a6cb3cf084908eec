"""Open questions in the site search index: title, statement and rendered discussion."""

from __future__ import annotations

from collections.abc import Iterator

from apps.questions.models import Question
from apps.search.index import Document, index_put
from apps.search.models import Kind


def _document(question: Question) -> Document:
    return Document(
        key=f"question:{question.pk}",
        kind=Kind.QUESTION,
        title=f"Q{question.number}. {question.title}",
        summary=question.statement,
        html=question.rendered_html,
        url=question.get_absolute_url(),
        when=question.updated_at,
    )


def question_index(question: Question) -> None:
    """Put the question, as it is now in the database, in the search index."""
    index_put(_document(Question.objects.get(pk=question.pk)))


def all_documents() -> Iterator[Document]:
    """Every question, for index_rebuild."""
    for question in Question.objects.iterator(chunk_size=100):
        yield _document(question)
