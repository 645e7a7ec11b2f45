"""How a conversation continues from the database: handle, transcript, replays."""

from datetime import UTC, datetime

import pytest

from conversations import services
from conversations.services import begin_resume

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
    plan = begin_resume(conversation_id=conversation.pk)
    assert plan.handle is None
    assert plan.unanswered == []


def test_handle_that_covers_the_transcript_is_used(conversation):
    add(conversation, "user", "one")
    add(conversation, "assistant", "Turn 1")
    keep_handle(conversation, covered_seq=2)
    plan = begin_resume(conversation_id=conversation.pk)
    assert plan.handle == "handle-1"
    assert plan.unanswered == []


def test_handle_missing_an_answered_turn_gives_way_to_the_transcript(conversation):
    add(conversation, "user", "one")
    add(conversation, "assistant", "Turn 1")
    keep_handle(conversation, covered_seq=2)
    add(conversation, "user", "two")
    add(conversation, "assistant", "Turn 2")
    plan = begin_resume(conversation_id=conversation.pk)
    assert plan.handle is None


def test_unanswered_typed_turns_are_sent_again_in_order(conversation):
    add(conversation, "user", "one")
    add(conversation, "assistant", "Turn 1")
    keep_handle(conversation, covered_seq=2)
    add(conversation, "user", "two")
    add(conversation, "user", "three")
    plan = begin_resume(conversation_id=conversation.pk)
    assert plan.handle == "handle-1"
    assert [item.content for item in plan.unanswered] == ["two", "three"]


def test_runs_left_open_by_a_vanished_worker_are_closed(conversation):
    services.start_run(conversation=conversation, began="new")
    begin_resume(conversation_id=conversation.pk)
    run = conversation.runs.get()
    assert run.ended_at is not None
    assert run.end_reason == "worker_lost"


def test_handle_age_counts_from_the_last_connection_end(conversation):
    issued = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    services.store_resumption_handle(
        conversation=conversation, handle="h", issued_at=issued, covered_seq=0
    )
    run = services.start_run(conversation=conversation, began="resumed_with_handle")
    services.finish_run(run=run, end_reason="browser_left")
    plan = begin_resume(conversation_id=conversation.pk)
    run.refresh_from_db()
    assert plan.handle_issued_at == run.ended_at
