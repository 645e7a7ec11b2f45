"""The transcript page: its own permission, a record of every reading, keyset pages."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations import services
from conversations.models import Conversation, TranscriptAccess

from .admin_helpers import (
    METADATA_PERMISSIONS,
    TRANSCRIPT_PERMISSION,
    make_staff,
    make_superuser,
)
from .factories import bulk_items, make_conversation

pytestmark = pytest.mark.django_db


def transcript_url(conversation: Conversation) -> str:
    return reverse(
        "admin:conversations_conversation_transcript", args=[conversation.pk]
    )


def shown_seqs(response) -> list[int]:
    assert response.status_code == HTTPStatus.OK
    return [
        int(s) for s in re.findall(r'<tr data-seq="(\d+)">', response.content.decode())
    ]


@pytest.fixture
def reader(client):
    staff = make_staff(
        "reader@example.com", *METADATA_PERMISSIONS, TRANSCRIPT_PERMISSION
    )
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def chat(user):
    conversation = make_conversation(user, title="Chat")
    services.record_transcript_item(
        conversation=conversation,
        role="user",
        modality="text",
        content="My PIN is 4711",
    )
    services.record_transcript_item(
        conversation=conversation,
        role="assistant",
        modality="text",
        content="<script>alert(1)</script> noted",
        interrupted=True,
    )
    return conversation


def test_reading_shows_the_turns_and_records_who_read_them(reader, chat):
    response = reader.get(transcript_url(chat))
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "My PIN is 4711" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; noted" in body
    assert "<script>alert(1)</script>" not in body
    assert "interrupted" in body
    (access,) = TranscriptAccess.objects.all()
    assert (access.staff, access.conversation) == (reader.staff, chat)


def test_every_opening_is_recorded(reader, chat):
    reader.get(transcript_url(chat))
    reader.get(transcript_url(chat), {"after": "1"})
    assert TranscriptAccess.objects.filter(staff=reader.staff).count() == 2


def test_staff_without_the_permission_are_refused_and_nothing_is_recorded(client, chat):
    client.force_login(make_staff("support@example.com", *METADATA_PERMISSIONS))
    response = client.get(transcript_url(chat))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"My PIN is 4711" not in response.content
    assert not TranscriptAccess.objects.exists()


def test_the_transcript_permission_alone_does_not_open_a_conversation(client, chat):
    client.force_login(make_staff("odd@example.com", TRANSCRIPT_PERMISSION))
    assert client.get(transcript_url(chat)).status_code == HTTPStatus.FORBIDDEN
    assert not TranscriptAccess.objects.exists()


def test_a_bad_page_parameter_is_refused_before_anything_is_read(reader, chat):
    assert reader.get(transcript_url(chat), {"after": "x"}).status_code == 400
    assert reader.get(transcript_url(chat), {"before": "-1"}).status_code == 400
    assert not TranscriptAccess.objects.exists()


def test_transcript_reading_needs_a_get(reader, chat):
    response = reader.post(transcript_url(chat))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# -- pages ---------------------------------------------------------------------------
def test_pages_of_100_by_seq_forwards_and_back(reader, user):
    conversation = make_conversation(user)
    bulk_items(conversation, 250)
    url = transcript_url(conversation)
    first = reader.get(url)
    assert shown_seqs(first) == list(range(1, 101))
    assert "?after=100" in first.content.decode()
    assert "?before=1" not in first.content.decode()
    assert shown_seqs(reader.get(url, {"after": "100"})) == list(range(101, 201))
    last = reader.get(url, {"after": "200"})
    assert shown_seqs(last) == list(range(201, 251))
    assert "?after=250" not in last.content.decode()
    assert "?before=201" in last.content.decode()
    assert shown_seqs(reader.get(url, {"before": "101"})) == list(range(1, 101))
    latest = reader.get(url, {"before": "251"})
    assert shown_seqs(latest) == list(range(151, 251))
    assert "?after=250" not in latest.content.decode()


def count_queries(client, conversation, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(transcript_url(conversation), params)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_a_10000_item_transcript_takes_as_many_queries_as_a_short_one(reader, user):
    short = make_conversation(user, title="Short")
    long = make_conversation(user, title="Long")
    bulk_items(short, 150)
    bulk_items(long, 10_000)
    count_queries(reader, short)  # warm the session and permission caches
    baseline = count_queries(reader, short)
    assert count_queries(reader, long) == baseline
    assert count_queries(reader, long, after=9_000) == baseline
    assert count_queries(reader, long, before=10_001) == baseline
    assert count_queries(reader, short, after=100) == baseline


# -- the record of readings ------------------------------------------------------------
def test_the_record_is_listed_and_cannot_be_added_changed_or_deleted(client, chat):
    root = make_superuser()
    client.force_login(root)
    client.get(transcript_url(chat))
    (access,) = TranscriptAccess.objects.all()
    listing = client.get(reverse("admin:conversations_transcriptaccess_changelist"))
    assert listing.status_code == HTTPStatus.OK
    assert "root@example.com" in listing.content.decode()
    add = client.get(reverse("admin:conversations_transcriptaccess_add"))
    assert add.status_code == HTTPStatus.FORBIDDEN
    change = reverse("admin:conversations_transcriptaccess_change", args=[access.pk])
    page = client.get(change)
    assert page.status_code == HTTPStatus.OK
    assert b'name="_save"' not in page.content
    assert client.post(change, {}).status_code == HTTPStatus.FORBIDDEN
    delete = reverse("admin:conversations_transcriptaccess_delete", args=[access.pk])
    assert client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert TranscriptAccess.objects.filter(pk=access.pk).exists()
