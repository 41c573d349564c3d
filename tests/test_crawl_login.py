"""Sources behind a login: credentials from environment variables, never in logs or archives.

The test site (ours, synthetic) has a login form with a hidden token; a POST
with the right user name and password sets a session cookie, and listing and
ad pages without that session redirect to the login form.
"""

from __future__ import annotations

import gzip
import secrets
from http.server import BaseHTTPRequestHandler
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core.management import CommandError, call_command

import index
from crawler.runner import run_crawl_subprocess
from tests.test_crawl_support import FAST, TinyMarket, TinySite, crawl_dirs, write_profile

USER_ENV, PASSWORD_ENV = "TINY_LOGIN_USER", "TINY_LOGIN_PASSWORD"
USER = "operator7"
#: Distinctive, so a leak anywhere is found by a plain byte search.
PASSWORD = "pw-" + secrets.token_hex(12)
WRONG_PASSWORD = "wrong-" + secrets.token_hex(12)
N_ADS = 5

LOGIN_BLOCK = f"""\
login:
  url: /login
  username_env: {USER_ENV}
  password_env: {PASSWORD_ENV}
  username_field: user
  password_field: pass
  success_css: a.logout
"""

_FORM = (
    b"<html><body><h1>Members only</h1>%s"
    b"<form method='post' action='/login'><input type='hidden' name='token' value='t0k'>"
    b"<input name='user'><input type='password' name='pass'><button>Log in</button></form>"
    b"</body></html>"
)


