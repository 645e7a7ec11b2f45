"""The channel layer carries a busy worker's transcript events without dropping any."""

import os

import pytest
from channels.layers import get_channel_layer

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="the Redis channel layer shares one queue per worker: set REDIS_URL",
)

# A worker with 50 sockets, each sent 20 events while it was busy elsewhere.
BURST = 1000


async def test_a_burst_for_one_workers_sockets_is_delivered_whole():
    layer = get_channel_layer()
    sockets = [await layer.new_channel() for _ in range(50)]
    for n, socket in enumerate(sockets):
        await layer.group_add(f"burst-{n}", socket)

    for sent in range(BURST):
        await layer.group_send(
            f"burst-{sent % 50}", {"type": "conversation.event", "n": sent}
        )

    received = [await layer.receive(socket) for socket in sockets for _ in range(20)]
    assert sorted(message["n"] for message in received) == list(range(BURST))
    for n, socket in enumerate(sockets):
        await layer.group_discard(f"burst-{n}", socket)


async def test_waiting_for_messages_outlasts_the_layers_blocking_read():
    # A socket with nothing to receive waits in a blocking read of this length;
    # a client read timeout no longer than it ends the wait with an error,
    # and the socket with it.
    layer = get_channel_layer()
    connection = layer.connection(0).connection_pool.make_connection()
    assert connection.socket_timeout > layer.brpop_timeout
