"""One upstream per conversation: the lease decides which socket may hold it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.leases import (
    acquire_lease,
    current_lease_holder,
    lease_expires_in,
    release_lease,
    renew_leases,
)
from conversations.models import Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(user):
    return Conversation.objects.create(owner=user, title="Lease", model="m")


def test_free_conversation_is_acquired(conversation):
    assert acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    assert current_lease_holder(conversation_id=conversation.pk) == "a"


def test_held_lease_is_refused_to_another_socket(conversation):
    acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    assert not acquire_lease(conversation_id=conversation.pk, holder="b", ttl_s=5)
    assert current_lease_holder(conversation_id=conversation.pk) == "a"


def test_lapsed_lease_can_be_taken(conversation):
    acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    Conversation.objects.filter(pk=conversation.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert current_lease_holder(conversation_id=conversation.pk) == ""
    assert acquire_lease(conversation_id=conversation.pk, holder="b", ttl_s=5)


def test_released_lease_is_free(conversation):
    acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    release_lease(conversation_id=conversation.pk, holder="a")
    assert current_lease_holder(conversation_id=conversation.pk) == ""


def test_release_by_a_non_holder_changes_nothing(conversation):
    acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    release_lease(conversation_id=conversation.pk, holder="b")
    assert current_lease_holder(conversation_id=conversation.pk) == "a"


def test_renewal_fails_once_the_lease_was_taken_over(conversation):
    acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    Conversation.objects.filter(pk=conversation.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    acquire_lease(conversation_id=conversation.pk, holder="b", ttl_s=5)
    assert renew_leases(holders=["a"], ttl_s=5) == set()
    assert renew_leases(holders=["b"], ttl_s=5) == {"b"}


def test_renewal_extends_every_lease_still_held_and_names_the_lost(user):
    kept, lost = (
        Conversation.objects.create(owner=user, title=title, model="m")
        for title in ("Kept", "Lost")
    )
    acquire_lease(conversation_id=kept.pk, holder="a", ttl_s=1)
    acquire_lease(conversation_id=lost.pk, holder="b", ttl_s=1)
    Conversation.objects.filter(pk=lost.pk).update(lease_holder="c")

    assert renew_leases(holders=["a", "b"], ttl_s=30) == {"a"}
    assert lease_expires_in(conversation_id=kept.pk) > 20


def test_a_workers_leases_are_renewed_in_one_statement(user, django_assert_num_queries):
    holders = [f"socket-{n}" for n in range(20)]
    for holder in holders:
        conversation = Conversation.objects.create(owner=user, title=holder, model="m")
        acquire_lease(conversation_id=conversation.pk, holder=holder, ttl_s=5)

    with django_assert_num_queries(1):
        assert renew_leases(holders=holders, ttl_s=5) == set(holders)


def test_a_held_lease_says_when_it_lapses(conversation):
    assert lease_expires_in(conversation_id=conversation.pk) == 0.0
    acquire_lease(conversation_id=conversation.pk, holder="a", ttl_s=5)
    assert 4.0 < lease_expires_in(conversation_id=conversation.pk) <= 5.0
    release_lease(conversation_id=conversation.pk, holder="a")
    assert lease_expires_in(conversation_id=conversation.pk) == 0.0
