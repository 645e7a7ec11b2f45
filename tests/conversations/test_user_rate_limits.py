"""Per-user rate limits, counted in the shared cache over every socket and worker.

Typed turns (CONVERSATION_TURN_RATE) and new conversations
(CONVERSATION_CREATE_RATE): reconnecting, or opening another socket, does not
start the count again.
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from conversations import ratelimit
from conversations.models import Conversation, TranscriptItem

from .sockets import open_socket, receive_until

RATE = ratelimit.Rate(count=3, period_s=60)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def allow():
    """Count against RATE, under an action no other test counts (Redis outlives it)."""
    action = f"test-{uuid.uuid4().hex}"

    def count(clock, user_id=1):
        return ratelimit.allow(action, user_id=user_id, rate=RATE, now=clock)

    return count


# -- the count --------------------------------------------------------------------
def test_the_rate_is_allowed_then_refused(allow):
    clock = Clock(6000.0)
    assert [allow(clock) for _ in range(4)] == [True, True, True, False]


def test_a_refusal_is_not_counted(allow):
    clock = Clock(6000.0)
    for _ in range(10):
        allow(clock)
    clock.now += 90  # half the three allowed still weigh; the refused, nothing
    assert [allow(clock) for _ in range(2)] == [True, False]


def test_a_new_window_gives_no_second_allowance_at_once(allow):
    clock = Clock(6059.0)  # a second before the window ends
    assert [allow(clock) for _ in range(3)] == [True, True, True]
    clock.now = 6061.0
    assert not allow(clock)


def test_the_previous_window_weighs_less_as_time_passes(allow):
    clock = Clock(6000.0)
    for _ in range(3):
        allow(clock)
    clock.now = 6090.0  # half way through the next window: 1.5 still counted
    assert [allow(clock) for _ in range(2)] == [True, False]


def test_each_user_has_a_count_of_their_own(allow):
    clock = Clock(6000.0)
    for _ in range(3):
        allow(clock, user_id=1)
    assert allow(clock, user_id=2)
    assert not allow(clock, user_id=1)


@pytest.mark.parametrize(
    ("text", "rate", "words"),
    [
        ("30/m", ratelimit.Rate(30, 60), "30 messages a minute"),
        ("20/h", ratelimit.Rate(20, 3600), "20 messages an hour"),
        ("5/s", ratelimit.Rate(5, 1), "5 messages a second"),
        ("100/d", ratelimit.Rate(100, 86400), "100 messages a day"),
    ],
)
def test_rates_read_as_the_settings_write_them(text, rate, words):
    assert ratelimit.Rate.parse(text) == rate
    assert rate.describe("messages") == words


# -- typed turns over sockets -------------------------------------------------------
async def outcome(socket, turn_id):
    """ "stored" once the turn is stored, or the code of the error it got."""
    while True:
        frame = await socket.receive_output(timeout=10)
        if frame["type"] != "websocket.send" or frame.get("text") is None:
            continue
        message = json.loads(frame["text"])
        if message["type"] == "error":
            return message["code"], message["message"]
        if message["type"] == "transcript.item" and message["id"] == turn_id:
            return "stored", ""


@pytest.mark.django_db(transaction=True)
async def test_reconnecting_does_not_reset_the_typed_turn_limit(
    conversation, user, live_settings
):
    live_settings.CONVERSATION_TURN_RATE = "10/h"
    outcomes = []
    for reconnect in range(6):
        socket, _ = await open_socket(conversation, user)
        await socket.send_json_to({"type": "hello", "last_seq": 0})
        await receive_until(socket, "presence")
        for n in range(5):
            turn_id = f"r{reconnect}-t{n}"
            await socket.send_json_to({"type": "text", "id": turn_id, "text": turn_id})
            outcomes.append(await outcome(socket, turn_id))
        await socket.disconnect()
    codes = [code for code, _ in outcomes]
    assert codes == ["stored"] * 10 + ["rate_limited"] * 20
    stored = await sync_to_async(
        TranscriptItem.objects.filter(conversation=conversation, role="user").count
    )()
    assert stored == 10


@pytest.mark.django_db(transaction=True)
async def test_the_limit_is_the_users_over_all_their_conversations(
    user, other_user, live_settings
):
    live_settings.CONVERSATION_TURN_RATE = "2/h"
    mine = [
        await sync_to_async(Conversation.objects.create)(
            owner=user, title=f"Mine {n}", model="m", mode="text"
        )
        for n in range(2)
    ]
    theirs = await sync_to_async(Conversation.objects.create)(
        owner=other_user, title="Theirs", model="m", mode="text"
    )
    codes = []
    for conversation, owner in [(mine[0], user), (mine[1], user), (theirs, other_user)]:
        socket, _ = await open_socket(conversation, owner)
        await socket.send_json_to({"type": "hello", "last_seq": 0})
        for n in range(2):
            turn_id = f"c{conversation.pk}-{n}"
            await socket.send_json_to({"type": "text", "id": turn_id, "text": "hi"})
            codes.append((await outcome(socket, turn_id))[0])
        await socket.disconnect()
    assert codes == ["stored", "stored", "rate_limited", "rate_limited"] + [
        "stored",
        "stored",
    ]


@pytest.mark.django_db(transaction=True)
async def test_a_refused_turn_says_how_many_may_be_sent(
    conversation, user, live_settings
):
    live_settings.CONVERSATION_TURN_RATE = "1/m"
    socket, _ = await open_socket(conversation, user)
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    await socket.send_json_to({"type": "text", "id": "first", "text": "one"})
    await outcome(socket, "first")
    await socket.send_json_to({"type": "text", "id": "second", "text": "two"})
    code, message = await outcome(socket, "second")
    assert code == "rate_limited"
    assert "at most 1 message a minute" in message
    await socket.disconnect()


# -- new conversations ----------------------------------------------------------------
@pytest.mark.django_db
def test_creating_past_the_limit_is_refused_with_a_message(client, user, settings):
    settings.CONVERSATION_CREATE_RATE = "2/h"
    client.force_login(user)
    url = reverse("conversations:conversation_create")
    statuses = [
        client.post(url, {"title": f"Talk {n}", "mode": "text"}).status_code
        for n in range(3)
    ]
    assert statuses == [
        HTTPStatus.FOUND,
        HTTPStatus.FOUND,
        HTTPStatus.TOO_MANY_REQUESTS,
    ]
    assert Conversation.objects.filter(owner=user).count() == 2


@pytest.mark.django_db
def test_the_refusal_says_what_the_limit_is(client, user, settings):
    settings.CONVERSATION_CREATE_RATE = "1/h"
    client.force_login(user)
    url = reverse("conversations:conversation_create")
    client.post(url, {"title": "First", "mode": "text"})
    response = client.post(url, {"title": "Second", "mode": "text"})
    assert "at most 1 conversation an hour" in response.content.decode()
    assert 'value="Second"' in response.content.decode()


@pytest.mark.django_db
def test_another_users_creations_do_not_count(client, user, other_user, settings):
    settings.CONVERSATION_CREATE_RATE = "1/h"
    url = reverse("conversations:conversation_create")
    client.force_login(other_user)
    client.post(url, {"title": "Theirs", "mode": "text"})
    client.force_login(user)
    response = client.post(url, {"title": "Mine", "mode": "text"})
    assert response.status_code == HTTPStatus.FOUND
