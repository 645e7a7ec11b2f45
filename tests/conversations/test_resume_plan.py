"""How a conversation continues from the database: handle, transcript, replays."""

from datetime import UTC, datetime

import pytest

from conversations import services
from conversations.relay import resume_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(user):
    return services.create_conversation(owner=user, title="Plan", mode="text")


def add(conversation, role, content):
    return services.record_transcript_item(
        conversation=conversation, role=role, modality="text", content=content
    )


def keep_handle(conversation, covered_seq):
    services.store_resumption_handle(
        conversation=conversation,
        handle="handle-1",
        issued_at=datetime.now(UTC),
        covered_seq=covered_seq,
    )


def test_new_conversation_starts_fresh(conversation):
    plan = resume_plan(conversation.pk)
    assert plan.handle is None
    assert plan.unanswered == []


def test_handle_that_covers_the_transcript_is_used(conversation):
    add(conversation, "user", "one")
    add(conversation, "assistant", "Turn 1")
    keep_handle(conversation, covered_seq=2)
    plan = resume_plan(conversation.pk)
    assert plan.handle == "handle-1"
    assert plan.unanswered == []


def test_handle_missing_an_answered_turn_gives_way_to_the_transcript(conversation):
    add(conversation, "user", "one")
    add(conversation, "assistant", "Turn 1")
    keep_handle(conversation, covered_seq=2)
    add(conversation, "user", "two")
    add(conversation, "assistant", "Turn 2")
    plan = resume_plan(conversation.pk)
    assert plan.handle is None


def test_unanswered_typed_turns_are_sent_again_in_order(conversation):
    add(conversation, "user", "one")
    add(conversation, "assistant", "Turn 1")
    keep_handle(conversation, covered_seq=2)
    add(conversation, "user", "two")
    add(conversation, "user", "three")
    plan = resume_plan(conversation.pk)
    assert plan.handle == "handle-1"
    assert [item.content for item in plan.unanswered] == ["two", "three"]
