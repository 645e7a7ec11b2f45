"""One clock: every time of a page in the reader's zone and locale, in one format.

The browser is set to a time zone and a locale; the server renders UTC.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .helpers import (
    open_conversation,
    send_text,
    wait_for_js,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser

STARTED = "2026-03-14T18:40:00+00:00"
ASKED = "2026-03-14T18:41:00+00:00"
ANSWERED = "2026-03-14T18:42:00+00:00"
# The same UTC evening is the next morning in Tokyo and midday in Los Angeles.
READERS = {
    "tokyo": ("Asia/Tokyo", "en-GB"),
    "los-angeles": ("America/Los_Angeles", "en-US"),
}


def expected_text(iso: str, zone: str, locale: str) -> str:
    """The locale's medium date and short time, worked out here, not by the page."""
    when = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    month = when.strftime("%b")
    if locale == "en-GB":
        return f"{when.day} {month} {when.year}, {when:%H:%M}"
    hour = when.hour % 12 or 12
    noon = "AM" if when.hour < 12 else "PM"
    return f"{month} {when.day}, {when.year}, {hour}:{when:%M} {noon}"


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ").strip()


@pytest.fixture(params=[False, True], ids=["desktop", "phone"])
def phone(request) -> bool:
    return request.param


@pytest.fixture(params=list(READERS), ids=list(READERS))
def reader(request) -> tuple[str, str]:
    return READERS[request.param]


@pytest.fixture
def reader_context(new_context):
    """A signed-in browser context set to a time zone and a locale."""

    def make(
        email: str, zone: str, locale: str, *, phone: bool, javascript: bool = True
    ) -> BrowserContext:
        return new_context(
            email, phone=phone, javascript=javascript, timezone_id=zone, locale=locale
        )

    return make


@pytest.fixture
def conversation(app_server, user_email) -> str:
    """A conversation started and answered at fixed times."""
    public_id = app_server.create_conversation(
        user_email,
        "Across zones",
        items=[("user", "What time is it?"), ("assistant", "Late, in UTC.")],
    )
    app_server.run_python(
        "from datetime import datetime\n"
        "from conversations.models import Conversation\n"
        f"c = Conversation.objects.get(public_id={public_id!r})\n"
        f"Conversation.objects.filter(pk=c.pk).update("
        f"created_at=datetime.fromisoformat({STARTED!r}))\n"
        f"c.items.filter(seq=1).update(created_at=datetime.fromisoformat({ASKED!r}))\n"
        f"c.items.filter(seq=2).update("
        f"created_at=datetime.fromisoformat({ANSWERED!r}))\n"
    )
    return public_id


def started(page: Page):
    return page.locator(".conversation-header time")


def message_times(page: Page) -> list[str]:
    return [plain(t) for t in page.locator("#transcript time").all_inner_texts()]


def wait_localised(page: Page, zone: str, locale: str) -> None:
    wanted = expected_text(STARTED, zone, locale)
    wait_for_js(
        page,
        "document.querySelector('.conversation-header time').textContent"
        f".replace(/[\\u202f\\u00a0]/g, ' ') === {wanted!r}",
    )


def test_the_start_is_shown_in_the_readers_zone(
    reader_context, user_email, conversation, reader, phone
):
    zone, locale = reader
    page = reader_context(user_email, zone, locale, phone=phone).new_page()
    open_conversation(page, conversation)
    wait_localised(page, zone, locale)
    assert plain(started(page).inner_text()) == expected_text(STARTED, zone, locale)


def test_stored_messages_are_shown_in_the_readers_zone_like_the_start(
    reader_context, user_email, conversation, reader, phone
):
    zone, locale = reader
    page = reader_context(user_email, zone, locale, phone=phone).new_page()
    open_conversation(page, conversation)
    wait_localised(page, zone, locale)
    assert message_times(page) == [
        expected_text(ASKED, zone, locale),
        expected_text(ANSWERED, zone, locale),
    ]


def test_a_new_message_is_shown_in_the_readers_zone_like_the_start(
    reader_context, user_email, conversation, reader, phone, page_errors
):
    zone, locale = reader
    page = reader_context(user_email, zone, locale, phone=phone).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, conversation)
    wait_until_live(page)
    send_text(page, "And now?")
    # Stored after the two seeded items and the question.
    reply_time = page.locator("#transcript li.item--assistant[data-seq='4'] time")
    expect(reply_time).to_be_visible()
    iso = reply_time.get_attribute("datetime")
    assert iso is not None
    assert plain(reply_time.inner_text()) == expected_text(iso, zone, locale)


def test_tokyo_sees_the_next_day_where_los_angeles_sees_the_same_one(
    reader_context, user_email, conversation
):
    shown = {}
    for name, (zone, locale) in READERS.items():
        page = reader_context(user_email, zone, locale, phone=False).new_page()
        open_conversation(page, conversation)
        wait_localised(page, zone, locale)
        shown[name] = plain(started(page).inner_text())
    assert shown == {
        "tokyo": "15 Mar 2026, 03:40",
        "los-angeles": "Mar 14, 2026, 11:40 AM",
    }


def test_without_scripts_times_are_utc_and_say_so(
    reader_context, user_email, conversation, phone
):
    page = reader_context(
        user_email, "Asia/Tokyo", "en-GB", phone=phone, javascript=False
    ).new_page()
    open_conversation(page, conversation)
    assert started(page).inner_text() == "14 Mar 2026, 18:40 UTC"
    assert message_times(page) == ["14 Mar 2026, 18:41 UTC", "14 Mar 2026, 18:42 UTC"]


def test_a_conversation_active_under_a_minute_ago_was_active_just_now(
    reader_context, user_email, app_server, reader, phone
):
    zone, locale = reader
    app_server.create_conversation(user_email, "Fresh")
    page = reader_context(user_email, zone, locale, phone=phone).new_page()
    page.goto("/")
    card = page.locator(".conversation-card", has_text="Fresh")
    expect(card).to_contain_text("Last activity just now")
    expect(card).not_to_contain_text("0 minutes")


def test_the_list_says_how_long_ago_with_the_full_time_in_the_readers_zone(
    reader_context, user_email, app_server, reader, phone
):
    zone, locale = reader
    public_id = app_server.create_conversation(user_email, "Earlier")
    app_server.run_python(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from conversations.models import Conversation\n"
        f"Conversation.objects.filter(public_id={public_id!r}).update("
        "last_activity_at=timezone.now() - timedelta(minutes=5, seconds=10))\n"
    )
    page = reader_context(user_email, zone, locale, phone=phone).new_page()
    page.goto("/")
    time = page.locator(".conversation-card", has_text="Earlier").locator("time")
    expect(time).to_have_text("5 minutes ago")
    iso = time.get_attribute("datetime")
    assert iso is not None
    assert plain(time.get_attribute("title") or "") == expected_text(iso, zone, locale)
