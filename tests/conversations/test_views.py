"""Conversation pages: login required, owner only, history rendered and paged."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from conversations import services
from conversations.models import Conversation

from .factories import bulk_items, make_conversation

pytestmark = pytest.mark.django_db

CONVERSATION_URLS = [
    ("conversations:conversation_detail", "get"),
    ("conversations:conversation_rename", "get"),
    ("conversations:conversation_rename", "post"),
    ("conversations:conversation_delete", "get"),
    ("conversations:conversation_delete", "post"),
    ("conversations:conversation_export_markdown", "get"),
    ("conversations:conversation_export_json", "get"),
]


@pytest.fixture
def conversation(user):
    return make_conversation(user, title="Lisbon trip")


@pytest.mark.parametrize(
    "name", ["conversations:conversation_list", "conversations:conversation_create"]
)
def test_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method"), CONVERSATION_URLS)
def test_conversation_urls_require_login(client, conversation, name, method):
    url = reverse(name, kwargs={"public_id": conversation.public_id})
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method"), CONVERSATION_URLS)
def test_another_users_conversation_is_404_on_every_url(
    client, conversation, other_user, name, method
):
    client.force_login(other_user)
    url = reverse(name, kwargs={"public_id": conversation.public_id})
    response = getattr(client, method)(url, {"title": "stolen"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    conversation.refresh_from_db()
    assert conversation.title == "Lisbon trip"


def test_list_shows_only_my_conversations(client, user, other_user):
    make_conversation(user, title="Mine")
    make_conversation(other_user, title="Theirs")
    client.force_login(user)
    response = client.get(reverse("conversations:conversation_list"))
    assert response.status_code == HTTPStatus.OK
    assert "Mine" in response.content.decode()
    assert "Theirs" not in response.content.decode()


def test_create_conversation_redirects_to_its_page(client, user):
    client.force_login(user)
    response = client.post(
        reverse("conversations:conversation_create"),
        {"title": "Spanish practice", "mode": "voice", "system_instruction": "Be kind"},
    )
    conversation = Conversation.objects.get(owner=user)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == conversation.get_absolute_url()
    assert (conversation.mode, conversation.system_instruction) == ("voice", "Be kind")


def test_create_conversation_with_blank_title_shows_the_error(client, user):
    client.force_login(user)
    response = client.post(
        reverse("conversations:conversation_create"), {"title": "  ", "mode": "text"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "This field is required." in response.content.decode()
    assert not Conversation.objects.exists()


def test_detail_renders_the_markup_the_browser_client_attaches_to(
    client, user, conversation
):
    services.record_transcript_item(
        conversation=conversation,
        role="user",
        modality="text",
        content="<b>Hi</b>",
        interrupted=True,
    )
    client.force_login(user)
    html = client.get(conversation.get_absolute_url()).content.decode()
    assert f'data-conversation-id="{conversation.public_id}"' in html
    assert f'data-ws-path="/ws/conversations/{conversation.public_id}/"' in html
    assert 'data-last-seq="1"' in html
    assert '<ol id="transcript" class="transcript">' in html
    assert 'data-seq="1" data-role="user" data-interrupted="true"' in html
    assert "&lt;b&gt;Hi&lt;/b&gt;" in html
    for element_id in ('id="status"', 'id="composer"', 'id="end"', 'id="toasts"'):
        assert element_id in html


def test_detail_never_renders_the_resumption_handle(client, user, conversation):
    services.store_resumption_handle(
        conversation=conversation,
        handle="secret-handle-value",
        issued_at=conversation.created_at,
    )
    client.force_login(user)
    html = client.get(conversation.get_absolute_url()).content.decode()
    assert "secret-handle-value" not in html


def test_detail_shows_newest_page_with_link_to_earlier(client, user, conversation):
    bulk_items(conversation, 120)
    client.force_login(user)
    response = client.get(conversation.get_absolute_url())
    page = response.context["page"]
    assert [item.seq for item in page.items] == list(range(71, 121))
    assert 'href="?before=71"' in response.content.decode()
    assert response.context["last_seq"] == 120


def test_detail_earlier_page_keeps_latest_seq_for_live_updates(
    client, user, conversation
):
    bulk_items(conversation, 120)
    client.force_login(user)
    response = client.get(conversation.get_absolute_url(), {"before": 21})
    assert [item.seq for item in response.context["page"].items] == list(range(1, 21))
    assert response.context["last_seq"] == 120
    assert "?before=" not in response.content.decode()


@pytest.mark.parametrize("before", ["abc", "0", "-3"])
def test_detail_rejects_a_bad_before_parameter(client, user, conversation, before):
    client.force_login(user)
    response = client.get(conversation.get_absolute_url(), {"before": before})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_rename(client, user, conversation):
    client.force_login(user)
    url = reverse(
        "conversations:conversation_rename",
        kwargs={"public_id": conversation.public_id},
    )
    response = client.post(url, {"title": "Porto trip"})
    conversation.refresh_from_db()
    assert response.status_code == HTTPStatus.FOUND
    assert conversation.title == "Porto trip"


def test_delete_asks_for_confirmation_then_deletes(client, user, conversation):
    client.force_login(user)
    url = reverse(
        "conversations:conversation_delete",
        kwargs={"public_id": conversation.public_id},
    )
    confirm = client.get(url)
    assert confirm.status_code == HTTPStatus.OK
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    response = client.post(url)
    assert response.status_code == HTTPStatus.FOUND
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_unknown_conversation_is_404_with_the_app_layout(client, user):
    client.force_login(user)
    response = client.get(
        reverse(
            "conversations:conversation_detail",
            kwargs={"public_id": "00000000-0000-0000-0000-000000000000"},
        )
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "We can’t find that page" in response.content.decode()
