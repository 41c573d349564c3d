"""The analyst API: permission matrix (route x role x session/token), token
lifecycle, OpenAPI description, and that API calls answer what the pages do."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from review_ui.accounts.models import AuditEntry
from review_ui.analysis.models import ApiToken
from tests import test_analysis_support as support
from tests.fixtures.review import PASSWORD
from tests.test_analysis_support import network_ad_ids

demo_home = support.demo_home
demo_store = support.demo_store

pytestmark = pytest.mark.django_db

ALLOWED = {"officer": 200, "analyst": 200, "admin": 200, "operator": 403, "norole": 403}


@pytest.fixture
def routes(demo_store):
    net = max(demo_store.truth["networks"], key=lambda n: len(n["members"]))
    ad_id = network_ad_ids(demo_store, net)[0]
    cluster_id = demo_store.store.get_ad(ad_id)["cluster_id"]
    return [
        "/analysis/api/search/?q=escort",
        f"/analysis/api/ads/{ad_id}/",
        "/analysis/api/clusters/?sort=n_cities",
        f"/analysis/api/clusters/{cluster_id}/",
        "/analysis/api/lookup/?q=06-12345678",
    ]


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_permission_matrix_with_session_and_token(client, role_users, routes, role):
    user = role_users[role]
    _token, raw = ApiToken.create_for(user, "test")
    for route in routes:
        assert client.get(route).status_code == 401, route  # anonymous
        assert client.get(route, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
        response = client.get(route, HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == ALLOWED[role], (route, role)
        assert response["Content-Type"] == "application/json"
    client.login(username=f"{role}1", password=PASSWORD)
    for route in routes:
        assert client.get(route).status_code == ALLOWED[role], (route, role)


def test_revoked_token_and_inactive_user_are_refused(client, role_users, routes):
    token, raw = ApiToken.create_for(role_users["analyst"], "test")
    assert client.get(routes[0], HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    client.login(username="analyst1", password=PASSWORD)
    client.post(f"/analysis/tokens/{token.pk}/revoke/")
    client.logout()
    assert client.get(routes[0], HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    _t2, raw2 = ApiToken.create_for(role_users["analyst"], "second")
    role_users["analyst"].is_active = False
    role_users["analyst"].save()
    assert client.get(routes[0], HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401


def test_tokens_are_stored_hashed_and_shown_once(client, role_users):
    client.login(username="analyst1", password=PASSWORD)
    response = client.post("/analysis/tokens/", {"name": "notebook"})
    raw = response.context["new_token"]
    assert raw.startswith("adscan_")
    token = ApiToken.objects.get(user=role_users["analyst"])
    assert raw not in (token.key_hash, token.prefix) and token.key_hash != raw
    assert raw not in client.get("/analysis/tokens/").content.decode()


def test_token_command(role_users):
    out = io.StringIO()
    call_command("token", "create", "analyst1", "--name", "cli", stdout=out)
    raw = out.getvalue().strip()
    assert ApiToken.objects.get(name="cli").key_hash != raw
    with pytest.raises(CommandError, match="does not exist"):
        call_command("token", "create", "nobody")
    with pytest.raises(CommandError, match="no role"):
        call_command("token", "create", "operator1")


def test_api_answers_match_the_store_and_are_audited(client, role_users, demo_store):
    _token, raw = ApiToken.create_for(role_users["analyst"], "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    net = next(n for n in demo_store.truth["networks"] if n["phones"])
    phone = net["phones"][0]
    national = "0" + phone[3:] if phone.startswith("+31") else phone
    data = client.get("/analysis/api/lookup/", {"q": national}, **auth).json()
    assert set(network_ad_ids(demo_store, net)) <= set(data["ad_ids"])
    assert data["understood_as"] == [{"kind": "phone", "key": phone}]
    entry = AuditEntry.objects.filter(action="lookup").latest("id")
    assert entry.username == "analyst1" and entry.details["api"] is True
    # Search pages through the whole result with the cursor.
    seen, after = [], None
    while True:
        params = {"size": 7, **({"after": after} if after else {})}
        page = client.get("/analysis/api/search/", params, **auth).json()
        seen += [h["ad_id"] for h in page["hits"]]
        after = page["next"]
        if not after:
            break
    assert len(seen) == len(set(seen)) == demo_store.store.stats()["ads"]
    ad = client.get(f"/analysis/api/ads/{seen[0]}/", **auth).json()
    assert ad["ad"]["ad_id"] == seen[0] and len(ad["versions"]) >= 1
    assert client.get("/analysis/api/ads/nope/", **auth).status_code == 404
    clusters = client.get("/analysis/api/clusters/", {"sort": "size"}, **auth).json()["clusters"]
    assert [c["size"] for c in clusters] == sorted((c["size"] for c in clusters), reverse=True)
    assert client.get("/analysis/api/clusters/", {"sort": "bogus"}, **auth).status_code == 400
    cluster = client.get(f"/analysis/api/clusters/{clusters[0]['cluster_id']}/", **auth).json()
    assert len(cluster["members"]) == clusters[0]["size"]
    assert AuditEntry.objects.filter(action="view_cluster", details__api=True).exists()


def test_photo_lookup_by_api(client, role_users, demo_store):
    _token, raw = ApiToken.create_for(role_users["analyst"], "t")
    net = next(n for n in demo_store.truth["networks"] if n["photos"])
    sha = net["photos"][0]
    data = (demo_store.image_dir / sha[:2] / sha[2:4] / sha).read_bytes()
    response = client.post(
        "/analysis/api/lookup/photo/",
        data=data,
        content_type="image/png",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200
    assert response.json()["sha256"] == sha
    assert response.json()["ad_ids"]
    assert (
        client.post("/analysis/api/lookup/photo/", data=data, content_type="image/png").status_code
        == 401
    )
    assert client.get("/analysis/api/lookup/photo/").status_code == 405


def test_openapi_describes_every_api_route(client, routes):
    from django.urls import resolve

    doc = client.get("/analysis/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path in doc["paths"]:
        concrete = path.replace("{ad_id}", "x").replace("{cluster_id}", "x")
        match = resolve("/analysis/api" + concrete)
        assert match.url_name.startswith("api_"), path
    described = {resolve(r.split("?")[0]).url_name for r in routes}
    in_doc = {
        resolve("/analysis/api" + p.replace("{ad_id}", "x").replace("{cluster_id}", "x")).url_name
        for p in doc["paths"]
    }
    assert described <= in_doc


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_page_permission_matrix(client, role_users, routes, demo_store, role):
    cluster_id = routes[3].split("/")[-2]
    pages = [
        "/analysis/",
        "/analysis/?q=escort",
        "/analysis/lookup/?identifier=0612345678",
        "/analysis/clusters/",
        f"/analysis/clusters/{cluster_id}/",
        "/analysis/trends/",
        "/analysis/trends/top_cities.csv",
        "/analysis/exports/",
        "/analysis/tokens/",
    ]
    for page in pages:
        assert client.get(page).status_code == 302, page
    client.login(username=f"{role}1", password=PASSWORD)
    for page in pages:
        assert client.get(page).status_code == ALLOWED[role], (page, role)
    if ALLOWED[role] == 200:
        nav = client.get("/analysis/").content.decode()
        for link in ("/analysis/clusters/", "/analysis/trends/", "/analysis/exports/"):
            assert f'href="{link}"' in nav
