"""Dutch is the default and complete; English is chosen by the browser or the user."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

import review_ui

pytestmark = pytest.mark.django_db

LOCALE = Path(review_ui.__file__).parent / "locale"


def po_entries(path: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstrs, fuzzy) of every entry but the header."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if "msgid" not in block:
            continue
        strings: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                strings[key] = match.group(2)
            elif line.startswith('"') and key:
                strings[key] += line[1:-1]
        msgid = (
            strings.get("msgid", "").encode().decode("unicode_escape").encode("latin-1").decode()
        )
        if not msgid:
            continue
        msgstrs = [v for k, v in strings.items() if k.startswith("msgstr")]
        entries.append((msgid, msgstrs, "#, fuzzy" in block))
    return entries


def test_dutch_catalogue_is_complete_and_compiled():
    po = LOCALE / "nl" / "LC_MESSAGES" / "django.po"
    entries = po_entries(po)
    assert len(entries) > 150
    assert not [m for m, strs, fuzzy in entries if fuzzy or not all(strs)]
    with translation.override("nl"):
        for msgid, _strs, _fuzzy in entries:
            if "%(counter)s" not in msgid:
                assert translation.gettext(msgid) == _strs[0].replace('\\"', '"'), msgid


def test_dutch_is_the_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="nl"' in html and "Inloggen bij adscan" in html


def test_browser_language_english(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert 'lang="en"' in html and "Log in to adscan" in html


def test_user_switches_language(client, role_users, sample_market):
    client.force_login(role_users["officer"])
    assert "Werkvoorraad" in client.get("/").content.decode()
    response = client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "Review queue" in html and "Werkvoorraad" not in html


TRANSLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(?:"([^"]+)"|'([^']+)')""")


def test_every_template_string_has_dutch():
    """A string marked in any template but missing from the Dutch catalogue
    fails here. Fix: cd review_ui && adscan makemessages -l nl -l en
    --ignore 'static/*' --no-location, translate, adscan compilemessages."""
    known = {
        msgid for msgid, _strs, _fuzzy in po_entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    }
    root = Path(review_ui.__file__).parent
    missing = []
    for template in sorted(root.rglob("templates/**/*.html")):
        for match in TRANSLATE_TAG.finditer(template.read_text(encoding="utf-8")):
            msgid = match.group(1) or match.group(2)
            if msgid not in known:
                missing.append(f"{template.relative_to(root)}: {msgid!r}")
    assert not missing, "\n".join(missing)
