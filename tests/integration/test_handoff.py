"""Continue anywhere: a second device takes a conversation over, across workers.

One upstream per conversation: the new device waits until the old owner let go
(or, when the old owner's worker died, until its lease lapsed), then resumes the
same Live session with the stored handle.
"""

from __future__ import annotations

import os

import pytest

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import (
    EMAIL,
    PASSWORD,
    assert_consistent,
    reply,
    say,
)

pytestmark = [
    pytest.mark.app_env(CONVERSATION_LEASE_TTL_S="2", LIVE_MAX_BACKOFF_MS="300"),
    pytest.mark.emulator_config(reply_chunk_delay_s=0.01),
]

needs_shared_layer = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="workers reach each other only through the Redis channel layer",
)


async def start_on(worker, app_server, cookie):
    public_id = app_server.create_conversation(EMAIL)
    socket = await BrowserSocket.open(worker, public_id, cookie)
    await socket.hello()
    await socket.expect("session.created")
    return public_id, socket


async def test_second_tab_watches_then_takes_over(app_server, account):
    worker = app_server.workers[0]
    public_id, laptop = await start_on(worker, app_server, account)
    await say(laptop, "one")
    phone = await BrowserSocket.open(worker, public_id, account)
    await phone.hello(last_seq=0)
    presence = await phone.expect("presence")
    assert presence == {"type": "presence", "role": "viewer", "live_elsewhere": True}
    assert [e["seq"] for e in phone.of("transcript.item")] == [1, 2]
    await say(laptop, "two")
    # The viewer watches the live transcript.
    await phone.expect("transcript.item", lambda e: "two" in e["content"])
    await phone.send(type="text", text="not yet mine")
    text_error = await phone.expect("error")
    assert text_error["code"] == "not_owner"

    await phone.send(type="takeover")
    await laptop.expect("device.replaced")
    owner = await phone.expect("presence", lambda e: e["role"] == "owner")
    assert owner["live_elsewhere"] is False
    created = await phone.expect("session.created")
    assert created["resumed"] is True
    answer = await say(phone, "three")
    assert answer["content"] == reply(3, "three", "one")
    await laptop.close()
    await phone.close()
    assert_consistent(app_server, public_id)
    runs = app_server.runs(public_id)
    assert runs[0]["end_reason"] == "device_switch"


@needs_shared_layer
async def test_handoff_between_two_workers(app_server, account):
    worker_a = app_server.workers[0]
    worker_b = app_server.start_worker()
    public_id, laptop = await start_on(worker_a, app_server, account)
    await say(laptop, "one")
    phone_cookie = app_server.login(EMAIL, PASSWORD, worker_b)
    phone = await BrowserSocket.open(worker_b, public_id, phone_cookie)
    await phone.hello(last_seq=0)
    await phone.expect("presence", lambda e: e["role"] == "viewer")
    await phone.send(type="takeover")
    await laptop.expect("device.replaced", within_s=5)
    await phone.expect("presence", lambda e: e["role"] == "owner")
    answer = await say(phone, "two")
    assert answer["content"] == reply(2, "two", "one")
    await laptop.close()
    await phone.close()
    assert_consistent(app_server, public_id)


async def test_killed_worker_loses_nothing_persisted(app_server, account):
    worker_a = app_server.workers[0]
    worker_b = app_server.start_worker()
    public_id, laptop = await start_on(worker_a, app_server, account)
    await say(laptop, "one")
    await say(laptop, "two")
    worker_a.kill()
    phone_cookie = app_server.login(EMAIL, PASSWORD, worker_b)
    phone = await BrowserSocket.open(worker_b, public_id, phone_cookie)
    await phone.hello(last_seq=0)
    await phone.expect("presence")
    if phone.of("presence")[-1]["role"] == "viewer":
        # The dead worker's lease has not lapsed yet: ask for it.
        await phone.send(type="takeover")
        await phone.expect("presence", lambda e: e["role"] == "owner", within_s=10)
    created = await phone.expect("session.created", within_s=10)
    assert created["resumed"] is True
    assert [e["seq"] for e in phone.of("transcript.item")] == [1, 2, 3, 4]
    answer = await say(phone, "three")
    assert answer["content"] == reply(3, "three", "one")
    await phone.close()
    assert_consistent(app_server, public_id)
    assert app_server.runs(public_id)[0]["end_reason"] == "worker_lost"
