"""Forms of the analysis app: search with facets, lookups, exports, API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from index import SearchQuery
from index.contract import REVIEW_STATUSES

#: Search facets: form field -> (store facet, store filter).
FACETS: dict[str, tuple[str, str]] = {
    "source": ("source", "source"),
    "city": ("city", "city"),
    "ad_type": ("ad_type", "ad_type"),
    "indicator_category": ("indicator_categories", "indicator_category"),
    "review_status": ("review_status", "review_status"),
}
FACET_LABELS = {
    "source": _("Source"),
    "city": _("City"),
    "ad_type": _("Ad type"),
    "indicator_category": _("Indicator category"),
    "review_status": _("Review status"),
    "risk_band": _("Risk"),
}
#: Risk bands as store filters (index.schema.risk_band draws the same lines).
RISK_BANDS: dict[str, dict[str, float]] = {
    "high": {"risk_min": 0.7},
    "medium": {"risk_min": 0.4, "risk_max": 0.699999},
    "low": {"risk_max": 0.399999},
}
SORTS = [
    ("relevance", _("Best match")),
    ("risk", _("Highest risk")),
    ("last_seen", _("Last seen")),
    ("first_seen", _("First seen")),
    ("cluster_size", _("Largest network")),
]
MAX_FACET_VALUES = 20
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class FacetValuesField(forms.Field):
    """Several values of one facet (``?city=A&city=B``), each a short string."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v).strip() for v in values if str(v).strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_FACET_VALUES:
            raise forms.ValidationError(
                _("At most %(n)d values per facet.") % {"n": MAX_FACET_VALUES}
            )
        for v in value:
            if len(v) > 200:
                raise forms.ValidationError(_("A facet value is longer than 200 characters."))


class SearchForm(forms.Form):
    """Full text, facets, dates and sort of the analyst's search."""

    q = forms.CharField(label=_("Search text"), required=False, max_length=500)
    source = FacetValuesField(required=False)
    city = FacetValuesField(required=False)
    ad_type = FacetValuesField(required=False)
    indicator_category = FacetValuesField(required=False)
    review_status = FacetValuesField(required=False)
    risk_band = forms.ChoiceField(
        label=_("Risk"),
        required=False,
        choices=[
            ("", _("Any risk")),
            ("high", _("High")),
            ("medium", _("Medium")),
            ("low", _("Low")),
        ],
    )
    flagged = forms.BooleanField(label=_("Flagged only"), required=False)
    date_from = forms.DateField(
        label=_("Seen from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Seen until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def clean_review_status(self) -> list[str]:
        values = self.cleaned_data.get("review_status") or []
        bad = [v for v in values if v not in REVIEW_STATUSES]
        if bad:
            raise forms.ValidationError(
                _("Unknown review status %(value)s; expected one of %(known)s.")
                % {"value": bad[0], "known": ", ".join(REVIEW_STATUSES)}
            )
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def store_filters(self) -> dict[str, Any]:
        """The store filters the cleaned values stand for."""
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        for name, (_facet, store_filter) in FACETS.items():
            if data.get(name):
                filters[store_filter] = list(data[name])
        if data.get("risk_band"):
            filters.update(RISK_BANDS[data["risk_band"]])
        if data.get("flagged"):
            filters["flagged"] = True
        for name in ("date_from", "date_to"):
            if data.get(name):
                filters[name] = data[name].isoformat()
        return filters

    def sort_field(self) -> str:
        sort = self.cleaned_data.get("sort") or ""
        if not sort:
            sort = "relevance" if self.cleaned_data.get("q") else "risk"
        return sort

    def store_query(self, size: int, search_after: list[Any] | None = None) -> SearchQuery:
        """The ad store query of a valid form: text, filters, sort, every facet
        of the search page and a per-day histogram."""
        return SearchQuery(
            text=self.cleaned_data.get("q") or None,
            filters=self.store_filters(),
            sort=self.sort_field(),
            size=size,
            search_after=search_after,
            facets=[facet for facet, _label in FACETS.values()] + ["risk_band"],
            histogram="day",
        )


class LookupForm(forms.Form):
    """A pasted phone number (any format), e-mail address or handle."""

    identifier = forms.CharField(
        label=_("Phone number, e-mail or handle"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "06-12345678, naam@example.com, telegram:naam"}
        ),
    )


class PhotoLookupForm(forms.Form):
    """An uploaded photo; ads with the same or a near-identical photo are found."""

    photo = forms.FileField(label=_("Photo"))

    def clean_photo(self) -> bytes:
        upload = self.cleaned_data["photo"]
        if upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(
                _("The photo is %(size)d bytes; upload one of at most 10 MB.")
                % {"size": upload.size}
            )
        return upload.read()


class ExportForm(forms.Form):
    """What to export, and why (the purpose goes into the manifest and the audit log)."""

    kind = forms.ChoiceField(
        choices=[("ad", "ad"), ("cluster", "cluster"), ("search", "search")],
        widget=forms.HiddenInput,
    )
    target = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
    purpose = forms.CharField(
        label=_("Purpose of this export"),
        min_length=5,
        max_length=500,
        help_text=_(
            "Why you export this, e.g. the case or request number. Stored with the export."
        ),
    )
    pseudonymise = forms.BooleanField(
        label=_("Pseudonymise phone numbers and names (for sharing outside the police)"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["pseudonymise"].initial = settings.ADSCAN_EXPORT_PSEUDONYMISE


class TokenForm(forms.Form):
    """A new API token for scripts and notebooks."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'notebook on my laptop'."),
    )
