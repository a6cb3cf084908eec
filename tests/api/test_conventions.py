"""The API's conventions: throttling, CSRF, tokens, cursor pagination, the error format, ETags, the docs page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import services as accounts
from apps.core.requesters import SystemRequest
from apps.forum.models import Thread
from tests.api.conftest import World, client_for

pytestmark = pytest.mark.django_db


# --- throttling -------------------------------------------------------------------------


def _limit(settings, scope: str, rate: str) -> None:
    # A new dict, never the settings' own: the settings fixture restores the attribute, not its contents.
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, scope: rate}


def test_writes_over_the_rate_get_429_with_retry_after(world: World, bob, settings) -> None:
    _limit(settings, "write", "2/minute")
    client = client_for(bob)
    path = f"/api/v1/forum/threads/{world.thread.pk}/follow/"
    assert [client.put(path).status_code for _ in range(2)] == [200, 200]
    response = client.put(path)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"


def test_anonymous_reads_over_the_rate_get_429_but_members_have_their_own_bucket(world: World, bob, settings) -> None:
    _limit(settings, "anon", "3/minute")
    anonymous = APIClient()
    assert [anonymous.get("/api/v1/questions/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client_for(bob).get("/api/v1/questions/").status_code == 200


def test_run_requests_have_a_tighter_bucket_than_other_writes(world: World, bob, settings) -> None:
    _limit(settings, "runs", "1/minute")
    client = client_for(bob)
    first = client.post("/api/v1/runs/", {"experiment": "deep_linear", "params": {"steps": 11}}, format="json")
    second = client.post("/api/v1/runs/", {"experiment": "deep_linear", "params": {"steps": 12}}, format="json")
    assert (first.status_code, second.status_code) == (202, 429)
    assert "Retry-After" in second
    # Other writes are still allowed.
    assert client.put(f"/api/v1/forum/threads/{world.thread.pk}/follow/").status_code == 200


def test_the_forums_own_posting_rate_answers_429_with_retry_after(world: World, bob, settings) -> None:
    settings.FORUM_POSTS_PER_MINUTE = 1
    client = client_for(bob)
    path = f"/api/v1/forum/threads/{world.thread.pk}/posts/"
    assert client.post(path, {"body": "one"}, format="json").status_code == 201
    response = client.post(path, {"body": "two"}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "too quickly" in response.json()["error"]["message"]


# --- authentication -------------------------------------------------------------------------


def test_a_session_write_without_the_csrf_token_is_refused(world: World, bob) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(bob)
    path = f"/api/v1/forum/threads/{world.thread.pk}/posts/"
    refused = client.post(path, {"body": "no token"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    client.get("/api/v1/docs/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(path, {"body": "with token"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_a_token_write_needs_no_csrf_token(world: World, bob) -> None:
    client = client_for(bob)
    client.enforce_csrf_checks = True
    path = f"/api/v1/forum/threads/{world.thread.pk}/posts/"
    assert client.post(path, {"body": "by token"}, format="json").status_code == 201


def test_a_revoked_token_gets_401(world: World, bob) -> None:
    client = client_for(bob)
    assert client.get("/api/v1/notifications/").status_code == 200
    accounts.token_revoke(user=bob)
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "authentication_failed"
    # Even a public read fails loudly rather than silently treating the caller as anonymous.
    assert client.get("/api/v1/perspectives/").status_code == 401


def test_anonymous_writes_get_401_not_403(world: World) -> None:
    response = APIClient().post("/api/v1/runs/", {"experiment": "deep_linear"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- pagination ---------------------------------------------------------------------------------


def test_cursor_pages_neither_repeat_nor_skip_rows_when_new_rows_arrive(world: World, alice) -> None:
    base = timezone.now() - timedelta(hours=1)
    for i in range(25):
        Thread.objects.create(category=world.category, title=f"T{i}", author=alice, created=base + timedelta(minutes=i))
    before = set(Thread.objects.visible_to(alice).values_list("pk", flat=True))
    client = APIClient()
    seen: list[int] = []
    url: str | None = "/api/v1/forum/threads/?page_size=10"
    pages = 0
    while url:
        page = client.get(url).json()
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
        pages += 1
        # New threads arrive between pages, newest first: they must not shift the pages after the cursor.
        for j in range(3):
            Thread.objects.create(category=world.category, title=f"new {pages}-{j}", author=alice)
    assert len(seen) == len(set(seen))
    assert set(seen) == before
    assert pages == 3


def test_the_page_size_is_capped_at_100(world: World, alice) -> None:
    Thread.objects.bulk_create([Thread(category=world.category, title=f"T{i}", author=alice) for i in range(105)])
    response = APIClient().get("/api/v1/forum/threads/?page_size=100000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


def test_page_sizes_come_from_settings(world: World, alice, settings) -> None:
    Thread.objects.bulk_create([Thread(category=world.category, title=f"T{i}", author=alice) for i in range(6)])
    settings.API_PAGE_SIZE = 2
    settings.API_MAX_PAGE_SIZE = 3
    client = APIClient()
    assert len(client.get("/api/v1/forum/threads/").json()["results"]) == 2
    assert len(client.get("/api/v1/forum/threads/?page_size=50").json()["results"]) == 3


def test_lists_filter_and_order(world: World) -> None:
    client = APIClient()
    assert [a["slug"] for a in client.get("/api/v1/perspectives/?tag=eos").json()["results"]] == ["edge-of-stability"]
    assert client.get("/api/v1/perspectives/?tag=none").json()["results"] == []
    assert client.get("/api/v1/perspectives/?kind=tutorial").json()["results"] == []
    bad = client.get("/api/v1/perspectives/?kind=poem")
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["fields"]
    tagged = Thread.objects.create(category=world.category, title="Tagged", tags=["edge-of-stability", "sgd"])
    Thread.objects.create(category=world.category, title="Near miss", tags=["sgd-noise"])
    assert [t["id"] for t in client.get("/api/v1/forum/threads/?tag=sgd").json()["results"]] == [tagged.pk]
    runs = client.get("/api/v1/runs/?status=succeeded").json()["results"]
    assert [r["id"] for r in runs] == [world.done.pk]


# --- errors ---------------------------------------------------------------------------------------


def test_errors_share_one_format_with_field_messages(world: World, bob) -> None:
    missing = APIClient().get("/api/v1/perspectives/no-such-thing/")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": missing.json()["error"]["message"], "fields": {}}
    }
    invalid = client_for(bob).post("/api/v1/forum/threads/", {"category": "general", "title": ""}, format="json")
    assert invalid.status_code == 400
    fields = invalid.json()["error"]["fields"]
    assert set(fields) == {"title", "body"}
    malformed = client_for(bob).post("/api/v1/forum/threads/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "parse_error"


def test_an_unknown_endpoint_answers_404_in_the_error_format(db) -> None:
    response = APIClient().get("/api/v1/no/such/endpoint/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_form_with_too_many_fields_answers_400_in_the_error_format(world: World, bob, settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    data = {f"f{i}": "x" for i in range(20)}
    response = client_for(bob).post("/api/v1/notifications/read/", data, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_service_validation_errors_come_back_by_field(world: World, bob) -> None:
    response = client_for(bob).post(
        "/api/v1/forum/threads/", {"category": "nope", "title": "t", "body": "b"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"category": ["There is no such category."]}


# --- ETags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/perspectives/edge-of-stability/",
        "/api/v1/perspectives/edge-of-stability/versions/1/",
        "/api/v1/questions/1/",
    ],
)
def test_cacheable_reads_answer_304_to_a_matching_if_none_match(world: World, path: str) -> None:
    client = APIClient()
    first = client.get(path)
    etag = first["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("{etag}", 304),
        ("W/{etag}", 304),  # If-None-Match compares weakly
        ('"older", {etag}', 304),
        ("*", 304),
        ('"older", W/"other"', 200),
        ("", 200),
    ],
)
def test_if_none_match_follows_rfc_9110(world: World, if_none_match: str, status: int) -> None:
    client = APIClient()
    path = f"/api/v1/runs/{world.done.pk}/result/"
    etag = client.get(path)["ETag"]
    response = client.get(path, HTTP_IF_NONE_MATCH=if_none_match.format(etag=etag))
    assert response.status_code == status
    assert response["ETag"] == etag
    assert {"Accept", "Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_a_304_has_no_body_and_a_head_request_gets_one_too(world: World) -> None:
    client = APIClient()
    path = "/api/v1/questions/1/"
    etag = client.get(path)["ETag"]
    assert client.head(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).content == b""


def test_if_match_with_another_etag_is_a_failed_precondition(world: World) -> None:
    response = APIClient().get("/api/v1/questions/1/", HTTP_IF_MATCH='"not-this-one"')
    assert response.status_code == 412


def test_a_finished_run_has_an_etag_and_an_active_one_does_not(world: World) -> None:
    client = APIClient()
    done = client.get(f"/api/v1/runs/{world.done.pk}/")
    assert client.get(f"/api/v1/runs/{world.done.pk}/", HTTP_IF_NONE_MATCH=done["ETag"]).status_code == 304
    result = client.get(f"/api/v1/runs/{world.done.pk}/result/")
    assert client.get(f"/api/v1/runs/{world.done.pk}/result/", HTTP_IF_NONE_MATCH=result["ETag"]).status_code == 304
    assert "ETag" not in client.get(f"/api/v1/runs/{world.run.pk}/")


def test_a_new_version_changes_the_articles_etag(world: World) -> None:
    from apps.perspectives.services import article_publish

    client = APIClient()
    path = "/api/v1/perspectives/edge-of-stability/"
    etag = client.get(path)["ETag"]
    world.article.body += "\nMore.\n"
    world.article.save()
    article_publish(article=world.article, changelog="More", by=None)
    response = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response.json()["latest_version"] == 2


# --- schema and docs ---------------------------------------------------------------------------------


def test_the_schema_is_openapi_3_and_names_every_endpoint(db) -> None:
    response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/runs/",
        "/api/v1/runs/{id}/cancel/",
        "/api/v1/perspectives/{slug}/versions/{number}/",
        "/api/v1/forum/posts/{id}/vote/",
        "/api/v1/notifications/read/",
    ):
        assert path in schema["paths"]
    assert set(schema["paths"]["/api/v1/runs/"]["post"]["responses"]) >= {"200", "202", "400", "401", "429"}


def test_the_docs_page_runs_no_inline_script_and_loads_nothing_from_elsewhere(db) -> None:
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" and 'src="/static/' in attrs for attrs, body in scripts)
    assert " on" not in re.sub(r"<script.*?</script>", "", html, flags=re.S).lower().replace("json", "")
    assert "http://" not in html.replace('xmlns="http://', "") and "https://" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- notifications -----------------------------------------------------------------------------------


def test_notifications_are_private_and_only_their_owner_marks_them_read(world: World, alice, bob, mallory) -> None:
    from apps.forum.services import post_create

    post_create(user=bob, thread=world.thread, body="A reply for alice.")
    mine = client_for(alice).get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["kind"] for n in mine] == ["followed"]  # alice follows her own thread
    assert client_for(mallory).get("/api/v1/notifications/").json()["results"] == []
    ids = [n["id"] for n in mine]
    assert client_for(mallory).post("/api/v1/notifications/read/", {"ids": ids}, format="json").json() == {"count": 0}
    assert client_for(alice).post("/api/v1/notifications/read/", {"ids": ids}, format="json").json() == {"count": 1}
    assert client_for(alice).get("/api/v1/notifications/?unread=true").json()["results"] == []


# --- cost of lists --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/perspectives/", "/api/v1/forum/threads/", "/api/v1/runs/"])
def test_a_list_costs_the_same_number_of_queries_for_one_row_or_many(world: World, alice, path: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.experiments.services import run_request
    from tests.factories import make_article

    client = APIClient()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    client.get(path)  # warm per-process caches (content types, experiment sync)
    few = count()
    for i in range(5):
        make_article(f"more-{i}", authors=[(alice, ""), (None, "Grace Hopper")], tags=("eos", f"t{i}"))
        Thread.objects.create(category=world.category, title=f"More {i}", author=alice)
        run_request(
            requester=SystemRequest("test"), experiment="deep_linear", params={"steps": 100 + i}, preset="smoke"
        )
    assert count() == few
