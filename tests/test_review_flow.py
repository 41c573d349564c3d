"""The officer's decision flow against a real SQLite ad store."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from review_ui.accounts.models import AuditEntry
from review_ui.review import views
from review_ui.review.models import Assignment, ReviewDecision
from review_ui.review.sync import reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, role_users):
    client.force_login(role_users["officer"])
    return client


def queue_ids(response) -> list[str]:
    return [hit["ad_id"] for hit in response.context["hits"]]


def test_queue_lists_open_flagged_ads_by_risk(officer_client, sample_market):
    ids = sample_market.ids
    response = officer_client.get("/")
    assert response.status_code == 200
    assert queue_ids(response) == [ids["denhaag"], ids["hostile"], ids["rotterdam"], ids["utrecht"]]
    assert ids["old_unflagged"] not in queue_ids(response)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"city": "Rotterdam"}, ["rotterdam"]),
        ({"indicator_category": "age"}, ["denhaag"]),
        ({"ad_type": "massage"}, ["utrecht"]),
        ({"cluster_size_min": "3"}, ["denhaag", "hostile", "rotterdam"]),
        ({"date_from": "2026-11-21"}, ["utrecht"]),
        ({"date_to": "2026-11-20", "source": "sample-site"}, ["denhaag", "hostile", "rotterdam"]),
    ],
)
def test_queue_filters(officer_client, sample_market, params, expected):
    response = officer_client.get("/", params)
    assert response.status_code == 200
    assert queue_ids(response) == [sample_market.ids[n] for n in expected]


def test_queue_pages_with_opaque_cursor(officer_client, sample_market, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 3)
    first = officer_client.get("/")
    cursor = first.context["next_cursor"]
    assert cursor and "denhaag" not in cursor
    second = officer_client.get("/", {"after": cursor})
    assert queue_ids(second) == [sample_market.ids["utrecht"]]
    assert second.context["next_cursor"] is None
    # A forged cursor is ignored, not trusted.
    assert queue_ids(officer_client.get("/", {"after": "x" + cursor})) == queue_ids(first)


def test_escalate_stores_decision_mirrors_and_leaves_queue(
    officer_client, sample_market, role_users
):
    ad_id = sample_market.ids["rotterdam"]
    response = officer_client.post(
        reverse("review:decide", args=[ad_id]),
        {"decision": "escalate", "reason": "third_party_control", "note": "zelfde nummer"},
    )
    assert response.status_code == 302
    row = ReviewDecision.objects.get(ad_id=ad_id, current=True)
    assert (row.decision, row.reason, row.note, row.username, row.ad_version) == (
        "escalate",
        "third_party_control",
        "zelfde nummer",
        "officer1",
        1,
    )
    assert sample_market.store.get_ad(ad_id)["review_status"] == "escalated"
    assert ad_id not in queue_ids(officer_client.get("/"))
    assert ad_id in queue_ids(officer_client.get("/", {"review_status": "escalated"}))
    listed = officer_client.get(reverse("review:decisions"), {"decision": "escalate"})
    assert [row.ad_id for row, _ad in listed.context["rows"]] == [ad_id]
    entry = AuditEntry.objects.filter(action="decide", target_id=ad_id).get()
    assert entry.username == "officer1" and entry.details["decision"] == "escalate"


def test_decision_needs_a_reason_that_fits(officer_client, sample_market):
    ad_id = sample_market.ids["denhaag"]
    url = reverse("review:decide", args=[ad_id])
    officer_client.post(url, {"decision": "dismiss", "reason": ""})
    officer_client.post(url, {"decision": "dismiss", "reason": "possible_minor"})
    assert not ReviewDecision.objects.filter(ad_id=ad_id).exists()
    assert sample_market.store.get_ad(ad_id)["review_status"] == "open"


def test_bulk_decision_and_assignment(officer_client, sample_market, role_users):
    ids = sample_market.ids
    chosen = [ids["rotterdam"], ids["utrecht"]]
    officer_client.post(
        reverse("review:bulk"),
        {"action": "assign", "ad_ids": chosen, "officer": role_users["officer"].pk},
    )
    assert set(Assignment.objects.values_list("ad_id", flat=True)) == set(chosen)
    mine = officer_client.get(reverse("review:mine"))
    assert {h["ad_id"] for h in mine.context["hits"]} == set(chosen)
    officer_client.post(
        reverse("review:bulk"),
        {"action": "decide", "ad_ids": chosen, "decision": "dismiss", "reason": "no_indicators"},
    )
    assert ReviewDecision.objects.filter(current=True, decision="dismiss").count() == 2
    assert {a["review_status"] for a in sample_market.store.get_ads(chosen)} == {"dismissed"}
    assert queue_ids(officer_client.get("/")) == [ids["denhaag"], ids["hostile"]]
    assert AuditEntry.objects.filter(action="decide").count() == 2


def test_changed_dismissed_ad_comes_back_with_the_change(officer_client, sample_market):
    store, ad_id = sample_market.store, sample_market.ids["utrecht"]
    officer_client.post(
        reverse("review:decide", args=[ad_id]), {"decision": "dismiss", "reason": "no_indicators"}
    )
    ad = store.get_ad(ad_id)
    store.upsert_observations(
        [
            {
                "source": ad["source"],
                "site_ad_id": "utrecht",
                "url": ad["url"],
                "title": ad["title"],
                "text": "Massage door jonge dames. Nu ook met kamer boven de zaak.",
                "city": "Utrecht",
                "images": [],
                "observed_at": "2026-11-22T09:00:00Z",
            }
        ]
    )
    report = reconcile(store)
    assert report.reopened == [ad_id]
    assert store.get_ad(ad_id)["review_status"] == "open"
    assert ad_id in queue_ids(officer_client.get("/"))
    page = officer_client.get(reverse("review:ad", args=[ad_id]))
    change = page.context["changed_since_dismissal"]
    assert (change["from_version"], change["to_version"]) == (2, 3)
    assert any(k == "insert" and "kamer" in t for k, t in change["text_diff"])
    assert b'id="changed-since-dismissal"' in page.content
    # Reconciling again reopens nothing more.
    assert reconcile(store).reopened == []


def test_reconcile_command_reapplies_decisions(officer_client, sample_market, capsys):
    store, ids = sample_market.store, sample_market.ids
    officer_client.post(
        reverse("review:decide", args=[ids["denhaag"]]),
        {"decision": "escalate", "reason": "possible_minor"},
    )
    store.set_review_status([ids["denhaag"]], "open")  # the mirror got lost
    call_command("reconcile")
    assert store.get_ad(ids["denhaag"])["review_status"] == "escalated"
    assert "Re-applied 1 decisions" in capsys.readouterr().out


def test_close_escalation(officer_client, sample_market):
    ad_id = sample_market.ids["hostile"]
    officer_client.post(
        reverse("review:decide", args=[ad_id]), {"decision": "escalate", "reason": "network"}
    )
    row = ReviewDecision.objects.get(ad_id=ad_id, current=True)
    officer_client.post(
        reverse("review:close_escalation", args=[row.pk]), {"close_reason": "handed_over"}
    )
    row.refresh_from_db()
    assert row.closed_at is not None and row.closed_by == "officer1"
    open_list = officer_client.get(reverse("review:decisions"), {"decision": "escalate"})
    assert open_list.context["rows"] == []


def test_ad_page_shows_evidence_cluster_and_versions(officer_client, sample_market):
    ids = sample_market.ids
    response = officer_client.get(reverse("review:ad", args=[ids["denhaag"]]))
    assert response.status_code == 200
    html = response.content.decode()
    assert [i["evidence"] for i in response.context["indicators"]] == [
        "Nieuw in Den Haag",
        "net 18 jaar",
        "alleen via mijn manager",
        "24/7 beschikbaar",
    ]
    assert '<mark class="evidence cat-age" data-indicators="2">' in html
    assert "+31612345678" in html
    members = {m["ad"]["ad_id"]: m for m in response.context["cluster"]["members"]}
    assert set(members) == {ids["rotterdam"], ids["hostile"]}
    assert members[ids["rotterdam"]]["links"][0]["reason"] == "same phone number +31612345678"
    utrecht = officer_client.get(reverse("review:ad", args=[ids["utrecht"]]))
    history = utrecht.context["history"]
    assert [h["version"]["version"] for h in history] == [2, 1]
    assert any(k == "insert" and "50" in t for k, t in history[0]["text_diff"])


def test_unknown_ad_is_404_with_noun(officer_client, sample_market):
    response = officer_client.get(reverse("review:ad", args=["doesnotexist"]))
    assert response.status_code == 404
    assert (
        b"Ad not found" in response.content
        or "Advertentie niet gevonden" in response.content.decode()
    )
