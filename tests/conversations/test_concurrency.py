"""Concurrent writers on PostgreSQL still get gap-free, unique counters."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from conversations import services
from conversations.models import Conversation, TranscriptItem

from .factories import make_conversation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL: set DATABASE_URL to run this test",
    ),
]

WRITERS = 8
ITEMS_PER_WRITER = 25


def run_in_threads(work, count: int) -> list[BaseException]:
    """Start `count` threads, each with its own connection, all at once."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # reported to the test, not lost in a thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_racing_writers_get_seq_1_to_n_without_gaps_or_duplicates(user):
    conversation = make_conversation(user)

    def write(index: int) -> None:
        # Each writer holds its own (possibly stale) copy, like separate workers.
        own_copy = Conversation.objects.get(pk=conversation.pk)
        for n in range(ITEMS_PER_WRITER):
            services.record_transcript_item(
                conversation=own_copy,
                role="user",
                modality="text",
                content=f"writer {index} item {n}",
            )

    assert run_in_threads(write, WRITERS) == []
    seqs = sorted(
        TranscriptItem.objects.filter(conversation=conversation).values_list(
            "seq", flat=True
        )
    )
    total = WRITERS * ITEMS_PER_WRITER
    assert seqs == list(range(1, total + 1))
    assert Conversation.objects.get(pk=conversation.pk).next_seq == total + 1


def test_racing_run_starts_get_distinct_consecutive_run_ids(user):
    conversation = make_conversation(user)

    def start(index: int) -> None:
        services.start_run(
            conversation=Conversation.objects.get(pk=conversation.pk), began="new"
        )

    assert run_in_threads(start, WRITERS) == []
    run_ids = sorted(conversation.runs.values_list("run_id", flat=True))
    assert run_ids == list(range(WRITERS))
