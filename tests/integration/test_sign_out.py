"""Signing out and password changes close open sockets, over real Daphne workers.

With Redis, the sign-out happens on one worker and the socket is on another.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import EMAIL, PASSWORD, open_conversation, say

pytestmark = [
    pytest.mark.app_env(CONVERSATION_LEASE_TTL_S="2", LIVE_MAX_BACKOFF_MS="300"),
    pytest.mark.emulator_config(reply_chunk_delay_s=0.01),
]

NEW_PASSWORD = "a-new-long-passphrase-7"


def post_form(worker, cookie: str, path: str, data: dict[str, str]) -> int:
    """Submit a page's form as its signed-in browser would; the status code."""
    with httpx.Client(base_url=worker.url, cookies={"sessionid": cookie}) as client:
        page = client.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.status_code
        response = client.post(
            path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": worker.url + path},
        )
    return response.status_code


def other_worker(app_server):
    """A second worker when workers reach each other (Redis), else the same one."""
    if os.environ.get("REDIS_URL"):
        return app_server.start_worker()
    return app_server.workers[0]


async def closed(socket: BrowserSocket) -> int:
    await socket.connection.wait_closed()
    return socket.connection.close_code


async def test_signing_out_closes_that_sessions_socket(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "hello")
    elsewhere = other_worker(app_server)

    assert post_form(elsewhere, account, "/accounts/logout/", {}) == 302

    assert await closed(socket) == 4401
    assert [e["code"] for e in socket.of("error")] == ["signed_out"]
    assert app_server.runs(public_id)[-1]["end_reason"] == "browser_left"


async def test_a_password_change_closes_another_sessions_socket(app_server, account):
    _, socket = await open_conversation(app_server, account)
    elsewhere = other_worker(app_server)
    laptop = app_server.login(EMAIL, PASSWORD, elsewhere)

    status = post_form(
        elsewhere,
        laptop,
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert status == 302
    assert await closed(socket) == 4401
