"""The security-event table cannot be flooded (SPEC 5, 2026-12-03).

Repeated refusals (``throttled``, ``code_failed``) fold into one row per user,
event, method and minute; the settings page always shows the latest changes
to the user's methods, however many refusals followed them.
"""

from __future__ import annotations

import math

import pytest
from django.db.models import Sum
from django.test import Client
from rest_framework.test import APIClient

from django_twostep import signals
from django_twostep.flows import events
from django_twostep.models import SecurityEvent
from django_twostep.testing import TEST_PASSWORD, current_code, login_verified, wrong_code

from .pages import page1, page2, url

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def minute_clock(twostep_clock):
    """The clock at the start of a minute, so that a test's events share one."""
    twostep_clock.set(math.ceil(twostep_clock.time() / 60) * 60 + 60)
    return twostep_clock


def rows(user, event: str):
    return SecurityEvent.objects.filter(user=user, event=event)


def total(user, event: str) -> int:
    return rows(user, event).aggregate(n=Sum("count"))["n"] or 0


def activity(client: Client) -> list[str]:
    content = client.get(url("settings")).content.decode()
    return [part.split('"', 1)[0] for part in content.split('data-event="')[1:]]


def test_100_throttled_api_requests_leave_a_handful_of_rows(totp_user, minute_clock):
    client = login_verified(Client(), totp_user)
    events.record("disabled", totp_user, method="email")  # the change to keep in view
    api = APIClient()
    data = {"username": "alice", "password": TEST_PASSWORD}
    bad = wrong_code(totp_user)
    assert api.post(LOGIN, data, format="json", HTTP_X_OTP=bad).status_code == 400
    for _ in range(100):
        response = api.post(LOGIN, data, format="json", HTTP_X_OTP=current_code(totp_user))
        assert response.status_code == 429
    assert rows(totp_user, "throttled").count() <= 2
    assert total(totp_user, "throttled") == 100
    assert SecurityEvent.objects.filter(user=totp_user).count() <= 6
    assert "disabled" in activity(client)


def test_100_throttled_page_2_posts_leave_a_handful_of_rows(totp_user, minute_clock):
    events.record("disabled", totp_user, method="email")
    attacker = Client()
    page1(attacker, "alice")
    assert page2(attacker, wrong_code(totp_user)).status_code == 200
    for _ in range(100):
        assert page2(attacker, current_code(totp_user)).status_code == 429
    assert rows(totp_user, "throttled").count() <= 2
    assert total(totp_user, "throttled") == 100
    owner = login_verified(Client(), totp_user)
    assert "disabled" in activity(owner)


def test_refusals_fold_per_user_event_method_and_minute(totp_user, plain_user, minute_clock):
    for _ in range(3):
        events.record("throttled", totp_user, method="totp")
    events.record("throttled", totp_user, method="email")
    events.record("throttled", plain_user, method="totp")
    events.record("code_failed", totp_user, method="totp")
    events.record("code_failed", totp_user, method="totp")
    assert [r.count for r in rows(totp_user, "throttled").filter(method="totp")] == [3]
    assert [r.count for r in rows(totp_user, "throttled").filter(method="email")] == [1]
    assert [r.count for r in rows(plain_user, "throttled")] == [1]
    assert [r.count for r in rows(totp_user, "code_failed")] == [2]
    minute_clock.advance(60)
    events.record("throttled", totp_user, method="totp")
    assert sorted(r.count for r in rows(totp_user, "throttled").filter(method="totp")) == [1, 3]


def test_other_events_are_never_folded(totp_user, minute_clock):
    for _ in range(3):
        events.record("verified", totp_user, method="totp")
    assert sorted(r.count for r in rows(totp_user, "verified")) == [1, 1, 1]


def test_every_folded_refusal_still_sends_its_signal(totp_user, minute_clock):
    heard = []

    def receiver(sender, user, method, origin, **kwargs):
        heard.append(user.pk)

    signals.throttled.connect(receiver)
    try:
        for _ in range(5):
            events.record("throttled", totp_user, method="totp")
    finally:
        signals.throttled.disconnect(receiver)
    assert heard == [totp_user.pk] * 5
    assert rows(totp_user, "throttled").count() == 1


def test_the_latest_method_changes_stay_in_view(totp_user, minute_clock):
    events.record("enabled", totp_user, method="totp")
    minute_clock.advance(1)
    events.record("recovery_codes_regenerated", totp_user, method="recovery_code")
    for _ in range(40):  # 40 refusals, each in a minute of its own: not folded
        minute_clock.advance(60)
        events.record("code_failed", totp_user, method="totp")
    shown = [event.event for event in events.recent(totp_user, limit=20)]
    assert shown[:20] == ["code_failed"] * 20
    # Newest first; the fixture's own activation is the older "enabled".
    assert shown[20:] == ["recovery_codes_regenerated", "enabled", "enabled"]


def test_the_settings_page_shows_a_folded_count(totp_user, minute_clock):
    for _ in range(40):
        events.record("code_failed", totp_user, method="totp")
    content = login_verified(Client(), totp_user).get(url("settings")).content.decode()
    assert "(40 times in that minute)" in content


def test_regenerating_recovery_codes_is_an_event_in_view(totp_user, minute_clock):
    client = login_verified(Client(), totp_user)
    response = client.post(url("recovery-codes"), {"confirm": "on"})
    assert response.status_code == 302
    assert rows(totp_user, "recovery_codes_regenerated").count() == 1
    for _ in range(30):
        minute_clock.advance(60)
        events.record("throttled", totp_user, method="totp")
    client = login_verified(Client(), totp_user)
    assert "recovery_codes_regenerated" in activity(client)
