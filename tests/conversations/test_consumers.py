"""The browser socket in-process: who may open it, and what bad input gets back.

These run the real ASGI application (origin check, session auth, routing) with
Channels' WebsocketCommunicator, against the Live emulator over real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from config.asgi import application
from conversations import leases, services
from conversations.browser_protocol import MAX_AUDIO_FRAME_BYTES
from conversations.fanout import conversation_group
from conversations.models import TranscriptItem

from .sockets import (
    HANDSHAKE_TIMEOUT_S,
    HOST,
    ORIGIN,
    open_socket,
    receive_until,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_socket_is_refused(conversation):
    communicator, connected = await open_socket(conversation)
    assert not connected


async def test_another_users_socket_is_refused(conversation, other_user):
    communicator, connected = await open_socket(conversation, other_user)
    assert not connected


async def test_foreign_origin_is_refused(conversation, user):
    communicator, connected = await open_socket(
        conversation, user, origin=(b"origin", b"https://evil.example")
    )
    assert not connected


async def test_refusals_do_no_upstream_work(
    conversation, other_user, emulator, live_settings
):
    for user, origin in [(other_user, ORIGIN), (None, ORIGIN)]:
        communicator, _ = await open_socket(conversation, user, origin=origin)
        # Whatever the refused socket then sends must start nothing upstream.
        with contextlib.suppress(Exception):
            await communicator.send_json_to({"type": "hello", "last_seq": 0})
            await communicator.send_json_to({"type": "text", "text": "let me in"})
            await asyncio.sleep(0.3)
    assert emulator.snapshot()["tokens"]["minted"] == 0
    assert await sync_to_async(conversation.runs.count)() == 0
    assert await sync_to_async(conversation.items.count)() == 0


async def test_owner_gets_presence_and_a_live_session(
    conversation, user, live_settings
):
    communicator, connected = await open_socket(conversation, user)
    assert connected
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    presence, _ = await receive_until(communicator, "presence")
    assert presence == {"type": "presence", "role": "owner", "live_elsewhere": False}
    created, _ = await receive_until(communicator, "session.created")
    assert created["run_id"] == 0
    assert created["resumed"] is False
    await communicator.disconnect()


async def test_text_turn_is_answered_and_stored(conversation, user, live_settings):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    await communicator.send_json_to({"type": "text", "text": "Hello there"})
    _, seen = await receive_until(communicator, "turn.complete")
    items = [m for m in seen if m["type"] == "transcript.item"]
    assert [(i["seq"], i["role"]) for i in items] == [(1, "user"), (2, "assistant")]
    assert items[1]["content"] == (
        'Turn 1. You said "Hello there". You first said "Hello there".'
    )
    stored = await sync_to_async(list)(
        TranscriptItem.objects.filter(conversation=conversation).values_list(
            "seq", "role", "content"
        )
    )
    assert [(seq, role) for seq, role, _ in stored] == [(1, "user"), (2, "assistant")]
    await communicator.disconnect()


async def test_hello_replays_exactly_the_missed_items(
    conversation, user, live_settings
):
    for n in range(1, 6):
        await sync_to_async(services.record_transcript_item)(
            conversation=conversation, role="user", modality="text", content=f"m{n}"
        )
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 3})
    _, seen = await receive_until(communicator, "presence")
    replayed = [m["seq"] for m in seen if m["type"] == "transcript.item"]
    assert replayed == [4, 5]
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{oops", "invalid_json"),
        ('{"type": "fly"}', "unknown_type"),
        ('{"type": "text", "text": ""}', "empty_text"),
        ('{"type": "audio", "data": "AAAA"}', "audio_as_text"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_up(
    conversation, user, live_settings, frame, code
):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    await communicator.send_to(text_data=frame)
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == code
    await communicator.send_json_to({"type": "text", "text": "still here?"})
    await receive_until(communicator, "turn.complete")
    await communicator.disconnect()


async def test_frames_before_hello_are_refused(conversation, user, live_settings):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "text", "text": "hi"})
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "hello_first"
    assert await sync_to_async(TranscriptItem.objects.count)() == 0
    await communicator.disconnect()


async def test_last_seq_from_the_future_is_an_error(conversation, user, live_settings):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 99})
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "last_seq_ahead"
    await receive_until(communicator, "presence")
    await communicator.disconnect()


async def test_audio_in_a_text_conversation_is_refused(
    conversation, user, live_settings
):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    await communicator.send_to(bytes_data=b"\x00\x01" * 160)
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "audio_not_enabled"
    await communicator.disconnect()


async def test_oversize_audio_frame_is_refused(user, live_settings):
    voice = await sync_to_async(services.create_conversation)(
        owner=user, title="Voice", mode="voice"
    )
    communicator, _ = await open_socket(voice, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    await communicator.send_to(bytes_data=b"\x00" * (MAX_AUDIO_FRAME_BYTES + 2))
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "frame_too_large"
    await communicator.disconnect()


async def test_flood_is_throttled_and_nothing_is_stored_twice(
    conversation, user, live_settings
):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    # Forty turns, then the same forty again (a page re-sending after a cut).
    for _ in range(2):
        for n in range(40):
            await communicator.send_json_to(
                {"type": "text", "id": f"turn-{n}", "text": f"flood {n}"}
            )
    error, _ = await receive_until(communicator, "error")
    while error["code"] != "rate_limited":
        error, _ = await receive_until(communicator, "error")
    await asyncio.sleep(0.5)
    await communicator.disconnect()
    stored = await sync_to_async(list)(
        TranscriptItem.objects.filter(conversation=conversation, role="user")
        .order_by("seq")
        .values_list("client_turn_id", "content")
    )
    ids = [turn_id for turn_id, _ in stored]
    assert 0 < len(stored) < 80  # throttled, yet some turns got through
    assert len(ids) == len(set(ids))
    assert all(content == f"flood {turn_id[5:]}" for turn_id, content in stored)


async def test_a_flooding_socket_does_not_slow_another_users_conversation(
    conversation, user, other_user, live_settings
):
    theirs = await sync_to_async(services.create_conversation)(
        owner=other_user, title="Theirs", mode="text"
    )
    flooder, _ = await open_socket(conversation, user)
    await flooder.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(flooder, "session.created")
    calm, _ = await open_socket(theirs, other_user)
    await calm.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(calm, "session.created")
    for _ in range(200):
        await flooder.send_to(text_data="{garbage")
    await calm.send_json_to({"type": "text", "text": "Are you there?"})
    _, seen = await receive_until(calm, "turn.complete")
    assert [m["type"] for m in seen if m["type"] == "error"] == []
    answer = [m for m in seen if m["type"] == "transcript.item"][-1]
    assert answer["content"].startswith("Turn 1.")
    await flooder.disconnect()
    await calm.disconnect()


async def test_deleting_a_live_conversation_closes_its_socket(
    conversation, user, live_settings
):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    client = Client()
    await sync_to_async(client.force_login)(user)
    response = await sync_to_async(client.post)(
        f"/conversations/{conversation.public_id}/delete/"
    )
    assert response.status_code == 302
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "deleted"
    closed = await communicator.receive_output(timeout=5)
    while closed["type"] != "websocket.close":
        closed = await communicator.receive_output(timeout=5)
    assert closed["code"] == 4404


async def test_deleting_from_the_admin_closes_the_socket_too(
    conversation, user, live_settings
):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    admin = await sync_to_async(get_user_model().objects.create_superuser)(
        username="root@example.com", email="root@example.com", password="pw-1"
    )
    client = Client()
    await sync_to_async(client.force_login)(admin)
    response = await sync_to_async(client.post)(
        f"/admin/conversations/conversation/{conversation.pk}/delete/",
        {"post": "yes"},
    )
    assert response.status_code == 302
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "deleted"
    await communicator.disconnect()


async def test_a_server_failure_is_reported_and_the_socket_stays_up(
    conversation, user, live_settings
):
    live_settings.LIVE_API_BASE = "ftp://misconfigured"
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "internal_error"
    await communicator.send_json_to({"type": "fly"})
    error, _ = await receive_until(communicator, "error")
    assert error["code"] == "unknown_type"
    await communicator.disconnect()


@pytest.mark.parametrize("channel_full", [True, False], ids=["full", "not_full"])
async def test_takeover_from_a_dead_holder_succeeds_and_drops_its_channel(
    conversation, user, live_settings, channel_full, monkeypatch
):
    # A worker killed with -9 holds the lease and no longer reads its channel,
    # which the conversation's group traffic may have filled to capacity.
    layer = get_channel_layer()
    # A capacity of 100, not thousands, to fill one send at a time.
    monkeypatch.setattr(layer, "capacity", 100)
    # Not a channel of this process: on Redis those are drained by its reader.
    dead_holder = "socket-of-a-dead-worker"
    group = conversation_group(conversation.public_id)
    await layer.group_add(group, dead_holder)
    if channel_full:
        assert await fill(layer, dead_holder) == 100
    await sync_to_async(leases.acquire_lease)(
        conversation_id=conversation.pk, holder=dead_holder, ttl_s=1.0
    )
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    presence, _ = await receive_until(communicator, "presence")
    assert presence["role"] == "viewer"
    await communicator.send_json_to({"type": "takeover"})
    presence, _ = await receive_until(communicator, "presence", within_s=8)
    assert presence["role"] == "owner"
    await receive_until(communicator, "session.created")
    await communicator.disconnect()
    # The dead holder's channel left the group: it no longer fills up. Emptied
    # first, so a full channel cannot hide that the group still reaches it; a
    # witness in the group shows when the group's next message was delivered.
    await drain(layer, dead_holder)
    witness = "a-witness-in-the-group"
    await layer.group_add(group, witness)
    await layer.group_send(group, {"type": "conversation.event", "text": "after"})
    async with asyncio.timeout(10):
        while (await layer.receive(witness)).get("text") != "after":
            pass
    left = await drain(layer, dead_holder)
    assert "after" not in [message.get("text") for message in left]


async def fill(layer, channel: str) -> int:
    """Send to `channel` until the layer refuses; return how many it took."""
    sent = 0
    with contextlib.suppress(ChannelFull):
        while sent < 10_000:
            await layer.send(channel, {"type": "conversation.event", "text": "{}"})
            sent += 1
    return sent


async def drain(layer, channel: str) -> list[dict]:
    """Every message queued on `channel`: read until none comes for 1 s."""
    received = []
    with contextlib.suppress(TimeoutError):
        while True:
            async with asyncio.timeout(1):
                received.append(await layer.receive(channel))
    return received


async def test_status_events_name_their_run(conversation, user, live_settings):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    connected, _ = await receive_until(communicator, "session.created")
    status, _ = await receive_until(communicator, "status")
    assert (status["status"], status["run_id"]) == ("connected", connected["run_id"])
    await communicator.disconnect()


class ClosingServer:
    """The server between a browser's close frame and its disconnect event.

    Daphne (through autobahn) refuses to send on a socket in that state.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.closing = False

    async def __call__(self, scope, receive, send) -> None:
        async def refusing_send(message) -> None:
            if self.closing and message["type"] == "websocket.send":
                raise Disconnected("Attempt to send on a closed protocol")
            await send(message)

        await self.app(scope, receive, refusing_send)


