from __future__ import annotations

from typing import Any

from django import forms

from apps.accounts.models import User
from apps.accounts.validators import MAX_LINKS, validate_links, validate_orcid


class ProfileForm(forms.ModelForm):
    """The public profile a member edits; links are typed one per line."""

    links_text = forms.CharField(
        label="Links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Up to {MAX_LINKS} http(s) URLs, one per line (home page, scholar profile, code).",
    )

    class Meta:
        model = User
        fields = ["display_name", "affiliation", "orcid", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Accept a pasted https://orcid.org/... address: clean_orcid reduces it to the
        # bare iD and checks that, so the field's own length limit must not fire first.
        orcid = self.fields["orcid"]
        assert isinstance(orcid, forms.CharField)
        orcid.max_length = 60
        orcid.validators = [v for v in orcid.validators if v is not validate_orcid and not hasattr(v, "limit_value")]
        orcid.widget.attrs.pop("maxlength", None)
        orcid.widget.attrs.update({"placeholder": "0000-0000-0000-0000", "spellcheck": "false"})
        if not self.is_bound:
            self.initial["links_text"] = "\n".join(self.instance.links or [])

    def clean_orcid(self) -> str:
        value = (self.cleaned_data.get("orcid") or "").strip().upper()
        # People often paste the full https://orcid.org/... address.
        for prefix in ("HTTPS://ORCID.ORG/", "HTTP://ORCID.ORG/", "ORCID.ORG/"):
            if value.startswith(prefix):
                value = value[len(prefix) :]
        if value:
            validate_orcid(value)
        return value

    def clean_links_text(self) -> list[str]:
        raw = self.cleaned_data.get("links_text") or ""
        links = [line.strip() for line in raw.splitlines() if line.strip()]
        validate_links(links)
        return links
