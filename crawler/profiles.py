"""Site profiles: the YAML files that describe an ordinary ad site to the generic spider.

:func:`load_profile` reads and validates one file; every error names the file,
the key and the bad value. :func:`find_profile` finds a profile by source name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from parsel import Selector as ParselSelector

from crawler.exceptions import ProfileError

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SELECTOR_KEYS = {"css", "xpath", "regex", "join", "many"}
_LISTING_KEYS = {"item", "ad_link", "site_ad_id", "updated", "next_page"}
_AD_KEYS = {"site_ad_id", "title", "text", "date", "city", "price", "phone", "photos"}
_POLITENESS_KEYS = {"download_delay", "concurrency", "obey_robots", "robots_reason"}
_LOGIN_KEYS = {
    "url",
    "username_env",
    "password_env",
    "username_field",
    "password_field",
    "success_css",
}
_TOP_KEYS = {
    "name",
    "description",
    "base_url",
    "start_urls",
    "phone_region",
    "listing",
    "ad",
    "politeness",
    "recrawl_after_hours",
    "javascript",
    "login",
    "user_agent",
}


@dataclass(frozen=True)
class FieldSelector:
    """One field's selector: CSS or XPath, an optional regex (first group), join, many."""

    css: str | None = None
    xpath: str | None = None
    regex: str | None = None
    join: str | None = None
    many: bool = False

    def extract(self, node: Any) -> str | list[str] | None:
        """Apply to a parsel Selector/Response; a list when ``many``, else a string or None."""
        found = node.css(self.css) if self.css is not None else node.xpath(self.xpath)
        values = [v for v in found.getall() if v is not None]
        if self.regex:
            pattern = re.compile(self.regex, re.S)
            matched = []
            for value in values:
                m = pattern.search(value)
                if m:
                    matched.append(m.group(1) if m.groups() else m.group(0))
            values = matched
        if self.many:
            return [v.strip() for v in values if v.strip()]
        if self.join is not None:
            lines = [" ".join(v.split()) for v in values]
            text = self.join.join(line for line in lines if line)
            return text or None
        for value in values:
            if value.strip():
                return value.strip()
        return None


@dataclass(frozen=True)
class Politeness:
    download_delay: float = 0.5
    concurrency: int = 4
    obey_robots: bool = True
    robots_reason: str | None = None


@dataclass(frozen=True)
class LoginSettings:
    """Form login; the credentials come from the environment variables named here."""

    url: str
    username_env: str
    password_env: str
    username_field: str = "username"
    password_field: str = "password"
    success_css: str | None = None


@dataclass(frozen=True)
class SiteProfile:
    """A validated site profile (see ``crawler/profiles/*.yaml``)."""

    name: str
    base_url: str
    start_urls: tuple[str, ...]
    listing: dict[str, FieldSelector]
    ad: dict[str, FieldSelector]
    phone_region: str = "NL"
    description: str = ""
    politeness: Politeness = field(default_factory=Politeness)
    recrawl_after_hours: float = 24.0
    javascript: bool = False
    login: LoginSettings | None = None
    user_agent: str | None = None
    path: Path | None = None

    def with_base_url(self, base_url: str | None) -> SiteProfile:
        """The same profile pointed at another host (a test server, a mirror)."""
        if not base_url:
            return self
        from dataclasses import replace

        return replace(self, base_url=_check_base_url(self._fname, "base_url", base_url))

    @property
    def _fname(self) -> str:
        return self.path.name if self.path else f"profile '{self.name}'"

    def absolute_start_urls(self) -> list[str]:
        from urllib.parse import urljoin

        return [urljoin(self.base_url.rstrip("/") + "/", u) for u in self.start_urls]


def _fail(fname: str, key: str, value: Any, expected: str) -> ProfileError:
    return ProfileError(f"{fname}: key '{key}' has value {value!r}; expected {expected}")


def _check_base_url(fname: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value):
        raise _fail(fname, key, value, "an http(s) URL such as http://127.0.0.1:8401")
    return value.rstrip("/")


