"""Every page works under the strict Content-Security-Policy, in a real browser.

The shared `new_context` fixture fails any test whose pages violate the policy;
here every page is opened once, the admin's and allauth's included.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.site_pages import ADMIN_PAGES, ANONYMOUS_PAGES, USER_PAGES

from .helpers import (
    assistant_reply,
    open_conversation,
    send_text,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser

ADMIN = "root@example.com"


@pytest.fixture
def superuser(app_server) -> dict:
    return app_server.run_python_json(
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "from conversations import services\n"
        f"user = get_user_model().objects.create_superuser(username={ADMIN!r}, "
        f"email={ADMIN!r}, password={PASSWORD!r})\n"
        "conversation = services.create_conversation(owner=user, "
        "title='Under the policy', mode='text')\n"
        "print(json.dumps({'id': str(conversation.public_id), "
        "'pk': conversation.pk, 'user_pk': user.pk}))\n"
    )


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None, url
    assert response.status in (200, 404), f"{url}: {response.status}"
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"], url
    assert "microphone=(self)" in headers["permissions-policy"], url
    page.wait_for_load_state("load")


def test_an_inline_script_is_blocked_and_reported(new_context, csp_violations):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
            return window.inlineRan === true;
        }"""
    )
    assert not ran

    # Reported twice, asynchronously: by the page's event and on the console.
    def reported() -> tuple[bool, bool]:
        console = [v for v in csp_violations if v.startswith("console:")]
        events = [v for v in csp_violations if "script-src" in v and v not in console]
        return bool(events), bool(console)

    for _ in range(100):
        if reported() == (True, True):
            break
        page.wait_for_timeout(50)
    assert reported() == (True, True), csp_violations
    csp_violations.clear()


def test_a_conversation_is_held_under_the_policy(
    app_server, superuser, new_context, page_errors
):
    page = new_context(ADMIN).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, superuser["id"])
    wait_until_live(page)
    send_text(page, "Does the socket pass the policy?")
    expect(assistant_reply(page, 1)).to_be_visible()


def test_every_page_loads_under_the_policy(
    app_server, superuser, new_context, page_errors
):
    anonymous = new_context().new_page()
    watch_errors(anonymous, page_errors)
    for url in ANONYMOUS_PAGES:
        visit(anonymous, url)

    page = new_context(ADMIN).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, superuser["id"])
    wait_until_live(page)
    send_text(page, "A turn for the inspector to show")
    expect(assistant_reply(page, 1)).to_be_visible()
    for url in USER_PAGES + ADMIN_PAGES:
        visit(page, url.format(**superuser))
    page.goto(f"/admin/conversations/conversation/{superuser['pk']}/change/")
    expect(page.locator("svg.timeline")).to_be_visible()
    expect(page.locator("#runs svg.ending-swatch").first).to_be_visible()
