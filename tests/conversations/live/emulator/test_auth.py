"""Credentials and ephemeral tokens: carriers, minting, uses, expiry, locking."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import httpx
import pytest

from .wire_client import (
    KEY,
    TEXT_MODEL,
    close_of,
    latest_handle,
    open_session,
    read_turn,
    refused,
    reply_text,
    text_setup,
    ws_url,
)

UNREGISTERED = "Method doesn't allow unregistered callers"
TOKEN_PATH = {"version": "v1alpha", "method": "BidiGenerateContentConstrained"}


async def mint(emulator, body=None, key=KEY) -> httpx.Response:
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        return await client.post(
            "/v1alpha/auth_tokens", json=body or {}, headers={"x-goog-api-key": key}
        )


async def token_for(emulator, **body) -> str:
    response = await mint(emulator, body)
    assert response.status_code == 200
    return response.json()["name"]


def constrained(emulator, token: str) -> str:
    return ws_url(emulator, query=f"access_token={token}", **TOKEN_PATH)


def in_seconds(seconds: float) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return moment.isoformat()


async def test_key_in_query_opens_a_session(emulator):
    ws = await open_session(ws_url(emulator, query=f"key={KEY}"), text_setup())
    await ws.close()


async def test_key_in_header_opens_a_session(emulator):
    ws = await open_session(
        ws_url(emulator, query=""),
        text_setup(),
        additional_headers={"x-goog-api-key": KEY},
    )
    await ws.close()


async def test_token_in_query_opens_a_session(emulator):
    token = await token_for(emulator)
    ws = await open_session(constrained(emulator, token), text_setup())
    await ws.close()


async def test_token_in_authorization_header_opens_a_session(emulator):
    token = await token_for(emulator)
    ws = await open_session(
        ws_url(emulator, query="", **TOKEN_PATH),
        text_setup(),
        additional_headers={
            "Authorization": f"Token {token}",
            "x-goog-api-key": token,
        },
    )
    await ws.close()


async def test_missing_credential_closes_1008_within_123_bytes(emulator):
    code, reason = await refused(ws_url(emulator, query=""), text_setup())
    assert code == 1008
    assert reason.startswith(UNREGISTERED)
    assert len(reason.encode()) <= 123


async def test_wrong_key_closes_1007(emulator):
    code, reason = await refused(ws_url(emulator, query="key=wrong"), text_setup())
    assert (code, reason) == (1007, "API key not valid. Please pass a valid API key.")


async def test_token_on_the_plain_method_is_refused(emulator):
    token = await token_for(emulator)
    code, _ = await refused(ws_url(emulator, query=f"key={token}"), text_setup())
    assert code == 1007


async def test_mint_returns_the_token_resource(emulator):
    response = await mint(emulator, {"uses": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["name"].startswith("auth_tokens/")
    assert body["uses"] == 2
    assert dt.datetime.fromisoformat(body["expireTime"]) > dt.datetime.now(dt.UTC)
    assert dt.datetime.fromisoformat(body["newSessionExpireTime"]) > dt.datetime.now(
        dt.UTC
    )


async def test_mint_accepts_the_key_in_the_query(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        response = await client.post(f"/v1alpha/auth_tokens?key={KEY}", json={})
    assert response.status_code == 200


async def test_mint_without_a_key_is_401(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        response = await client.post("/v1alpha/auth_tokens", json={})
    assert response.status_code == 401


async def test_mint_with_a_wrong_key_is_403(emulator):
    assert (await mint(emulator, key="wrong")).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        b"{garbage",
        b'{"expireTime": "tomorrow"}',
        b'{"expireTime": "2020-01-01T00:00:00Z"}',
        b'{"uses": -1}',
        b'{"colour": "blue"}',
        b'{"bidiGenerateContentSetup": {"model": "models/nope"}}',
        b'{"bidiGenerateContentSetup": {}, "fieldMask": "generationConfig.nope"}',
    ],
)
async def test_mint_rejects_a_bad_body_with_a_json_400(emulator, body):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        response = await client.post(
            "/v1alpha/auth_tokens",
            content=body,
            headers={"x-goog-api-key": KEY, "content-type": "application/json"},
        )
    assert response.status_code == 400
    assert response.json()["error"]["message"]


async def test_spent_token_is_refused(emulator):
    token = await token_for(emulator, uses=1)
    ws = await open_session(constrained(emulator, token), text_setup())
    await ws.close()
    code, reason = await refused(constrained(emulator, token), text_setup())
    assert code == 1008
    assert reason.startswith(UNREGISTERED)
    assert emulator.snapshot()["tokens"] == {"minted": 1, "accepted": 1, "refused": 1}


async def test_unlimited_token_opens_many_sessions(emulator):
    token = await token_for(emulator, uses=0)
    for _ in range(3):
        ws = await open_session(constrained(emulator, token), text_setup())
        await ws.close()
    assert emulator.snapshot()["tokens"]["accepted"] == 3


async def test_token_after_its_new_session_time_is_refused(emulator):
    # Long enough to be minted on a busy machine; then wait it out.
    deadline = time.time() + 1.0
    token = await token_for(
        emulator,
        newSessionExpireTime=dt.datetime.fromtimestamp(deadline, dt.UTC).isoformat(),
    )
    await asyncio.sleep(deadline - time.time() + 0.1)
    code, _ = await refused(constrained(emulator, token), text_setup())
    assert code == 1008


async def test_resuming_with_a_spent_token_does_not_count_as_a_use(emulator):
    token = await token_for(emulator, uses=1)
    setup = text_setup(sessionResumption={})
    ws = await open_session(constrained(emulator, token), setup)
    handle = await latest_handle(ws)
    await ws.close()
    resume = text_setup(sessionResumption={"handle": handle})
    ws = await open_session(constrained(emulator, token), resume)
    await ws.close()
    assert emulator.snapshot()["tokens"] == {"minted": 1, "accepted": 2, "refused": 0}


async def test_messages_after_expire_time_are_refused(emulator):
    token = await token_for(emulator)
    ws = await open_session(constrained(emulator, token), text_setup())
    emulator.tokens.tokens[token].expire_time = time.time() - 1
    await ws.send(json.dumps({"realtimeInput": {"text": "late"}}))
    code, _ = await close_of(ws)
    assert code == 1008


async def test_locked_setup_wins_over_the_client(emulator):
    locked = {"model": TEXT_MODEL, "generationConfig": {"responseModalities": ["TEXT"]}}
    token = await token_for(emulator, bidiGenerateContentSetup=locked)
    asked = {
        "setup": {
            "model": "models/gemini-2.5-flash-native-audio-preview-12-2025",
            "generationConfig": {"responseModalities": ["AUDIO"]},
        }
    }
    ws = await open_session(constrained(emulator, token), asked)
    await ws.send(json.dumps({"realtimeInput": {"text": "hi"}}))
    assert reply_text(await read_turn(ws)).startswith("Turn 1.")
    await ws.close()
    assert emulator.snapshot()["sessions"][0]["model"] == TEXT_MODEL


async def test_field_mask_locks_only_the_listed_fields(emulator):
    locked = {"model": TEXT_MODEL, "generationConfig": {"responseModalities": ["TEXT"]}}
    token = await token_for(
        emulator,
        bidiGenerateContentSetup=locked,
        fieldMask="generationConfig.responseModalities",
    )
    other_model = "models/gemini-2.5-flash-native-audio-preview-12-2025"
    asked = {
        "setup": {
            "model": other_model,
            "generationConfig": {"responseModalities": ["AUDIO"]},
        }
    }
    ws = await open_session(constrained(emulator, token), asked)
    await ws.send(json.dumps({"realtimeInput": {"text": "hi"}}))
    assert reply_text(await read_turn(ws)).startswith("Turn 1.")
    await ws.close()
    assert emulator.snapshot()["sessions"][0]["model"] == other_model