def _selector(fname: str, key: str, value: Any) -> FieldSelector:
    expected = "a selector mapping with 'css' or 'xpath'"
    if not isinstance(value, dict):
        raise _fail(fname, key, value, expected)
    unknown = set(value) - _SELECTOR_KEYS
    if unknown:
        bad = sorted(unknown)[0]
        raise _fail(
            fname, f"{key}.{bad}", value[bad], f"no such key (allowed: {sorted(_SELECTOR_KEYS)})"
        )
    has = [k for k in ("css", "xpath") if k in value]
    if len(has) != 1:
        raise _fail(fname, key, value, f"{expected} (exactly one of them)")
    kind = has[0]
    expr = value[kind]
    if not isinstance(expr, str) or not expr.strip():
        raise _fail(fname, f"{key}.{kind}", expr, f"a non-empty {kind.upper()} expression")
    try:
        probe = ParselSelector(text="<html></html>")
        probe.css(expr) if kind == "css" else probe.xpath(expr)
    except Exception as exc:  # parsel raises several types for bad expressions
        raise _fail(
            fname, f"{key}.{kind}", expr, f"a valid {kind.upper()} expression ({exc})"
        ) from None
    regex = value.get("regex")
    if regex is not None:
        if not isinstance(regex, str):
            raise _fail(fname, f"{key}.regex", regex, "a regular expression string")
        try:
            re.compile(regex)
        except re.error as exc:
            raise _fail(
                fname, f"{key}.regex", regex, f"a valid regular expression ({exc})"
            ) from None
    join = value.get("join")
    if join is not None and not isinstance(join, str):
        raise _fail(fname, f"{key}.join", join, "a string to join the matches with")
    many = value.get("many", False)
    if not isinstance(many, bool):
        raise _fail(fname, f"{key}.many", many, "true or false")
    return FieldSelector(
        css=expr if kind == "css" else None,
        xpath=expr if kind == "xpath" else None,
        regex=regex,
        join=join,
        many=many,
    )


def _selectors(
    fname: str, section: str, value: Any, allowed: set[str], required: Iterable[str]
) -> dict[str, FieldSelector]:
    if not isinstance(value, dict):
        raise _fail(fname, section, value, f"a mapping with keys {sorted(allowed)}")
    for key in required:
        if value.get(key) is None:
            raise _fail(
                fname,
                f"{section}.{key}",
                value.get(key),
                "a selector mapping with 'css' or 'xpath' (required)",
            )
    out = {}
    for key, sel in value.items():
        if key not in allowed:
            raise _fail(fname, f"{section}.{key}", sel, f"no such key (allowed: {sorted(allowed)})")
        if sel is None:
            continue
        out[key] = _selector(fname, f"{section}.{key}", sel)
    return out


