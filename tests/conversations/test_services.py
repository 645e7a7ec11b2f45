"""Services write conversations, runs and transcript items with gap-free counters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from conversations import services
from conversations.models import Conversation, Run, TranscriptItem

from .factories import make_conversation

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_create_conversation_defaults_to_configured_model(user, settings):
    settings.LIVE_MODEL = "live-model-under-test"
    conversation = services.create_conversation(
        owner=user,
        title="  Hello   there ",
        mode="voice",
        system_instruction=" Be brief ",
    )
    assert conversation.model == "live-model-under-test"
    assert conversation.title == "Hello there"
    assert conversation.system_instruction == "Be brief"
    assert conversation.state == Conversation.State.IDLE


@pytest.mark.parametrize(
    ("title", "mode"),
    [("", "text"), ("   ", "voice"), ("x" * 201, "text"), ("ok", "fax")],
)
def test_create_conversation_rejects_bad_input(user, title, mode):
    with pytest.raises(ValidationError):
        services.create_conversation(owner=user, title=title, mode=mode)
    assert not Conversation.objects.exists()


def test_rename_conversation(user):
    conversation = make_conversation(user)
    services.rename_conversation(conversation=conversation, title="Renamed")
    conversation.refresh_from_db()
    assert conversation.title == "Renamed"


def test_delete_conversation_removes_runs_and_items(user):
    conversation = make_conversation(user)
    run = services.start_run(conversation=conversation, began="new")
    services.record_transcript_item(
        conversation=conversation, role="user", modality="text", content="hi", run=run
    )
    services.delete_conversation(conversation=conversation)
    assert not Run.objects.exists()
    assert not TranscriptItem.objects.exists()


def test_run_ids_count_from_zero_per_conversation(user):
    first, second = make_conversation(user), make_conversation(user, title="Other")
    runs = [services.start_run(conversation=first, began="new") for _ in range(3)]
    other = services.start_run(conversation=second, began="new")
    assert [run.run_id for run in runs] == [0, 1, 2]
    assert other.run_id == 0


def test_start_run_with_expected_run_id(user):
    conversation = make_conversation(user)
    services.start_run(conversation=conversation, began="new", run_id=0)
    run = services.start_run(
        conversation=conversation, began="resumed_with_handle", run_id=1
    )
    assert run.run_id == 1


def test_start_run_refuses_a_run_id_that_is_not_next(user):
    conversation = make_conversation(user)
    services.start_run(conversation=conversation, began="new")
    with pytest.raises(services.RunIdConflict):
        services.start_run(conversation=conversation, began="new", run_id=0)
    assert conversation.runs.count() == 1


def test_finish_run_is_idempotent_and_truncates_close_reason(user):
    conversation = make_conversation(user)
    run = services.start_run(conversation=conversation, began="new")
    services.finish_run(
        run=run, end_reason="goaway", close_code=1000, close_reason="r" * 400
    )
    first_end = Run.objects.get(pk=run.pk).ended_at
    services.finish_run(run=run, end_reason="error", close_code=1011)
    stored = Run.objects.get(pk=run.pk)
    assert stored.ended_at == first_end
    assert stored.end_reason == "goaway"
    assert stored.close_code == 1000
    assert len(stored.close_reason) == 255


def test_finish_run_rejects_unknown_reason(user):
    run = services.start_run(conversation=make_conversation(user), began="new")
    with pytest.raises(ValidationError):
        services.finish_run(run=run, end_reason="bored")


def test_record_transcript_item_allocates_consecutive_seq(user):
    conversation = make_conversation(user)
    seqs = [
        services.record_transcript_item(
            conversation=conversation, role="user", modality="text", content=str(n)
        ).seq
        for n in range(5)
    ]
    assert seqs == [1, 2, 3, 4, 5]


def test_record_transcript_item_with_a_stale_instance_does_not_reuse_seq(user):
    conversation = make_conversation(user)
    stale = Conversation.objects.get(pk=conversation.pk)
    services.record_transcript_item(
        conversation=conversation, role="user", modality="text", content="a"
    )
    item = services.record_transcript_item(
        conversation=stale, role="assistant", modality="text", content="b"
    )
    assert item.seq == 2


def test_record_transcript_item_bumps_last_activity(user):
    conversation = make_conversation(user)
    before = Conversation.objects.get(pk=conversation.pk).last_activity_at
    services.record_transcript_item(
        conversation=conversation, role="user", modality="audio", content="hi"
    )
    assert Conversation.objects.get(pk=conversation.pk).last_activity_at > before


@pytest.mark.parametrize(("role", "modality"), [("robot", "text"), ("user", "video")])
def test_record_transcript_item_rejects_unknown_role_or_modality(user, role, modality):
    conversation = make_conversation(user)
    with pytest.raises(ValidationError):
        services.record_transcript_item(
            conversation=conversation, role=role, modality=modality, content="x"
        )


def test_record_transcript_item_rejects_a_run_of_another_conversation(user):
    conversation = make_conversation(user)
    foreign_run = services.start_run(
        conversation=make_conversation(user, title="Other"), began="new"
    )
    with pytest.raises(ValidationError):
        services.record_transcript_item(
            conversation=conversation,
            role="user",
            modality="text",
            content="x",
            run=foreign_run,
        )


def test_store_and_clear_resumption_handle(user):
    conversation = make_conversation(user)
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    services.store_resumption_handle(
        conversation=conversation, handle="handle-abc", issued_at=issued
    )
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.resumption_handle, stored.resumption_handle_issued_at) == (
        "handle-abc",
        issued,
    )
    services.clear_resumption_handle(conversation=conversation)
    stored.refresh_from_db()
    assert stored.resumption_handle == ""
    assert stored.resumption_handle_issued_at is None


def test_store_resumption_handle_rejects_empty_handle(user):
    with pytest.raises(ValidationError):
        services.store_resumption_handle(
            conversation=make_conversation(user),
            handle="",
            issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


def test_set_conversation_state(user):
    conversation = make_conversation(user)
    services.set_conversation_state(conversation=conversation, state="active")
    assert Conversation.objects.get(pk=conversation.pk).state == "active"
    with pytest.raises(ValidationError):
        services.set_conversation_state(conversation=conversation, state="asleep")


def test_record_typed_turn_stores_a_turn_id_once(user):
    conversation = make_conversation(user)
    first, created = services.record_typed_turn(
        conversation=conversation, content="hello", client_turn_id="turn-1"
    )
    again, created_again = services.record_typed_turn(
        conversation=conversation, content="hello", client_turn_id="turn-1"
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert list(conversation.items.values_list("seq", "client_turn_id")) == [
        (1, "turn-1")
    ]


def test_record_typed_turn_without_an_id_always_stores(user):
    conversation = make_conversation(user)
    for _ in range(2):
        _item, created = services.record_typed_turn(
            conversation=conversation, content="same words"
        )
        assert created
    assert conversation.items.count() == 2


def test_turn_ids_are_per_conversation(user):
    one, two = make_conversation(user), make_conversation(user)
    for conversation in (one, two):
        _item, created = services.record_typed_turn(
            conversation=conversation, content="hi", client_turn_id="same"
        )
        assert created


def test_an_older_runs_state_is_ignored_once_a_newer_run_exists(user):
    conversation = make_conversation(user)
    services.start_run(conversation=conversation, began="new")  # run 0
    services.start_run(conversation=conversation, began="resumed_with_handle")
    services.set_conversation_state(conversation=conversation, state="active", run_id=1)
    # The device that left says its run 0 is over, after run 1 connected.
    services.set_conversation_state(conversation=conversation, state="idle", run_id=0)
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.ACTIVE


def test_an_older_runs_handle_is_ignored_once_a_newer_run_exists(user):
    conversation = make_conversation(user)
    services.start_run(conversation=conversation, began="new")
    services.store_resumption_handle(
        conversation=conversation, handle="newer", issued_at=NOW, run_id=0
    )
    services.start_run(conversation=conversation, began="resumed_with_handle")
    services.store_resumption_handle(
        conversation=conversation, handle="older", issued_at=NOW, run_id=0
    )
    conversation.refresh_from_db()
    assert conversation.resumption_handle == "newer"


@pytest.mark.parametrize("began", ["new", "restored_from_transcript"])
def test_a_run_that_starts_a_new_live_session_clears_the_stored_handle(user, began):
    conversation = make_conversation(user)
    services.store_resumption_handle(
        conversation=conversation, handle="h", issued_at=NOW
    )
    services.start_run(conversation=conversation, began=began)
    conversation.refresh_from_db()
    assert conversation.resumption_handle == ""


def test_a_resumed_run_keeps_the_stored_handle(user):
    conversation = make_conversation(user)
    services.store_resumption_handle(
        conversation=conversation, handle="h", issued_at=NOW
    )
    services.start_run(conversation=conversation, began="resumed_with_handle")
    conversation.refresh_from_db()
    assert conversation.resumption_handle == "h"
