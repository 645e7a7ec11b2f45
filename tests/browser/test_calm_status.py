"""A calm status line and notices with a reason, on a desktop and on a phone.

A reload or a first visit says nothing; a drop shorter than a second shows
nothing at all; a longer outage shows "Reconnecting…" with its countdown and,
once Live is back, exactly one notice, which covers no control.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .helpers import (
    controls_covered_by_toasts,
    end_outage,
    open_conversation,
    send_text,
    start_outage,
    statuses_shown,
    toasts_shown,
    wait_for_js,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
# The page's grace before it shows a drop (static/js/conversation/calm.js).
DROP_GRACE_MS = 1000
RESTORED = "Connection restored — nothing was lost."
REBUILT = "Rebuilt from your saved conversation."
# Enough history for the page to scroll under the sticky live panel.
HISTORY = [
    ("user", f"Earlier question {n}") if n % 2 else ("assistant", f"Earlier answer {n}")
    for n in range(1, 13)
]


def open_live_conversation(app_server, user_email, new_context, page_errors, phone):
    public_id = app_server.create_conversation(
        user_email, "Calm", mode="text", items=HISTORY
    )
    page = new_context(user_email, phone=phone).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    # A finished turn gives Live a handle to resume with after a drop.
    send_text(page, "Remember the number seven.")
    expect(last_reply(page)).to_contain_text('You said "Remember the number seven."')
    return page


def last_reply(page):
    return page.locator("#transcript li.item--assistant").last


def run_id(page) -> str:
    return page.evaluate("document.querySelector('[data-live-panel]').dataset.runId")


@SIZES
def test_a_reload_says_nothing(app_server, user_email, new_context, page_errors, phone):
    page = open_live_conversation(
        app_server, user_email, new_context, page_errors, phone
    )
    expect(page.locator("#status")).to_contain_text("Live here")

    page.reload()
    wait_until_live(page)
    # The server's news of the attach (status, session, context) has all arrived.
    wait_for_js(page, "document.querySelector('[data-live-panel]').dataset.runId")
    page.wait_for_timeout(1500)
    expect(page.locator(".toast")).to_have_count(0)
    assert toasts_shown(page) == []
    assert "reconnecting" not in statuses_shown(page)


@SIZES
@pytest.mark.app_env(LIVE_MAX_BACKOFF_MS="300")
def test_a_drop_shorter_than_a_second_shows_nothing(
    app_server, user_email, new_context, page_errors, phone
):
    page = open_live_conversation(
        app_server, user_email, new_context, page_errors, phone
    )
    before = run_id(page)

    # One failed attempt, then a retry within 300 ms: a short outage.
    dropped_at = page.evaluate("Date.now()")
    app_server.fault({"action": "fail_token_mints", "count": 1})
    app_server.fault({"action": "drop"})
    wait_for_js(
        page,
        f"document.querySelector('[data-live-panel]').dataset.runId !== '{before}'",
    )
    page.wait_for_timeout(1500)
    log = page.evaluate("window.continuum.statusLog")
    # Nothing is shown in the drop's first second. On a loaded machine the
    # outage itself can outlast that second; then showing it is right.
    shown_at_once = [
        entry["status"]
        for entry in log
        if 0 <= entry["at"] - dropped_at < DROP_GRACE_MS
        and entry["status"] != "connected"
    ]
    assert shown_at_once == []
    shown = statuses_shown(page)
    if "reconnecting" not in shown:
        assert shown[shown.index("connected") :] == ["connected"]
        assert toasts_shown(page) == []
    expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    send_text(page, "What number was it?")
    expect(last_reply(page)).to_contain_text('You said "What number was it?"')


@SIZES
@pytest.mark.app_env(LIVE_MAX_BACKOFF_MS="2000", LIVE_MAX_ATTEMPTS="40")
def test_an_outage_shows_the_countdown_then_one_notice_that_covers_nothing(
    app_server, user_email, new_context, page_errors, screenshot, phone
):
    page = open_live_conversation(
        app_server, user_email, new_context, page_errors, phone
    )
    status = page.locator("#status")
    size = "phone" if phone else "desktop"

    started = time.monotonic()
    start_outage(app_server)
    expect(status).to_have_attribute("data-status", "reconnecting")
    expect(status).to_contain_text("Reconnecting…")
    expect(page.locator(".status__countdown")).to_contain_text("retrying in")
    page.wait_for_timeout(max(0, 5 - (time.monotonic() - started)) * 1000)
    end_outage(app_server)
    wait_until_live(page)

    toast = page.locator(".toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text(RESTORED)
    assert [shown["text"] for shown in toasts_shown(page)] == [RESTORED]
    assert controls_covered_by_toasts(page) == []
    screenshot(page, f"connection-restored-{size}")

    # The next outage takes the notice about the last one away as it shows...
    app_server.fault({"action": "expire_handles"})
    start_outage(app_server)
    expect(status).to_have_attribute("data-status", "reconnecting")
    expect(toast).to_have_count(0)
    end_outage(app_server)
    wait_until_live(page)
    # ...and a new Live session seeded from the transcript says so, once.
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text(REBUILT)
    assert controls_covered_by_toasts(page) == []
    assert all(
        not any(char.isdigit() for char in shown["text"])
        for shown in toasts_shown(page)
    )
    send_text(page, "What number was it?")
    expect(last_reply(page)).to_contain_text('You said "What number was it?"')


DOT_COLOUR = "el => getComputedStyle(el, '::before').backgroundColor"


@SIZES
def test_the_status_says_where_the_conversation_is_live(
    app_server, user_email, new_context, page_errors, phone
):
    public_id = app_server.create_conversation(user_email, "Where", mode="text")
    first = new_context(user_email).new_page()
    watch_errors(first, page_errors)
    open_conversation(first, public_id)
    wait_until_live(first)
    here = first.locator("#status")
    expect(here).to_contain_text("Live here")
    expect(here).to_have_attribute("data-where", "here")

    second = new_context(user_email, phone=phone).new_page()
    watch_errors(second, page_errors)
    open_conversation(second, public_id)
    elsewhere = second.locator("#status")
    expect(elsewhere).to_have_attribute("data-where", "elsewhere")
    expect(elsewhere).to_have_attribute("data-status", "connected")
    expect(elsewhere).to_contain_text("Live on another device")
    expect(elsewhere).not_to_contain_text("Live here")
    # Not the green dot of "live here": a ring in another colour.
    assert elsewhere.evaluate(DOT_COLOUR) != here.evaluate(DOT_COLOUR)
    assert elsewhere.evaluate("el => getComputedStyle(el).color") != here.evaluate(
        "el => getComputedStyle(el).color"
    )

    second.get_by_role("button", name="Continue here").click()
    wait_until_live(second)
    expect(elsewhere).to_contain_text("Live here")
    expect(here).to_contain_text("Live on another device")
    expect(first.get_by_role("button", name="Take it back")).to_be_visible()
    # A takeover is no outage: neither page says the connection was restored.
    second.wait_for_timeout(1200)
    for page in (first, second):
        assert all(
            "Connection restored" not in shown["text"] for shown in toasts_shown(page)
        )
