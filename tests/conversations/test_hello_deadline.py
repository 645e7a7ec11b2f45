"""A socket that has not sent hello within CONVERSATION_HELLO_TIMEOUT_S is closed."""

from __future__ import annotations

import asyncio

import pytest

from .sockets import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(socket):
    while True:
        frame = await socket.receive_output(timeout=10)
        if frame["type"] == "websocket.close":
            return frame


async def test_a_socket_that_never_says_hello_is_closed_with_4408(
    conversation, user, live_settings
):
    live_settings.CONVERSATION_HELLO_TIMEOUT_S = 1
    socket, connected = await open_socket(conversation, user)
    assert connected
    closed = await closed_with(socket)
    assert closed["code"] == 4408


async def test_a_socket_that_said_hello_stays_open(conversation, user, live_settings):
    live_settings.CONVERSATION_HELLO_TIMEOUT_S = 1
    socket, _ = await open_socket(conversation, user)
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(socket, "session.created")
    await asyncio.sleep(2)  # twice the deadline
    await socket.send_json_to({"type": "text", "text": "still here?"})
    answer, _ = await receive_until(socket, "turn.complete")
    assert answer["type"] == "turn.complete"
    await socket.disconnect()


async def test_frames_other_than_hello_do_not_keep_it_open(
    conversation, user, live_settings
):
    live_settings.CONVERSATION_HELLO_TIMEOUT_S = 1
    socket, _ = await open_socket(conversation, user)
    await socket.send_json_to({"type": "text", "text": "no hello"})
    closed = await closed_with(socket)
    assert closed["code"] == 4408
