"""A socket path that no route matches is refused at the handshake, not crashed on."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.conversations.sockets import HANDSHAKE_TIMEOUT_S, HOST, ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

# Fixed ids: parallel test processes must collect the same parameters.
SOME_ID = "3f2b9c1e-8d4a-4c6e-9b7f-2a1d5e8c0f34"
UNKNOWN_PATHS = [
    "/ws/conversations/xyz/",
    f"/ws/conversations/{SOME_ID.upper()}/",
    f"/ws/conversations/{SOME_ID}",  # no trailing slash
    f"/ws/conversations/{SOME_ID}/extra/",
    "/ws/",
    "/",
]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_an_unknown_socket_path_is_refused_at_the_handshake(path):
    communicator = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN])
    connected, _ = await communicator.connect(timeout=HANDSHAKE_TIMEOUT_S)
    assert not connected
