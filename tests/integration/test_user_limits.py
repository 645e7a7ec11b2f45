"""What one user may cost, over real Daphne workers and the emulator.

The live limit counts leases in the shared database, so it holds across workers;
the turn limit counts in the shared cache (Redis when REDIS_URL is set), so
reconnecting, to the same worker or another, does not start it again.
"""

from __future__ import annotations

import os

import pytest

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import EMAIL, PASSWORD, reply, say

pytestmark = [
    pytest.mark.app_env(CONVERSATION_LEASE_TTL_S="2", LIVE_MAX_BACKOFF_MS="300"),
    pytest.mark.emulator_config(reply_chunk_delay_s=0.01),
]

needs_shared_layer = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="workers reach each other (and share a cache) only through Redis",
)


async def live(worker, public_id, cookie):
    socket = await BrowserSocket.open(worker, public_id, cookie)
    await socket.hello()
    await socket.expect("presence", lambda e: e["role"] == "owner")
    await socket.expect("session.created")
    return socket


async def test_the_live_limit_holds_across_workers(app_server, account):
    here, there = app_server.workers[0], app_server.start_worker()
    *first, extra = app_server.create_conversations(EMAIL, ["text"] * 4)
    sockets = [await live(here, public_id, account) for public_id in first]
    cookie = app_server.login(EMAIL, PASSWORD, there)

    socket = await BrowserSocket.open(there, extra, cookie)
    await socket.hello()
    presence = await socket.expect("presence")

    assert presence["role"] == "viewer"
    assert presence["live_limit"] == 3
    assert app_server.runs(extra) == []
    for opened in [*sockets, socket]:
        await opened.close()


@needs_shared_layer
async def test_continuing_here_pauses_a_conversation_on_another_worker(
    app_server, account
):
    here, there = app_server.workers[0], app_server.start_worker()
    *first, extra = app_server.create_conversations(EMAIL, ["text"] * 4)
    sockets = [await live(here, public_id, account) for public_id in first]
    cookie = app_server.login(EMAIL, PASSWORD, there)
    socket = await BrowserSocket.open(there, extra, cookie)
    await socket.hello()
    await socket.expect("presence", lambda e: e["live_limit"] == 3)

    await socket.send(type="takeover")

    paused = await sockets[0].expect("status", lambda e: e["status"] == "disconnected")
    assert paused["reason"] == "idle"
    await socket.expect("presence", lambda e: e["role"] == "owner")
    await socket.expect("session.created")
    assert app_server.runs(first[0])[-1]["end_reason"] == "idle"
    for opened in [*sockets, socket]:
        await opened.close()


@pytest.mark.app_env(CONVERSATION_IDLE_PAUSE_S="1", CONVERSATION_LEASE_TTL_S="2")
async def test_an_idle_conversation_pauses_then_carries_on_with_its_handle(
    app_server, account
):
    [public_id] = app_server.create_conversations(EMAIL, ["text"])
    socket = await live(app_server.workers[0], public_id, account)
    await say(socket, "one")
    paused = await socket.expect("status", lambda e: e["status"] == "disconnected")
    assert paused["reason"] == "idle"
    assert [e["code"] for e in socket.of("error")] == []

    answer = await say(socket, "two")

    assert answer["content"] == reply(2, "two", "one")
    restored = socket.of("context.restored")
    assert [e["source"] for e in restored] == ["handle"]
    runs = app_server.runs(public_id)
    assert [(r["end_reason"], r["began"]) for r in runs[:2]] == [
        ("idle", "new"),
        ("", "resumed_with_handle"),
    ]
    await socket.close()


@pytest.mark.app_env(CONVERSATION_HELLO_TIMEOUT_S="1")
async def test_a_socket_that_never_says_hello_is_closed(app_server, account):
    [public_id] = app_server.create_conversations(EMAIL, ["text"])
    socket = await BrowserSocket.open(app_server.workers[0], public_id, account)
    await socket.connection.wait_closed()
    assert socket.connection.close_code == 4408


@pytest.mark.app_env(CONVERSATION_TURN_RATE="30/h", CONVERSATION_LEASE_TTL_S="2")
async def test_thirty_reconnects_of_twenty_turns_store_only_the_users_limit(
    app_server, account
):
    workers = [app_server.workers[0]]
    cookies = [account]
    if os.environ.get("REDIS_URL"):
        # The cache is shared: reconnecting to another worker counts on.
        workers.append(app_server.start_worker())
        cookies.append(app_server.login(EMAIL, PASSWORD, workers[1]))
    [public_id] = app_server.create_conversations(EMAIL, ["text"])
    outcomes = []
    for reconnect in range(30):
        side = reconnect % len(workers)
        socket = await BrowserSocket.open(workers[side], public_id, cookies[side])
        await socket.hello()
        if (await socket.expect("presence"))["role"] == "viewer":
            # The last socket's worker has not let go yet: as a page would.
            await socket.send(type="takeover")
            await socket.expect("presence", lambda e: e["role"] == "owner")
        # Twenty: with hello and takeover, 30 frames at once would overrun the
        # socket's frame budget (a burst of 30), whose drops are told once a second.
        for n in range(20):
            turn_id = f"r{reconnect}t{n}"
            await socket.send(type="text", id=turn_id, text=turn_id)
            answer = await socket.expect(
                ("transcript.item", "error"),
                lambda e, turn_id=turn_id: e["type"] == "error" or e["id"] == turn_id,
            )
            outcomes.append(answer.get("code", "stored"))
        await socket.close()
    assert outcomes.count("stored") == 30
    assert outcomes.count("rate_limited") == 30 * 20 - 30
    stored = [i for i in app_server.transcript(public_id) if i["role"] == "user"]
    assert len(stored) == 30
