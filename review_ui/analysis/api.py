"""The read-only JSON API for analysts' scripts and notebooks.

Same users and roles as the web pages: a signed-in session works, and so does
``Authorization: Bearer <token>`` with a token from the tokens page or
``adscan token create USER``. Every call is audited like the page it mirrors.
``/analysis/api/openapi.json`` describes every endpoint (OpenAPI 3.1).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from review_ui.accounts import audit
from review_ui.accounts.roles import has_capability
from review_ui.analysis.exceptions import LookupInputError
from review_ui.analysis.forms import SearchForm
from review_ui.analysis.lookups import lookup_identifier, lookup_photo
from review_ui.analysis.models import ApiToken, hash_token
from review_ui.analysis.network import cluster_view, personas_per_phone
from review_ui.review.store import get_store

API_PAGE = 50
API_MAX_PAGE = 200
CLUSTER_SORTS = ("size", "risk_max", "n_cities", "last_seen", "growth", "personas_per_phone")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "status": status}, status=status)


def _token_user(request: HttpRequest):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None, None
    scheme, _sp, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None, "The Authorization header must be 'Bearer <token>'."
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None, "The API token is unknown or revoked; create one on the API tokens page."
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user, None


def api_view(capability: str) -> Callable:
    """Decorator: authenticate by bearer token or session, then check ``capability``.

    Answers 401 (JSON) without credentials and 403 without the capability.
    """

    def decorator(view: Callable) -> Callable:
        @login_not_required
        @csrf_exempt  # read-only GETs; token calls carry no CSRF cookie
        @require_GET
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user, problem = _token_user(request)
            if problem:
                return _error(401, problem)
            if user is not None:
                request.user = user
                request.api_token = True
            elif not request.user.is_authenticated:
                response = _error(
                    401,
                    "Sign in, or send 'Authorization: Bearer <token>' (see the API tokens page).",
                )
                response["WWW-Authenticate"] = 'Bearer realm="adscan"'
                return response
            if not has_capability(request.user, capability):
                return _error(403, f"Your role may not do this ({capability}).")
            return view(request, *args, **kwargs)

        wrapped.capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _cursor(after: list[Any] | None) -> str | None:
    return signing.dumps(after, salt="api-cursor", compress=True) if after else None


def _uncursor(text: str | None) -> list[Any] | None:
    if not text:
        return None
    try:
        value = signing.loads(text, salt="api-cursor")
    except signing.BadSignature:
        return None
    return value if isinstance(value, list) else None


def _size(request: HttpRequest) -> int:
    try:
        return max(1, min(API_MAX_PAGE, int(request.GET.get("size", API_PAGE))))
    except ValueError:
        return API_PAGE


def _ad_url(request: HttpRequest, ad_id: str) -> str:
    return request.build_absolute_uri(reverse("analysis:api_ad", kwargs={"ad_id": ad_id}))


@api_view("search")
def search(request):
    """Full-text search with facets; the same parameters as the search page."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": "Invalid parameters", "fields": form.errors}, status=400)
    filters = form.store_filters()
    after = _uncursor(request.GET.get("after"))
    size = _size(request)
    result = get_store().search(form.store_query(size, after))
    audit.record(
        request,
        "search",
        "ads",
        "",
        details={
            "api": True,
            "q": form.cleaned_data.get("q"),
            "filters": filters,
            "total": result.total,
        },
    )
    return JsonResponse(
        {
            "total": result.total,
            "total_relation": result.total_relation,  # "gte": at least ``total`` match
            "estimated": result.estimated,  # facets and histogram from a sample
            "hits": result.hits,
            "next": _cursor(result.next_after) if len(result.hits) == size else None,
            "facets": {k: [[v, n] for v, n in vals] for k, vals in result.facets.items()},
            "histogram": [[d, n] for d, n in result.histogram],
        }
    )


@api_view("view_ads")
def ad(request, ad_id: str):
    """One ad with its versions."""
    store = get_store()
    doc = store.get_ad(ad_id) if len(ad_id) <= 64 else None
    if doc is None:
        return _error(404, "Ad not found")
    audit.record(request, "view_ad", "ad", ad_id, details={"api": True})
    return JsonResponse({"ad": doc, "versions": store.get_versions(ad_id)})


@api_view("view_ads")
def clusters(request):
    """Clusters sorted by size, risk_max, n_cities, last_seen, growth or personas_per_phone."""
    sort = request.GET.get("sort", "size")
    if sort not in CLUSTER_SORTS:
        return _error(400, f"Sort '{sort}' is unknown; expected one of {', '.join(CLUSTER_SORTS)}.")
    size = _size(request)
    store = get_store()
    if sort == "personas_per_phone":
        page, _n = store.list_clusters(sort="size", size=2000)
        page.sort(key=lambda c: (-personas_per_phone(c), c["cluster_id"]))
        page, next_after = page[:size], None
    else:
        page, next_after = store.list_clusters(
            sort=sort, size=size, search_after=_uncursor(request.GET.get("after"))
        )
    for c in page:
        c["personas_per_phone"] = personas_per_phone(c)
    audit.record(request, "search", "clusters", "", details={"api": True, "sort": sort})
    return JsonResponse({"clusters": page, "next": _cursor(next_after)})


@api_view("view_ads")
def cluster(request, cluster_id: str):
    """One cluster: members, graph, timeline, cities, prices, indicators."""
    store = get_store()
    doc = store.get_cluster(cluster_id) if len(cluster_id) <= 64 else None
    if doc is None:
        return _error(404, "Cluster not found")
    view = cluster_view(store, doc)
    audit.record(
        request,
        "view_cluster",
        "cluster",
        cluster_id,
        details={"api": True, "size": doc.get("size")},
    )
    return JsonResponse(view)


@api_view("search")
def lookup(request):
    """Ads carrying a phone number (any format), e-mail address or handle: ``?q=``."""
    try:
        result = lookup_identifier(get_store(), request.GET.get("q", ""))
    except LookupInputError as exc:
        return _error(400, str(exc))
    audit.record(
        request,
        "lookup",
        "identifier",
        ",".join(k for _kind, k in result.keys)[:200],
        details={"api": True, "found": len(result.ad_ids)},
    )
    return JsonResponse(result.as_dict())


@login_not_required
@csrf_exempt
def photo_lookup(request):
    """POST a photo (multipart field ``photo`` or the raw body) to find same/near photos."""
    if request.method != "POST":
        return _error(405, "POST the photo.")
    return _photo_lookup(request)


def _photo_lookup(request):
    user, problem = _token_user(request)
    if problem:
        return _error(401, problem)
    if user is not None:
        request.user = user
    elif not request.user.is_authenticated:
        return _error(401, "Sign in, or send 'Authorization: Bearer <token>'.")
    elif request.META.get("HTTP_AUTHORIZATION") is None:
        # A browser session posting here needs the CSRF check the token path does not.
        from django.middleware.csrf import CsrfViewMiddleware

        reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if reason is not None:
            return _error(403, "CSRF check failed; use a token for scripts.")
    if not has_capability(request.user, "search"):
        return _error(403, "Your role may not do this (search).")
    upload = request.FILES.get("photo")
    data = upload.read() if upload is not None else request.body
    if not data:
        return _error(400, "Send the photo as multipart field 'photo' or as the request body.")
    if len(data) > 10 * 1024 * 1024:
        return _error(400, f"The photo is {len(data)} bytes; send one of at most 10 MB.")
    try:
        result = lookup_photo(get_store(), data)
    except LookupInputError as exc:
        return _error(400, str(exc))
    audit.record(
        request,
        "lookup",
        "image",
        result.sha256 or "",
        details={"api": True, "phash": result.phash, "found": len(result.ad_ids)},
    )
    return JsonResponse(result.as_dict())


@login_not_required
@require_GET
def openapi(request):
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return JsonResponse(openapi_document(request.build_absolute_uri("/analysis/api/")))


def _params(*names: tuple[str, str, str]) -> list[dict[str, Any]]:
    out = []
    for name, kind, desc in names:
        schema: dict[str, Any] = {"type": kind}
        if kind == "array":
            schema = {"type": "array", "items": {"type": "string"}}
        out.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": desc,
                "schema": schema,
                **({"explode": True, "style": "form"} if kind == "array" else {}),
            }
        )
    return out


def openapi_document(server: str) -> dict[str, Any]:
    """The API description; tests check every path in it resolves."""
    errors = {
        "401": {"description": "No or bad credentials", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "403": {"description": "Your role may not do this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    }  # fmt: skip
    ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    paging = [
        ("size", "integer", f"page size (1-{API_MAX_PAGE}, default {API_PAGE})"),
        ("after", "string", "the 'next' cursor of the previous page"),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "adscan analyst API",
            "version": "1",
            "description": "Read-only access to ads, clusters, search and lookups. "
            "Authenticate with 'Authorization: Bearer <token>'. Every call is audited.",
        },
        "servers": [{"url": server}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                    "required": ["error", "status"],
                }
            },
        },
        "paths": {
            "/search/": {
                "get": {
                    "operationId": "search",
                    "summary": "Full-text search over all ads with facets",
                    "parameters": _params(
                        ("q", "string", 'search text (words, "phrases", OR, prefix*)'),
                        ("source", "array", "source names"),
                        ("city", "array", "cities"),
                        ("ad_type", "array", "escort, massage, job, other"),
                        ("indicator_category", "array", "indicator categories"),
                        ("review_status", "array", "open, needs_info, dismissed, escalated"),
                        ("risk_band", "string", "high, medium or low"),
                        ("flagged", "boolean", "flagged ads only"),
                        ("date_from", "string", "ISO date, compared with last_seen"),
                        ("date_to", "string", "ISO date, compared with last_seen"),
                        ("sort", "string", "relevance, risk, last_seen, first_seen, cluster_size"),
                        *paging,
                    ),
                    "responses": {
                        "200": ok,
                        "400": {"description": "Invalid parameters"},
                        **errors,
                    },
                }
            },
            "/ads/{ad_id}/": {
                "get": {
                    "operationId": "getAd",
                    "summary": "One ad with all its versions",
                    "parameters": [
                        {
                            "name": "ad_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": ok, "404": {"description": "Ad not found"}, **errors},
                }
            },
            "/clusters/": {
                "get": {
                    "operationId": "listClusters",
                    "summary": "Clusters (networks), sorted",
                    "parameters": _params(("sort", "string", ", ".join(CLUSTER_SORTS)), *paging),
                    "responses": {"200": ok, "400": {"description": "Unknown sort"}, **errors},
                }
            },
            "/clusters/{cluster_id}/": {
                "get": {
                    "operationId": "getCluster",
                    "summary": "One cluster: members, graph with link reasons, timeline, cities",
                    "parameters": [
                        {
                            "name": "cluster_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": ok, "404": {"description": "Cluster not found"}, **errors},
                }
            },
            "/lookup/": {
                "get": {
                    "operationId": "lookup",
                    "summary": "Who else uses this phone number (any format), e-mail or handle",
                    "parameters": _params(("q", "string", "the identifier as written")),
                    "responses": {"200": ok, "400": {"description": "Not an identifier"}, **errors},
                }
            },
            "/lookup/photo/": {
                "post": {
                    "operationId": "lookupPhoto",
                    "summary": "Ads with the same or a near-identical photo (perceptual hash)",
                    "requestBody": {
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"photo": {"type": "string", "format": "binary"}},
                                }
                            },
                            "image/*": {"schema": {"type": "string", "format": "binary"}},
                        }
                    },
                    "responses": {
                        "200": ok,
                        "400": {"description": "Not a readable photo"},
                        **errors,
                    },
                }
            },
        },
    }
