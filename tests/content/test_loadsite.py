from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.core.models import Page, Tag
from apps.perspectives.models import Article, Sequence, Version
from apps.questions.models import ProgressEntry, Question

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "site"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    return root


def load(root: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("loadsite", "--dir", str(root), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> dict[str, list]:
    """Everything loadsite may write, including timestamps that would move on any save."""
    return {
        "pages": list(Page.objects.values().order_by("pk")),
        "articles": list(Article.objects.values().order_by("pk")),
        "versions": list(Version.objects.values().order_by("pk")),
        "sequences": list(Sequence.objects.values().order_by("pk")),
        "questions": list(Question.objects.values().order_by("pk")),
        "progress": list(ProgressEntry.objects.values().order_by("pk")),
        "tags": list(Tag.objects.values().order_by("pk")),
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_it_loads_every_kind_of_content(db, alice, site):
    out, err = load(site)
    assert Page.objects.get(slug="about").title == "About this test site"
    alpha = Article.objects.get(slug="alpha")
    assert alpha.status == "published"
    assert alpha.latest_version.number == 1
    assert alpha.latest_version.published_at.date().isoformat() == "2025-01-15"
    assert alpha.latest_version.changelog == "First version"
    assert "Saxe" in alpha.bibliography
    assert [a.display_name for a in alpha.authorships.all()] == ["Alice Author", "Outside Collaborator"]
    assert sorted(alpha.tags.values_list("slug", flat=True)) == ["deep-linear", "solvable-models"]
    assert Article.objects.get(slug="gamma").status == "draft"
    assert not Version.objects.filter(article__slug="gamma").exists()
    sequence = Sequence.objects.get(slug="basics")
    assert list(sequence.items.values_list("article__slug", flat=True)) == ["alpha", "beta"]
    question = Question.objects.get(number=1)
    assert question.status == "partial"
    assert list(question.articles.values_list("slug", flat=True)) == ["alpha"]
    assert question.progress.get().who == "A. Researcher"
    assert "loaded" in out and "perspectives: 3 created" in out


def test_an_unknown_username_becomes_a_plain_name_with_a_warning(db, site):
    _, err = load(site)
    beta = Article.objects.get(slug="beta")
    assert [(a.user_id, a.name) for a in beta.authorships.all()] == [(None, "nobody-here")]
    assert "no user 'nobody-here'" in err
    assert "beta.md:" in err


def test_a_second_run_changes_nothing_and_says_so(db, alice, site):
    load(site)
    before = snapshot()
    out, _ = load(site)
    assert out.strip().endswith("no changes)")
    assert "site content is up to date" in out
    assert snapshot() == before


def test_an_edited_body_publishes_a_new_version_and_keeps_the_old_one(db, alice, site):
    load(site)
    v1 = Version.objects.get(article__slug="alpha", number=1)
    edit(
        site / "perspectives" / "alpha.md",
        "Each mode rises along a sigmoid.",
        "Each mode rises along a logistic curve.",
    )
    edit(site / "perspectives" / "alpha.md", 'changelog: "First version"', 'changelog: "Clearer wording of the result"')
    out, _ = load(site)
    alpha = Article.objects.get(slug="alpha")
    assert alpha.latest_version.number == 2
    assert alpha.latest_version.changelog == "Clearer wording of the result"
    assert "logistic curve" in alpha.latest_version.body
    assert Version.objects.get(pk=v1.pk).body == v1.body
    assert "perspectives: 0 created, 1 updated" in out


def test_an_edit_without_a_new_changelog_line_is_labelled_as_an_update_from_site(db, alice, site):
    load(site)
    edit(site / "perspectives" / "alpha.md", "## Result", "## Main result")
    load(site)
    assert Article.objects.get(slug="alpha").latest_version.changelog == "Updated from site/"


def test_an_edited_bibliography_publishes_a_new_version(db, alice, site):
    load(site)
    edit(site / "perspectives" / "alpha.bib", "year = {2014}", "year = {2013}")
    load(site)
    assert Article.objects.get(slug="alpha").latest_version.number == 2


def test_progress_edits_replace_the_loaded_log(db, alice, site):
    load(site)
    edit(site / "questions" / "1-mode-ordering.md", "A. Researcher", "B. Researcher")
    load(site)
    assert list(ProgressEntry.objects.values_list("who", flat=True)) == ["B. Researcher"]


@pytest.mark.parametrize(
    ("filename", "old", "new", "line", "field"),
    [
        # YAML that does not parse: an unclosed flow sequence.
        ("perspectives/alpha.md", "tags: [solvable-models, deep-linear]", "tags: [solvable-models, deep-linear", 9, ""),
        # A required field removed.
        (
            "perspectives/alpha.md",
            'summary: "A deep linear network learns its modes one at a time."\n',
            "",
            2,
            "summary",
        ),
        # Wrong type: a mapping where a string list is expected.
        ("perspectives/alpha.md", "tags: [solvable-models, deep-linear]", "tags: {a: 1}", 9, "tags"),
        # A value outside the allowed choices.
        ("perspectives/alpha.md", "kind: perspective", "kind: essay", 4, "kind"),
        # An author with both a name and a username.
        (
            "perspectives/alpha.md",
            '  - name: "Outside Collaborator"',
            '  - name: "X"\n    username: bob',
            8,
            "authors.1",
        ),
        # A progress link that is not a URL.
        (
            "questions/1-mode-ordering.md",
            'link: "https://example.org/paper"',
            'link: "not a url"',
            13,
            "progress.0.link",
        ),
        # A question pointing at an article that does not exist.
        ("questions/1-mode-ordering.md", "articles: [alpha]", "articles: [alpha, omega]", 7, "articles.1"),
        # A sequence naming a missing article.
        ("sequences.yaml", "    - beta", "    - beta\n    - omega", 7, "0.articles.2"),
        # A number that disagrees with the file name.
        ("questions/1-mode-ordering.md", "number: 1", "number: 2", 2, "number"),
    ],
)
def test_a_malformed_file_is_reported_by_file_line_and_field_and_nothing_is_loaded(
    db, alice, site, filename, old, new, line, field
):
    edit(site / filename, old, new)
    with pytest.raises(CommandError) as excinfo:
        load(site)
    message = str(excinfo.value)
    assert f"site/{filename}:{line}:" in message
    if field:
        assert f": {field}:" in message
    assert "nothing was loaded" in message
    # Not even the valid files were written.
    assert not Page.objects.exists()
    assert not Article.objects.exists()
    assert not Question.objects.exists()
    assert not Tag.objects.exists()


def test_a_file_without_front_matter_is_rejected(db, site):
    (site / "pages" / "broken.md").write_text("No front matter here.\n")
    with pytest.raises(CommandError, match=r"site/pages/broken.md:1: the file must start with '---'"):
        load(site)
    assert not Page.objects.exists()


def test_every_problem_is_listed_at_once(db, site):
    edit(site / "perspectives" / "alpha.md", "kind: perspective", "kind: essay")
    edit(site / "pages" / "about.md", "title: About this test site", "title: ''")
    with pytest.raises(CommandError) as excinfo:
        load(site)
    assert "alpha.md:4: kind" in str(excinfo.value)
    assert "about.md:2: title" in str(excinfo.value)


def test_a_write_refused_midway_rolls_back_everything_written_before_it(db, alice, site):
    # Tags, the page and alpha are written before beta, whose figure cannot be drawn
    # (a learning rate out of bounds), so publishing beta is refused while writing.
    beta = site / "perspectives" / "beta.md"
    beta.write_text(beta.read_text() + "\n```figure\nexperiment: deep_linear\nparams: {lr: 7}\ncaption: c\n```\n")
    with pytest.raises(CommandError) as excinfo:
        load(site)
    assert "site/perspectives/beta.md:1: body:" in str(excinfo.value)
    assert "params.lr" in str(excinfo.value)
    assert not Tag.objects.exists()
    assert not Page.objects.exists()
    assert not Article.objects.exists()


def test_forum_categories_are_handed_to_the_forum(db, site):
    from apps.forum.models import Category

    load(site)
    assert list(Category.objects.values_list("slug", "name")) == [("general", "General")]


def test_rerender_refreshes_cached_html_without_new_versions(db, alice, site):
    load(site)
    Version.objects.refresh_cache(rendered_html="stale")
    Page.objects.update(rendered_html="stale")
    out = io.StringIO()
    call_command("loadsite", "--dir", str(site), "--rerender", stdout=out, stderr=io.StringIO())
    assert "re-rendered" in out.getvalue()
    assert not Version.objects.filter(rendered_html="stale").exists()
    assert not Page.objects.filter(rendered_html="stale").exists()
    assert Version.objects.count() == 2  # alpha v1 and beta v1


def test_tags_yaml_names_tags_and_others_get_a_name_from_their_slug(db, site):
    load(site)
    assert Tag.objects.get(slug="deep-linear").name == "Deep linear networks"
    assert Tag.objects.get(slug="solvable-models").name == "Solvable models"
    edit(site / "tags.yaml", "name: Deep linear networks", "name: Deep linear nets")
    out, _ = load(site)
    assert Tag.objects.get(slug="deep-linear").name == "Deep linear nets"
    assert "tags: 0 created, 1 updated" in out
