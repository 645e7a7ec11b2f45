"""The admin signs in through allauth's login, with its rate limits.

allauth's limits (settings.ACCOUNT_RATE_LIMITS): every login POST counts
towards "login" (30 a minute per address; past it, 429). Each attempt also
counts towards "login_failed" (10 a minute per address, 5 in five minutes per
account) unless it succeeds; past either, the form is refused with "Too many
failed login attempts", the right password included, until the window passes.
"""

from __future__ import annotations

import time
import types
import uuid
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.core.internal import ratelimit
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"
WRONG = "wrong-password-1"
ADMIN_INDEX = reverse("admin:index")


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    # The configured backend (Redis when REDIS_URL is set), with a key prefix
    # of its own: no attempts from other tests, and none left for them.
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "KEY_PREFIX": f"admin-login-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def clock(monkeypatch):
    """Moves allauth's rate-limit clock forward without waiting."""
    offset = [0.0]
    fake = types.SimpleNamespace(
        time=lambda: time.time() + offset[0],
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    monkeypatch.setattr(ratelimit, "time", fake)

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance


@pytest.fixture
def staff(user_factory):
    member = user_factory("grace@example.com")
    member.is_staff = True
    member.save(update_fields=["is_staff"])
    return member


def login_page_of_the_admin(client) -> str:
    """Where the admin sends someone who is not signed in."""
    response = client.get(ADMIN_INDEX, follow=True)
    assert response.status_code == HTTPStatus.OK
    return response.redirect_chain[-1][0]


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_sends_its_login_to_allauth_with_next(client):
    url = login_page_of_the_admin(client)
    parts = urlsplit(url)
    assert parts.path == reverse("account_login")
    assert parse_qs(parts.query)["next"] == [ADMIN_INDEX]


def test_the_admin_login_url_redirects_to_allauth(client):
    target = reverse("admin:conversations_conversation_changelist")
    response = client.get(reverse("admin:login"), {"next": target})
    assert response.status_code == HTTPStatus.FOUND
    parts = urlsplit(response.url)
    assert parts.path == reverse("account_login")
    assert parse_qs(parts.query)["next"] == [target]


def test_credentials_posted_to_the_admin_login_are_not_checked(client, staff, password):
    response = client.post(
        reverse("admin:login"), {"username": staff.email, "password": password}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.url).path == reverse("account_login")
    assert not is_signed_in(client)


def test_an_offsite_next_is_replaced_by_the_admin_index(client, staff):
    response = client.get(reverse("admin:login"), {"next": "https://evil.example/"})
    assert parse_qs(urlsplit(response.url).query)["next"] == [ADMIN_INDEX]
    client.force_login(staff)
    response = client.get(reverse("admin:login"), {"next": "https://evil.example/"})
    assert response.url == ADMIN_INDEX


def test_staff_reach_the_admin_after_logging_in_through_it(client, staff, password):
    login_url = login_page_of_the_admin(client)
    response = client.post(login_url, {"login": staff.email, "password": password})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == ADMIN_INDEX
    page = client.get(ADMIN_INDEX)
    assert page.status_code == HTTPStatus.OK
    assert "Site administration" in page.content.decode()


def test_a_user_who_is_not_staff_gets_no_admin(client, user, password):
    login_url = login_page_of_the_admin(client)
    response = client.post(
        login_url, {"login": user.email, "password": password}, follow=True
    )
    # Signed in, sent to the admin, refused there without a redirect loop.
    assert is_signed_in(client)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Site administration" not in response.content.decode()
    assert client.get(ADMIN_INDEX).status_code == HTTPStatus.FOUND


def test_forty_wrong_passwords_are_throttled_until_the_window_passes(
    client, staff, password, clock
):
    login_url = login_page_of_the_admin(client)
    responses = [
        client.post(login_url, {"login": staff.email, "password": WRONG})
        for _ in range(40)
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == [HTTPStatus.OK] * 30 + [HTTPStatus.TOO_MANY_REQUESTS] * 10
    refused = [TOO_MANY in response.content.decode() for response in responses[:30]]
    assert refused == [False] * 5 + [True] * 25

    def right_password():
        return client.post(login_url, {"login": staff.email, "password": password})

    # Within the minute: the address is still over its "login" limit.
    assert right_password().status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not is_signed_in(client)
    # A minute on: the account is still over its 5 failures in five minutes.
    clock(61)
    response = right_password()
    assert response.status_code == HTTPStatus.OK
    assert TOO_MANY in response.content.decode()
    assert not is_signed_in(client)
    # Five minutes after the first failure, the right password works again.
    clock(240)
    response = right_password()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == ADMIN_INDEX
    assert client.get(ADMIN_INDEX).status_code == HTTPStatus.OK


def test_failures_count_per_account_whatever_the_address(client, staff, password):
    login_url = login_page_of_the_admin(client)
    for attempt in range(5):
        client.post(
            login_url,
            {"login": staff.email, "password": WRONG},
            REMOTE_ADDR=f"10.0.0.{attempt + 1}",
        )
    response = client.post(
        login_url, {"login": staff.email, "password": password}, REMOTE_ADDR="10.0.1.1"
    )
    assert TOO_MANY in response.content.decode()
    assert not is_signed_in(client)


def test_failures_count_per_address_whatever_the_account(client, staff, password):
    login_url = login_page_of_the_admin(client)
    for attempt in range(10):
        client.post(
            login_url,
            {"login": f"guess{attempt}@example.com", "password": WRONG},
            REMOTE_ADDR="10.0.0.1",
        )
    response = client.post(
        login_url, {"login": staff.email, "password": password}, REMOTE_ADDR="10.0.0.1"
    )
    assert TOO_MANY in response.content.decode()
    assert not is_signed_in(client)
    # The same account from another address is not held back.
    response = client.post(
        login_url, {"login": staff.email, "password": password}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == HTTPStatus.FOUND
    assert is_signed_in(client)