def _number(fname: str, key: str, value: Any, minimum: float, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        what = "a whole number" if integer else "a number"
        raise _fail(fname, key, value, f"{what} >= {minimum}")
    return value


def _bool(fname: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(fname, key, value, "true or false")
    return value


def parse_profile(data: Any, fname: str, path: Path | None = None) -> SiteProfile:
    """Validate a profile mapping (already parsed from YAML) and build a :class:`SiteProfile`."""
    if not isinstance(data, dict):
        raise ProfileError(
            f"{fname}: the file holds {type(data).__name__}; expected a mapping of profile keys"
        )
    for key in data:
        if key not in _TOP_KEYS:
            raise _fail(fname, str(key), data[key], f"no such key (allowed: {sorted(_TOP_KEYS)})")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _fail(fname, "name", name, "a source name of lower-case letters, digits, '-' or '_'")
    base_url = _check_base_url(fname, "base_url", data.get("base_url"))
    start_urls = data.get("start_urls")
    if (
        not isinstance(start_urls, list)
        or not start_urls
        or not all(isinstance(u, str) and u.strip() for u in start_urls)
    ):
        raise _fail(
            fname, "start_urls", start_urls, "a non-empty list of URLs (relative to base_url)"
        )
    region = data.get("phone_region", "NL")
    if not isinstance(region, str) or not re.match(r"^[A-Z]{2}$", region):
        raise _fail(fname, "phone_region", region, "a two-letter ISO region such as NL or US")
    listing = _selectors(fname, "listing", data.get("listing"), _LISTING_KEYS, ("item", "ad_link"))
    ad = _selectors(fname, "ad", data.get("ad"), _AD_KEYS, ("title", "text"))
    pol_data = data.get("politeness") or {}
    if not isinstance(pol_data, dict):
        raise _fail(
            fname, "politeness", pol_data, f"a mapping with keys {sorted(_POLITENESS_KEYS)}"
        )
    for key in pol_data:
        if key not in _POLITENESS_KEYS:
            raise _fail(
                fname,
                f"politeness.{key}",
                pol_data[key],
                f"no such key (allowed: {sorted(_POLITENESS_KEYS)})",
            )
    defaults = Politeness()
    obey = _bool(fname, "politeness.obey_robots", pol_data.get("obey_robots", defaults.obey_robots))
    reason = pol_data.get("robots_reason")
    if not obey and (not isinstance(reason, str) or len(reason.strip()) < 10):
        raise _fail(
            fname,
            "politeness.robots_reason",
            reason,
            "a stated reason (a sentence) because politeness.obey_robots is false",
        )
    politeness = Politeness(
        download_delay=float(
            _number(
                fname,
                "politeness.download_delay",
                pol_data.get("download_delay", defaults.download_delay),
                0,
            )
        ),
        concurrency=_number(
            fname,
            "politeness.concurrency",
            pol_data.get("concurrency", defaults.concurrency),
            1,
            integer=True,
        ),
        obey_robots=obey,
        robots_reason=reason,
    )
    login = None
    login_data = data.get("login")
    if login_data is not None:
        if not isinstance(login_data, dict):
            raise _fail(
                fname, "login", login_data, f"null or a mapping with keys {sorted(_LOGIN_KEYS)}"
            )
        for key in login_data:
            if key not in _LOGIN_KEYS:
                raise _fail(
                    fname,
                    f"login.{key}",
                    login_data[key],
                    f"no such key (allowed: {sorted(_LOGIN_KEYS)})",
                )
        for key in ("url", "username_env", "password_env"):
            if not isinstance(login_data.get(key), str) or not login_data[key].strip():
                raise _fail(fname, f"login.{key}", login_data.get(key), "a non-empty string")
        for key in ("username_env", "password_env"):
            if not re.match(r"^[A-Z_][A-Z0-9_]*$", login_data[key]):
                raise _fail(
                    fname,
                    f"login.{key}",
                    login_data[key],
                    "the NAME of an environment variable (credentials never go in a profile)",
                )
        login = LoginSettings(**login_data)
    ua = data.get("user_agent")
    if ua is not None and (not isinstance(ua, str) or not ua.strip()):
        raise _fail(fname, "user_agent", ua, "null or a user agent string")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise _fail(fname, "description", description, "a string")
    return SiteProfile(
        name=name,
        description=description,
        base_url=base_url,
        start_urls=tuple(start_urls),
        phone_region=region,
        listing=listing,
        ad=ad,
        politeness=politeness,
        recrawl_after_hours=float(
            _number(fname, "recrawl_after_hours", data.get("recrawl_after_hours", 24), 0)
        ),
        javascript=_bool(fname, "javascript", data.get("javascript", False)),
        login=login,
        user_agent=ua,
        path=path,
    )


def load_profile(path: str | os.PathLike[str]) -> SiteProfile:
    """Read and validate one profile file; raises :class:`ProfileError` naming file, key and value."""
    p = Path(path)
    fname = p.name
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"Profile file '{p}' does not exist; check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"Profile file '{p}' cannot be read ({exc}).") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{fname}: not valid YAML ({exc}); fix the file.") from None
    return parse_profile(data, fname, path=p.resolve())


def profile_dirs(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Where profiles are looked for: ``extra_dirs``, ``ADSCAN_CRAWL_PROFILE_DIRS`` (``:``-separated), then ours."""
    dirs = [Path(d) for d in extra_dirs]
    env = os.environ.get("ADSCAN_CRAWL_PROFILE_DIRS", "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d]
    dirs.append(PROFILE_DIR)
    return dirs


def find_profile(name: str, extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Path of the profile of source ``name`` (``<name>.yaml``, or a file whose ``name:`` matches)."""
    dirs = profile_dirs(extra_dirs)
    for d in dirs:
        for suffix in (".yaml", ".yml"):
            candidate = d / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    for d in dirs:
        for candidate in sorted(d.glob("*.y*ml")) if d.is_dir() else []:
            try:
                data = yaml.safe_load(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(data, dict) and data.get("name") == name:
                return candidate
    known = sorted(n for n, _ in iter_profile_paths(extra_dirs))
    raise ProfileError(
        f"No profile for source '{name}'; known sources: {', '.join(known) or 'none'}. "
        "Add crawler/profiles/<name>.yaml or pass --profile FILE.yaml."
    )


def iter_profile_paths(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> list[tuple[str, Path]]:
    """(source name, path) of every profile file in the profile directories."""
    out = []
    for d in profile_dirs(extra_dirs):
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.y*ml")):
            out.append((path.stem, path))
    return out
