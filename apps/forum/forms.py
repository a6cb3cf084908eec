"""Forms: input shape only. Rules (trust levels, permissions) live in the services."""

from __future__ import annotations

from django import forms

from apps.core.validators import validate_single_line
from apps.forum.models import Category, Flag, ForumProfile

BODY_HELP = "Markdown, with $math$, [@key] citations and @username mentions."


class ThreadForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label=None)
    title = forms.CharField(max_length=200, validators=[validate_single_line])
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), help_text=BODY_HELP, max_length=50_000)
    is_question = forms.BooleanField(required=False, label="This is a question that can accept an answer")
    tags = forms.CharField(required=False, help_text="Up to five, separated by commas.", max_length=300)
    target = forms.CharField(required=False, widget=forms.HiddenInput)


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your reply", widget=forms.Textarea(attrs={"rows": 8}), help_text=BODY_HELP, max_length=50_000
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EditForm(forms.Form):
    body = forms.CharField(
        label="Post", widget=forms.Textarea(attrs={"rows": 12}), help_text=BODY_HELP, max_length=50_000
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(choices=Flag.Reason.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label="Details (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=1000)


class MoveForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label=None)
    reason = forms.CharField(required=False, max_length=1000)


class MergeForm(forms.Form):
    into = forms.IntegerField(label="Merge into thread number", min_value=1)
    reason = forms.CharField(required=False, max_length=1000)


class SuspendForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    until = forms.DateTimeField(
        label="Suspended until",
        help_text="Date and time, UTC, e.g. 2030-01-31 12:00",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class SettingsForm(forms.Form):
    email_mode = forms.ChoiceField(
        label="Email notifications", choices=ForumProfile.EmailMode.choices, widget=forms.RadioSelect
    )
