"""Review decisions, their reasons, review statuses and badge colours: the one list."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    DISMISS = "dismiss", _("Dismiss")
    NEEDS_INFO = "needs_info", _("Needs more information")
    ESCALATE = "escalate", _("Escalate")
    # Written by adscan itself when a dismissed ad changes (see review.sync).
    REOPEN = "reopen", _("Reopened")


#: Decisions an officer can take (``reopen`` is adscan's own).
OFFICER_DECISIONS: tuple[str, ...] = ("dismiss", "needs_info", "escalate")

#: The ad store ``review_status`` each decision mirrors to.
STATUS_OF_DECISION: dict[str, str] = {
    "dismiss": "dismissed",
    "needs_info": "needs_info",
    "escalate": "escalated",
    "reopen": "open",
}

#: Keyboard shortcut of each officer decision (static/adscan/review.js uses the same keys).
DECISION_KEYS: dict[str, str] = {"dismiss": "d", "needs_info": "n", "escalate": "e"}


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    NEEDS_INFO = "needs_info", _("Needs more information")
    DISMISSED = "dismissed", _("Dismissed")
    ESCALATED = "escalated", _("Escalated")


STATUS_BADGES = {
    "open": "badge-open",
    "needs_info": "badge-info",
    "dismissed": "badge-muted",
    "escalated": "badge-alert",
}

RISK_BADGES = {"high": "badge-alert", "medium": "badge-warn", "low": "badge-muted"}

#: Reasons an officer may give, per decision. One is required.
REASONS: dict[str, list[tuple[str, object]]] = {
    "dismiss": [
        ("no_indicators", _("No indicators on closer reading")),
        ("independent_worker", _("Independent sex worker, no signs of coercion")),
        ("duplicate", _("Duplicate of an ad already handled")),
        ("out_of_scope", _("Outside our area or remit")),
        ("false_positive", _("Indicator matched by mistake")),
    ],
    "needs_info": [
        ("check_phone", _("Check the phone number with partners")),
        ("check_photos", _("Check the photos")),
        ("check_address", _("Check the address or location")),
        ("watch_changes", _("Watch how the ad changes")),
        ("other_info", _("Other information needed (see note)")),
    ],
    "escalate": [
        ("possible_minor", _("Possible minor")),
        ("third_party_control", _("Signs of control by a third party")),
        ("network", _("Part of a network across places")),
        ("coercion", _("Signs of coercion or debt bondage")),
        ("other_serious", _("Other serious signal (see note)")),
    ],
    "reopen": [("changed_version", _("A new version of a dismissed ad"))],
}

#: Every reason with its label, whatever the decision.
REASON_LABELS = {key: label for reasons in REASONS.values() for key, label in reasons}

#: Why an escalation is closed.
CLOSE_REASONS = [
    ("handed_over", _("Handed over to police or partner")),
    ("no_follow_up", _("No follow-up possible")),
    ("resolved", _("Resolved")),
]
CLOSE_REASON_LABELS = dict(CLOSE_REASONS)
