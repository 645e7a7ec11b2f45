"""The admin finds a user's conversations and never shows a handle in full."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conversations import services
from conversations.admin import mask_handle

from .factories import make_conversation

pytestmark = pytest.mark.django_db

HANDLE = "CiQ2ZTNiLXJlc3VtcHRpb24taGFuZGxlLXNlY3JldA"


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser(
        username="root@example.com", email="root@example.com", password="pw-admin-1"
    )
    client.force_login(admin)
    return client


def test_mask_handle_never_contains_the_handle():
    masked = mask_handle(HANDLE)
    assert HANDLE not in masked
    assert HANDLE[:8] not in masked
    assert mask_handle("") == "—"


def test_search_by_owner_email(admin_client, user, other_user):
    make_conversation(user, title="Ada's chat")
    make_conversation(other_user, title="Mallory's chat")
    response = admin_client.get(
        reverse("admin:conversations_conversation_changelist"), {"q": "ada@example"}
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Ada&#x27;s chat" in body
    assert "Mallory&#x27;s chat" not in body


def test_conversation_page_masks_the_resumption_handle(admin_client, user):
    conversation = make_conversation(user)
    services.start_run(conversation=conversation, began="new")
    services.store_resumption_handle(
        conversation=conversation, handle=HANDLE, issued_at=conversation.created_at
    )
    response = admin_client.get(
        reverse("admin:conversations_conversation_change", args=[conversation.pk])
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert HANDLE not in body
    assert mask_handle(HANDLE) in body


def test_transcript_items_are_listed_per_conversation(admin_client, user):
    conversation = make_conversation(user)
    services.record_transcript_item(
        conversation=conversation, role="user", modality="text", content="findable"
    )
    response = admin_client.get(
        reverse("admin:conversations_transcriptitem_changelist"),
        {"conversation__id__exact": conversation.pk},
    )
    assert "findable" in response.content.decode()
