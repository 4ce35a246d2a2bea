"""The lookups compiled once per connection (django_twostep/prepared.py): the same
instances the ORM makes, one query counted like any other, nothing shared
between threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from django_twostep import clock
from django_twostep.flows import tokens
from django_twostep.models import ApiToken
from django_twostep.prepared import Prepared


def by_access_digest() -> Prepared[ApiToken]:
    return Prepared(
        ApiToken,
        lambda _shape, digest: ApiToken.objects.select_related("user").filter(access_digest=digest)[
            :1
        ],
    )


def values(instance: Model) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


@pytest.mark.django_db
def test_it_finds_what_the_orm_finds_with_its_related_object_in_one_query(
    django_user_model, twostep_clock
):
    user = django_user_model.objects.create_user("dora", password="pw", email="d@example.com")
    issued = tokens.issue_tokens(user, verified_at=clock.now())
    lookup = by_access_digest()
    expected = ApiToken.objects.select_related("user").get(pk=issued.token.pk)

    with CaptureQueriesContext(connection) as queries:
        found = lookup.first(None, expected.access_digest)
        assert found.user.get_username() == "dora"  # loaded with it, no query more
    assert len(queries) == 1

    assert type(found) is ApiToken and values(found) == values(expected)
    assert values(found.user) == values(expected.user)
    assert found.verified_at.tzinfo is not None  # through the backend's converters
    assert found._state.adding is False and found._state.db == "default"
    # A found instance saves like any other.
    found.revoked_at = clock.now()
    found.save(update_fields=["revoked_at"])
    assert ApiToken.objects.get(pk=found.pk).revoked_at == found.revoked_at


@pytest.mark.django_db
def test_an_unknown_value_finds_nothing_and_a_value_is_only_a_parameter(django_user_model):
    tokens.issue_tokens(django_user_model.objects.create_user("erin", password="pw"))
    lookup = by_access_digest()
    assert lookup.first(None, "0" * 64) is None
    assert lookup.first(None, "' OR 1=1 --") is None
    assert lookup.first(None, ApiToken.objects.get().access_digest) is not None


@pytest.mark.django_db
def test_the_statement_is_compiled_once_per_connection(django_user_model):
    tokens.issue_tokens(django_user_model.objects.create_user("erin", password="pw"))
    lookup = by_access_digest()
    digest = ApiToken.objects.get().access_digest
    lookup.first(None, digest)
    plans = dict(connections["default"].__dict__[lookup.attribute])
    lookup.first(None, digest)
    assert connections["default"].__dict__[lookup.attribute] == plans and len(plans) == 1


@pytest.mark.django_db(transaction=True)
def test_threads_each_compile_their_own_and_find_their_own_rows(django_user_model):
    """Real threads, each with its own connection (on PostgreSQL in CI's second leg;
    SQLite's in-memory test database is shared between them)."""
    lookup = by_access_digest()
    users = [django_user_model.objects.create_user(f"user{i}", password="pw") for i in range(8)]
    digests = {
        user.pk: ApiToken.objects.get(pk=tokens.issue_tokens(user).token.pk).access_digest
        for user in users
    }
    barrier = threading.Barrier(len(users))

    def find(user_pk: int) -> tuple[int, int, int]:
        try:
            barrier.wait()
            found = [lookup.first(None, digests[user_pk]) for _ in range(20)]
            plan = id(next(iter(connections["default"].__dict__[lookup.attribute].values())))
            return user_pk, {token.user.pk for token in found}.pop(), plan
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        results = list(pool.map(find, digests))
    assert all(asked == found for asked, found, _ in results)
    assert len({plan for _, _, plan in results}) == len(users)  # one plan per connection


@pytest.mark.django_db
def test_a_token_issued_before_a_key_rotation_still_authenticates_in_one_query(
    django_user_model, settings, twostep_clock, django_assert_num_queries
):
    plain_user = django_user_model.objects.create_user("erin", password="pw")
    settings.TWOSTEP_ENCRYPTION_KEYS = ["old-key-" + "x" * 40]
    before = tokens.issue_tokens(plain_user)
    settings.TWOSTEP_ENCRYPTION_KEYS = ["new-key-" + "y" * 40, "old-key-" + "x" * 40]
    after = tokens.issue_tokens(plain_user)
    for issued in (before, after):
        with django_assert_num_queries(1):
            assert tokens.authenticate_access_token(issued.access_token).pk == issued.token.pk
    settings.TWOSTEP_ENCRYPTION_KEYS = ["new-key-" + "y" * 40]
    assert tokens.authenticate_access_token(before.access_token) is None
    assert tokens.authenticate_access_token(after.access_token).pk == after.token.pk


# -- several values, datetimes, rows, and what is not prepared ---------------------------


def challenges_between() -> Prepared[ApiToken]:
    return Prepared(
        ApiToken,
        lambda _shape, user_pk, after: ApiToken.objects.filter(
            user_id=user_pk, created_at__gt=after
        ).values_list("pk", "created_at"),
    )


@pytest.mark.django_db
def test_integers_and_datetimes_are_parameters_too(django_user_model, twostep_clock):
    from datetime import timedelta

    user = django_user_model.objects.create_user("erin", password="pw")
    first = tokens.issue_tokens(user).token
    twostep_clock.advance(60)
    second = tokens.issue_tokens(user).token
    lookup = challenges_between()
    start = first.created_at - timedelta(seconds=1)
    assert lookup.rows(None, user.pk, start) == [
        (first.pk, first.created_at),
        (second.pk, second.created_at),
    ]
    assert lookup.rows(None, user.pk, first.created_at) == [(second.pk, second.created_at)]
    assert lookup.rows(None, user.pk + 1, start) == []


def test_a_value_the_statement_does_not_take_is_refused(db):
    lookup = Prepared(ApiToken, lambda _shape, digest: ApiToken.objects.filter(pk=1))
    with pytest.raises(ValueError, match="each of its values"):
        lookup.first(None, "abc")


def test_values_of_other_kinds_go_through_the_orm(db):
    import uuid

    lookup = Prepared(ApiToken, lambda _shape, family: ApiToken.objects.filter(family=family))
    assert Prepared.preparable(["a", 1]) and not Prepared.preparable([uuid.uuid4()])
    assert lookup.first(None, uuid.uuid4()) is None
    assert lookup.attribute not in connections["default"].__dict__  # nothing compiled


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # not inside the test's own transaction
def test_a_locking_statement_needs_a_transaction_as_in_the_orm(django_user_model):
    from django.db import transaction

    lookup = Prepared(
        ApiToken,
        lambda _shape, digest: ApiToken.objects.select_for_update().filter(access_digest=digest),
    )
    with transaction.atomic():
        assert lookup.first(None, "x" * 64) is None
    with pytest.raises(transaction.TransactionManagementError):
        lookup.first(None, "x" * 64)


# -- where the package uses it -------------------------------------------------------------


@pytest.mark.django_db
def test_the_second_steps_lock_query_reads_what_the_orm_reads(totp_user, twostep_clock):
    from django.db import transaction

    from django_twostep import crypto, flows
    from django_twostep.flows import login

    pending = flows.begin_login(totp_user)
    digest = crypto.digest(pending.id, purpose=login.CHALLENGE_PURPOSE)
    with transaction.atomic():
        prepared = login._lock_rows.first("totp", digest, clock.now())
        orm = login._lock_query("totp", [digest], clock.now()).get()
    assert (prepared.pk, prepared.challenge_pk, prepared.challenge_password) == (
        orm.pk,
        orm.challenge_pk,
        orm.challenge_password,
    )
    assert prepared.user == totp_user and prepared.preloaded_device == orm.preloaded_device
    assert prepared.preloaded_device.user_id == totp_user.pk
    twostep_clock.advance(301)  # expired: no row
    with transaction.atomic():
        assert login._lock_rows.first("totp", digest, clock.now()) is None


@pytest.mark.django_db
def test_methods_that_find_devices_their_own_way_are_asked_through_the_orm(
    totp_user, settings, monkeypatch
):
    from django_twostep import flows
    from django_twostep.methods.totp import TOTPMethod

    assert flows.active_methods(totp_user) == ["totp"]
    calls = []

    def devices(self, user, *, confirmed=True):
        calls.append(user)
        return self.device_model.objects.filter(user_id=user.pk, confirmed=confirmed)

    monkeypatch.setattr(TOTPMethod, "devices", devices)
    assert flows.active_methods(totp_user) == ["totp"]
    assert calls == [totp_user]  # the real user, not a stand-in


# -- updates -------------------------------------------------------------------------------


def revoke_if_live():
    from django_twostep.prepared import PreparedUpdate

    return PreparedUpdate(
        ApiToken,
        lambda _shape, pk, now: (
            ApiToken.objects.filter(pk=pk, revoked_at__isnull=True, access_expires_at__gt=now),
            {"revoked_at": now},
        ),
    )


@pytest.mark.django_db
def test_a_conditional_update_changes_what_matches_once(django_user_model, twostep_clock):
    user = django_user_model.objects.create_user("erin", password="pw")
    token = tokens.issue_tokens(user).token
    other = tokens.issue_tokens(user).token
    update = revoke_if_live()
    now = clock.now()
    with CaptureQueriesContext(connection) as queries:
        assert update.run(None, token.pk, now) == 1
    assert len(queries) == 1
    assert update.run(None, token.pk, now) == 0  # no longer live
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_at == now and other.revoked_at is None
    twostep_clock.advance(3600)  # past the access lifetime: the WHERE's datetime
    assert update.run(None, other.pk, clock.now()) == 0


@pytest.mark.django_db
def test_an_update_is_undone_with_its_transaction(django_user_model, twostep_clock):
    from django.db import transaction

    token = tokens.issue_tokens(django_user_model.objects.create_user("erin", password="pw")).token
    with pytest.raises(RuntimeError), transaction.atomic():
        assert revoke_if_live().run(None, token.pk, clock.now()) == 1
        raise RuntimeError
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_update_of_several_tables_is_refused(db):
    from django_twostep.prepared import PreparedUpdate

    update = PreparedUpdate(
        ApiToken,
        lambda _shape, name: (ApiToken.objects.filter(user__username=name), {"family": None}),
    )
    with pytest.raises(ValueError, match="one table"):
        update.run(None, "erin")


class RecordingRouter:
    """Answers nothing (the default database), remembers what it was asked."""

    asked: list[tuple[str, str]] = []

    def db_for_read(self, model, **hints):
        self.asked.append(("read", model.__name__))

    def db_for_write(self, model, **hints):
        self.asked.append(("write", model.__name__))


@pytest.mark.django_db
def test_the_locking_query_goes_where_the_orm_sends_locking_queries(
    totp_user, twostep_clock, settings
):
    """select_for_update() querysets go to the router's database for writing (a
    replica must never take the back-off row's lock)."""
    from django.db import transaction

    from django_twostep import crypto, flows
    from django_twostep.flows import login

    pending = flows.begin_login(totp_user)
    digest = crypto.digest(pending.id, purpose=login.CHALLENGE_PURPOSE)
    settings.DATABASE_ROUTERS = ["tests.test_prepared.RecordingRouter"]
    RecordingRouter.asked.clear()
    with transaction.atomic():
        list(login._lock_query("totp", [digest], clock.now()))
    orm = [ask for ask in RecordingRouter.asked if ask[1] == "UserThrottle"]
    RecordingRouter.asked.clear()
    with transaction.atomic():
        login._lock_rows.first("totp", digest, clock.now())
    prepared = [ask for ask in RecordingRouter.asked if ask[1] == "UserThrottle"]
    assert orm == prepared == [("write", "UserThrottle")]
