"""Writes on submissions: drafting, the review workflow, publication, and author experiments.

Every change of state goes through ``_move``, which checks the transition
table, records a Transition and e-mails the people involved once the
transaction commits. Permission failures raise PermissionDenied; bad input
raises ValidationError with a field dict and writes nothing.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import User
from apps.accounts.people import person_label
from apps.accounts.roles import EDITOR, holders, is_editor
from apps.accounts.roles import is_author as is_author_member
from apps.core.validators import single_line, validate_single_line, validate_text
from apps.perspectives.models import Kind
from apps.submissions.models import (
    EDITABLE,
    Assignment,
    AuthorExperiment,
    Recommendation,
    Review,
    State,
    Submission,
    Transition,
    Visibility,
)

MAX_SOURCE_BYTES = 64 * 1024
MAX_BODY_CHARS = 400_000

# Who may make each move: "author" (owner or co-author), "editor", or "reviewer".
TRANSITIONS: dict[tuple[str, str], str] = {
    (State.DRAFT, State.SUBMITTED): "author",
    (State.REVISIONS_REQUESTED, State.SUBMITTED): "author",
    (State.SUBMITTED, State.IN_REVIEW): "editor",
    (State.SUBMITTED, State.REVISIONS_REQUESTED): "editor",
    (State.SUBMITTED, State.ACCEPTED): "editor",
    (State.SUBMITTED, State.REJECTED): "editor",
    (State.IN_REVIEW, State.REVISIONS_REQUESTED): "editor",
    (State.IN_REVIEW, State.ACCEPTED): "editor",
    (State.IN_REVIEW, State.REJECTED): "editor",
    (State.ACCEPTED, State.PUBLISHED): "editor",
}


def may_act_as(role: str, submission: Submission, user: Any) -> bool:
    """Whether ``user`` may act on ``submission`` in ``role`` ("author" or "editor"; an editor never on their own)."""
    if role == "author":
        return submission.is_author(user)
    if role == "editor":
        # An editor never decides on their own submission.
        return is_editor(user) and not submission.is_author(user)
    return False


def allowed_moves(submission: Submission, user: Any) -> list[str]:
    """The states ``user`` may move ``submission`` to now."""
    return [
        to for (frm, to), role in TRANSITIONS.items() if frm == submission.state and may_act_as(role, submission, user)
    ]


def _notify(submission: Submission, subject: str, message: str, recipients: Iterable[Any]) -> None:
    """E-mail each recipient on their own once the transaction commits.

    One message per address: nobody sees who else was told (authors never
    learn reviewers' addresses, reviewers never each other's).
    """
    emails = sorted({u.email for u in recipients if getattr(u, "email", "")})
    if not emails:
        return
    url = settings.SITE_URL.rstrip("/") + submission.get_absolute_url()
    body = f"{message}\n\n{url}\n"
    # One line whatever the title held: Django refuses to send a subject with a line break.
    subject = single_line(f"[learningmechanics.pub] {subject}")
    messages = [(subject, body, None, [address]) for address in emails]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


def _editors() -> list[Any]:
    return list(holders(EDITOR))


def _move(*, submission: Submission, user: Any, to: str, note: str = "") -> Submission:
    role = TRANSITIONS.get((submission.state, to))
    if role is None:
        now, then = State(submission.state).label.lower(), State(to).label.lower()
        raise ValidationError({"state": [f"A submission that is {now} cannot become {then}."]})
    if not may_act_as(role, submission, user):
        raise PermissionDenied(f"Only {'an author' if role == 'author' else 'an editor'} may do that.")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.state != submission.state:
            raise ValidationError({"state": ["Someone else changed this submission meanwhile; reload the page."]})
        Transition.objects.create(submission=locked, actor=user, from_state=locked.state, to_state=to, note=note)
        Submission.objects.filter(pk=locked.pk).update(state=to, updated_at=timezone.now())
        submission.state = to
        people = [*submission.authors(), *(a.reviewer for a in submission.assignments.select_related("reviewer"))]
        if to in (State.SUBMITTED,):
            people += _editors()
        label = State(to).label.lower()
        _notify(
            submission,
            f"“{submission.title}” is now {label}",
            f"{person_label(user) if isinstance(user, User) else user} moved “{submission.title}” to {label}."
            + (f"\n\n{note}" if note else ""),
            [p for p in people if p.pk != user.pk],
        )
    return submission


# --- Drafting ---------------------------------------------------------------------


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    title = str(fields.get("title", "")).strip()
    if not title:
        errors["title"] = ["Give the article a title."]
    elif len(title) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    else:
        errors.update(_refusals(validate_single_line, title=title))
    cleaned["title"] = title
    summary = str(fields.get("summary", "")).strip()
    if not summary:
        errors["summary"] = ["Say in a sentence or two what the article is about."]
    else:
        errors.update(_refusals(validate_text, summary=summary))
    cleaned["summary"] = summary
    slug = slugify(str(fields.get("slug", "")).strip() or title)[:120]
    if not slug:
        errors["slug"] = ["The address needs at least one letter or digit."]
    cleaned["slug"] = slug
    kind = str(fields.get("kind", Kind.PERSPECTIVE))
    if kind not in Kind.values:
        *others, last = (label.lower() for label in Kind.labels)
        errors["kind"] = [f"Choose {', '.join(others)} or {last}."]
    cleaned["kind"] = kind
    body = str(fields.get("body", ""))
    if len(body) > MAX_BODY_CHARS:
        errors["body"] = [f"The text is over {MAX_BODY_CHARS} characters."]
    cleaned["body"] = body
    cleaned["bibliography"] = str(fields.get("bibliography", ""))
    changelog = str(fields.get("changelog", "")).strip()
    if len(changelog) > 300:
        errors["changelog"] = ["Keep the changelog to one line of at most 300 characters."]
    else:
        errors.update(_refusals(validate_single_line, changelog=changelog))
    cleaned["changelog"] = changelog
    if errors:
        raise ValidationError(errors)
    return cleaned


def _refusals(validator: Callable[[str], None], **fields: str) -> dict[str, list[str]]:
    """The messages ``validator`` has for each field, keyed by the field's name."""
    errors: dict[str, list[str]] = {}
    for field, value in fields.items():
        try:
            validator(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    return errors


def _resolve_coauthors(owner: Any, usernames: Iterable[str]) -> list[Any]:
    wanted = [u.strip().lstrip("@") for u in usernames if u.strip()]
    found = {u.username.lower(): u for u in User.objects.filter(username__in=wanted, is_active=True)}
    # Usernames are matched exactly by the database; report what it did not find.
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        raise ValidationError({"coauthors": [f"No member is called {', '.join(missing)}."]})
    return [u for u in found.values() if u.pk != owner.pk]


def _resolve_tags(slugs: Iterable[str]) -> list[Any]:
    from apps.core.models import Tag

    tags = []
    for raw in slugs:
        # A tag that does not exist yet is created under the name typed here, for every reader.
        refused = _refusals(validate_single_line, tags=raw.strip())
        if refused:
            raise ValidationError({"tags": [f"Tag {single_line(raw)!r}: {refused['tags'][0]}"]})
        slug = slugify(raw.strip())[:60]
        if slug:
            tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": raw.strip()[:80]})
            tags.append(tag)
    return tags


def submission_create(
    *, author: Any, fields: dict[str, Any], coauthors: Iterable[str] = (), tags: Iterable[str] = ()
) -> Submission:
    """Start a draft owned by ``author`` (who must be in the author group)."""
    if not is_author_member(author):
        raise PermissionDenied("Only members of the author group may start a submission.")
    cleaned = _clean_fields(fields)
    with transaction.atomic():
        people = _resolve_coauthors(author, coauthors)
        submission = Submission.objects.create(owner=author, **cleaned)
        submission.coauthors.set(people)
        submission.tags.set(_resolve_tags(tags))
    return submission


def submission_update(
    *,
    submission: Submission,
    user: Any,
    fields: dict[str, Any],
    coauthors: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
) -> Submission:
    """Change the draft's text, metadata, co-authors and tags (authors only, while it is editable)."""
    if not submission.is_author(user):
        raise PermissionDenied("Only the submission's authors may edit it.")
    if submission.state not in EDITABLE:
        raise ValidationError({"state": ["The text is frozen while the submission is with the editors."]})
    cleaned = _clean_fields(fields)
    with transaction.atomic():
        if coauthors is not None:
            people = _resolve_coauthors(submission.owner, coauthors)
            if submission.owner_id != user.pk and user.pk not in {p.pk for p in people}:
                raise ValidationError({"coauthors": ["You cannot remove yourself; ask the owner."]})
            submission.coauthors.set(people)
        if tags is not None:
            submission.tags.set(_resolve_tags(tags))
        for key, value in cleaned.items():
            setattr(submission, key, value)
        submission.save()
    return submission


def submission_submit(*, submission: Submission, user: Any, note: str = "") -> Submission:
    """Send the draft (or its revision, with ``note`` answering the reviewers) to the editors.

    The runs its figure blocks need are requested now, charged to the author
    who submits (previews and views of a draft never request any). If trust or
    quota refuses them, nothing is submitted and nothing is requested.
    """
    from apps.core.services import source_render

    if submission.is_author(user) and not submission.body.strip():
        raise ValidationError({"body": ["Write the article before submitting it."]})
    with transaction.atomic():
        moved = _move(submission=submission, user=user, to=State.SUBMITTED, note=note)
        rendered = source_render(source=submission.body, bibliography=submission.bibliography, requester=user)
        if rendered.refusals:
            raise ValidationError({"body": rendered.refusals})
    return moved


# --- Review -----------------------------------------------------------------------


def submission_assign_reviewer(*, submission: Submission, editor: Any, reviewer: Any) -> Assignment:
    """Ask ``reviewer`` to review; the first assignment puts a submitted paper in review."""
    if not is_editor(editor) or submission.is_author(editor):
        raise PermissionDenied("Only an editor who is not an author may assign reviewers.")
    if submission.state not in (State.SUBMITTED, State.IN_REVIEW):
        raise ValidationError({"state": ["Reviewers are assigned to submitted papers only."]})
    if reviewer is None or not getattr(reviewer, "is_active", False):
        raise ValidationError({"reviewer": ["Choose an active member."]})
    if submission.is_author(reviewer):
        raise ValidationError({"reviewer": ["An author cannot review their own submission."]})
    with transaction.atomic():
        assignment, created = Assignment.objects.get_or_create(
            submission=submission, reviewer=reviewer, defaults={"assigned_by": editor}
        )
        if submission.state == State.SUBMITTED:
            # The history is shown to the authors: it never names a reviewer (single-blind review).
            _move(submission=submission, user=editor, to=State.IN_REVIEW, note="A reviewer was assigned.")
        if created:
            _notify(
                submission,
                f"Please review “{submission.title}”",
                f"You have been asked to review “{submission.title}”.",
                [reviewer],
            )
    return assignment


def review_submit(
    *, submission: Submission, reviewer: Any, body: str, recommendation: str, visibility: str = Visibility.AUTHORS
) -> Review:
    """Record an assigned reviewer's report while the submission is in review."""
    if not submission.is_reviewer(reviewer):
        raise PermissionDenied("Only an assigned reviewer may review this submission.")
    if submission.state != State.IN_REVIEW:
        raise ValidationError({"state": ["Reviews are accepted only while the submission is in review."]})
    errors: dict[str, list[str]] = {}
    if not body.strip():
        errors["body"] = ["Write the report."]
    if recommendation not in Recommendation.values:
        errors["recommendation"] = ["Choose accept, revise or reject."]
    if visibility not in Visibility.values:
        errors["visibility"] = ["Choose who may read the report."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = Review.objects.create(
            submission=submission,
            reviewer=reviewer,
            body=body.strip(),
            recommendation=recommendation,
            visibility=visibility,
        )
        _notify(
            submission,
            f"A review of “{submission.title}” arrived",
            f"{reviewer} recommends: {Recommendation(recommendation).label}.",
            _editors(),
        )
    return review


DECISIONS = {"accept": State.ACCEPTED, "revise": State.REVISIONS_REQUESTED, "reject": State.REJECTED}


def submission_decide(*, submission: Submission, editor: Any, decision: str, note: str = "") -> Submission:
    """An editor's decision: accept, ask for revisions, or reject; ``note`` is the letter to the authors."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": ["Choose accept, revise or reject."]})
    return _move(submission=submission, user=editor, to=DECISIONS[decision], note=note)


def submission_publish(*, submission: Submission, editor: Any, changelog: str = "") -> Any:
    """Publish an accepted submission as the next immutable version of its article; returns the Version.

    Every attached experiment must be approved at its current source.
    """
    from apps.perspectives.models import Article
    from apps.perspectives.services import article_publish, article_set_authors

    if not may_act_as("editor", submission, editor):
        raise PermissionDenied("Only an editor may publish.")
    if submission.state != State.ACCEPTED:
        raise ValidationError({"state": ["Only an accepted submission can be published."]})
    pending = [e.name for e in submission.experiments.all() if not e.approved]
    if pending:
        raise ValidationError({"experiments": [f"Approve these experiments first: {', '.join(pending)}."]})
    changelog = (changelog or submission.changelog or "").strip() or "First version."
    errors = _refusals(validate_single_line, changelog=changelog)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        article = submission.article
        if article is None:
            if Article.objects.filter(slug=submission.slug).exists():
                raise ValidationError({"slug": [f"An article at /perspectives/{submission.slug}/ exists already."]})
            article = Article(slug=submission.slug)
        article.title, article.summary, article.kind = submission.title, submission.summary, submission.kind
        article.body, article.bibliography = submission.body, submission.bibliography
        article.save()
        article.tags.set(submission.tags.all())
        article_set_authors(article=article, authors=[(u, "") for u in submission.authors()])
        version = article_publish(article=article, changelog=changelog, by=editor)
        Submission.objects.filter(pk=submission.pk).update(article=article)
        submission.article = article
        _move(submission=submission, user=editor, to=State.PUBLISHED, note=f"Published as version {version.number}.")
    return version


# --- Author experiments -----------------------------------------------------------


def _check_source(source: str) -> list[str]:
    """Static checks only: the module is parsed, never imported, in this process."""
    if len(source.encode()) > MAX_SOURCE_BYTES:
        return [f"The module is over {MAX_SOURCE_BYTES // 1024} KiB."]
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return [f"The module does not parse: {exc}"]
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    missing = [n for n in ("Config", "PRESETS", "run") if n not in names]
    if missing:
        return [f"The module must define {', '.join(missing)} at top level."]
    return []


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def author_experiment_save(
    *,
    submission: Submission,
    user: Any,
    name: str,
    source: str,
    figure_spec: Any,
    experiment: AuthorExperiment | None = None,
) -> AuthorExperiment:
    """Attach (or replace) an experiment module and its figure spec; a changed source loses its approval."""
    from compute.figure_spec import FigureSpecError, parse_spec

    if not submission.is_author(user):
        raise PermissionDenied("Only the submission's authors may attach experiments.")
    if submission.state not in EDITABLE:
        raise ValidationError({"state": ["Experiments can change only while the draft is editable."]})
    errors: dict[str, list[str]] = {}
    name = name.strip().lower()
    if not _NAME.fullmatch(name):
        errors["name"] = ["Use a short lower-case name: letters, digits, - and _."]
    source = source.replace("\r\n", "\n")
    if problems := _check_source(source):
        errors["source"] = problems
    try:
        spec = parse_spec(figure_spec).model_dump(mode="json")
    except FigureSpecError as exc:
        errors["figure_spec"] = exc.messages
    if errors:
        raise ValidationError(errors)
    digest = source_hash(source)
    with transaction.atomic():
        clash = submission.experiments.filter(name=name)
        if experiment is not None:
            clash = clash.exclude(pk=experiment.pk)
        if clash.exists():
            raise ValidationError({"name": ["Another experiment of this submission has that name."]})
        if experiment is None:
            experiment = AuthorExperiment(submission=submission)
        # The figure spec is part of what the editor approves: its labels reach every reader (and every CSV).
        changed = experiment.sha256 != digest or experiment.figure_spec != spec
        experiment.name, experiment.source, experiment.sha256, experiment.figure_spec = name, source, digest, spec
        if changed:
            experiment.approved_hash, experiment.approved_by, experiment.approved_at = "", None, None
        experiment.save()
        _register_runnable(experiment)
    return experiment


def _register_runnable(experiment: AuthorExperiment) -> None:
    """Create or rename the unlisted Experiment row (kind author) that the module's runs belong to."""
    from apps.experiments.models import Experiment, ExperimentKind

    entry, _ = Experiment.objects.update_or_create(
        name=experiment.registry_name,
        defaults={
            "kind": ExperimentKind.AUTHOR,
            "available": False,
            "title": f"{experiment.submission.title}: {experiment.name}"[:200],
            "summary": "An author experiment of a submission, run in the sandbox.",
        },
    )
    if experiment.registry_entry_id != entry.pk:
        experiment.registry_entry = entry
        experiment.save(update_fields=["registry_entry"])


def spec_fingerprint(spec: Any) -> str:
    """The sha256 of a figure spec's canonical JSON: what the editor read of it."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def author_experiment_approve(
    *, experiment: AuthorExperiment, editor: Any, sha256: str, spec_sha256: str
) -> AuthorExperiment:
    """Approve exactly the source and figure spec the editor read (their hashes); later edits need a new approval."""
    if not may_act_as("editor", experiment.submission, editor):
        raise PermissionDenied("Only an editor who is not an author may approve experiment code.")
    if sha256 != experiment.sha256:
        raise ValidationError({"sha256": ["The source changed since you read it; read it again before approving."]})
    if spec_sha256 != spec_fingerprint(experiment.figure_spec):
        raise ValidationError(
            {"figure_spec": ["The figure spec changed since you read it; read it again before approving."]}
        )
    AuthorExperiment.objects.filter(pk=experiment.pk, sha256=sha256).update(
        approved_hash=sha256, approved_by=editor, approved_at=timezone.now()
    )
    experiment.refresh_from_db()
    _notify(
        experiment.submission,
        f"Experiment {experiment.name} approved",
        f"The code of {experiment.name} (sha256 {sha256[:12]}…) may now run.",
        experiment.submission.authors(),
    )
    return experiment


def author_experiment_run(*, experiment: AuthorExperiment, user: Any, preset: str = "smoke") -> tuple[Any, bool]:
    """Queue a sandboxed run of the approved source at ``preset``, charged to ``user``; returns (Run, created).

    apps.experiments owns the run; the sandbox executor (apps/submissions/executor.py)
    checks who may run it and that the source is approved. The author's
    configuration is validated inside the sandbox when the run starts; the web
    process never imports the module.
    """
    from apps.experiments.services import run_request

    if experiment.registry_entry_id is None:
        raise ValidationError({"experiment": ["Save the experiment again before running it."]})
    return run_request(requester=user, experiment=experiment.registry_entry_id, params=None, preset=preset)
