"""One assertion raced by real threads, each with its own PostgreSQL connection: of 8
parallel completions exactly one succeeds, the others are refused (4xx, never 5xx).

SQLite serialises writers itself, so these run on PostgreSQL only (as
tests/test_concurrency.py, whose ``race`` they use).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_twostep.models import ApiToken, RecoveryCodeDevice, SecurityEvent, WebAuthnCredential
from tests.test_concurrency import THREADS, race
from tests.webauthn_authenticator import SoftwareAuthenticator

from .helpers import (
    PASSKEY_COMPLETE,
    TRIGGER,
    TWO_FACTOR,
    VERIFY,
    api_for,
    begin_login,
    begin_passkey,
    credential_url,
    fresh_api,
    register_url,
    stale_api,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def one_winner(results, success: int = 200) -> list[int]:
    """Every thread got an answer; exactly one ``success``, the others 4xx."""
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(r.status_code for r in results)
    assert len(statuses) == THREADS
    assert statuses.count(success) == 1, statuses
    assert all(400 <= s < 500 for s in statuses if s != success), statuses
    return statuses


@pytest.fixture
def racer(plain_user, twostep_clock):
    """bob with a key (a passkey) registered through the API."""
    key = SoftwareAuthenticator()
    api = fresh_api(plain_user)
    options = api.post(register_url(), {}, format="json").json()
    response = api.patch(
        register_url(), {"name": "Key", "credential": key.register(options)}, format="json"
    )
    assert response.status_code == 201, response.content
    twostep_clock.advance(5)
    return plain_user, key


def test_8_parallel_completions_of_a_login_log_in_once(racer):
    user, key = racer
    _, meta = begin_login(user)
    body = {
        "two_factor_id": meta["two_factor_id"],
        "method": "webauthn",
        "credential": key.assert_(meta["webauthn"]),
    }
    before = ApiToken.objects.count()
    one_winner(race(lambda: APIClient().post(TWO_FACTOR, body, format="json")))
    assert ApiToken.objects.count() == before + 1
    assert WebAuthnCredential.objects.get(user=user).sign_count == 1
    assert SecurityEvent.objects.filter(user=user, event="verified").count() == 1


def test_8_parallel_passkey_completions_log_in_once(racer):
    user, key = racer
    _, begun = begin_passkey()
    body = {"passkey_id": begun["passkey_id"], "credential": key.assert_(begun["publicKey"])}
    before = ApiToken.objects.count()
    statuses = one_winner(race(lambda: APIClient().post(PASSKEY_COMPLETE, body, format="json")))
    assert set(statuses) <= {200, 400, 429}
    assert ApiToken.objects.count() == before + 1
    winner = ApiToken.objects.latest("pk")
    assert winner.user_id == user.pk and winner.verified_at is not None
    assert WebAuthnCredential.objects.get(user=user).sign_count == 1


def test_8_parallel_step_ups_verify_once(racer):
    user, key = racer
    api, _ = stale_api(user)
    options = api.post(TRIGGER, {"type": "webauthn"}, format="json").json()
    body = {"type": "webauthn", "credential": key.assert_(options)}
    header = api._credentials["HTTP_AUTHORIZATION"]

    def verify():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        return client.post(VERIFY, body, format="json")

    one_winner(race(verify), success=204)
    assert SecurityEvent.objects.filter(user=user, event="verified").count() == 1


def test_8_parallel_registrations_of_one_answer_keep_one_key(plain_user, twostep_clock):
    api = fresh_api(plain_user)
    header = api._credentials["HTTP_AUTHORIZATION"]
    options = api.post(register_url(), {}, format="json").json()
    body = {"name": "Key", "credential": SoftwareAuthenticator().register(options)}

    def register():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        return client.patch(register_url(), body, format="json")

    one_winner(race(register), success=201)
    assert WebAuthnCredential.objects.filter(user=plain_user).count() == 1
    assert SecurityEvent.objects.filter(user=plain_user, event="enabled").count() == 1


def test_8_parallel_logins_with_one_key_use_its_counter_once_each(racer):
    """Different ceremonies, one key: each assertion signs its own counter; all pass."""
    user, key = racer
    answers = []
    for _ in range(THREADS):
        _, meta = begin_login(user)
        answers.append(
            {
                "two_factor_id": meta["two_factor_id"],
                "method": "webauthn",
                "credential": key.assert_(meta["webauthn"]),
            }
        )
    queue = list(answers)

    def complete():
        return APIClient().post(TWO_FACTOR, queue.pop(), format="json")

    results = race(complete)
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = [r.status_code for r in results]
    # Answers whose counter was overtaken by a later one's are refused as a regression;
    # none is a server error, and the stored counter only grows.
    assert all(s in (200, 400, 429) for s in statuses), statuses
    wins = statuses.count(200)
    assert wins >= 1
    assert SecurityEvent.objects.filter(user=user, event="verified").count() == wins
    assert wins <= WebAuthnCredential.objects.get(user=user).sign_count <= THREADS


def test_the_conditional_update_alone_claims_a_challenge_once(racer):
    """Without the per-user lock (registration takes none), one claim of a challenge wins."""
    from django_twostep.methods.webauthn import flows
    from tests.webauthn_authenticator import unb64

    user, _ = racer
    options, _ = flows.begin_assertion(user, flows.RelyingParty("testserver", "x", ()), "step_up")
    challenge = unb64(options["challenge"])
    results = race(lambda: flows._claim_challenge(challenge, "step_up", user=user))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r is not None for r in results) == 1


def test_8_first_keys_at_once_make_one_first_key(plain_user, twostep_clock):
    """Eight password-only tokens each registering a key while bob has none: one is his
    first key (needs no step-up, verifies its token); for the others he has a method
    by then, so they need step-up, which their tokens lack."""
    clients, bodies = [], []
    for _ in range(THREADS):
        api, _ = api_for(plain_user, None)
        options = api.post(register_url(), {}, format="json").json()
        clients.append(api)
        bodies.append({"name": "Key", "credential": SoftwareAuthenticator().register(options)})
    pairs = list(zip(clients, bodies, strict=True))

    def register():
        api, body = pairs.pop()
        return api.patch(register_url(), body, format="json")

    statuses = one_winner(race(register), success=201)
    assert set(statuses) == {201, 403}
    assert WebAuthnCredential.objects.filter(user=plain_user).count() == 1
    assert ApiToken.objects.filter(user=plain_user, verified_at__isnull=False).count() == 1
    assert SecurityEvent.objects.filter(user=plain_user, event="enabled").count() == 1


def test_removing_both_keys_at_once_removes_the_method_and_the_codes(racer, twostep_clock):
    user, _ = racer
    api = fresh_api(user)
    options = api.post(register_url(), {}, format="json").json()
    body = {"name": "Spare", "credential": SoftwareAuthenticator().register(options)}
    assert api.patch(register_url(), body, format="json").status_code == 201
    header = api._credentials["HTTP_AUTHORIZATION"]
    urls = [credential_url(pk) for pk in WebAuthnCredential.objects.values_list("pk", flat=True)]

    def remove():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        return client.delete(urls.pop())

    results = race(remove, n=2)
    assert [r.status_code for r in results] == [204, 204]
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    # The method went with the last key, and with it the recovery codes.
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()
