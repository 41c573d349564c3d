"""The analyst's pages: search with facets, lookups, the network explorer,
trends, case packages and API tokens.

Who may open each view is decided by :mod:`review_ui.accounts.roles` only;
every search, lookup, cluster view and export is written to the audit log.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from index import SearchQuery
from review_ui.accounts import audit
from review_ui.accounts.roles import has_capability, role_required
from review_ui.analysis import exports as exports_mod
from review_ui.analysis import trends as trends_mod
from review_ui.analysis.exceptions import ExportError, LookupInputError
from review_ui.analysis.explain import query_terms, snippet, why_matched
from review_ui.analysis.forms import (
    FACET_LABELS,
    FACETS,
    ExportForm,
    LookupForm,
    PhotoLookupForm,
    SearchForm,
    TokenForm,
)
from review_ui.analysis.lookups import lookup_identifier, lookup_photo
from review_ui.analysis.models import ApiToken, ExportRecord
from review_ui.analysis.network import cluster_view, personas_per_phone
from review_ui.review.choices import RISK_BADGES
from review_ui.review.store import get_store

PAGE_SIZE = 25
CLUSTER_PAGE = 50
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
CLUSTER_SORTS = [
    ("size", gettext_lazy("Size")),
    ("risk_max", gettext_lazy("Highest risk")),
    ("n_cities", gettext_lazy("Number of cities")),
    ("personas_per_phone", gettext_lazy("Personas per phone")),
    ("growth", gettext_lazy("Growth (7 days)")),
    ("last_seen", gettext_lazy("Last seen")),
]
TRENDS_SECONDS = 120


def _dump(after: list[Any] | None, salt: str) -> str | None:
    return signing.dumps(after, salt=salt, compress=True) if after else None


def _load(text: str | None, salt: str) -> list[Any] | None:
    if not text:
        return None
    try:
        value = signing.loads(text, salt=salt)
    except signing.BadSignature:
        return None
    return value if isinstance(value, list) else None


def _search_all_ids(form: SearchForm, limit: int) -> list[str]:
    """Ad ids of a whole search result (for exports), at most ``limit``."""
    store = get_store()
    ids: list[str] = []
    after = None
    while len(ids) < limit:
        result = store.search(
            SearchQuery(
                text=form.cleaned_data.get("q") or None,
                filters=form.store_filters(),
                sort=form.sort_field(),
                size=min(500, limit - len(ids)),
                search_after=after,
            )
        )
        ids += [h["ad_id"] for h in result.hits]
        if not result.next_after or not result.hits:
            break
        after = result.next_after
    return ids


def _facet_groups(form: SearchForm, facets: dict[str, list[tuple[str, int]]], params) -> list:
    """Facet values with counts, whether chosen, and the link that toggles each."""
    groups = []
    for name, (facet, _filter) in [*FACETS.items(), ("risk_band", ("risk_band", ""))]:
        chosen = form.cleaned_data.get(name) or []
        if isinstance(chosen, str):
            chosen = [chosen] if chosen else []
        values = []
        for value, count in facets.get(facet, []):
            value = str(value)
            on = value in chosen
            p = params.copy()
            p.pop("after", None)
            current = p.getlist(name)
            if name == "risk_band":
                p[name] = "" if on else value
            elif on:
                p.setlist(name, [v for v in current if v != value])
            else:
                p.setlist(name, [*current, value])
            values.append({"value": value, "count": count, "on": on, "query": p.urlencode()})
        groups.append({"name": name, "label": FACET_LABELS[name], "values": values})
    return groups


@role_required("search")
def search(request):
    """Full-text search over all ads with facets; each hit says why it matched."""
    form = SearchForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "lookup_form": LookupForm(),
        "photo_form": PhotoLookupForm(),
        "searched": bool(request.GET),
    }
    if not form.is_valid():
        return render(request, "analysis/search.html", context, status=400)
    filters = form.store_filters()
    text = form.cleaned_data.get("q") or None
    after = _load(request.GET.get("after"), "analysis-search")
    result = get_store().search(form.store_query(PAGE_SIZE, after))
    audit.record(
        request,
        "search",
        "ads",
        "",
        details={"q": text, "filters": filters, "page_after": after, "total": result.total},
    )
    terms = query_terms(text)
    hits = []
    for hit in result.hits:
        hits.append(
            {
                "ad": hit,
                "snippet": snippet(hit.get("text") or "", terms),
                "why": why_matched(hit, terms, filters),
                "risk_badge": RISK_BADGES.get(hit.get("risk_band") or "", ""),
            }
        )
    params = request.GET.copy()
    params.pop("after", None)
    context.update(
        {
            "hits": hits,
            "total": result.total,
            # "gte": at least ``total`` ads match; estimated: facets/histogram sampled
            "total_relation": result.total_relation,
            "estimated": result.estimated,
            "facet_groups": _facet_groups(form, result.facets, request.GET),
            "histogram": [{"x": d, "n": n} for d, n in result.histogram],
            "next_cursor": _dump(result.next_after, "analysis-search")
            if len(result.hits) == PAGE_SIZE
            else None,
            "is_later_page": after is not None,
            "filter_query": params.urlencode(),
            "export_form": ExportForm(initial={"kind": "search", "target": params.urlencode()}),
        }
    )
    return render(request, "analysis/search.html", context)


def _lookup_context(request, result, title: str) -> dict[str, Any]:
    store = get_store()
    ads = {a["ad_id"]: a for a in store.get_ads(result.ad_ids)}
    rows = []
    for m in result.matches:
        ad = ads.get(m.ad_id)
        if ad is not None:
            rows.append(
                {"match": m, "ad": ad, "risk_badge": RISK_BADGES.get(ad.get("risk_band") or "", "")}
            )
    clusters = [store.get_cluster(c) for c in result.cluster_ids]
    return {
        "title": title,
        "result": result,
        "rows": rows,
        "clusters": [c for c in clusters if c],
        "cities": sorted({r["ad"].get("city") for r in rows if r["ad"].get("city")}),
        "lookup_form": LookupForm(
            initial={"identifier": result.query if result.query != "photo" else ""}
        ),
        "photo_form": PhotoLookupForm(),
    }


@role_required("search")
def lookup(request):
    """Who else uses this phone number (any format), e-mail address or handle."""
    form = LookupForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "analysis/lookup.html",
            {"lookup_form": form, "photo_form": PhotoLookupForm(), "rows": None},
            status=400,
        )
    try:
        result = lookup_identifier(get_store(), form.cleaned_data["identifier"])
    except LookupInputError as exc:
        form.add_error("identifier", str(exc))
        return render(
            request,
            "analysis/lookup.html",
            {"lookup_form": form, "photo_form": PhotoLookupForm(), "rows": None},
            status=400,
        )
    audit.record(
        request,
        "lookup",
        "identifier",
        ",".join(k for _kind, k in result.keys)[:200],
        details={"input": form.cleaned_data["identifier"][:200], "found": len(result.ad_ids)},
    )
    return render(request, "analysis/lookup.html", _lookup_context(request, result, _("Lookup")))


@role_required("search")
@require_POST
def photo_lookup(request):
    """Ads that show the uploaded photo, or a resized or re-encoded copy of it."""
    form = PhotoLookupForm(request.POST, request.FILES)
    error_context = {"lookup_form": LookupForm(), "photo_form": form, "rows": None}
    if not form.is_valid():
        return render(request, "analysis/lookup.html", error_context, status=400)
    try:
        result = lookup_photo(get_store(), form.cleaned_data["photo"])
    except LookupInputError as exc:
        form.add_error("photo", str(exc))
        return render(request, "analysis/lookup.html", error_context, status=400)
    audit.record(
        request,
        "lookup",
        "image",
        result.sha256 or "",
        details={"phash": result.phash, "found": len(result.ad_ids)},
    )
    return render(
        request, "analysis/lookup.html", _lookup_context(request, result, _("Photo lookup"))
    )


@role_required("view_ads")
def cluster_list(request):
    """Clusters sortable by size, risk, cities, personas per phone and growth."""
    sort = request.GET.get("sort", "size")
    if sort not in dict(CLUSTER_SORTS):
        sort = "size"
    store = get_store()
    after = _load(request.GET.get("after"), "analysis-clusters")
    if sort == "personas_per_phone":
        page, _n = store.list_clusters(sort="size", size=2000)
        page.sort(key=lambda c: (-personas_per_phone(c), -(c.get("size") or 0), c["cluster_id"]))
        page, next_after = page[:CLUSTER_PAGE], None
    else:
        page, next_after = store.list_clusters(sort=sort, size=CLUSTER_PAGE, search_after=after)
    rows = [
        {
            "c": c,
            "ppp": personas_per_phone(c),
            "risk_badge": RISK_BADGES.get(_band(c.get("risk_max")), ""),
        }
        for c in page
    ]
    audit.record(request, "search", "clusters", "", details={"sort": sort, "shown": len(rows)})
    return render(
        request,
        "analysis/cluster_list.html",
        {
            "rows": rows,
            "sort": sort,
            "sorts": CLUSTER_SORTS,
            "next_cursor": _dump(next_after, "analysis-clusters"),
            "is_later_page": after is not None,
        },
    )


def _band(risk: float | None) -> str:
    from index import risk_band

    return risk_band(risk)


@role_required("view_ads")
def cluster_detail(request, cluster_id: str):
    """The network explorer: graph with link reasons, timeline, cities, personas, prices, risk."""
    if not ID_RE.match(cluster_id):
        raise Http404(_("Cluster not found"))
    store = get_store()
    cluster = store.get_cluster(cluster_id)
    if cluster is None:
        raise Http404(_("Cluster not found"))
    view = cluster_view(store, cluster)
    audit.record(
        request,
        "view_cluster",
        "cluster",
        cluster_id,
        details={"size": cluster.get("size"), "members_shown": len(view["members"])},
    )
    max_city = max([n for _c, n in view["cities"]] or [1])
    return render(
        request,
        "analysis/cluster_detail.html",
        {
            **view,
            "city_bars": [
                {"city": c, "n": n, "pct": round(100 * n / max_city)} for c, n in view["cities"]
            ],
            "risk_badge": RISK_BADGES.get(_band(cluster.get("risk_max")), ""),
            "chart_data": {
                "graph": view["graph"],
                "timeline": view["timeline"],
                "ad_url": reverse("review:ad", kwargs={"ad_id": "AD_ID"}),
            },
            "links": [
                {
                    **lk,
                    "a_title": _title(view["members"], lk.get("a")),
                    "b_title": _title(view["members"], lk.get("b")),
                }
                for lk in cluster.get("links") or []
            ],
            "export_form": ExportForm(initial={"kind": "cluster", "target": cluster_id}),
        },
    )


def _title(members: list[dict[str, Any]], ad_id: Any) -> str:
    for ad in members:
        if ad["ad_id"] == ad_id:
            return ad.get("title") or ad_id
    return str(ad_id)


def _charts() -> list[trends_mod.Chart]:
    store = get_store()
    stats = store.stats()
    key = "adscan:trends:" + re.sub(r"\W", "_", settings.ADSCAN_INDEX_URL)[-150:]
    stamp = (stats.get("ads"), stats.get("done"), stats.get("clusters"), stats.get("flagged"))
    cached = cache.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    charts = trends_mod.build_charts(store)
    cache.set(key, (stamp, charts), TRENDS_SECONDS)
    return charts


@role_required("search")
def trends(request):
    """The dashboard: ads per day per source, new phones, flagged share, cities, growth, indicators."""
    charts = _charts()
    audit.record(request, "search", "trends", "", details={"charts": len(charts)})
    return render(
        request,
        "analysis/trends.html",
        {"charts": charts, "chart_data": [c.as_dict() for c in charts]},
    )


@role_required("search")
def trends_csv(request, chart_id: str):
    """One dashboard chart as CSV."""
    charts = {c.id: c for c in _charts()}
    if chart_id not in charts:
        raise Http404(_("Chart not found"))
    audit.record(request, "export", "trends", chart_id, details={"format": "csv"})
    response = HttpResponse(charts[chart_id].to_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="adscan-{chart_id}.csv"'
    return response


@role_required("export")
@require_POST
def export(request):
    """Make a case package of an ad, a cluster or a search result."""
    form = ExportForm(request.POST)
    back = request.POST.get("next", "")
    if not (back.startswith("/") and not back.startswith("//")):
        back = reverse("analysis:exports")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    store = get_store()
    kind, target = data["kind"], data["target"]
    clusters = []
    limit = settings.ADSCAN_EXPORT_MAX_ADS
    if kind == "ad":
        ad_ids = [target] if ID_RE.match(target) else []
    elif kind == "cluster":
        cluster = store.get_cluster(target) if ID_RE.match(target) else None
        if cluster is None:
            messages.error(request, _("Cluster not found"))
            return redirect(back)
        clusters = [cluster]
        ad_ids = (store.cluster_members(target) or cluster.get("ad_ids") or [])[:limit]
    else:
        from django.http import QueryDict

        sform = SearchForm(QueryDict(target))
        if not sform.is_valid():
            messages.error(request, _("The search to export is not valid any more."))
            return redirect(back)
        ad_ids = _search_all_ids(sform, limit)
    pseudonymise = bool(data["pseudonymise"])
    try:
        result = exports_mod.build_case_package(
            store,
            ad_ids,
            out_dir=settings.ADSCAN_EXPORT_DIR,
            image_dir=settings.ADSCAN_IMAGE_DIR,
            archive_dir=settings.ADSCAN_ARCHIVE_DIR,
            exported_by=request.user.get_username(),
            purpose=data["purpose"],
            selection={"kind": kind, "target": target, "ad_ids": ad_ids},
            pseudonymise=pseudonymise,
            pseudonym_key=settings.ADSCAN_EXPORT_PSEUDONYM_KEY,
            clusters=clusters,
        )
    except ExportError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    record = ExportRecord.objects.create(
        user=request.user,
        username=request.user.get_username(),
        kind=kind,
        target=target[:2000],
        purpose=data["purpose"],
        pseudonymised=pseudonymise,
        n_ads=result.n_ads,
        n_files=len(result.files),
        filename=result.path.name,
        sha256=result.sha256,
        size_bytes=result.size,
    )
    audit.record(
        request,
        "export",
        kind,
        target if kind != "search" else "search",
        purpose=data["purpose"],
        details={
            "export_id": record.pk,
            "file": result.path.name,
            "sha256": result.sha256,
            "ads": result.n_ads,
            "pseudonymised": pseudonymise,
            "missing": result.missing[:20],
        },
    )
    messages.success(
        request,
        _("Case package ready: %(n)d ads, SHA-256 %(sha)s.")
        % {"n": result.n_ads, "sha": result.sha256},
    )
    return redirect("analysis:exports")


@role_required("export")
def export_list(request):
    """The user's case packages (admins see everyone's)."""
    rows = ExportRecord.objects.all()
    if not has_capability(request.user, "audit"):
        rows = rows.filter(user=request.user)
    return render(request, "analysis/exports.html", {"rows": rows[:200]})


@role_required("export")
def export_download(request, pk: int):
    record = get_object_or_404(ExportRecord, pk=pk)
    if record.user_id != request.user.pk and not has_capability(request.user, "audit"):
        raise Http404(_("Export not found"))
    path = settings.ADSCAN_EXPORT_DIR / record.filename
    if not path.is_file():
        raise Http404(_("Export not found"))
    audit.record(
        request, "download_export", "export", str(record.pk), details={"sha256": record.sha256}
    )
    return FileResponse(open(path, "rb"), as_attachment=True, filename=record.filename)  # noqa: SIM115


@role_required("search")
def tokens(request):
    """The user's API tokens; a new token is shown once."""
    new_token = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            token, new_token = ApiToken.create_for(request.user, form.cleaned_data["name"])
            audit.record(
                request, "create_token", "api_token", str(token.pk), details={"name": token.name}
            )
            form = TokenForm()
    else:
        form = TokenForm()
    return render(
        request,
        "analysis/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": ApiToken.objects.filter(user=request.user),
            "openapi_url": reverse("analysis:api_openapi"),
            "example_query": urlencode({"q": "06-12345678"}),
        },
    )


@role_required("search")
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        from django.utils import timezone

        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(request, "revoke_token", "api_token", str(token.pk))
        messages.success(request, _("Token revoked."))
    return redirect("analysis:tokens")
