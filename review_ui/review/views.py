"""The officer's pages: the queue, the ad, decisions, assignments and photos.

Who may open each view is decided by :mod:`review_ui.accounts.roles` only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from index import SearchQuery
from review_ui.accounts import audit
from review_ui.accounts.roles import has_capability, role_required
from review_ui.analysis.forms import ExportForm
from review_ui.review import decisions as decisions_mod
from review_ui.review.changes import changes_since, version_history
from review_ui.review.choices import (
    DECISION_KEYS,
    REASON_LABELS,
    RISK_BADGES,
    STATUS_BADGES,
    Decision,
    ReviewStatus,
)
from review_ui.review.forms import (
    AD_ID_RE,
    BulkForm,
    CloseEscalationForm,
    DecisionForm,
    QueueFilterForm,
)
from review_ui.review.highlight import ad_body, numbered_indicators, segments, split_title
from review_ui.review.models import Assignment, ReviewDecision
from review_ui.review.store import get_store

QUEUE_PAGE_SIZE = 50
CLUSTER_SHOWN = 100
FACET_SECONDS = 300
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
SAFE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
_MAGIC = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]


def _cursor_dump(after: list[Any] | None) -> str | None:
    return signing.dumps(after, salt="queue-cursor", compress=True) if after else None


def _cursor_load(text: str | None) -> list[Any] | None:
    if not text:
        return None
    try:
        value = signing.loads(text, salt="queue-cursor")
    except signing.BadSignature:
        return None
    return value if isinstance(value, list) else None


def _queue_facets() -> dict[str, list[tuple[str, int]]]:
    """Filter choices (sources, cities, categories of flagged ads), cached briefly."""
    key = "adscan:queue-facets:" + hashlib.sha256(settings.ADSCAN_INDEX_URL.encode()).hexdigest()
    facets = cache.get(key)
    if facets is None:
        result = get_store().search(
            SearchQuery(
                filters={"flagged": True},
                size=0,
                facets=("source", "city", "indicator_categories"),
            )
        )
        facets = {
            name: [(str(v), int(n)) for v, n in values] for name, values in result.facets.items()
        }
        cache.set(key, facets, FACET_SECONDS)
    return facets


def _decorate(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the review facts the relational DB holds (assignee, last decision)."""
    ids = [h["ad_id"] for h in hits]
    assigned = {
        a.ad_id: a.officer
        for a in Assignment.objects.filter(ad_id__in=ids).select_related("officer")
    }
    current = decisions_mod.current_decisions(ids)
    for hit in hits:
        hit["assignee"] = assigned.get(hit["ad_id"])
        hit["decision"] = current.get(hit["ad_id"])
        hit["status_badge"] = STATUS_BADGES.get(hit.get("review_status") or "open", "")
        hit["status_label"] = _status_label(hit.get("review_status"))
        hit["risk_badge"] = RISK_BADGES.get(hit.get("risk_band") or "", "")
    return hits


def _status_label(status: str | None) -> str:
    try:
        return str(ReviewStatus(status or "open").label)
    except ValueError:
        return str(status)


@role_required("review")
def queue(request):
    """Flagged ads, highest risk first, filtered and paged by keyset cursor."""
    params = request.GET.copy()
    if "review_status" not in params:
        params["review_status"] = ReviewStatus.OPEN
    form = QueueFilterForm(params, facets=_queue_facets())
    if not form.is_valid():
        return render(
            request, "review/queue.html", {"form": form, "hits": [], "total": 0}, status=400
        )
    filters = form.store_filters()
    after = _cursor_load(request.GET.get("after"))
    result = get_store().search(
        SearchQuery(
            filters=filters, sort="risk", descending=True, size=QUEUE_PAGE_SIZE, search_after=after
        )
    )
    audit.record(
        request,
        "search",
        "queue",
        "",
        details={"filters": filters, "page_after": after, "total": result.total},
    )
    link_params = params.copy()
    link_params.pop("after", None)
    return render(
        request,
        "review/queue.html",
        {
            "form": form,
            "hits": _decorate(result.hits),
            "total": result.total,
            "next_cursor": _cursor_dump(result.next_after)
            if len(result.hits) == QUEUE_PAGE_SIZE
            else None,
            "is_later_page": after is not None,
            "filter_query": link_params.urlencode(),
            "bulk_form": BulkForm(),
            "decision_keys": DECISION_KEYS,
        },
    )


def _ad_or_404(ad_id: str) -> dict[str, Any]:
    if not AD_ID_RE.match(ad_id):
        raise Http404(_("Ad not found"))
    ad = get_store().get_ad(ad_id)
    if ad is None:
        raise Http404(_("Ad not found"))
    return ad


