from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from apps.accounts import services
from apps.accounts.forms import ProfileForm
from apps.accounts.models import User
from apps.accounts.roles import roles_of


def _render_bio(source: str) -> str:
    if not source.strip():
        return ""
    from apps.core.rendering import render_markdown

    return render_markdown(source).html


def _member(request: HttpRequest) -> User:
    # Only called behind login_required, so the user is a real member.
    user = request.user
    assert isinstance(user, User)
    return user


def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username)
    viewer = request.user
    # Deactivated accounts disappear from public view; staff can still look.
    if not member.is_active and not (viewer.is_authenticated and viewer.is_staff):
        raise Http404("No such member")
    context = {
        "member": member,
        "roles": roles_of(member),
        "bio_html": _render_bio(member.bio),
        "is_own": viewer.is_authenticated and viewer.pk == member.pk,
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _member(request)
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update_profile(
                user=User.objects.get(pk=user.pk),
                display_name=data["display_name"],
                affiliation=data["affiliation"],
                orcid=data["orcid"],
                bio=data["bio"],
                links=data["links_text"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = "links_text" if field == "links" else field
                form.add_error(target if target in form.fields else None, errors)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile", username=user.username)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/profile_edit.html", {"form": form}, status=status)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/tokens.html", {"token": token, "new_key": None})


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    token = services.token_create(user=_member(request))
    # The key is shown in this response only; the page never shows it again.
    response = render(request, "accounts/tokens.html", {"token": token, "new_key": token.key})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    if services.token_revoke(user=_member(request)):
        messages.success(request, "Your API token is revoked; programs using it can no longer sign in.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("accounts:tokens")
