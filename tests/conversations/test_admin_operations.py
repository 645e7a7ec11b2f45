"""The operations page: reconnects, close codes, restores, give-ups and recovery."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from .admin_helpers import METADATA_PERMISSIONS, make_staff, make_superuser
from .factories import make_conversation
from .session_factory import SessionBuilder

pytestmark = pytest.mark.django_db

OPERATIONS = reverse("admin:conversations_conversation_operations")


@pytest.fixture
def root_client(client):
    client.force_login(make_superuser())
    return client


def metric(body: str, name: str) -> str:
    match = re.search(rf'data-metric="{name}">([^<]*)<', body)
    assert match, f"no {name}"
    return match.group(1)


def recent_sessions(user, start):
    """Two conversations: 5 runs, 4 reconnects (one a restore), 1 give-up."""
    one = SessionBuilder(make_conversation(user, title="One"), start)
    one.open("new").turn().close("network", 1006).wait(1)
    one.open("resumed_with_handle").turn().close("goaway", 1000).wait(3)
    one.open("resumed_with_handle").close("error", 1011).wait(2).gave_up()
    two = SessionBuilder(make_conversation(user, title="Two"), start)
    two.open("new").close("handle_expired", 1008).wait(5)
    two.open("restored_from_transcript", seed_items=2).close("user", 1000)


def test_the_last_24_hours_by_default(root_client, user):
    recent_sessions(user, timezone.now() - timedelta(hours=2))
    # A day and more ago: not counted.
    old = SessionBuilder(
        make_conversation(user, title="Old"), timezone.now() - timedelta(days=3)
    )
    old.open("new").close("network", 1006).wait(1).open("resumed_with_handle")
    response = root_client.get(OPERATIONS)
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert metric(body, "runs") == "5"
    assert metric(body, "reconnects") == "3"
    assert metric(body, "restores") == "1"
    assert metric(body, "give-ups") == "1"
    # Recoveries of 1, 3 and 5 seconds.
    assert metric(body, "recovery-p50") == "3.0 s"
    assert metric(body, "recovery-p95") == "4.8 s"
    assert "counted per hour" in body
    for chart in ("reconnects", "close-codes", "restores", "give-ups", "recovery"):
        assert re.search(rf'id="chart-{chart}">.*?<svg', body, re.S), chart
    codes = re.search(r'id="chart-close-codes">(.*?)</figure>', body, re.S)[1]
    assert ">1006<" in codes
    assert ">1011<" in codes


def test_a_run_the_user_started_after_a_give_up_is_no_recovery(root_client, user):
    b = SessionBuilder(make_conversation(user), timezone.now() - timedelta(hours=2))
    b.open("new").close("network", 1006).wait(2).open("resumed_with_handle")
    b.close("network", 1006).wait(3).gave_up().wait(1800)
    b.open("restored_from_transcript", seed_items=2).close("user", 1000)
    body = root_client.get(OPERATIONS).content.decode()
    assert metric(body, "reconnects") == "2"
    assert metric(body, "restores") == "1"
    assert metric(body, "recovery-p95") == "2.0 s"


def test_a_chosen_range(root_client, user):
    three_days_ago = timezone.now() - timedelta(days=3)
    recent_sessions(user, three_days_ago)
    since = (three_days_ago - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    until = (three_days_ago + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    body = root_client.get(
        OPERATIONS, {"since": since, "until": until}
    ).content.decode()
    assert metric(body, "reconnects") == "3"
    assert f'value="{since}"' in body
    day = three_days_ago.date().isoformat()
    body = root_client.get(OPERATIONS, {"since": day, "until": day}).content.decode()
    assert metric(body, "runs") == "5"
    empty = root_client.get(OPERATIONS).content.decode()
    assert metric(empty, "reconnects") == "0"
    assert metric(empty, "recovery-p50") == "—"


def test_a_range_that_does_not_parse_says_so(root_client):
    response = root_client.get(OPERATIONS, {"since": "last tuesday"})
    assert response.status_code == HTTPStatus.OK
    assert "is not a date or time" in response.content.decode()


def test_queries_do_not_grow_with_the_runs(root_client, user):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert root_client.get(OPERATIONS).status_code == HTTPStatus.OK
        return len(queries)

    recent_sessions(user, timezone.now() - timedelta(hours=3))
    count()
    few = count()
    for n in range(5):
        recent_sessions(user, timezone.now() - timedelta(hours=n + 1))
    assert count() == few


def test_linked_from_the_conversation_list(root_client):
    changelist = reverse("admin:conversations_conversation_changelist")
    assert OPERATIONS in root_client.get(changelist).content.decode()


def test_needs_the_view_permission(client):
    client.force_login(make_staff("nobody@example.com"))
    assert client.get(OPERATIONS).status_code == HTTPStatus.FORBIDDEN
    client.force_login(make_staff("support@example.com", *METADATA_PERMISSIONS))
    assert client.get(OPERATIONS).status_code == HTTPStatus.OK
