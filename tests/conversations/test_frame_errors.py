"""Hostile frames on a live socket are answered with a documented code, never a crash.

The real ASGI application in-process, the Live emulator over real sockets.
"""

from __future__ import annotations

import json

import pytest

from .sockets import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def greeted_socket(conversation, user):
    communicator, _ = await open_socket(conversation, user)
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(communicator, "session.created")
    return communicator


async def answer_to(communicator, frame: str) -> str:
    await communicator.send_to(text_data=frame)
    error, _ = await receive_until(communicator, "error")
    return error["code"]


async def test_json_nested_thousands_deep_is_invalid_json(
    conversation, user, live_settings
):
    communicator = await greeted_socket(conversation, user)
    assert await answer_to(communicator, "[" * 8000) == "invalid_json"
    await communicator.disconnect()


async def test_a_lone_surrogate_in_text_is_invalid_text(
    conversation, user, live_settings
):
    communicator = await greeted_socket(conversation, user)
    frame = json.dumps({"type": "text", "text": "half a pair \ud83d"})
    assert await answer_to(communicator, frame) == "invalid_text"
    await communicator.disconnect()


async def test_a_nul_in_text_is_invalid_text(conversation, user, live_settings):
    communicator = await greeted_socket(conversation, user)
    frame = json.dumps({"type": "text", "text": "nul \x00 inside"})
    assert await answer_to(communicator, frame) == "invalid_text"
    await communicator.disconnect()


async def test_the_socket_still_answers_turns_after_hostile_frames(
    conversation, user, live_settings
):
    communicator = await greeted_socket(conversation, user)
    await answer_to(communicator, "[" * 8000)
    await answer_to(communicator, json.dumps({"type": "text", "text": "\udfff"}))
    await communicator.send_json_to({"type": "text", "text": "still here?"})
    item, _ = await receive_until(communicator, "transcript.item")
    assert item["content"] == "still here?"
    await communicator.disconnect()
