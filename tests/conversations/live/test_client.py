"""One upstream connection over real sockets: the emulator, or a misbehaving server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace

import httpx
import pytest
from websockets.asyncio.server import serve

from conversations.live import protocol
from conversations.live.client import ConnectFailed, open_connection
from conversations.live.protocol import ModelText, TurnComplete

from .recorder import TEXT_MODEL, fast_config

SETUP = protocol.build_setup(model=TEXT_MODEL, response_modality="TEXT")


async def read_reply(connection) -> str:
    text = ""
    async for event in connection.events():
        if isinstance(event, ModelText):
            text += event.text
        if isinstance(event, TurnComplete):
            return text
    raise AssertionError("connection ended before the reply completed")


@pytest.mark.parametrize("auth_mode", ["ephemeral", "key"])
async def test_a_turn_round_trips(emulator, auth_mode):
    config = fast_config(emulator.base_url, auth_mode=auth_mode)
    async with httpx.AsyncClient() as http:
        connection = await open_connection(config, http, SETUP)
        await connection.send(protocol.build_user_turn("hello"))
        reply = await read_reply(connection)
        await connection.close()
    assert reply == 'Turn 1. You said "hello". You first said "hello".'


async def test_an_unknown_model_fails_with_the_close_reason(emulator):
    setup = protocol.build_setup(model="gemini-0-nonexistent")
    config = fast_config(emulator.base_url, auth_mode="key")
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConnectFailed) as caught:
            await open_connection(config, http, setup)
    assert caught.value.code == 1008
    assert "not found" in caught.value.reason


async def test_an_unknown_model_cannot_even_get_a_token(emulator):
    setup = protocol.build_setup(model="gemini-0-nonexistent")
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConnectFailed) as caught:
            await open_connection(fast_config(emulator.base_url), http, setup)
    assert not caught.value.retryable


async def test_a_stalled_server_is_detected_in_bounded_time(emulator):
    config = fast_config(emulator.base_url, liveness_timeout_s=0.6, ping_interval_s=0.1)
    async with httpx.AsyncClient() as http:
        connection = await open_connection(config, http, SETUP)
        emulator.inject_fault({"action": "stall", "seconds": 30})
        async with asyncio.timeout(5):
            async for _event in connection.events():
                pass
    assert connection.stalled
    assert connection.close_code == 1006


async def test_a_quiet_but_healthy_server_is_not_cut(emulator):
    config = fast_config(emulator.base_url, liveness_timeout_s=0.6, ping_interval_s=0.1)
    async with httpx.AsyncClient() as http:
        connection = await open_connection(config, http, SETUP)
        reader = asyncio.create_task(read_reply(connection))
        await asyncio.sleep(1.5)  # silence longer than the liveness timeout
        assert not reader.done()
        await connection.send(protocol.build_user_turn("still there?"))
        async with asyncio.timeout(5):
            reply = await reader
        await connection.close()
    assert reply.startswith("Turn 1.")


@contextlib.asynccontextmanager
async def live_server(after_setup: bytes | str):
    """A tiny real WebSocket server: answers setup, then sends one chosen frame."""

    async def handler(websocket):
        await websocket.recv()
        await websocket.send(b'{"setupComplete": {}}')
        await websocket.send(after_setup)
        with contextlib.suppress(Exception):
            await websocket.wait_closed()

    async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"


async def test_an_oversize_frame_ends_the_connection_with_1009():
    big = json.dumps(
        {"serverContent": {"modelTurn": {"parts": [{"text": "x" * 5000}]}}}
    )
    async with live_server(big) as base_url:
        config = fast_config(base_url, auth_mode="key", max_frame_bytes=1024)
        async with httpx.AsyncClient() as http:
            connection = await open_connection(config, http, SETUP)
            async with asyncio.timeout(5):
                events = [event async for event in connection.events()]
    assert events == []
    assert connection.close_code == 1009


async def test_a_malformed_frame_ends_the_connection_with_1007():
    async with live_server(b"\x00garbage") as base_url:
        config = fast_config(base_url, auth_mode="key")
        async with httpx.AsyncClient() as http:
            connection = await open_connection(config, http, SETUP)
            async with asyncio.timeout(5):
                events = [event async for event in connection.events()]
    assert events == []
    assert connection.malformed is not None
    assert connection.close_code == 1007


async def test_a_server_that_never_completes_setup_times_out():
    async def handler(websocket):
        await websocket.recv()
        await websocket.wait_closed()  # never answers the setup

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        config = replace(
            fast_config(f"http://127.0.0.1:{port}", auth_mode="key"), open_timeout_s=0.5
        )
        async with httpx.AsyncClient() as http:
            with pytest.raises(ConnectFailed) as caught:
                await open_connection(config, http, SETUP)
    assert caught.value.retryable


async def test_an_attempt_cancelled_during_setup_closes_its_socket():
    # Closing a session while it connects must not leave a Live connection
    # attached to the session, or the next resume finds the session busy.
    setup_received = asyncio.Event()
    closed = asyncio.Event()

    async def handler(websocket):
        await websocket.recv()
        setup_received.set()
        await websocket.wait_closed()  # setup never completes
        closed.set()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        config = fast_config(f"http://127.0.0.1:{port}", auth_mode="key")
        async with httpx.AsyncClient() as http:
            attempt = asyncio.create_task(open_connection(config, http, SETUP))
            async with asyncio.timeout(5):
                await setup_received.wait()
            attempt.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await attempt
            async with asyncio.timeout(5):
                await closed.wait()


async def test_http_clients_share_certificates_loaded_once(monkeypatch):
    from conversations.live import client as client_module

    client_module.tls_context()
    loads = []
    monkeypatch.setattr(
        client_module.httpx, "create_ssl_context", lambda: loads.append(1)
    )
    clients = [client_module.http_client() for _ in range(3)]
    for http in clients:
        await http.aclose()
    assert loads == []


def test_websocket_masks_come_from_few_system_calls(monkeypatch):
    import os

    import websockets.frames

    from conversations.live import client as client_module

    calls = []
    real = os.urandom

    def urandom(count: int) -> bytes:
        calls.append(count)
        return real(count)

    monkeypatch.setattr(client_module.os, "urandom", urandom)
    masks = client_module.MaskBytes()
    drawn = [masks.token_bytes(4) for _ in range(1000)]
    assert len(calls) == 1
    assert len(set(drawn)) > 990
    assert isinstance(websockets.frames.secrets, client_module.MaskBytes)
