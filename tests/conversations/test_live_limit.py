"""At most CONVERSATION_MAX_LIVE_PER_USER upstream Live sessions per user at once.

Real sockets through the ASGI app, against the Live emulator. The leases in the
database are the count, whichever worker holds them.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conversations import leases, selectors, services
from conversations.models import Run

from .sockets import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3


@pytest.fixture
def limited(live_settings):
    live_settings.CONVERSATION_MAX_LIVE_PER_USER = LIMIT
    return live_settings


async def new_conversations(user, count, mode="text"):
    return [
        await sync_to_async(services.create_conversation)(
            owner=user, title=f"Conversation {n}", mode=mode
        )
        for n in range(count)
    ]


async def greeted(conversation, user):
    """A socket that said hello, with the presence it was given."""
    socket, connected = await open_socket(conversation, user)
    assert connected
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    presence, _ = await receive_until(socket, "presence")
    return socket, presence


async def live(conversation, user):
    socket, presence = await greeted(conversation, user)
    assert presence["role"] == "owner"
    await receive_until(socket, "session.created")
    return socket


async def status_of(socket, status, within_s=10.0):
    """The next `status` event that says `status`."""
    while True:
        message, _ = await receive_until(socket, "status", within_s=within_s)
        if message["status"] == status:
            return message


async def held(user):
    return await sync_to_async(selectors.held_upstreams)(owner_id=user.pk)


async def close_all(sockets):
    for socket in sockets:
        await socket.disconnect()


async def test_a_conversation_past_the_limit_is_told_and_opens_no_upstream(
    user, limited, emulator
):
    *first, extra = await new_conversations(user, LIMIT + 1)
    sockets = [await live(conversation, user) for conversation in first]
    minted = emulator.snapshot()["tokens"]["minted"]

    socket, presence = await greeted(extra, user)

    assert presence == {
        "type": "presence",
        "role": "viewer",
        "live_elsewhere": False,
        "live_limit": LIMIT,
    }
    assert len(await held(user)) == LIMIT
    assert emulator.snapshot()["tokens"]["minted"] == minted
    assert not await sync_to_async(Run.objects.filter(conversation=extra).exists)()
    await close_all([*sockets, socket])


async def test_leases_held_on_other_workers_count(user, limited):
    *elsewhere, here = await new_conversations(user, LIMIT + 1)
    for conversation in elsewhere:
        # Held by sockets of another worker: only the database knows them.
        await sync_to_async(leases.acquire_lease)(
            conversation_id=conversation.pk,
            holder=f"specific.otherworker!{conversation.pk}",
            ttl_s=30,
        )
    socket, presence = await greeted(here, user)
    assert presence["role"] == "viewer"
    assert presence["live_limit"] == LIMIT
    await socket.disconnect()


async def test_a_lapsed_lease_does_not_count(user, limited):
    *elsewhere, here = await new_conversations(user, LIMIT + 1)
    for conversation in elsewhere:
        # A dead worker's leases, already lapsed.
        await sync_to_async(leases.acquire_lease)(
            conversation_id=conversation.pk, holder="specific.dead!x", ttl_s=-1
        )
    socket = await live(here, user)
    await socket.disconnect()


async def test_other_users_live_conversations_do_not_count(user, other_user, limited):
    theirs = await new_conversations(other_user, LIMIT)
    sockets = [await live(conversation, other_user) for conversation in theirs]
    [mine] = await new_conversations(user, 1)
    socket = await live(mine, user)
    await close_all([*sockets, socket])


async def test_sockets_racing_past_the_limit_get_at_most_the_limit(user, limited):
    conversations = await new_conversations(user, LIMIT + 3)
    opened = await asyncio.gather(
        *(greeted(conversation, user) for conversation in conversations)
    )
    roles = [presence["role"] for _, presence in opened]
    assert roles.count("owner") == LIMIT
    assert len(await held(user)) == LIMIT
    await close_all([socket for socket, _ in opened])


async def test_continuing_here_pauses_the_least_recently_active_idle_conversation(
    user, limited
):
    talked, quiet, *others, extra = await new_conversations(user, LIMIT + 1)
    sockets = [await live(c, user) for c in [talked, quiet, *others]]
    # The first conversation opened is the most recently active one now.
    await sockets[0].send_json_to({"type": "text", "text": "still here"})
    await receive_until(sockets[0], "turn.complete")
    socket, _ = await greeted(extra, user)

    await socket.send_json_to({"type": "takeover"})

    paused = await status_of(sockets[1], "disconnected")
    assert paused["reason"] == "idle"
    owner, _ = await receive_until(socket, "presence", within_s=10)
    assert owner["role"] == "owner"
    await receive_until(socket, "session.created")
    holders = {upstream.conversation_id for upstream in await held(user)}
    assert holders == {c.pk for c in [talked, *others, extra]}
    await close_all([*sockets, socket])


async def test_the_paused_conversation_keeps_its_page_as_owner(user, limited):
    oldest, *newer, extra = await new_conversations(user, LIMIT + 1)
    sockets = [await live(conversation, user) for conversation in [oldest, *newer]]
    socket, _ = await greeted(extra, user)
    await socket.send_json_to({"type": "takeover"})
    await status_of(sockets[0], "disconnected")
    presence, _ = await receive_until(sockets[0], "presence")
    assert presence["role"] == "owner"
    run = await sync_to_async(
        Run.objects.filter(conversation=oldest).order_by("-run_id").first
    )()
    assert run.end_reason == Run.EndReason.IDLE
    await close_all([*sockets, socket])


async def test_continuing_here_is_refused_while_every_live_conversation_is_in_use(
    user, limited
):
    voices = await new_conversations(user, LIMIT, mode="voice")
    sockets = [await live(conversation, user) for conversation in voices]
    for voice in sockets:
        # An open microphone: the user may be talking there.
        await voice.send_to(bytes_data=b"\x00\x00" * 1600)
    [extra] = await new_conversations(user, 1)
    socket, _ = await greeted(extra, user)

    await socket.send_json_to({"type": "takeover"})

    error, _ = await receive_until(socket, "error", within_s=15)
    assert error["code"] == "live_limit"
    assert f"All {LIMIT}" in error["message"]
    holders = {upstream.conversation_id for upstream in await held(user)}
    assert holders == {voice.pk for voice in voices}
    await close_all([*sockets, socket])
