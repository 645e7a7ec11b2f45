"""The conversation list: its columns, filters and search, and the handle kept out."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.admin import ConversationAdmin, mask_handle
from conversations.models import Conversation, Run, TranscriptItem

from .admin_helpers import make_superuser
from .factories import make_conversation
from .session_factory import SessionBuilder, every_ending

pytestmark = pytest.mark.django_db

HANDLE = "CiQ2ZTNiLXJlc3VtcHRpb24taGFuZGxlLXNlY3JldA"
CHANGELIST = reverse("admin:conversations_conversation_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(make_superuser())
    return client


def listed(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK
    return sorted(c.title for c in response.context["cl"].result_list)


def cell(body: str, pk: int, column: str) -> str:
    """The text of a changelist cell in the row of conversation `pk`."""
    change = reverse("admin:conversations_conversation_change", args=[pk])
    row = next(r for r in body.split("<tr") if change in r)
    match = re.search(rf'class="field-{column}[^"]*">(.*?)</t[dh]>', row, re.S)
    assert match, f"no {column} cell"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def with_handle(conversation: Conversation) -> Conversation:
    services.start_run(conversation=conversation, began="new")
    services.store_resumption_handle(
        conversation=conversation, handle=HANDLE, issued_at=conversation.created_at
    )
    return conversation


def test_mask_handle_never_contains_the_handle():
    masked = mask_handle(HANDLE)
    assert HANDLE not in masked
    assert HANDLE[:8] not in masked
    assert mask_handle("") == "—"


# -- columns -------------------------------------------------------------------
def test_columns_count_runs_reconnects_restores_give_ups_and_last_close_code(
    admin_client, user
):
    busy = make_conversation(user, title="Busy")
    every_ending(busy, timezone.now() - timedelta(hours=1))
    quiet = make_conversation(user, title="Quiet")
    body = admin_client.get(CHANGELIST).content.decode()
    assert cell(body, busy.pk, "owner_email") == "ada@example.com"
    assert cell(body, busy.pk, "run_count") == "10"
    assert cell(body, busy.pk, "reconnect_count") == "9"
    assert cell(body, busy.pk, "restore_count") == "3"
    assert cell(body, busy.pk, "give_up_count") == "1"
    # Run 9 is still open; run 8 was the last to close.
    assert cell(body, busy.pk, "last_close_code") == "1000"
    assert cell(body, quiet.pk, "run_count") == "0"
    assert cell(body, quiet.pk, "reconnect_count") == "0"
    assert cell(body, quiet.pk, "last_close_code") == "—"


def test_the_list_takes_the_same_queries_for_3_or_20_conversations(admin_client, user):
    def build(count: int) -> None:
        for n in range(count):
            conversation = make_conversation(user, title=f"Conversation {n}")
            b = SessionBuilder(conversation, timezone.now() - timedelta(minutes=5))
            b.open("new").turn().close("network", 1006).wait(1)
            b.open("restored_from_transcript", seed_items=2).turn().gave_up()

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST).status_code == HTTPStatus.OK
        return len(queries)

    build(3)
    count_queries()  # warm the session
    few = count_queries()
    build(17)
    assert count_queries() == few


def test_columns_sort_by_their_counts(admin_client, user):
    one = make_conversation(user, title="One run")
    SessionBuilder(one, timezone.now()).open("new").close("user", 1000)
    three = make_conversation(user, title="Three runs")
    b = SessionBuilder(three, timezone.now())
    b.open("new").close("network").open("resumed_with_handle").close("network")
    b.open("restored_from_transcript").close("user", 1000)
    index = ConversationAdmin.list_display.index("run_count")
    response = admin_client.get(CHANGELIST, {"o": f"-{index}"})
    assert [c.title for c in response.context["cl"].result_list][:2] == [
        "Three runs",
        "One run",
    ]


# -- filters -------------------------------------------------------------------
@pytest.fixture
def varied(user, other_user):
    """Conversations that differ in state, mode, model, errors and restores."""
    now = timezone.now()
    clean = make_conversation(user, title="Clean", mode="voice")
    SessionBuilder(clean, now).open("new").close("goaway", 1000).open(
        "resumed_with_handle"
    ).close("user", 1000)
    errored = make_conversation(user, title="Errored")
    SessionBuilder(errored, now).open("new").close("error", None, "boom")
    closed_1011 = make_conversation(other_user, title="Closed 1011")
    SessionBuilder(closed_1011, now).open("new").close("network", 1011)
    restored = make_conversation(other_user, title="Restored")
    SessionBuilder(restored, now).open("new").close("handle_expired", 1008).open(
        "restored_from_transcript", seed_items=3
    )
    Conversation.objects.filter(pk=restored.pk).update(
        state="active", model="gemini-other-live"
    )
    old = make_conversation(user, title="Old")
    Conversation.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=40), last_activity_at=now - timedelta(days=40)
    )
    return now


def test_filter_had_errors_finds_error_ends_and_1011_closes(admin_client, varied):
    assert listed(admin_client.get(CHANGELIST, {"had_errors": "yes"})) == [
        "Closed 1011",
        "Errored",
    ]
    assert listed(admin_client.get(CHANGELIST, {"had_errors": "no"})) == [
        "Clean",
        "Old",
        "Restored",
    ]


def test_filter_had_a_restore(admin_client, varied):
    assert listed(admin_client.get(CHANGELIST, {"had_restore": "yes"})) == ["Restored"]


def test_filters_state_mode_and_model(admin_client, varied):
    assert listed(admin_client.get(CHANGELIST, {"state__exact": "active"})) == [
        "Restored"
    ]
    assert listed(admin_client.get(CHANGELIST, {"mode__exact": "voice"})) == ["Clean"]
    assert listed(
        admin_client.get(CHANGELIST, {"model__exact": "gemini-other-live"})
    ) == ["Restored"]


def test_filter_by_date(admin_client, varied):
    since = (varied - timedelta(days=7)).isoformat()
    response = admin_client.get(CHANGELIST, {"created_at__gte": since})
    assert "Old" not in listed(response)
    assert len(listed(response)) == 4


# -- search --------------------------------------------------------------------
def test_search_by_owner_email(admin_client, user, other_user):
    make_conversation(user, title="Ada's chat")
    make_conversation(other_user, title="Mallory's chat")
    response = admin_client.get(CHANGELIST, {"q": "ada@example"})
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Ada&#x27;s chat" in body
    assert "Mallory&#x27;s chat" not in body


def test_search_by_title_and_by_public_id(admin_client, user):
    paris = make_conversation(user, title="Paris trip")
    rome = make_conversation(user, title="Rome trip")
    assert listed(admin_client.get(CHANGELIST, {"q": "paris"})) == ["Paris trip"]
    assert listed(admin_client.get(CHANGELIST, {"q": str(rome.public_id)})) == [
        "Rome trip"
    ]
    assert paris.title in listed(admin_client.get(CHANGELIST, {"q": "trip"}))


# -- the handle ----------------------------------------------------------------
def test_conversation_page_masks_the_resumption_handle(admin_client, user):
    conversation = with_handle(make_conversation(user))
    response = admin_client.get(
        reverse("admin:conversations_conversation_change", args=[conversation.pk])
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert HANDLE not in body
    assert mask_handle(HANDLE) in body


@pytest.mark.parametrize(
    ("lookup", "value"),
    [
        ("resumption_handle__startswith", HANDLE[:3]),
        ("resumption_handle__gte", "C"),
        ("resumption_handle__regex", "^Ci"),
        ("resumption_handle", HANDLE),
        ("resumption_handle__isnull", "False"),
    ],
)
def test_the_changelist_refuses_to_filter_on_the_handle(
    admin_client, user, lookup, value
):
    with_handle(make_conversation(user, title="Has a handle"))
    response = admin_client.get(CHANGELIST, {lookup: value})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"Has a handle" not in response.content


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        ("admin:conversations_run_changelist", "conversation__resumption_handle__gte"),
        (
            "admin:conversations_runevent_changelist",
            "conversation__resumption_handle__startswith",
        ),
        (
            "admin:conversations_transcriptaccess_changelist",
            "conversation__resumption_handle__regex",
        ),
        ("admin:accounts_user_changelist", "conversations__resumption_handle__gte"),
    ],
)
def test_other_lists_refuse_the_handle_through_a_relation(
    admin_client, user, changelist, lookup
):
    with_handle(make_conversation(user))
    response = admin_client.get(reverse(changelist), {lookup: "C"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_lookup_allowed_refuses_the_handle_and_allows_the_filters(rf: RequestFactory):
    request = rf.get(CHANGELIST)
    request.user = make_superuser()
    model_admin = ConversationAdmin(Conversation, admin.site)
    for lookup in (
        "resumption_handle__startswith",
        "resumption_handle__gte",
        "resumption_handle__regex",
        "resumption_handle",
    ):
        assert not model_admin.lookup_allowed(lookup, "C", request)
    for lookup in ("state__exact", "model__exact", "resumption_handle_issued_at__gte"):
        assert model_admin.lookup_allowed(lookup, "x", request)


def test_searching_for_the_handle_finds_nothing(admin_client, user):
    with_handle(make_conversation(user, title="Has a handle"))
    assert listed(admin_client.get(CHANGELIST, {"q": HANDLE})) == []
    assert listed(admin_client.get(CHANGELIST, {"q": HANDLE[-8:]})) == []


def test_no_column_sorts_by_the_handle(admin_client, user):
    with_handle(make_conversation(user))
    for index in range(len(ConversationAdmin.list_display)):
        response = admin_client.get(CHANGELIST, {"o": str(index)})
        assert response.status_code == HTTPStatus.OK
        ordering = response.context["cl"].get_ordering(
            response.wsgi_request, response.context["cl"].root_queryset
        )
        assert not any("resumption_handle" in str(field) for field in ordering)
    response = admin_client.get(CHANGELIST, {"o": "resumption_handle"})
    assert not any(
        "resumption_handle" in str(field)
        for field in response.context["cl"].queryset.query.order_by
    )


def test_transcript_items_have_no_admin_list_of_their_own():
    # Their content is read on the conversation's transcript page only, where
    # every reading is recorded.
    assert not admin.site.is_registered(TranscriptItem)
    assert admin.site.is_registered(Run)
