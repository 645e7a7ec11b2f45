"""Voice you can see: the microphone's level while it listens, the assistant speaking.

The fake microphone plays 1.5 s of a tone and then silence: the meter rises
with the tone and falls back in the silence, from the audio the capture
worklet already sends (no second microphone). The reply's audio shows as
"Assistant speaking" while it plays, in a live region.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import open_conversation, wait_for_js, wait_until_live, watch_errors

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])


def record_meter(page) -> None:
    """Remember every level the meter showed, and every text of the speaking line."""
    page.evaluate(
        """() => {
            window.levelsSeen = [];
            window.speakingSeen = [];
            const meter = document.getElementById("mic-level");
            const level = () => window.levelsSeen.push(Number(meter.dataset.level));
            new MutationObserver(level).observe(meter, { attributes: true });
            const speaking = document.getElementById("speaking");
            const said = () => window.speakingSeen.push(speaking.textContent);
            new MutationObserver(said).observe(speaking, { childList: true });
        }"""
    )


@SIZES
def test_the_meter_follows_the_microphone_and_the_reply_shows_as_speaking(
    app_server, user_email, new_context, page_errors, screenshot, phone
):
    public_id = app_server.create_conversation(user_email, "Levels", mode="voice")
    page = new_context(user_email, phone=phone).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    meter = page.locator("#mic-level")
    expect(meter).to_be_hidden()
    speaking = page.locator("#speaking")
    expect(speaking).to_have_attribute("role", "status")
    record_meter(page)

    page.get_by_role("button", name="Talk").click()
    expect(page.locator("#mic-state")).to_have_text("Listening")
    expect(meter).to_be_visible()
    # The tone lifts the meter well off its rest...
    wait_for_js(page, "window.levelsSeen.some((level) => level > 0.5)")
    screenshot(page, f"voice-level-{'phone' if phone else 'desktop'}")
    # ...and the silence after it lets it fall back.
    wait_for_js(
        page,
        "window.levelsSeen.length > 0 && window.levelsSeen.at(-1) < 0.1"
        " && window.continuum.micLevel < 0.1",
    )
    levels = page.evaluate("window.levelsSeen")
    assert len(set(levels)) > 5, levels

    # The reply's audio plays: the page says so, once, and stops saying so after.
    wait_for_js(page, "window.speakingSeen.includes('Assistant speaking')")
    wait_for_js(page, "window.continuum.playback.scheduledSamples > 0")
    wait_for_js(page, "window.speakingSeen.at(-1) === ''", timeout_ms=20_000)
    expect(speaking).to_be_hidden()
    seen = page.evaluate("window.speakingSeen")
    # The live region is not told about every gap between two chunks of audio.
    assert seen.count("Assistant speaking") <= 2, seen

    page.get_by_role("button", name="Stop talking").click()
    expect(meter).to_be_hidden()
    assert page.evaluate("window.continuum.micLevel") == 0
    # Levels are for the eyes: the meter is kept out of the accessible tree.
    expect(meter).to_have_attribute("aria-hidden", "true")
