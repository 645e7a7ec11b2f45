"""The relay between a conversation's Live session and its sockets."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conversations import services
from conversations.live import LiveConfig, LiveSession
from conversations.live.events import StopReason
from conversations.relay import ConversationRelay

pytestmark = pytest.mark.django_db(transaction=True)


async def ignore(*_args) -> None:
    pass


async def test_a_seed_leaves_out_a_turn_queued_while_the_history_was_read(user):
    conversation = await sync_to_async(services.create_conversation)(
        owner=user, title="Seed", mode="text"
    )
    for role, content in [("user", "one"), ("assistant", "Turn 1.")]:
        await sync_to_async(services.record_transcript_item)(
            conversation=conversation, role=role, modality="text", content=content
        )
    relay = ConversationRelay(conversation, publish=ignore, send_audio=ignore)
    config = LiveConfig(api_base="http://127.0.0.1:9", api_key="k", model="m")
    relay._session = LiveSession(config, relay, seed_provider=relay._seed)
    # Stored and queued after the session asked for the seed, before it was read.
    turn, _ = await sync_to_async(services.record_typed_turn)(
        conversation=conversation, content="two"
    )
    await relay._session.send_text("two", turn_id=turn.seq)
    seed = await relay._seed([])
    assert seed == [("user", "one"), ("model", "Turn 1.")]


async def test_a_relay_stopped_while_it_starts_never_opens_a_session(user):
    # A device taking over can stop the relay while it reads its resume plan:
    # a session started after that would hold the upstream with nobody to stop it.
    conversation = await sync_to_async(services.create_conversation)(
        owner=user, title="Race", mode="text"
    )
    config = LiveConfig(api_base="http://127.0.0.1:9", api_key="k", model="m")
    relay = ConversationRelay(
        conversation, publish=ignore, send_audio=ignore, config=config
    )
    starting = asyncio.create_task(relay.start())
    await asyncio.sleep(0)  # start() now waits for its resume plan
    await relay.stop(StopReason.DEVICE_SWITCH)
    await starting
    assert not relay.running


async def test_a_relay_the_user_ended_starts_again_on_resume(user, live_settings):
    conversation = await sync_to_async(services.create_conversation)(
        owner=user, title="Again", mode="text"
    )
    relay = ConversationRelay(conversation, publish=ignore, send_audio=ignore)
    await relay.start()
    await relay.stop(StopReason.USER)
    await relay.resume()
    assert relay.running
    await relay.stop(StopReason.BROWSER_LEFT)


async def test_a_relay_handed_over_says_goodbye_to_its_own_socket_only(user):
    # Its group is already the new owner's too: a "disconnected (device switch)"
    # there could reach the new owner's page before news of the new run.
    conversation = await sync_to_async(services.create_conversation)(
        owner=user, title="Handover", mode="text"
    )
    everyone: list[tuple[str, dict]] = []
    this_socket: list[tuple[str, dict]] = []

    async def publish(kind, payload):
        everyone.append((kind, payload))

    async def tell_owner(kind, payload):
        this_socket.append((kind, payload))

    config = LiveConfig(api_base="http://127.0.0.1:9", api_key="k", model="m")
    relay = ConversationRelay(
        conversation,
        publish=publish,
        send_audio=ignore,
        tell_owner=tell_owner,
        config=config,
    )
    await relay.start()
    await relay.stop(StopReason.DEVICE_SWITCH)

    goodbye = [p for kind, p in this_socket if kind == "status"]
    assert goodbye[-1] == {"status": "disconnected", "reason": "device_switch"}
    assert [p for kind, p in everyone if kind == "status"] == []
