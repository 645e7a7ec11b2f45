"""Ephemeral tokens, minted over real HTTP from the emulator or a misbehaving server."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import httpx
import pytest

from conversations.live import protocol
from conversations.live.tokens import (
    TokenError,
    mint_token,
    obtain_credential,
    websocket_url,
)

from .recorder import fast_config

SETUP = protocol.build_setup(model="gemini-3.8-live")["setup"]


@contextlib.asynccontextmanager
async def http_server(status: int, body: bytes):
    """A tiny real HTTP server that answers every request the same way."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n"
            "content-type: application/json\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_mint_returns_a_token_name(emulator):
    async with httpx.AsyncClient() as http:
        token = await mint_token(http, fast_config(emulator.base_url), SETUP)
    assert token.startswith("auth_tokens/")
    assert emulator.snapshot()["tokens"]["minted"] == 1


async def test_each_credential_is_a_new_token(emulator):
    config = fast_config(emulator.base_url)
    async with httpx.AsyncClient() as http:
        first = await obtain_credential(http, config, SETUP)
        second = await obtain_credential(http, config, SETUP)
    assert first.headers != second.headers
    assert first.url.endswith(
        "v1alpha.GenerativeService.BidiGenerateContentConstrained"
    )
    assert first.url.startswith("ws://127.0.0.1:")


async def test_token_endpoint_outage_is_retryable(emulator):
    emulator.inject_fault({"action": "fail_token_mints", "count": 1})
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenError) as caught:
            await mint_token(http, fast_config(emulator.base_url), SETUP)
    assert caught.value.retryable


async def test_a_bad_key_is_not_retryable(emulator):
    config = fast_config(emulator.base_url, api_key="wrong-key")
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenError) as caught:
            await mint_token(http, config, SETUP)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"<html>oops</html>"), (200, b'{"name": 42}'), (502, b"bad gateway")],
)
async def test_garbage_from_the_token_endpoint_is_a_retryable_error(status, body):
    async with http_server(status, body) as base_url:
        async with httpx.AsyncClient() as http:
            with pytest.raises(TokenError) as caught:
                await mint_token(http, fast_config(base_url), SETUP)
    assert caught.value.retryable


async def test_unreachable_token_endpoint_is_retryable():
    async with http_server(200, b"") as base_url:
        pass  # the port is closed again
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenError) as caught:
            await mint_token(http, fast_config(base_url), SETUP)
    assert caught.value.retryable


async def test_key_mode_uses_the_key_on_the_plain_endpoint():
    config = replace(
        fast_config("https://generativelanguage.googleapis.com"), auth_mode="key"
    )
    async with httpx.AsyncClient() as http:
        credential = await obtain_credential(http, config, SETUP)
    assert credential.url == websocket_url(
        "https://generativelanguage.googleapis.com",
        version="v1beta",
        method="BidiGenerateContent",
    )
    assert credential.url.startswith("wss://")
    assert credential.headers == {"x-goog-api-key": "emulator-key"}


async def test_credential_repr_hides_the_secret(emulator):
    async with httpx.AsyncClient() as http:
        credential = await obtain_credential(
            http, fast_config(emulator.base_url), SETUP
        )
    token = credential.headers["Authorization"].removeprefix("Token ")
    assert token not in repr(credential)
