"""Headless Chromium against a live Daphne server and the Live emulator.

The browser gets a fake microphone that plays a WAV file written here, so a
voice turn is real audio end to end: capture worklet, socket, emulator VAD.
"""

from __future__ import annotations

import math
import os
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1100, "height": 820}


def write_tone_wav(path: Path, *, rate: int = 48_000) -> Path:
    """1.5 s of a 220 Hz tone, then 1 s of silence: one spoken turn."""
    tone = [
        int(0.5 * 32767 * math.sin(2 * math.pi * 220 * i / rate))
        for i in range(int(1.5 * rate))
    ]
    silence = [0] * rate
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{len(tone) + len(silence)}h", *tone, *silence))
    return path


@pytest.fixture(scope="session")
def fake_microphone(tmp_path_factory) -> Path:
    return write_tone_wav(tmp_path_factory.mktemp("audio") / "turn.wav")


# One browser per test module: Playwright's sync API runs an event loop in the
# main thread while it is open, which async tests of the same process, run after
# this module by a parallel test process, must not find still running.
@pytest.fixture(scope="module")
def browser(fake_microphone: Path) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                # %noloop: the file plays once, then the microphone hears silence.
                f"--use-file-for-fake-audio-capture={fake_microphone}%noloop",
            ],
        )
        yield browser
        browser.close()


# Reports every Content-Security-Policy violation of a page to the test.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}` +
      ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def csp_violations() -> Iterator[list[str]]:
    """Every CSP violation of the test's pages; any left at the end fails it."""
    violations: list[str] = []
    yield violations
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def watch_csp(context: BrowserContext, violations: list[str]) -> None:
    def report(violation: str) -> None:
        violations.append(violation)

    context.expose_function("reportCspViolation", report)
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    # Worklets and workers have no document to dispatch the event on; Chromium
    # reports their violations (and every other) on the console.
    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    context.on("console", on_console)


@pytest.fixture
def new_context(browser: Browser, app_server, csp_violations) -> Iterator:
    """Open browser contexts (separate devices), optionally signed in.

    Pages load under the app's Content-Security-Policy, and any violation fails
    the test.
    """
    contexts: list[BrowserContext] = []

    def make(
        email: str | None = None,
        *,
        phone: bool = False,
        javascript: bool = True,
        **options: Any,
    ) -> BrowserContext:
        """`options` go to Playwright's `new_context` (`timezone_id`, `locale` …)."""
        context = browser.new_context(
            base_url=app_server.url,
            viewport=PHONE_VIEWPORT if phone else DESKTOP_VIEWPORT,
            permissions=["microphone"],
            java_script_enabled=javascript,
            **options,
        )
        context.set_default_timeout(15_000)
        watch_csp(context, csp_violations)
        if email:
            session = app_server.login(email, PASSWORD)
            context.add_cookies(
                [{"name": "sessionid", "value": session, "url": app_server.url}]
            )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def user_email(app_server) -> str:
    email = "ada@example.com"
    app_server.create_user(email, PASSWORD)
    return email


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take


@pytest.fixture
def page_errors() -> Iterator[list[str]]:
    """Collects uncaught script errors of the pages a test attaches it to."""
    errors: list[str] = []
    yield errors
    assert errors == [], f"script errors on the page: {errors}"
