"""A socket path that no route matches is refused at the handshake, not crashed on."""

from __future__ import annotations

import uuid

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.conversations.sockets import HOST, ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_PATHS = [
    "/ws/conversations/xyz/",
    f"/ws/conversations/{str(uuid.uuid4()).upper()}/",
    f"/ws/conversations/{uuid.uuid4()}",  # no trailing slash
    f"/ws/conversations/{uuid.uuid4()}/extra/",
    "/ws/",
    "/",
]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_an_unknown_socket_path_is_refused_at_the_handshake(path):
    communicator = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN])
    connected, _ = await communicator.connect()
    assert not connected