async def test_events_for_a_closing_socket_do_not_strand_the_conversation(
    conversation, user, live_settings
):
    server = ClosingServer(application)
    cookie = await sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(
        server,
        f"/ws/conversations/{conversation.public_id}/",
        headers=[HOST, ORIGIN, (b"cookie", cookie)],
    )
    await communicator.connect(timeout=HANDSHAKE_TIMEOUT_S)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    await communicator.send_json_to({"type": "text", "text": "a reply streams"})
    await receive_until(communicator, "transcript.delta")
    server.closing = True  # the page closed its socket; more deltas arrive
    await asyncio.sleep(0.3)
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(timeout=5)
    holder = await sync_to_async(leases.current_lease_holder)(
        conversation_id=conversation.pk
    )
    assert holder == ""


async def test_a_failing_handler_does_not_strand_the_conversation(
    conversation, user, live_settings
):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    # A handler fails (here on a message without its text, as a Redis timeout
    # or a database error would in real life).
    layer = get_channel_layer()
    await layer.group_send(
        conversation_group(conversation.public_id), {"type": "conversation.event"}
    )
    await asyncio.sleep(0.3)
    await communicator.send_json_to({"type": "text", "text": "still here?"})
    await receive_until(communicator, "turn.complete")
    await communicator.disconnect()
    holder = await sync_to_async(leases.current_lease_holder)(
        conversation_id=conversation.pk
    )
    assert holder == ""


async def test_a_socket_ended_by_a_failing_channel_layer_lets_go_of_its_lease(
    conversation, user, live_settings, monkeypatch
):
    # A Redis read that times out ends the consumer without a disconnect: the
    # lease must not stay renewed, or no other device could ever take over.
    layer = get_channel_layer()
    layer_receive = layer.receive
    failing = asyncio.Event()

    async def receive(channel):
        message = asyncio.ensure_future(layer_receive(channel))
        fail = asyncio.ensure_future(failing.wait())
        await asyncio.wait({message, fail}, return_when=asyncio.FIRST_COMPLETED)
        if message.done():
            fail.cancel()
            return message.result()
        message.cancel()
        raise TimeoutError("Timeout reading from the channel layer")

    monkeypatch.setattr(layer, "receive", receive)
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    assert await sync_to_async(leases.current_lease_holder)(
        conversation_id=conversation.pk
    )

    failing.set()
    with contextlib.suppress(TimeoutError):
        await communicator.wait(timeout=5)

    holder = await sync_to_async(leases.current_lease_holder)(
        conversation_id=conversation.pk
    )
    assert holder == ""
