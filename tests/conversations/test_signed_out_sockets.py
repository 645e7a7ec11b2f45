"""Signing out, a password change or reset, and a deleted account reach open sockets.

A socket authenticates once, at its handshake. Afterwards, the sockets whose
session no longer signs the user in are told (`error` `signed_out`) and closed
with 4401 on every worker, and their upstream stops; the page then sends the
user to the sign-in page. Sessions that still hold keep their sockets.
"""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.test import Client
from django.urls import reverse

from config.asgi import application
from conversations import selectors

from .sockets import HANDSHAKE_TIMEOUT_S, HOST, ORIGIN, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "another-long-passphrase-42"


async def signed_in(user):
    """A browser: its own session of the user."""
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client


async def live_socket(client, conversation):
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(
        application,
        f"/ws/conversations/{conversation.public_id}/",
        headers=[HOST, ORIGIN, (b"cookie", cookie)],
    )
    connected, _ = await socket.connect(timeout=HANDSHAKE_TIMEOUT_S)
    assert connected
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(socket, "presence")
    return socket


async def closed(socket):
    """Frames until the server closes the socket: the error it said, and the close."""
    said = None
    while True:
        frame = await socket.receive_output(timeout=10)
        if frame["type"] == "websocket.close":
            return said, frame
        if frame.get("text") and json.loads(frame["text"])["type"] == "error":
            said = json.loads(frame["text"])


async def still_answers(socket):
    await socket.send_json_to({"type": "text", "text": "still here?"})
    message, _ = await receive_until(socket, "turn.complete", within_s=10)
    return message["type"] == "turn.complete"


async def post(client, url, data=None):
    return await sync_to_async(client.post)(url, data or {})


async def test_signing_out_closes_that_sessions_socket_with_4401(
    conversation, user, live_settings
):
    browser = await signed_in(user)
    socket = await live_socket(browser, conversation)
    await post(browser, reverse("account_logout"))
    error, close = await closed(socket)
    assert close["code"] == 4401
    assert error["code"] == "signed_out"


async def test_signing_out_stops_the_upstream_at_once(
    conversation, user, live_settings
):
    browser = await signed_in(user)
    socket = await live_socket(browser, conversation)
    await receive_until(socket, "session.created")
    await post(browser, reverse("account_logout"))
    await closed(socket)
    assert await sync_to_async(selectors.held_upstreams)(owner_id=user.pk) == []
    run = await sync_to_async(conversation.runs.get)(run_id=0)
    assert run.ended_at is not None


async def test_signing_out_leaves_the_users_other_sessions_alone(
    conversation, user, live_settings
):
    laptop, phone = await signed_in(user), await signed_in(user)
    watching = await live_socket(laptop, conversation)
    talking = await live_socket(phone, conversation)
    # The phone signs out; the laptop's session still holds.
    await post(phone, reverse("account_logout"))
    await closed(talking)
    await watching.send_json_to({"type": "takeover"})
    await receive_until(watching, "session.created", within_s=15)
    assert await still_answers(watching)
    await watching.disconnect()


async def test_a_password_change_closes_the_users_other_sessions_sockets(
    conversation, user, password, live_settings
):
    laptop, phone = await signed_in(user), await signed_in(user)
    socket = await live_socket(phone, conversation)
    response = await post(
        laptop,
        reverse("account_change_password"),
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    error, close = await closed(socket)
    assert close["code"] == 4401


async def test_a_password_change_keeps_the_changing_sessions_socket(
    conversation, user, password, live_settings
):
    laptop = await signed_in(user)
    socket = await live_socket(laptop, conversation)
    await receive_until(socket, "session.created")
    await post(
        laptop,
        reverse("account_change_password"),
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert await still_answers(socket)
    await socket.disconnect()


async def test_a_password_reset_closes_every_socket_of_the_user(
    conversation, user, live_settings
):
    socket = await live_socket(await signed_in(user), conversation)
    stranger = Client()
    await post(stranger, reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://\S+/password/reset/key/\S+/", mail.outbox[-1].body)
    assert link
    form = await sync_to_async(stranger.get)(link.group(0), follow=True)
    await post(
        stranger,
        form.redirect_chain[-1][0],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    error, close = await closed(socket)
    assert close["code"] == 4401


async def test_deleting_the_account_closes_its_sockets(
    conversation, user, live_settings
):
    socket = await live_socket(await signed_in(user), conversation)
    await sync_to_async(user.delete)()
    error, close = await closed(socket)
    assert close["code"] == 4401


async def test_another_users_sign_out_changes_nothing(
    conversation, user, other_user, live_settings
):
    socket = await live_socket(await signed_in(user), conversation)
    await receive_until(socket, "session.created")
    await post(await signed_in(other_user), reverse("account_logout"))
    assert await still_answers(socket)
    await socket.disconnect()
