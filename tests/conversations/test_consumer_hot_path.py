"""The socket's hot path: audio frames and passed-on events touch no database."""

from __future__ import annotations

import channels.consumer
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from conversations import services
from conversations.fanout import conversation_group

from .sockets import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_audio_frames_and_passed_on_events_wait_for_no_database_thread(
    user, live_settings, monkeypatch
):
    voice = await sync_to_async(services.create_conversation)(
        owner=user, title="Voice", mode="voice"
    )
    communicator, _ = await open_socket(voice, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    closings = []
    real = channels.consumer.aclose_old_connections

    async def counted() -> None:
        closings.append(1)
        await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    for _ in range(10):
        await communicator.send_to(bytes_data=b"\x00\x01" * 160)
    await get_channel_layer().group_send(
        conversation_group(voice.public_id),
        {"type": "conversation.event", "text": '{"type": "ping"}'},
    )
    await receive_until(communicator, "ping")
    assert closings == []
    await communicator.disconnect()
