"""Small steps the browser tests share."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect


def watch_errors(page: Page, errors: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(str(error)))


def wait_for_js(page: Page, expression: str, timeout_ms: float = 15_000) -> Any:
    """Poll a JavaScript expression until it is truthy, and return its value.

    `page.wait_for_function` polls by evaluating a string inside the page, which
    the app's Content-Security-Policy forbids; `page.evaluate` is not subject to it.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_ms:.0f} ms: {expression}")
        page.wait_for_timeout(50)


def open_conversation(page: Page, public_id: str) -> None:
    page.goto(f"/conversations/{public_id}/")


def wait_until_live(page: Page) -> None:
    expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    wait_for_js(page, "window.continuum && window.continuum.role === 'owner'")


def send_text(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def stored_bubbles(page: Page):
    return page.locator("#transcript li[data-seq]")


def shown_seqs(page: Page) -> list[int]:
    return [
        int(seq)
        for seq in page.locator("#transcript li[data-seq]").evaluate_all(
            "items => items.map(item => item.dataset.seq)"
        )
    ]


def assistant_reply(page: Page, turn: int):
    """The stored assistant item that answers the given user turn."""
    return page.locator("#transcript li.item--assistant", has_text=f"Turn {turn}.")


def set_visibility(page: Page, state: str) -> None:
    page.evaluate(
        """state => {
            Object.defineProperty(document, "visibilityState", {
                configurable: true, get: () => state,
            });
            Object.defineProperty(document, "hidden", {
                configurable: true, get: () => state === "hidden",
            });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )
