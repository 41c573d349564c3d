"""The permission matrix: every URL of the app × every role (and anonymous).

Routes of the review and accounts apps have an exact expected status per
role. Every other route (analysis, operations, added later) must declare its
capability through ``roles.role_required`` / ``RoleRequiredMixin``; its
expectations are derived from :data:`roles.CAPABILITIES`, so a view that
forgets to declare one fails here.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from review_ui.accounts.roles import CAPABILITIES, ROLES
from review_ui.review.models import ReviewDecision

pytestmark = pytest.mark.django_db

WHO = ("anonymous", *ROLES, "norole")
OK, LOGIN, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, REDIRECT = 200, "login", 403, 404, 405, 302


def _expect(capability: str, allowed_status, others=FORBIDDEN):
    allowed = CAPABILITIES[capability]
    out = {"anonymous": LOGIN, "norole": others}
    for role in ROLES:
        out[role] = allowed_status if role in allowed else others
    return out


def explicit_routes(ids, sha, decision_id):
    """(name, kwargs, method, {who: status}) for the routes this app owns."""
    ad = {"ad_id": ids["denhaag"]}
    return [
        ("review:queue", {}, "get", _expect("review", OK)),
        ("review:ad", ad, "get", _expect("view_ads", OK)),
        ("review:ad", {"ad_id": "nosuchad"}, "get", _expect("view_ads", NOT_FOUND)),
        ("review:decide", ad, "get", _expect("review", NOT_ALLOWED)),
        ("review:decide", ad, "post", _expect("review", REDIRECT)),
        ("review:bulk", {}, "post", _expect("review", REDIRECT)),
        ("review:decisions", {}, "get", _expect("review", OK)),
        (
            "review:close_escalation",
            {"decision_id": decision_id},
            "post",
            _expect("review", REDIRECT),
        ),
        ("review:close_escalation", {"decision_id": 999999}, "post", _expect("review", NOT_FOUND)),
        ("review:mine", {}, "get", _expect("review", OK)),
        ("review:photo", {"sha256": sha}, "get", _expect("view_ads", OK)),
        ("review:photo", {"sha256": "0" * 64}, "get", _expect("view_ads", NOT_FOUND)),
        ("accounts:audit_log", {}, "get", _expect("audit", OK)),
        ("accounts:login", {}, "get", {w: (OK if w == "anonymous" else REDIRECT) for w in WHO}),
        ("accounts:logout", {}, "post", dict.fromkeys(WHO, REDIRECT)),
        ("accounts:set_language", {}, "post", dict.fromkeys(WHO, REDIRECT)),
    ]


def all_patterns(resolver=None, prefix="", namespace=""):
    """(route, namespaced name, pattern) for every URL of the project."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from all_patterns(
                entry, prefix + str(entry.pattern), f"{namespace}{ns}:" if ns else namespace
            )
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}", entry


def _capability_of(pattern: URLPattern) -> str | None:
    callback = pattern.callback
    cap = getattr(callback, "capability", None)
    view_class = getattr(callback, "view_class", None)
    if cap is None and view_class is not None:
        cap = getattr(view_class, "capability", None) or None
    return cap


def _fill(route: str) -> str:
    """A concrete path for a route: converters get harmless sample values."""

    def value(match: re.Match) -> str:
        conv = match.group(1) or "str"
        return {"int": "1", "slug": "sample", "uuid": "00000000-0000-0000-0000-000000000000"}.get(
            conv, "sample"
        )

    path = re.sub(r"<(?:(\w+):)?\w+>", value, route)
    return "/" + path.lstrip("^").rstrip("$")


@pytest.fixture
def matrix_env(sample_market, role_users, client):
    ids = sample_market.ids
    sha = sorted(p.name for p in sample_market.image_dir.rglob("*") if p.is_file())[0]
    client.force_login(role_users["officer"])
    client.post(
        reverse("review:decide", args=[ids["hostile"]]),
        {"decision": "escalate", "reason": "network"},
    )
    client.logout()
    decision_id = ReviewDecision.objects.get(ad_id=ids["hostile"]).pk
    # the photo test needs a sha the store knows
    sha = sample_market.store.get_ad(ids["denhaag"])["images"][0]["sha256"]
    return ids, sha, decision_id


def _request(client, users, who, method, url, data=None):
    client.logout()
    if who != "anonymous":
        client.force_login(users[who])
    return getattr(client, method)(url, data or {})


def _post_data(name, ids):
    if name == "review:decide":
        return {"decision": "dismiss", "reason": "no_indicators"}
    if name == "review:bulk":
        return {"action": "assign", "ad_ids": [ids["utrecht"]], "officer": ""}
    if name == "review:close_escalation":
        return {"close_reason": "resolved"}
    if name == "accounts:set_language":
        return {"language": "en", "next": "/"}
    return {}


def test_permission_matrix(matrix_env, role_users, client):
    ids, sha, decision_id = matrix_env
    cases = 0
    failures = []
    for name, kwargs, method, expected in explicit_routes(ids, sha, decision_id):
        url = reverse(name, kwargs=kwargs)
        for who in WHO:
            response = _request(client, role_users, who, method, url, _post_data(name, ids))
            want = expected[who]
            got = response.status_code
            if want == LOGIN:
                ok = got == 302 and response["Location"].startswith(reverse("accounts:login"))
            else:
                ok = got == want
            cases += 1
            if not ok:
                failures.append(f"{method.upper()} {url} as {who}: got {got}, expected {want}")
    assert not failures, "\n".join(failures)
    assert cases == 16 * len(WHO)


#: Routes that answer without login on purpose, and why.
PUBLIC = {"analysis:api_openapi": "the API's OpenAPI description; it holds no data"}


def _refused_anonymous(response) -> bool:
    """Pages send a stranger to the login page; API endpoints answer 401 (or
    405 to a GET on a POST-only endpoint, which carries no data either)."""
    if response.status_code in (401, 405):
        return True
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_every_other_route_honours_its_capability(matrix_env, role_users, client):
    """Other apps' routes: anonymous is always refused; a declared capability
    decides every role (400/404/405 for an allowed role only mean the sample
    arguments were not enough)."""
    own = {name for name, *_ in explicit_routes(*matrix_env)}
    failures = []
    for route, name, pattern in all_patterns():
        if name in own or name.startswith("admin:") or name in PUBLIC:
            continue
        url = _fill(route)
        capability = _capability_of(pattern)
        if capability is None:
            # Not declared through roles.py (e.g. a token-authenticated API view
            # with its own check): at least nobody anonymous gets an answer.
            if not _refused_anonymous(_request(client, role_users, "anonymous", "get", url)):
                failures.append(f"GET {url} ({name}) answers anonymous users")
            continue
        allowed = CAPABILITIES[capability]
        for who in WHO:
            response = _request(client, role_users, who, "get", url)
            got = response.status_code
            if who == "anonymous":
                ok = _refused_anonymous(response)
            elif who in allowed:
                to_login = got == 302 and response["Location"].startswith(reverse("accounts:login"))
                ok = got in (200, 302, 400, 404, 405) and not to_login
            else:
                ok = got in (403, 405)
            if not ok:
                failures.append(f"GET {url} ({name}, needs {capability}) as {who}: got {got}")
    assert not failures, "\n".join(failures)


def test_admin_pages_need_staff(role_users, client):
    url = reverse("admin:index")
    assert client.get(url).status_code == 302
    client.force_login(role_users["officer"])
    assert client.get(url).status_code == 302  # not staff: sent to the admin login
    client.force_login(role_users["admin"])
    assert client.get(url).status_code == 200
