"""Site profile validation: errors name the file, the key and the bad value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.exceptions import ProfileError
from crawler.profiles import PROFILE_DIR, find_profile, load_profile
from tests.test_crawl_support import PROFILE_YAML


def _base() -> dict:
    return yaml.safe_load(PROFILE_YAML.format(name="demo-velvet", base_url="http://127.0.0.1:8401"))


def _write(tmp_path: Path, data: dict, name: str = "demo-velvet.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_valid_profile_loads_with_its_selectors(tmp_path):
    prof = load_profile(_write(tmp_path, _base()))
    assert prof.name == "demo-velvet"
    assert prof.absolute_start_urls() == ["http://127.0.0.1:8401/listings?page=1"]
    assert prof.ad["photos"].many is True
    assert prof.ad["text"].join == "\n"
    assert prof.politeness.download_delay == 0 and prof.politeness.concurrency == 8
    assert prof.with_base_url("http://127.0.0.1:9999/").base_url == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["ad"].__setitem__("title", 42),
            "demo-velvet.yaml: key 'ad.title' has value 42; expected a selector mapping with 'css' or 'xpath'",
        ),
        (
            lambda d: d["ad"].__setitem__("title", {"css": "h1", "xpath": "//h1"}),
            "key 'ad.title' has value {'css': 'h1', 'xpath': '//h1'}",
        ),
        (
            lambda d: d["ad"].__setitem__("title", {"css": "h1[[["}),
            "key 'ad.title.css' has value 'h1[[['",
        ),
        (
            lambda d: d["ad"].__setitem__("title", {"xpath": "//h1[", "regex": "x"}),
            "key 'ad.title.xpath'",
        ),
        (
            lambda d: d["ad"].__setitem__("date", {"css": "time", "regex": "(unclosed"}),
            "key 'ad.date.regex' has value '(unclosed'",
        ),
        (
            lambda d: d["ad"].__setitem__("photos", {"css": "img", "many": "yes"}),
            "key 'ad.photos.many' has value 'yes'; expected true or false",
        ),
        (lambda d: d["ad"].__setitem__("colour", {"css": "x"}), "key 'ad.colour'"),
        (lambda d: d["ad"].pop("text"), "key 'ad.text' has value None"),
        (lambda d: d["listing"].pop("item"), "key 'listing.item' has value None"),
        (
            lambda d: d.__setitem__("base_url", "localhost:8401"),
            "key 'base_url' has value 'localhost:8401'; expected an http(s) URL",
        ),
        (lambda d: d.__setitem__("start_urls", []), "key 'start_urls' has value []"),
        (lambda d: d.__setitem__("phone_region", "nl"), "key 'phone_region' has value 'nl'"),
        (lambda d: d.__setitem__("name", "Demo Velvet"), "key 'name' has value 'Demo Velvet'"),
        (
            lambda d: d.__setitem__("recrawl_after_hours", -1),
            "key 'recrawl_after_hours' has value -1",
        ),
        (lambda d: d.__setitem__("javascript", "no"), "key 'javascript' has value 'no'"),
        (
            lambda d: d.__setitem__("politeness", {"concurrency": 0}),
            "key 'politeness.concurrency' has value 0",
        ),
        (
            lambda d: d.__setitem__("politeness", {"obey_robots": False}),
            "key 'politeness.robots_reason' has value None; expected a stated reason",
        ),
        (
            lambda d: d.__setitem__(
                "login",
                {"url": "/login", "username_env": "hunter2", "password_env": "SITE_PASSWORD"},
            ),
            "key 'login.username_env' has value 'hunter2'; expected the NAME of an environment variable",
        ),
        (
            lambda d: d.__setitem__("spider", "x"),
            "key 'spider' has value 'x'; expected no such key",
        ),
    ],
)
def test_invalid_profiles_name_file_key_and_value(tmp_path, change, message):
    data = _base()
    change(data)
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, data))
    assert message in str(err.value)
    assert str(err.value).startswith("demo-velvet.yaml: ")


def test_robots_may_be_ignored_only_with_a_reason(tmp_path):
    data = _base()
    data["politeness"] = {
        "obey_robots": False,
        "robots_reason": "Our own test server; robots.txt is absent.",
    }
    assert load_profile(_write(tmp_path, data)).politeness.obey_robots is False


def test_broken_yaml_and_missing_file_are_reported(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"broken.yaml: not valid YAML"):
        load_profile(bad)
    with pytest.raises(ProfileError, match=r"does not exist"):
        load_profile(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"list.yaml: the file holds list"):
        load_profile(tmp_path / "list.yaml")


def test_find_profile_by_file_name_or_declared_name(tmp_path):
    _write(tmp_path, _base(), name="velvet-file.yaml")
    assert find_profile("velvet-file", extra_dirs=[tmp_path]).name == "velvet-file.yaml"
    assert find_profile("demo-velvet", extra_dirs=[tmp_path]).parent == tmp_path or find_profile(
        "demo-velvet", extra_dirs=[tmp_path]
    ).name.startswith("demo-velvet")
    with pytest.raises(ProfileError, match=r"No profile for source 'no-such-site'"):
        find_profile("no-such-site", extra_dirs=[tmp_path])


@pytest.mark.parametrize("path", sorted(PROFILE_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_profile_is_valid(path):
    prof = load_profile(path)
    assert path.stem == prof.name
