"""A spoken turn from a fake microphone, and the page going to the background."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import (
    open_conversation,
    set_visibility,
    wait_for_js,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser

SPOKEN = re.compile(r"spoken \d+\.\ds")


def record_captions(page):
    """Remember every text the live caption bubbles showed, per role."""
    page.evaluate(
        """() => {
            window.captionsSeen = { user: [], assistant: [] };
            const region = document.querySelector("[data-captions]");
            new MutationObserver(() => {
                for (const caption of region.querySelectorAll("[data-caption]")) {
                    const text = caption.querySelector(".item__content").textContent;
                    window.captionsSeen[caption.dataset.caption].push(text);
                }
            }).observe(region, { childList: true, subtree: true, characterData: true });
        }"""
    )


def test_voice_turn_shows_captions_and_plays_the_reply(
    app_server, user_email, new_context, page_errors, screenshot
):
    public_id = app_server.create_conversation(user_email, "Morning walk", mode="voice")
    page = new_context(user_email, phone=True).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)

    record_captions(page)
    page.get_by_role("button", name="Talk").click()
    expect(page.locator("#mic")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#mic-state")).to_have_text("Listening")

    user_item = page.locator("#transcript li.item--user")
    expect(user_item).to_contain_text(SPOKEN)
    expect(user_item).to_contain_text("spoken")
    reply = page.locator("#transcript li.item--assistant", has_text="Turn 1.")
    expect(reply).to_contain_text('You said "spoken')
    wait_for_js(page, "window.continuum.playback.scheduledSamples > 0")
    captions = page.evaluate("window.captionsSeen")
    assert any(SPOKEN.search(text) for text in captions["user"])
    assert any("Turn 1." in text for text in captions["assistant"])
    screenshot(page, "voice-phone")

    page.get_by_role("button", name="Stop talking").click()
    expect(page.locator("#mic")).to_have_attribute("aria-pressed", "false")
    # The reply is 24 kHz audio: at least half a second of it was scheduled.
    assert page.evaluate("window.continuum.playback.scheduledSamples") >= 12_000
    no_sideways_scroll = page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert no_sideways_scroll


def test_background_pauses_the_microphone_and_return_resumes_it(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "On the bus", mode="voice")
    page = new_context(user_email, phone=True).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    page.get_by_role("button", name="Talk").click()
    wait_for_js(page, "window.continuum.micChunksSent > 5")

    set_visibility(page, "hidden")
    expect(page.locator("#mic-state")).to_have_text("Microphone paused")
    expect(page.locator("#background-note")).to_contain_text("background")
    sent = page.evaluate("window.continuum.micChunksSent")
    page.wait_for_timeout(500)
    assert page.evaluate("window.continuum.micChunksSent") == sent
    assert page.evaluate("window.continuum.socket") == "open"

    set_visibility(page, "visible")
    expect(page.locator("#mic-state")).to_have_text("Listening")
    expect(page.locator("#background-note")).to_be_hidden()
    expect(page.locator(".toast", has_text="microphone is on again")).to_be_visible()
    wait_for_js(page, f"window.continuum.micChunksSent > {sent + 5}")
