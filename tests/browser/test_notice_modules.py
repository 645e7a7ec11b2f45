"""The page's notices and its speaking line, checked in the browser that runs them."""

from __future__ import annotations

import pytest

from .helpers import in_page

pytestmark = pytest.mark.browser


def test_one_notice_per_topic_replaced_in_place_and_dismissed_by_topic(
    app_server, new_context
):
    result = in_page(
        new_context,
        """
            const { Toaster } = await import("/static/js/conversation/toasts.js");
            const region = document.createElement("div");
            document.body.append(region);
            const toasts = new Toaster(region, { timeoutMs: 0 });
            const texts = () => [...region.children].map((toast) => toast.textContent);
            const first = toasts.show("Connection restored.", { topic: "connection" });
            const second = toasts.show("Rebuilt.", { topic: "connection" });
            toasts.show("Sound is held back.", { key: "sound", kind: "warning" });
            toasts.show("One error.", { kind: "error" });
            toasts.show("Another error.", { kind: "error" });
            const before = texts();
            toasts.dismiss("connection");
            toasts.dismiss("nothing here");
            return {
                same: first === second,
                before,
                after: texts(),
                log: toasts.log.map((toast) => toast.topic),
                alert: region.querySelector("[data-kind=error]").getAttribute("role"),
            };
        """,
    )
    assert result["same"]
    assert result["before"] == ["Rebuilt.×", "Sound is held back.×", "Another error.×"]
    assert result["after"] == ["Sound is held back.×", "Another error.×"]
    assert result["log"] == ["connection", "connection", "sound", "error", "error"]
    assert result["alert"] == "alert"


def test_a_notice_goes_by_itself_after_its_time(app_server, new_context):
    left = in_page(
        new_context,
        """
            const { Toaster } = await import("/static/js/conversation/toasts.js");
            const region = document.createElement("div");
            document.body.append(region);
            const toasts = new Toaster(region);
            toasts.show("Soon gone.", { topic: "a", timeoutMs: 50 });
            // Replaced before its time: the new text gets a time of its own.
            toasts.show("Stays.", { topic: "b", timeoutMs: 50 });
            toasts.show("Stays longer.", { topic: "b", timeoutMs: 5000 });
            await new Promise((resolve) => setTimeout(resolve, 200));
            return [...region.children].map((toast) => toast.dataset.key);
        """,
    )
    assert left == ["b"]


def test_the_speaking_line_rides_out_short_gaps_in_the_audio(app_server, new_context):
    seen = in_page(
        new_context,
        """
            const url = "/static/js/conversation/speaking.js";
            const { SpeakingIndicator } = await import(url);
            const line = document.createElement("div");
            document.body.append(line);
            const speaking = new SpeakingIndicator(line, { lingerMs: 100 });
            const seen = [];
            new MutationObserver(() => seen.push(line.textContent))
                .observe(line, { childList: true });
            const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            speaking.set(true);
            speaking.set(false);
            await wait(30);
            speaking.set(true);
            await wait(150);
            const during = line.textContent;
            speaking.set(false);
            await wait(150);
            return { during, after: line.textContent, seen };
        """,
    )
    assert seen["during"] == "Assistant speaking"
    assert seen["after"] == ""
    # Said once, unsaid once: no announcement for the short gap.
    assert seen["seen"] == ["Assistant speaking", ""]
