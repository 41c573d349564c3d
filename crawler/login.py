"""Form login for sources behind an account; the credentials come from environment variables.

The spider logs in before its first listing request, through the downloader
only (never the scheduler, so the form body is never written to a JOBDIR),
and the session cookie does the rest. Nothing here logs or stores the
password: every failure is a one-sentence reason that names the environment
variables, never their values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urljoin

from form2request import form2request
from scrapy.http import Request, Response, TextResponse

from crawler.profiles import LoginSettings


class LoginFailed(Exception):
    """The login did not work; ``str(exc)`` is the reason, safe to log and show."""


def credentials(login: LoginSettings, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(user name, password) from the environment variables the profile names."""
    env = os.environ if environ is None else environ
    missing = [name for name in (login.username_env, login.password_env) if not env.get(name)]
    if missing:
        names = " and ".join(missing)
        noun = "variable" if len(missing) == 1 else "variables"
        verb = "is" if len(missing) == 1 else "are"
        raise LoginFailed(
            f"login_failed: environment {noun} {names} {verb} not set; set "
            f"{login.username_env} and {login.password_env} to the site account's "
            "user name and password and run the crawl again"
        )
    return env[login.username_env], env[login.password_env]


def login_url(base_url: str, login: LoginSettings) -> str:
    return urljoin(base_url.rstrip("/") + "/", login.url)


def is_login_form(response: Response, login: LoginSettings) -> bool:
    """True when the page asks for the password (a login page, or the session ran out)."""
    if not isinstance(response, TextResponse):
        return False
    return bool(response.xpath(_password_input_xpath(login)))


def _password_input_xpath(login: LoginSettings) -> str:
    name = login.password_field.replace('"', "")
    return f'//form//input[@name="{name}"]'


def form_request(response: Response, login: LoginSettings, user: str, password: str) -> Request:
    """The POST that submits the site's login form (its hidden fields included)."""
    if not isinstance(response, TextResponse) or response.status >= 400:
        raise LoginFailed(
            f"login_failed: the login page {response.url} answered HTTP {response.status}; "
            "check login.url in the profile"
        )
    form_xpath = f"{_password_input_xpath(login)}/ancestor::form[1]"
    if not response.xpath(form_xpath):
        raise LoginFailed(
            f"login_failed: no form with a field named '{login.password_field}' on "
            f"{response.url}; check login.password_field in the profile"
        )
    form = form2request(
        response.xpath(form_xpath)[0],
        {login.username_field: user, login.password_field: password},
    )
    if form.method != "POST":
        # A GET form would put the password in the URL, and so in logs and archives.
        raise LoginFailed(
            f"login_failed: the login form on {response.url} sends credentials with "
            f"{form.method}, which would put the password in the URL; adscan only logs in "
            "with POST"
        )
    return form.to_scrapy(callback=None, dont_filter=True)


def check_logged_in(response: Response, login: LoginSettings) -> None:
    """Raise :class:`LoginFailed` unless the page after the form post shows a session."""
    refused = (
        f"login_failed: the site refused the credentials in {login.username_env} and "
        f"{login.password_env}"
    )
    if response.status >= 400:
        raise LoginFailed(f"{refused} (HTTP {response.status}); check them")
    if not isinstance(response, TextResponse):
        raise LoginFailed(f"{refused} (the answer was not a web page); check them")
    if login.success_css:
        if not response.css(login.success_css):
            raise LoginFailed(
                f"{refused} (no '{login.success_css}' on the page after login); check them"
            )
    elif is_login_form(response, login):
        raise LoginFailed(f"{refused} (the login form came back); check them")
