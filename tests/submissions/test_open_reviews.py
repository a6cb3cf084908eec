"""Reviews a reviewer chose to publish appear on the article's page, and no others do."""

from __future__ import annotations

from typing import Any

from apps.submissions import services


def test_the_article_page_shows_public_reviews_and_hides_those_for_the_authors_only(
    client: Any, in_review: Any, bob: Any, ed: Any
) -> None:
    services.review_submit(
        submission=in_review,
        reviewer=bob,
        body="The plateau argument is convincing.",
        recommendation="accept",
        visibility="public",
    )
    services.review_submit(
        submission=in_review,
        reviewer=bob,
        body="Private note to the authors.",
        recommendation="accept",
        visibility="authors",
    )
    services.submission_decide(submission=in_review, editor=ed, decision="accept")
    version = services.submission_publish(submission=in_review, editor=ed)
    html = client.get(version.article.get_absolute_url()).content.decode()
    assert 'id="open-reviews-heading"' in html
    assert "The plateau argument is convincing." in html
    assert "Private note to the authors." not in html


def test_an_article_without_published_reviews_has_no_review_section(client: Any, accepted: Any, ed: Any) -> None:
    version = services.submission_publish(submission=accepted, editor=ed)
    assert 'id="open-reviews-heading"' not in client.get(version.article.get_absolute_url()).content.decode()