class LoginSite(TinySite):
    """A :class:`TinyMarket` whose listings and ads need the session cookie of a login."""

    def __init__(self, market: TinyMarket, ads_per_session: int | None = None):
        super().__init__(market)
        self.ads_per_session = ads_per_session
        self.ads_served = 0
        self.sessions: set[str] = set()
        self.login_posts: list[dict[str, list[str]]] = []

    def _session(self, h: BaseHTTPRequestHandler) -> str | None:
        for part in (h.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "sid" and value in self.sessions:
                return value
        return None

    def _redirect(self, h: BaseHTTPRequestHandler, to: str, cookie: str | None = None) -> None:
        h.send_response(302)
        h.send_header("Location", to)
        if cookie:
            h.send_header("Set-Cookie", f"sid={cookie}; Path=/; HttpOnly")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        if path == "/login" and h.command == "POST":
            length = int(h.headers.get("Content-Length") or 0)
            form = parse_qs(h.rfile.read(length).decode())
            self.login_posts.append(form)
            if (
                form.get("token") == ["t0k"]
                and form.get("user") == [USER]
                and form.get("pass") == [PASSWORD]
            ):
                sid = secrets.token_hex(8)
                self.sessions.add(sid)
                return self._redirect(h, "/listings?page=1", cookie=sid)
            return self.send(h, 200, _FORM % b"<p class='error'>Wrong user name or password</p>")
        if path == "/login":
            return self.send(h, 200, _FORM % b"")
        session = self._session(h) if path.startswith(("/listings", "/ad/")) else None
        if path.startswith(("/listings", "/ad/")) and session is None:
            return self._redirect(h, "/login")
        if path.startswith("/ad/") and self.ads_per_session is not None:
            with self._lock:
                self.ads_served += 1
                if self.ads_served > self.ads_per_session:
                    self.sessions.discard(session or "")
                    return self._redirect(h, "/login")
        return super().handle(h)

    def send(  # type: ignore[override]
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        # The success marker: every page of a logged-in visitor has a log-out link.
        if h.path != "/login" and ctype.startswith("text/html"):
            body = body.replace(b"<body>", b"<body><a class='logout' href='/logout'>Log out</a>", 1)
        TinySite.send(h, status, body, ctype, headers)


@pytest.fixture(scope="module")
def site():
    s = LoginSite(TinyMarket(n_ads=N_ADS)).start()
    yield s
    s.stop()


def _crawl(site: LoginSite, tmp_path: Path, env: dict[str, str], monkeypatch) -> dict[str, Any]:
    for name in (USER_ENV, PASSWORD_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    profile = write_profile(tmp_path, site.base_url, name="tiny-login")
    with open(profile, "a", encoding="utf-8") as fh:
        fh.write(LOGIN_BLOCK)
    dirs = crawl_dirs(tmp_path)
    log = tmp_path / "crawl.log"
    summary = run_crawl_subprocess(
        profile,
        settings={**FAST, "LOG_LEVEL": "DEBUG"},
        timeout=120,
        log_file=log,
        **dirs,
    )
    return {"summary": summary, "dirs": dirs, "log": log, "profile": profile}


def _all_bytes(tmp_path: Path) -> dict[str, bytes]:
    """Every file the crawl wrote (WARC files decompressed), by path."""
    out = {}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out[str(path)] = gzip.decompress(data) if path.name.endswith(".gz") else data
    return out


def test_login_with_credentials_from_the_environment(site, tmp_path, monkeypatch):
    run = _crawl(site, tmp_path, {USER_ENV: USER, PASSWORD_ENV: PASSWORD}, monkeypatch)
    summary = run["summary"]
    assert summary["finished_ok"], run["log"].read_text()[-2000:]
    assert summary["new"] == N_ADS and summary["dropped"] == {}
    assert site.login_posts[-1]["pass"] == [PASSWORD]  # the form really carried it
    store = index.open_store(run["dirs"]["store_url"])
    try:
        for site_id, truth in site.market.ads.items():
            ad = store.get_ad(index.make_ad_id("tiny-login", site_id))
            assert ad is not None and ad["title"] == truth["title"]
    finally:
        store.close()
    files = _all_bytes(tmp_path)
    assert any(p.endswith(".warc.gz") for p in files)
    assert any(p.endswith(".summary.json") for p in files)
    assert any(p.endswith("ads.db") for p in files)
    assert b"Overridden settings" in files[str(run["log"])]  # the DEBUG log is there
    for path, data in files.items():
        assert PASSWORD.encode() not in data, f"password leaked into {path}"


def test_missing_credentials_stop_the_crawl_with_one_sentence(site, tmp_path, monkeypatch):
    before = sum(site.ad_requests().values()) + site.requests["POST /login"]
    run = _crawl(site, tmp_path, {USER_ENV: USER}, monkeypatch)
    summary = run["summary"]
    assert not summary["finished_ok"] and summary["new"] == 0
    assert summary["finish_reason"] == (
        f"login_failed: environment variable {PASSWORD_ENV} is not set; set {USER_ENV} and "
        f"{PASSWORD_ENV} to the site account's user name and password and run the crawl again"
    )
    assert sum(site.ad_requests().values()) + site.requests["POST /login"] == before
    assert summary["finish_reason"] in run["log"].read_text()


def test_wrong_password_is_refused_without_leaking_it(site, tmp_path, monkeypatch):
    run = _crawl(site, tmp_path, {USER_ENV: USER, PASSWORD_ENV: WRONG_PASSWORD}, monkeypatch)
    summary = run["summary"]
    assert site.login_posts[-1]["pass"] == [WRONG_PASSWORD]
    assert not summary["finished_ok"] and summary["new"] == 0 and summary["ads_seen"] == 0
    assert summary["finish_reason"] == (
        f"login_failed: the site refused the credentials in {USER_ENV} and {PASSWORD_ENV} "
        "(no 'a.logout' on the page after login); check them"
    )
    for path, data in _all_bytes(tmp_path).items():
        assert WRONG_PASSWORD.encode() not in data, f"password leaked into {path}"


def test_crawl_command_reports_the_login_failure(site, tmp_path, monkeypatch, settings):
    settings.ADSCAN_INDEX_URL = f"sqlite:///{tmp_path / 'ads.db'}"
    settings.ADSCAN_ARCHIVE_DIR = tmp_path / "archive"
    settings.ADSCAN_IMAGE_DIR = tmp_path / "images"
    for name in (USER_ENV, PASSWORD_ENV):
        monkeypatch.delenv(name, raising=False)
    profile = write_profile(tmp_path, site.base_url, name="tiny-login")
    with open(profile, "a", encoding="utf-8") as fh:
        fh.write(LOGIN_BLOCK)
    with pytest.raises(CommandError) as err:
        call_command("crawl", "--profile", str(profile), stdout=StringIO())
    message = str(err.value)
    assert message == (
        f"The crawl of tiny-login could not log in: environment variables {USER_ENV} and "
        f"{PASSWORD_ENV} are not set; set {USER_ENV} and {PASSWORD_ENV} to the site account's "
        "user name and password and run the crawl again."
    )


def test_a_get_login_form_is_refused_before_anything_is_sent():
    from scrapy.http import HtmlResponse

    from crawler.login import LoginFailed, form_request
    from crawler.profiles import LoginSettings

    login = LoginSettings(url="/login", username_env=USER_ENV, password_env=PASSWORD_ENV)
    page = HtmlResponse(
        "http://127.0.0.1:9/login",
        body=b"<form action='/login'><input name='username'><input name='password'></form>",
    )
    with pytest.raises(LoginFailed) as err:
        form_request(page, login, USER, PASSWORD)
    assert str(err.value) == (
        "login_failed: the login form on http://127.0.0.1:9/login sends credentials with GET, "
        "which would put the password in the URL; adscan only logs in with POST"
    )
    no_form = HtmlResponse("http://127.0.0.1:9/login", body=b"<p>closed</p>")
    with pytest.raises(LoginFailed, match=r"no form with a field named 'password'"):
        form_request(no_form, login, USER, PASSWORD)
    post = HtmlResponse(
        "http://127.0.0.1:9/login",
        body=b"<form method=POST action='/in'><input name='password' type='password'></form>",
    )
    request = form_request(post, login, USER, PASSWORD)
    assert request.method == "POST" and request.url == "http://127.0.0.1:9/in"


def test_an_expired_session_drops_the_pages_behind_the_login(tmp_path, monkeypatch):
    expiring = LoginSite(TinyMarket(n_ads=N_ADS), ads_per_session=2).start()
    try:
        run = _crawl(expiring, tmp_path, {USER_ENV: USER, PASSWORD_ENV: PASSWORD}, monkeypatch)
    finally:
        expiring.stop()
    summary = run["summary"]
    assert summary["new"] == 2
    assert summary["dropped"] == {"login_required": N_ADS - 2}
    assert "Login form instead of content" in run["log"].read_text()
