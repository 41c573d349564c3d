"""Dutch is the default and complete; English is chosen by the browser or the user."""

from __future__ import annotations

import ast
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


GETTEXT_CALL = re.compile(r"\b(?:n?gettext)\((u?'(?:\\.|[^'\\])*')")
PY_MARKERS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
# Words that stay as they are in every language.
UNTRANSLATED_WORDS = {"adscan", "CSV", "OpenAPI", "SHA-", "URL"}


def _catalogue() -> set[str]:
    return {m for m, _s, _f in po_entries(LOCALE / "nl" / "LC_MESSAGES" / "django.po")}


def _templates() -> list[Path]:
    return sorted(Path(review_ui.__file__).parent.rglob("templates/**/*.html"))


def template_msgids(source: str) -> list[str]:
    """The msgids of a template, found as makemessages finds them (translate,
    blocktranslate with its placeholders and plurals), without GNU gettext."""
    from django.utils.translation.template import templatize

    # The catalogue is keyed by the singular; its plurals are checked with it.
    return [ast.literal_eval(m.group(1)) for m in GETTEXT_CALL.finditer(templatize(source))]


def python_msgids(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            args = [a for a in node.args[:2] if isinstance(a, ast.Constant)]
            if name in PY_MARKERS and args and isinstance(args[0].value, str):
                out.append(args[0].value)
    return out


def test_every_template_string_has_dutch():
    """A string marked in any template (review, accounts, analysis, operations)
    but missing from the Dutch catalogue fails here. Fix: cd review_ui && adscan
    makemessages -l nl -l en --ignore 'static/*' --no-location, translate,
    adscan compilemessages."""
    known = _catalogue()
    root = Path(review_ui.__file__).parent
    missing, apps = [], set()
    for template in _templates():
        for msgid in template_msgids(template.read_text(encoding="utf-8")):
            apps.add(template.relative_to(root).parts[0])
            if msgid not in known:
                missing.append(f"{template.relative_to(root)}: {msgid!r}")
    assert not missing, "\n".join(missing)
    assert {"review", "accounts", "analysis", "operations", "templates"} <= apps


def test_every_python_string_has_dutch():
    known = _catalogue()
    root = Path(review_ui.__file__).parent
    missing, seen = [], 0
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for msgid in python_msgids(path):
            seen += 1
            if msgid not in known:
                missing.append(f"{path.relative_to(root)}: {msgid!r}")
    assert not missing, "\n".join(missing)
    assert seen > 150


def test_no_template_shows_unmarked_text():
    """Text between tags must be marked for translation (or be a name like CSV)."""
    unmarked = []
    for template in _templates():
        s = template.read_text(encoding="utf-8")
        s = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", "", s, flags=re.S)
        s = re.sub(r"\{%\s*blocktranslate.*?endblocktranslate\s*%\}", "", s, flags=re.S)
        s = re.sub(r"<(script|style|pre|code)\b.*?</\1>", "", s, flags=re.S)
        s = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<[^>]*>", "", s, flags=re.S)
        words = set(re.findall(r"[A-Za-z][A-Za-z'-]{2,}", s)) - UNTRANSLATED_WORDS
        if words:
            unmarked.append(f"{template.name}: {sorted(words)}")
    assert not unmarked, "\n".join(unmarked)


def test_operator_pages_in_dutch(client, db):
    from django.contrib.auth.models import Group, User

    from review_ui.accounts.roles import ensure_groups
    from review_ui.operations.models import CrawlRun, Source

    ensure_groups()
    user = User.objects.create_user("op-nl")
    user.groups.add(Group.objects.get(name="operator"))
    client.force_login(user)
    source = Source.objects.create(name="nl-site", profile_yaml="name: nl-site", cron="30 9 * * 1")
    CrawlRun.objects.create(source=source, run_id="nl-site-1", state="failed", trigger="manual")
    html = client.get("/operations/").content.decode()
    for text in ("Bronnen", "elke maandag om 09:30", "Nu uitvoeren", "Uitschakelen", "mislukt"):
        assert text in html, text
    assert "every Monday" not in html and "Run now" not in html
    html = client.get("/operations/runs/nl-site-1/").content.decode()
    assert "Crawlronde" in html and "nu uitvoeren" in html and "Nog geen logboek." in html
    english = client.get("/operations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "every Monday at 09:30" in english and "Run now" in english


@pytest.mark.parametrize(
    ("expr", "dutch"),
    [
        ("0 3 * * *", "elke dag om 03:00"),
        ("0 */2 * * *", "elke 2 uur"),
        ("0 7 * * 1,3,5", "elke maandag, woensdag en vrijdag om 07:00"),
        ("0 3 1 * *", "op dag 1 van elke maand om 03:00"),
        ("5 4 * 2 *", "cron 5 4 * 2 *"),
    ],
)
def test_schedules_in_dutch(expr, dutch):
    from review_ui.operations.describe import describe_cron, describe_schedule

    with translation.override("nl"):
        assert describe_schedule("cron", expr) == dutch
        assert describe_schedule("interval", interval_minutes=2880) == "elke 2 dagen"
    with translation.override("en"):
        assert describe_schedule("cron", expr) == describe_cron(expr)
