"""Refresh rotation raced by real threads, each with its own PostgreSQL connection."""

import pytest
from rest_framework.test import APIClient

from django_twostep.errors import FlowError
from django_twostep.flows import tokens
from django_twostep.models import ApiToken
from tests.api.conftest import REFRESH, bearer
from tests.test_concurrency import THREADS, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_refreshes_yield_at_most_one_pair_and_revoke_the_family(plain_user):
    """Decision: a refresh token raced by several requests counts as reused.

    At most one request gets a new pair; any loser revokes the whole family,
    the winner's new pair included. (With every request colliding, that is
    what happens; a lone request, with nothing to race, just rotates.)
    """
    issued = tokens.issue_tokens(plain_user)
    results = race(lambda: tokens.refresh_tokens(issued.refresh_token))
    winners = [r for r in results if isinstance(r, tokens.IssuedTokens)]
    losers = [r for r in results if isinstance(r, FlowError)]
    assert len(winners) <= 1
    assert len(winners) + len(losers) == THREADS
    assert all(error.code == "invalid_grant" for error in losers)
    assert ApiToken.objects.count() == 1 + len(winners)
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    for winner in winners:
        response = bearer(APIClient(), winner.access_token).get("/api/v1/users/me/otp")
        assert response.status_code == 401
        again = APIClient().post(REFRESH, {"refresh_token": winner.refresh_token}, format="json")
        assert again.status_code == 400


def test_parallel_refreshes_over_http(plain_user):
    issued = tokens.issue_tokens(plain_user)

    def refresh():
        return APIClient().post(REFRESH, {"refresh_token": issued.refresh_token}, format="json")

    statuses = sorted(r.status_code for r in race(refresh))
    assert statuses.count(200) <= 1 and set(statuses) <= {200, 400}
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
