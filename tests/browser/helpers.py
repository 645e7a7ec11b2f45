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
    # The status line keeps showing Live through a drop shorter than a second,
    # so the page's own socket and role say whether it is really back.
    wait_for_js(
        page,
        "window.continuum && window.continuum.socket === 'open'"
        " && window.continuum.role === 'owner'",
    )


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


def start_outage(app_server) -> None:
    """Cut the upstream and keep Live unreachable until `end_outage`.

    Every token mint fails meanwhile, so each reconnect attempt fails fast and
    the server backs off between them, as it would while Live is down.
    """
    app_server.fault({"action": "fail_token_mints", "count": 10_000})
    app_server.fault({"action": "drop"})


def end_outage(app_server) -> None:
    """Let Live be reached again (after at most one more failed attempt)."""
    app_server.fault({"action": "fail_token_mints", "count": 1})


def toasts_shown(page: Page) -> list[dict]:
    """Every notice the page showed so far: `{topic, kind, text, at}`."""
    return page.evaluate("window.continuum.toasts")


def statuses_shown(page: Page) -> list[str]:
    """Every status the status line showed so far, in order."""
    return [entry["status"] for entry in page.evaluate("window.continuum.statusLog")]


# Everything a person can press or type into, and the newest message.
COVERED_BY_TOASTS = """() => {
  const visible = (element) => {
    const box = element.getBoundingClientRect();
    const shown = getComputedStyle(element).visibility !== "hidden";
    return shown && box.width > 0 && box.height > 0;
  };
  const controls = [
    ...document.querySelectorAll("button, a[href], textarea, input, select, summary"),
  ].filter((element) => visible(element) && !element.closest(".toast"));
  const messages = [...document.querySelectorAll("#transcript li, [data-captions] li")];
  const newest = messages.filter(visible).slice(-1);
  const overlap = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const name = (element) =>
    element.id || element.getAttribute("aria-label") || element.textContent.trim();
  const covered = [];
  for (const toast of document.querySelectorAll(".toast")) {
    const box = toast.getBoundingClientRect();
    // A notice nobody can see covers nothing, and tells nothing either.
    if (box.top < 0 || box.bottom > window.innerHeight) covered.push("(off screen)");
    for (const element of [...controls, ...newest]) {
      if (overlap(box, element.getBoundingClientRect())) covered.push(name(element));
    }
  }
  return covered;
}"""


def controls_covered_by_toasts(page: Page) -> list[str]:
    """The controls (and the newest message) that a notice covers, by name."""
    return page.evaluate(COVERED_BY_TOASTS)


def in_page(new_context, body: str) -> Any:
    """Run `body` (the inside of an async JavaScript function) on a page of the app.

    For the page's modules on their own: import them, drive them, return a result.
    """
    page = new_context().new_page()
    page.goto("/accounts/login/")
    return page.evaluate(f"async () => {{\n{body}\n}}")
