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
from django_twostep.prepared import PreparedLookup


def by_access_digest() -> PreparedLookup[ApiToken]:
    return PreparedLookup(
        ApiToken,
        lambda digest: ApiToken.objects.select_related("user").filter(access_digest=digest)[:1],
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
        found = lookup.get(expected.access_digest)
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
    assert lookup.get("0" * 64) is None
    assert lookup.get("' OR 1=1 --") is None
    assert lookup.get(ApiToken.objects.get().access_digest) is not None


@pytest.mark.django_db
def test_the_statement_is_compiled_once_per_connection(django_user_model):
    tokens.issue_tokens(django_user_model.objects.create_user("erin", password="pw"))
    lookup = by_access_digest()
    digest = ApiToken.objects.get().access_digest
    lookup.get(digest)
    plan = connections["default"].__dict__[lookup.attribute]
    lookup.get(digest)
    assert connections["default"].__dict__[lookup.attribute] is plan


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
            found = [lookup.get(digests[user_pk]) for _ in range(20)]
            plan = id(connections["default"].__dict__[lookup.attribute])
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
