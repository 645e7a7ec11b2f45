"""Small steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def watch_errors(page: Page, errors: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(str(error)))


def open_conversation(page: Page, public_id: str) -> None:
    page.goto(f"/conversations/{public_id}/")


def wait_until_live(page: Page) -> None:
    expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    page.wait_for_function("window.continuum && window.continuum.role === 'owner'")


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