def _extracted_values(ad: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The extracted attributes an officer reads, as display strings."""
    labels = [
        ("prices", _("Prices")),
        ("ages", _("Ages")),
        ("places", _("Places")),
        ("names", _("Names")),
    ]
    extracted = ad.get("extracted") or {}
    out = []
    for key, label in labels:
        values = []
        for item in extracted.get(key) or []:
            if isinstance(item, dict):
                value = item.get("text") or item.get("value") or item.get("normalized") or ""
                extra = item.get("currency") or item.get("unit") or ""
                if item.get("value") is not None and item.get("text"):
                    extra = str(item.get("value")) + (f" {extra}" if extra else "")
                shown = f"{value} ({extra})" if extra and str(extra) != str(value) else str(value)
            else:
                shown = str(item)
            if shown and shown not in values:
                values.append(shown)
        out.append((str(label), values))
    return out


def _cluster_context(ad: dict[str, Any]) -> dict[str, Any] | None:
    cluster_id = ad.get("cluster_id")
    if not cluster_id:
        return None
    store = get_store()
    cluster = store.get_cluster(cluster_id)
    member_ids = [m for m in store.cluster_members(cluster_id) if m != ad["ad_id"]]
    if not member_ids:
        return None
    links = (cluster or {}).get("links") or []
    shown = store.get_ads(member_ids[:CLUSTER_SHOWN])
    members: list[dict[str, Any]] = []
    for other in shown:
        oid = other["ad_id"]
        direct = [lk for lk in links if {lk.get("a"), lk.get("b")} == {ad["ad_id"], oid}]
        via = direct or [lk for lk in links if oid in (lk.get("a"), lk.get("b"))][:3]
        members.append({"ad": other, "links": via, "direct": bool(direct)})
    members.sort(key=lambda m: (not m["direct"], -float(m["ad"].get("risk") or 0)))
    return {
        "cluster_id": cluster_id,
        "cluster": cluster,
        "members": members,
        "more": max(0, len(member_ids) - CLUSTER_SHOWN),
        "size": len(member_ids) + 1,
    }


@role_required("view_ads")
def ad_detail(request, ad_id: str):
    """One ad: highlighted evidence, extracted facts, photos, versions, cluster."""
    ad = _ad_or_404(ad_id)
    store = get_store()
    indicators = numbered_indicators(ad)
    title_segs, text_segs = split_title(
        segments(ad_body(ad), indicators), len(ad.get("title") or "")
    )
    versions = store.get_versions(ad_id)
    current = decisions_mod.current_decisions([ad_id]).get(ad_id)
    history = ReviewDecision.objects.filter(ad_id=ad_id).order_by("-decided_at", "-id")[:50]
    since = None
    if current is not None and current.decision in (Decision.DISMISS, Decision.REOPEN):
        dismissed = current
        if current.decision == Decision.REOPEN:
            dismissed = (
                ReviewDecision.objects.filter(ad_id=ad_id, decision=Decision.DISMISS)
                .order_by("-decided_at", "-id")
                .first()
            )
        if dismissed is not None:
            since = changes_since(versions, dismissed.ad_version)
    cluster = _cluster_context(ad)
    audit.record(request, "view_ad", "ad", ad_id, details={"version": ad.get("version")})
    if cluster:
        audit.record(
            request,
            "view_cluster",
            "cluster",
            cluster["cluster_id"],
            details={"from_ad": ad_id, "members_shown": len(cluster["members"])},
        )
    assignment = Assignment.objects.filter(ad_id=ad_id).select_related("officer").first()
    return render(
        request,
        "review/ad_detail.html",
        {
            "ad": ad,
            "indicators": indicators,
            "title_segments": title_segs,
            "text_segments": text_segs,
            "extracted": _extracted_values(ad),
            "images": [
                i for i in ad.get("images") or [] if SHA256_RE.match(str(i.get("sha256", "")))
            ],
            "history": version_history(versions),
            "cluster": cluster,
            "current": current,
            "decision_history": history,
            "changed_since_dismissal": since,
            "assignment": assignment,
            "decision_form": DecisionForm() if has_capability(request.user, "review") else None,
            "close_form": CloseEscalationForm(),
            "status_badge": STATUS_BADGES.get(ad.get("review_status") or "open", ""),
            "status_label": _status_label(ad.get("review_status")),
            "risk_badge": RISK_BADGES.get(ad.get("risk_band") or "", ""),
            "reason_labels": REASON_LABELS,
            "export_form": (
                ExportForm(initial={"kind": "ad", "target": ad_id})
                if has_capability(request.user, "export")
                else None
            ),
        },
    )


@role_required("review")
@require_POST
def decide(request, ad_id: str):
    """Record one officer's decision about one ad."""
    ad = _ad_or_404(ad_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The decision was not saved: choose a decision and a reason."))
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("review:ad", ad_id=ad_id)
    data = form.cleaned_data
    result = decisions_mod.decide(request, [ad], data["decision"], data["reason"], data["note"])
    _report(request, result, 1, data["decision"])
    return redirect(_next_url(request) or reverse("review:ad", kwargs={"ad_id": ad_id}))


def _report(request, result: decisions_mod.DecideResult, count: int, decision: str) -> None:
    label = Decision(decision).label
    messages.success(
        request,
        _("Saved: %(decision)s for %(count)d ad(s).") % {"decision": label, "count": count},
    )
    if not result.mirrored:
        messages.warning(
            request,
            _(
                "The ad store could not be updated; the decision is saved and `adscan reconcile` will apply it."
            ),
        )


def _next_url(request) -> str | None:
    """A same-site return path from the form (never an absolute URL)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@role_required("review")
@require_POST
def bulk(request):
    """Decide or assign for the ads selected in the queue."""
    form = BulkForm(request.POST)
    back = _next_url(request) or reverse("review:queue")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    ids = data["ad_ids"]
    if data["action"] in ("assign", "unassign"):
        officer = data["officer"] if data["action"] == "assign" else None
        decisions_mod.assign(request, ids, officer)
        messages.success(request, _("Assignment saved for %(count)d ad(s).") % {"count": len(ids)})
        return redirect(back)
    ads = get_store().get_ads(ids)
    if not ads:
        messages.error(request, _("None of the selected ads exists any more."))
        return redirect(back)
    result = decisions_mod.decide(request, ads, data["decision"], data["reason"], data["note"])
    _report(request, result, len(ads), data["decision"])
    return redirect(back)


@role_required("review")
def decision_list(request):
    """Current decisions, e.g. the open escalations; newest first, keyset pages."""
    decision = str(request.GET.get("decision", "escalate"))
    state = request.GET.get("state", "open")
    rows = ReviewDecision.objects.filter(current=True).order_by("-id")
    if decision in Decision.values:
        rows = rows.filter(decision=decision)
    else:
        decision = ""
    if decision == Decision.ESCALATE and state == "open":
        rows = rows.filter(closed_at__isnull=True)
    elif decision == Decision.ESCALATE and state == "closed":
        rows = rows.filter(closed_at__isnull=False)
    after = request.GET.get("after")
    if after:
        try:
            rows = rows.filter(id__lt=int(signing.loads(after, salt="decision-cursor")))
        except (signing.BadSignature, TypeError, ValueError):
            after = None
    page = list(rows[: QUEUE_PAGE_SIZE + 1])
    next_cursor = None
    if len(page) > QUEUE_PAGE_SIZE:
        page = page[:QUEUE_PAGE_SIZE]
        next_cursor = signing.dumps(page[-1].id, salt="decision-cursor")
    ads = {ad["ad_id"]: ad for ad in get_store().get_ads([r.ad_id for r in page])}
    audit.record(
        request,
        "search",
        "decisions",
        "",
        details={"decision": decision, "state": state, "shown": len(page)},
    )
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "review/decision_list.html",
        {
            "rows": [(row, ads.get(row.ad_id)) for row in page],
            "decision": decision,
            "state": state,
            "decision_choices": [(d.value, d.label) for d in Decision],
            "next_cursor": next_cursor,
            "is_later_page": bool(after),
            "filter_query": params.urlencode(),
            "close_form": CloseEscalationForm(),
        },
    )


@role_required("review")
@require_POST
def close_escalation(request, decision_id: int):
    row = get_object_or_404(
        ReviewDecision, pk=decision_id, current=True, decision=Decision.ESCALATE
    )
    form = CloseEscalationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the escalation is closed."))
    elif row.closed_at is not None:
        messages.info(request, _("This escalation was already closed."))
    else:
        decisions_mod.close_escalation(request, row, form.cleaned_data["close_reason"])
        messages.success(request, _("Escalation closed."))
    return redirect(_next_url(request) or reverse("review:ad", kwargs={"ad_id": row.ad_id}))


@role_required("review")
def my_ads(request):
    """The ads assigned to the signed-in officer."""
    rows = list(Assignment.objects.filter(officer=request.user).order_by("-assigned_at")[:200])
    ads = {ad["ad_id"]: ad for ad in get_store().get_ads([r.ad_id for r in rows])}
    hits = _decorate([ads[r.ad_id] for r in rows if r.ad_id in ads])
    audit.record(request, "search", "assignments", "", details={"shown": len(hits)})
    return render(request, "review/my_ads.html", {"hits": hits})


def _sniff(path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    for magic, ctype in _MAGIC:
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


@role_required("view_ads")
def photo(request, sha256: str):
    """A photo from adscan's own image store, only if an ad uses it."""
    if not SHA256_RE.match(sha256):
        raise Http404(_("Photo not found"))
    store = get_store()
    users = store.lookup("image_sha256", [sha256]).get(sha256) or []
    if not users:
        raise Http404(_("Photo not found"))
    path = settings.ADSCAN_IMAGE_DIR / sha256[:2] / sha256[2:4] / sha256
    if not path.is_file():
        raise Http404(_("Photo not found"))
    stated = ""
    ad = store.get_ad(users[0][0])
    for image in (ad or {}).get("images") or []:
        if image.get("sha256") == sha256:
            stated = str(image.get("content_type") or "").split(";")[0].strip().lower()
    sniffed = _sniff(path)
    # The stated type is used only when the bytes agree; anything else is not an image to show.
    content_type = sniffed if sniffed in SAFE_IMAGE_TYPES and stated in ("", sniffed) else ""
    audit.record(request, "view_photo", "image", sha256, details={"ad_id": users[0][0]})
    if not content_type:
        response = HttpResponse(path.read_bytes(), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{sha256}.bin"'
    else:
        response = HttpResponse(path.read_bytes(), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
