"""The conversation page: timeline, per-run table, verdict, and its actions."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations import fanout, services
from conversations.models import Conversation, RunEvent

from .admin_helpers import (
    METADATA_PERMISSIONS,
    TRANSCRIPT_PERMISSION,
    make_staff,
    make_superuser,
)
from .factories import bulk_items, make_conversation
from .session_factory import EVERY_ENDING as ENDINGS
from .session_factory import SessionBuilder, every_ending

pytestmark = pytest.mark.django_db

HANDLE = "CiQ2ZTNiLXJlc3VtcHRpb24taGFuZGxlLXNlY3JldA"


def change_url(conversation: Conversation) -> str:
    return reverse("admin:conversations_conversation_change", args=[conversation.pk])


def action_url(name: str, conversation: Conversation) -> str:
    return reverse(f"admin:conversations_conversation_{name}", args=[conversation.pk])


@pytest.fixture
def story(user):
    """A conversation with runs of every ending, the last one still open."""
    conversation = services.create_conversation(
        owner=user, title="Story", mode="voice", system_instruction="Speak French."
    )
    builder = every_ending(conversation, timezone.now() - timedelta(minutes=20))
    services.store_resumption_handle(
        conversation=conversation, handle=HANDLE, issued_at=timezone.now()
    )
    builder.conversation.refresh_from_db()
    return conversation


@pytest.fixture
def root_client(client):
    client.force_login(make_superuser())
    return client


@pytest.fixture
def metadata_client(client):
    """Staff who may see runs and events, not what was said."""
    client.force_login(make_staff("support@example.com", *METADATA_PERMISSIONS))
    return client


# -- the page -----------------------------------------------------------------------
def test_page_draws_the_timeline_with_a_lane_per_run_of_every_ending(
    root_client, story
):
    body = root_client.get(change_url(story)).content.decode()
    svg = re.search(r'<svg[^>]*class="timeline".*?</svg>', body, re.S)
    assert svg, "no timeline"
    lanes = re.findall(
        r'<g class="lane [^"]*" data-run="(\d+)" data-ending="(\w+)"', svg[0]
    )
    assert lanes == [(str(n), ending) for n, ending in enumerate(ENDINGS)]
    assert svg[0].count('class="run-bar"') == 10
    assert "≈ 10 min" in svg[0]  # the gap before the hand-started run


def test_page_lists_each_run_with_why_it_ended_and_its_numbers(root_client, story):
    body = root_client.get(change_url(story)).content.decode()
    rows = re.findall(
        r'<tr class="run-row" data-run="(\d+)" data-ending="(\w+)">', body
    )
    assert rows == [(str(n), ending) for n, ending in enumerate(ENDINGS)]

    def row(run_id: int) -> str:
        start = body.index(f'<tr class="run-row" data-run="{run_id}"')
        return re.sub(r"\s+", " ", body[start : body.index("</tr>", start)])

    assert "New Live session" in row(0)
    assert "goAway rotation" in row(0)
    assert "1000 goAway rotation" in row(0)
    assert ">32 s<" in row(0)  # duration
    assert ">2 / 2<" in row(0)  # user turns / replies
    assert ">200<" in row(0)  # tokens
    assert "1 interrupted" in row(1)
    assert ">0.4 s<" in row(1)  # recovery from run 0
    assert "1011 internal error" in row(2)
    assert "Network drop, then gave up" in row(7)
    assert "Restored from transcript" in row(8)
    assert ">10 min 4 s<" in row(8)  # run 7's end to the hand-started run 8
    assert "Still open" in row(9)


def test_page_gives_the_continuity_verdict(root_client, story):
    body = root_client.get(change_url(story)).content.decode()
    verdict = body[body.index('id="continuity"') : body.index('id="timeline"')]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", verdict))
    assert 'data-level="bad"' in verdict
    assert "Gave up once" in text
    assert "Turns sent again after a drop: 1" in text
    assert "Restores from the transcript: 3" in text
    assert "run 4 seeded with 7 of 10 stored items" in text
    assert "run 8 seeded with 12 of 18 stored items" in text
    assert "Replies in runs restored from the transcript: 3" in text
    assert "Give-ups: 1" in text
    assert "6 attempts failed" in text


def test_page_lists_each_runs_events_to_open_from_the_timeline(root_client, story):
    body = root_client.get(change_url(story)).content.decode()
    start = body.index('<ol id="run-2-events">')
    events = body[start : body.index("</ol>", start)]
    assert "Attempt 1 failed at token" in events
    assert "Reconnect, attempt 2, in 800 ms" in events
    assert "User turn #9 sent again after a drop" in events
    assert "Closed by server: Error 1011 “internal error”" in events
    assert 'href="#run-2-events"' in body  # the lane links here


def test_page_never_shows_the_handle(root_client, story):
    body = root_client.get(change_url(story)).content.decode()
    assert HANDLE not in body
    assert HANDLE[:12] not in body


def test_page_takes_the_same_queries_however_long_the_history(root_client, user):
    small = make_conversation(user, title="Small")
    SessionBuilder(small, timezone.now()).open("new").turn().close("user", 1000)
    big = make_conversation(user, title="Big")
    every_ending(big, timezone.now() - timedelta(hours=1))
    bulk = make_conversation(user, title="Bulk")
    bulk_items(bulk, 3000)
    RunEvent.objects.bulk_create(
        RunEvent(conversation=bulk, at=timezone.now(), kind="usage", data={"total": 1})
        for _ in range(2000)
    )

    def count(conversation: Conversation) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = root_client.get(change_url(conversation))
        assert response.status_code == HTTPStatus.OK
        return len(queries)

    count(small)  # warm the session
    assert count(small) == count(big) == count(bulk)


# -- who sees what --------------------------------------------------------------------
def test_staff_without_the_transcript_permission_see_runs_but_no_words(
    metadata_client, story
):
    response = metadata_client.get(change_url(story))
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'class="timeline"' in body
    assert body.count('<tr class="run-row"') == 10
    assert "A question from the user" not in body
    assert "An answer" not in body
    assert "Speak French." not in body  # the system instruction is the user's too
    assert action_url("transcript", story) not in body
    assert "needs the “Can read the transcript of a conversation” permission" in body
    # Seeing is not acting.
    assert action_url("end", story) not in body
    assert action_url("expire_handle", story) not in body
    assert action_url("export", story) in body


def test_staff_with_the_transcript_permission_get_a_link_to_it(client, story):
    client.force_login(
        make_staff("reader@example.com", *METADATA_PERMISSIONS, TRANSCRIPT_PERMISSION)
    )
    body = client.get(change_url(story)).content.decode()
    assert action_url("transcript", story) in body
    assert "Speak French." in body
    # The conversation page itself still shows no turn.
    assert "A question from the user" not in body


# -- actions --------------------------------------------------------------------------
@pytest.fixture
def acting_client(client):
    client.force_login(
        make_staff(
            "lead@example.com",
            *METADATA_PERMISSIONS,
            "conversations.change_conversation",
        )
    )
    return client


@pytest.fixture
def calls(monkeypatch):
    """Records the service calls the admin makes, then does what they do."""
    made: list[tuple[str, Conversation]] = []
    for name in ("end_conversation_for_owner", "expire_resumption_handle"):
        real = getattr(services, name)

        def spy(*, conversation, _name=name, _real=real):
            made.append((_name, conversation))
            return _real(conversation=conversation)

        monkeypatch.setattr(services, name, spy)
    return made


def test_end_live_conversation_calls_the_service(acting_client, story, calls):
    body = acting_client.get(change_url(story)).content.decode()
    assert action_url("end", story) in body
    response = acting_client.post(action_url("end", story), follow=True)
    assert response.redirect_chain[-1][0] == change_url(story)
    assert [(name, c.pk) for name, c in calls] == [
        ("end_conversation_for_owner", story.pk)
    ]
    assert "Asked the live session to end" in response.content.decode()


def test_mark_handle_expired_calls_the_service_and_the_handle_is_gone(
    acting_client, story, calls
):
    response = acting_client.post(action_url("expire_handle", story))
    assert response.status_code == HTTPStatus.FOUND
    assert [(name, c.pk) for name, c in calls] == [
        ("expire_resumption_handle", story.pk)
    ]
    story.refresh_from_db()
    assert story.resumption_handle == ""


@pytest.mark.parametrize("action", ["end", "expire_handle"])
def test_actions_need_a_post(acting_client, story, calls, action):
    response = acting_client.get(action_url(action, story))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert calls == []


@pytest.mark.parametrize("action", ["end", "expire_handle"])
def test_actions_need_the_change_permission(metadata_client, story, calls, action):
    response = metadata_client.post(action_url(action, story))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert calls == []


@pytest.mark.parametrize("action", ["end", "expire_handle", "export"])
def test_actions_need_the_csrf_token(story, calls, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_superuser())
    response = client.post(action_url(action, story))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert calls == []
    page = client.get(change_url(story))
    token = page.cookies["csrftoken"].value
    assert client.post(
        action_url(action, story), {"csrfmiddlewaretoken": token}
    ).status_code in (HTTPStatus.FOUND, HTTPStatus.OK)


def test_actions_refuse_someone_who_is_not_staff(client, user, story, calls):
    client.force_login(user)
    response = client.post(action_url("end", story))
    assert response.status_code == HTTPStatus.FOUND  # to the login
    assert calls == []


def test_export_is_the_conversation_with_runs_and_events_and_no_handle(
    metadata_client, story
):
    response = metadata_client.post(action_url("export", story))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    raw = response.content.decode()
    assert HANDLE not in raw
    assert "A question from the user" not in raw
    assert "Speak French." not in raw
    data = json.loads(raw)
    assert data["conversation"]["id"] == str(story.public_id)
    assert data["conversation"]["has_resumption_handle"] is True
    assert [run["run_id"] for run in data["runs"]] == list(range(10))
    assert data["runs"][2]["close_code"] == 1011
    kinds = {event["kind"] for event in data["events"]}
    assert {"setup", "close", "gave_up", "attempt_failed", "usage"} <= kinds
    assert len(data["events"]) == RunEvent.objects.filter(conversation=story).count()


def test_export_needs_a_post(metadata_client, story):
    response = metadata_client.get(action_url("export", story))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_delete_goes_through_the_service_and_tells_the_open_sockets(
    root_client, story, monkeypatch, django_capture_on_commit_callbacks
):
    deleted, announced = [], []
    real_delete = services.delete_conversation

    def delete_spy(*, conversation):
        deleted.append(conversation.pk)
        real_delete(conversation=conversation)

    monkeypatch.setattr(services, "delete_conversation", delete_spy)
    monkeypatch.setattr(fanout, "announce_deletion", announced.append)
    body = root_client.get(change_url(story)).content.decode()
    assert action_url("delete", story) in body
    confirm = root_client.get(action_url("delete", story))
    assert confirm.status_code == HTTPStatus.OK
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post(action_url("delete", story), {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    assert deleted == [story.pk]
    assert announced == [story.public_id]
    assert not Conversation.objects.filter(pk=story.pk).exists()
