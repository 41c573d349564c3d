"""Operator pages: who may see and change what, forms with errors on the field,
and the audit log of every change."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from review_ui.accounts.models import AuditEntry
from review_ui.accounts.roles import ensure_groups
from review_ui.operations.choices import RunState
from review_ui.operations.models import CrawlRun, Source

DATA = Path(__file__).parent / "data" / "operations"
PROFILE = (DATA / "fake.yaml").read_text()
ROLES = [None, "officer", "analyst", "operator", "admin"]

pytestmark = pytest.mark.django_db


def login(client, role):
    # These tests read the English pages; test_review_i18n.py checks the Dutch ones.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    if role is None:
        return client
    ensure_groups()
    user = User.objects.create_user(f"u-{role}")  # no password: hashing is slow
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def demo(db):
    source = Source.objects.create(name="fake", profile_yaml=PROFILE, cron="0 3 * * *")
    now = timezone.now()
    run = CrawlRun.objects.create(
        source=source, run_id="fake-1", state=RunState.SUCCEEDED, started=now, finished=now,
        duration_seconds=61.5, pages=12, new=7, changed=3, unchanged=30, gone=2, errors=1,
        dropped={"no_text": 4}, processing={"state": "succeeded", "summary": {"processed": 10}},
        log_tail="INFO: Spider closed (finished)",
    )  # fmt: skip
    return source, run


READ_ROUTES = [
    ("operations:sources", []),
    ("operations:source", ["fake"]),
    ("operations:runs", []),
    ("operations:run", ["fake-1"]),
    ("operations:health", []),
]
WRITE_GET_ROUTES = [("operations:source_add", []), ("operations:source_edit", ["fake"])]
POST_ROUTES = [
    ("operations:source_enable", ["fake"]),
    ("operations:source_disable", ["fake"]),
    ("operations:source_run", ["fake"]),
]
EXPECTED = {None: 302, "officer": 403, "analyst": 403, "operator": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, demo, role):
    login(client, role)
    for name, args in READ_ROUTES + WRITE_GET_ROUTES:
        response = client.get(reverse(name, args=args))
        assert response.status_code == EXPECTED[role], (name, role)
    for name, args in POST_ROUTES:
        response = client.post(reverse(name, args=args))
        expected = 302 if role in {None, "operator", "admin"} else 403
        assert response.status_code == expected, (name, role)
        if role is None:
            assert "/login" in response["Location"]
    changes = AuditEntry.objects.filter(action__startswith="source.")
    if role in {"operator", "admin"}:
        assert sorted(changes.values_list("action", flat=True)) == ["source.disable", "source.run"]
        assert CrawlRun.objects.filter(state=RunState.QUEUED, requested_by=f"u-{role}").count() == 1
    else:
        assert not changes.exists()
        assert not CrawlRun.objects.filter(state=RunState.QUEUED).exists()
        assert Source.objects.get(name="fake").enabled


def test_actions_need_post(client, demo):
    login(client, "operator")
    assert client.get(reverse("operations:source_run", args=["fake"])).status_code == 405


def test_unknown_source_and_run_are_404_with_the_noun(client, demo):
    login(client, "operator")
    response = client.get(reverse("operations:source", args=["nope"]))
    assert response.status_code == 404
    assert client.get(reverse("operations:run", args=["nope-1"])).status_code == 404


def test_sources_page_shows_the_schedule_in_words_and_next_run(client, demo):
    login(client, "operator")
    html = client.get(reverse("operations:sources")).content.decode()
    assert "every day at 03:00" in html
    assert "Europe/Amsterdam" in html
    assert ":00</td>" in html  # a next run time is shown
    assert "Run now" in html


def test_run_page_shows_figures_processing_and_log(client, demo):
    login(client, "operator")
    html = client.get(reverse("operations:run", args=["fake-1"])).content.decode()
    for text in ("<th>New</th><td>7</td>", "<th>Gone</th><td>2</td>", "Dropped: no_text</th><td>4",
                 "<dt>processed</dt><dd>10</dd>", "Spider closed"):  # fmt: skip
        assert text in html
    assert "61,5 s" in html or "61.5 s" in html  # the decimal sign follows the language


def test_add_a_source_from_a_profile_validates_and_audits(client, db):
    login(client, "operator")
    data = {
        "name": "", "profile_yaml": PROFILE, "schedule_kind": "cron", "cron": "30 9 * * 1",
        "timezone": "Europe/Amsterdam", "enabled": "on", "time_limit_seconds": 600, "max_retries": 1,
    }  # fmt: skip
    response = client.post(reverse("operations:source_add"), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    source = Source.objects.get()
    assert source.name == "fake"  # named after its profile
    assert source.schedule_in_words == "every Monday at 09:30"
    entry = AuditEntry.objects.get(action="source.create")
    assert entry.username == "u-operator" and entry.target_id == "fake"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"cron": "0 3 * *"}, "cron", "has 4 fields; expected five"),
        ({"cron": "0 3 * * 9"}, "cron", "Weekday field &#x27;9&#x27; is not valid"),
        ({"timezone": "Mars/Base"}, "timezone", "Time zone &#x27;Mars/Base&#x27; is unknown"),
        (
            {"schedule_kind": "interval", "interval_minutes": ""},
            "interval_minutes",
            "interval in minutes",
        ),
        ({"profile_yaml": PROFILE.replace("start_urls", "start_url")}, "profile_yaml", "start_url"),
        ({"profile_yaml": "name: [unclosed"}, "profile_yaml", "not valid YAML"),
        ({"profile_yaml": ""}, "profile_path", "Choose a site profile"),
        ({"name": "other"}, "name", "is for source &#x27;fake&#x27;"),
    ],
)
def test_form_errors_are_on_the_field(client, db, change, field, message):
    login(client, "operator")
    data = {
        "name": "fake", "profile_yaml": PROFILE, "schedule_kind": "cron", "cron": "0 3 * * *",
        "timezone": "Europe/Amsterdam", "time_limit_seconds": 600, "max_retries": 1, **change,
    }  # fmt: skip
    response = client.post(reverse("operations:source_add"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    html = response.content.decode()
    block = html[html.index(f'id="field-{field}"') :]
    block = block[: block.index("</div>")]
    assert message in block
    assert not Source.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="source.").exists()


def test_edit_records_what_changed(client, demo):
    login(client, "admin")
    source, _ = demo
    data = {
        "name": "fake", "profile_yaml": PROFILE, "schedule_kind": "interval", "interval_minutes": 120,
        "cron": "0 3 * * *", "timezone": "Europe/Amsterdam", "enabled": "on",
        "time_limit_seconds": 3600, "max_retries": 2,
    }  # fmt: skip
    response = client.post(reverse("operations:source_edit", args=["fake"]), data)
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.schedule_in_words == "every 2 hours"
    entry = AuditEntry.objects.get(action="source.update")
    assert entry.details["changed"] == {
        "schedule_kind": ["cron", "interval"],
        "interval_minutes": [None, 120],
    }


def test_health_page_reports_scheduler_and_last_success(client, demo):
    login(client, "operator")
    html = client.get(reverse("operations:health")).content.decode()
    assert "not running" in html and "adscan scheduler" in html
    assert reverse("operations:run", args=["fake-1"]) in html  # last successful run linked
