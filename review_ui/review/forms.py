"""Forms of the review app: queue filters, decisions, bulk actions, closing."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from review_ui.accounts.roles import ADMIN, OFFICER
from review_ui.review.choices import (
    CLOSE_REASONS,
    OFFICER_DECISIONS,
    REASONS,
    Decision,
    ReviewStatus,
)

AD_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
AD_TYPES = [
    ("escort", _("Escort")),
    ("massage", _("Massage")),
    ("job", _("Job offer")),
    ("other", _("Other")),
]


def _choices_with_blank(values: list[tuple[str, Any]], blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *values]


class QueueFilterForm(forms.Form):
    """Filters of the review queue; every field maps onto a store filter."""

    review_status = forms.ChoiceField(
        label=_("Review status"),
        required=False,
        choices=_choices_with_blank(list(ReviewStatus.choices), _("Any status")),
    )
    source = forms.ChoiceField(label=_("Source"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    indicator_category = forms.ChoiceField(label=_("Indicator category"), required=False)
    ad_type = forms.ChoiceField(
        label=_("Ad type"), required=False, choices=_choices_with_blank(AD_TYPES, _("Any type"))
    )
    cluster_size_min = forms.IntegerField(
        label=_("Cluster size at least"), required=False, min_value=1, max_value=100000
    )
    date_from = forms.DateField(
        label=_("Seen from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Seen until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, facets: dict[str, list[tuple[str, int]]] | None = None, **kw: Any
    ):
        super().__init__(*args, **kw)
        facets = facets or {}
        for name, facet, blank in (
            ("source", "source", _("Any source")),
            ("city", "city", _("Any city")),
            ("indicator_category", "indicator_categories", _("Any category")),
        ):
            values = [(str(v), f"{v} ({n})") for v, n in facets.get(facet, []) if v]
            chosen = self.data.get(name) if self.is_bound else None
            if chosen and chosen not in {v for v, _label in values}:
                values.append((chosen, chosen))  # a value outside the facet top list
            self.fields[name].choices = _choices_with_blank(sorted(values), blank)

    def store_filters(self) -> dict[str, Any]:
        """The store filters these cleaned values stand for (flagged ads only)."""
        data = self.cleaned_data
        filters: dict[str, Any] = {"flagged": True}
        for name in ("review_status", "source", "city", "indicator_category", "ad_type"):
            if data.get(name):
                filters[name] = [data[name]]
        if data.get("cluster_size_min"):
            filters["cluster_size_min"] = data["cluster_size_min"]
        if data.get("date_from"):
            filters["date_from"] = data["date_from"].isoformat()
        if data.get("date_to"):
            filters["date_to"] = data["date_to"].isoformat()
        return filters


class DecisionForm(forms.Form):
    """One decision: which, why (required) and an optional note."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(d, Decision(d).label) for d in OFFICER_DECISIONS],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=_choices_with_blank(
            [
                (Decision(d).label, [(k, label) for k, label in REASONS[d]])
                for d in OFFICER_DECISIONS
            ],
            _("Choose a reason"),
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        decision, reason = data.get("decision"), data.get("reason")
        if decision and reason and reason not in {k for k, _label in REASONS[decision]}:
            self.add_error("reason", _("This reason does not fit the chosen decision."))
        return data


def officers():
    """Active users who can work the queue."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[OFFICER, ADMIN])
        .distinct()
        .order_by("username")
    )


class BulkForm(DecisionForm):
    """A decision or an assignment for several ads selected in the queue."""

    ACTIONS = [
        ("decide", _("Decide")),
        ("assign", _("Assign")),
        ("unassign", _("Remove assignment")),
    ]

    action = forms.ChoiceField(choices=ACTIONS, initial="decide")
    ad_ids = forms.CharField(widget=forms.MultipleHiddenInput, required=False)
    officer = forms.ModelChoiceField(label=_("Officer"), queryset=None, required=False)

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["officer"].queryset = officers()
        if self.is_bound and self.data.get("action") in {"assign", "unassign"}:
            for name in ("decision", "reason"):
                self.fields[name].required = False

    def clean_ad_ids(self) -> list[str]:
        ids = self.data.getlist("ad_ids") if hasattr(self.data, "getlist") else []
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            raise forms.ValidationError(_("Select at least one ad."))
        if len(ids) > 200:
            raise forms.ValidationError(_("Select at most 200 ads at once."))
        bad = [i for i in ids if not AD_ID_RE.match(i)]
        if bad:
            raise forms.ValidationError(_("Not an ad id: %(id)s"), params={"id": bad[0][:70]})
        return ids

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("action") == "decide":
            return super().clean()
        if data.get("action") == "assign" and not data.get("officer"):
            self.add_error("officer", _("Choose an officer to assign to."))
        return data


class CloseEscalationForm(forms.Form):
    close_reason = forms.ChoiceField(label=_("Why close"), choices=CLOSE_REASONS)
