"""A worker keeps its sockets' leases alive, and tells a socket that lost one."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from conversations.leases import acquire_lease, lease_expires_in
from conversations.models import Conversation
from conversations.ownership import LeaseKeeper

pytestmark = pytest.mark.django_db(transaction=True)

TTL_S = 0.6


class LostLeases:
    """Records which sockets the keeper told that their lease was taken."""

    def __init__(self) -> None:
        self.told: list[str] = []
        self.any = asyncio.Event()

    def callback(self, holder: str):
        async def lost() -> None:
            self.told.append(holder)
            self.any.set()

        return lost


def held_conversation(user, holder: str) -> Conversation:
    conversation = Conversation.objects.create(owner=user, title=holder, model="m")
    acquire_lease(conversation_id=conversation.pk, holder=holder, ttl_s=TTL_S)
    return conversation


async def test_kept_leases_outlive_their_lifetime(user):
    conversation = await database_sync_to_async(held_conversation)(user, "socket-a")
    lost = LostLeases()
    keeper = LeaseKeeper.of_this_worker(TTL_S)
    keeper.keep("socket-a", on_lost=lost.callback("socket-a"))

    await asyncio.sleep(TTL_S * 3)

    remaining = await database_sync_to_async(lease_expires_in)(
        conversation_id=conversation.pk
    )
    keeper.stop("socket-a")
    assert remaining > 0
    assert lost.told == []


async def test_only_the_socket_whose_lease_was_taken_is_told(user):
    await database_sync_to_async(held_conversation)(user, "socket-a")
    taken = await database_sync_to_async(held_conversation)(user, "socket-b")
    lost = LostLeases()
    keeper = LeaseKeeper.of_this_worker(TTL_S)
    keeper.keep("socket-a", on_lost=lost.callback("socket-a"))
    keeper.keep("socket-b", on_lost=lost.callback("socket-b"))
    await database_sync_to_async(Conversation.objects.filter(pk=taken.pk).update)(
        lease_holder="socket-c"
    )

    async with asyncio.timeout(TTL_S * 5):
        await lost.any.wait()
    await asyncio.sleep(TTL_S)
    keeper.stop("socket-a")
    assert lost.told == ["socket-b"]


async def test_a_stopped_lease_is_no_longer_renewed(user):
    conversation = await database_sync_to_async(held_conversation)(user, "socket-a")
    keeper = LeaseKeeper.of_this_worker(TTL_S)
    keeper.keep("socket-a", on_lost=LostLeases().callback("socket-a"))
    keeper.stop("socket-a")

    await asyncio.sleep(TTL_S * 2)

    assert (
        await database_sync_to_async(lease_expires_in)(conversation_id=conversation.pk)
        == 0
    )
