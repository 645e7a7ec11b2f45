"""A browser socket in-process: the real ASGI app through Channels' communicator."""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
# A browser's handshake names the host it is on; the origin must match it.
HOST = (b"host", b"127.0.0.1:8000")
# Channels' communicator gives a handshake 1 s, which a busy machine can take;
# like every deadline here, it only runs out when something is wrong.
HANDSHAKE_TIMEOUT_S = 15.0


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(conversation, user=None, origin=ORIGIN, app=application):
    headers = [HOST, origin]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(
        app, f"/ws/conversations/{conversation.public_id}/", headers=headers
    )
    connected, _ = await communicator.connect(timeout=HANDSHAKE_TIMEOUT_S)
    return communicator, connected


async def receive_until(communicator, kind, within_s=15.0):
    """Read frames until an event of `kind` arrives; return it and what came before.

    The deadline only runs out when something is wrong, so it is generous: on a
    busy machine a fresh upstream can take seconds.
    """
    seen = []
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        frame = await communicator.receive_output(timeout=max(remaining, 0.01))
        if frame["type"] != "websocket.send" or frame.get("text") is None:
            continue
        message = json.loads(frame["text"])
        seen.append(message)
        if message["type"] == kind:
            return message, seen
