"""Selectors read only the owner's data and page transcripts by seq."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from conversations import selectors, services

from .factories import bulk_items, make_conversation

pytestmark = pytest.mark.django_db


def test_conversations_for_user_shows_only_mine_newest_activity_first(user, other_user):
    older = make_conversation(user, title="Older")
    newer = make_conversation(user, title="Newer")
    make_conversation(other_user, title="Not mine")
    services.record_transcript_item(
        conversation=older, role="user", modality="text", content="bump"
    )
    services.start_run(conversation=older, began="new")
    services.start_run(conversation=older, began="resumed_with_handle")
    listed = list(selectors.conversations_for_user(user))
    assert [c.title for c in listed] == ["Older", "Newer"]
    assert [c.run_count for c in listed] == [2, 0]
    assert newer in listed


def test_conversations_for_anonymous_user_is_empty(user):
    make_conversation(user)
    assert not selectors.conversations_for_user(AnonymousUser()).exists()


def test_conversation_for_user_finds_only_the_owners(user, other_user):
    conversation = make_conversation(user)
    public_id = conversation.public_id
    assert selectors.conversation_for_user(user=user, public_id=public_id) == (
        conversation
    )
    assert selectors.conversation_for_user(user=other_user, public_id=public_id) is None
    assert (
        selectors.conversation_for_user(user=AnonymousUser(), public_id=public_id)
        is None
    )
    assert selectors.conversation_for_user(user=user, public_id="not-a-uuid") is None


def test_transcript_page_returns_newest_items_in_ascending_order(user):
    conversation = make_conversation(user)
    bulk_items(conversation, 120)
    page = selectors.transcript_page(conversation=conversation, limit=50)
    assert [item.seq for item in page.items] == list(range(71, 121))
    assert page.has_earlier


def test_transcript_page_before_seq_walks_back_to_the_start(user):
    conversation = make_conversation(user)
    bulk_items(conversation, 120)
    middle = selectors.transcript_page(conversation=conversation, before_seq=71)
    first = selectors.transcript_page(conversation=conversation, before_seq=21)
    assert [item.seq for item in middle.items] == list(range(21, 71))
    assert middle.has_earlier
    assert [item.seq for item in first.items] == list(range(1, 21))
    assert not first.has_earlier


def test_transcript_page_of_empty_conversation(user):
    page = selectors.transcript_page(conversation=make_conversation(user))
    assert page.items == []
    assert not page.has_earlier


def test_items_after_and_latest_seq(user):
    conversation = make_conversation(user)
    assert selectors.latest_seq(conversation=conversation) == 0
    bulk_items(conversation, 30)
    after = selectors.items_after(conversation=conversation, after_seq=25)
    assert [item.seq for item in after] == [26, 27, 28, 29, 30]
    limited = selectors.items_after(conversation=conversation, after_seq=0, limit=3)
    assert [item.seq for item in limited] == [1, 2, 3]
    assert selectors.latest_seq(conversation=conversation) == 30
