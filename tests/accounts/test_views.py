"""Sign-up, login, logout and password reset through django-allauth."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = reverse("conversations:conversation_list")


def test_sign_up_creates_a_user_and_signs_them_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "grace@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == HOME
    assert get_user_model().objects.filter(email="grace@example.com").exists()
    assert client.get(HOME).status_code == HTTPStatus.OK


def test_sign_up_with_taken_email_is_refused(client, user):
    response = client.post(
        reverse("account_signup"),
        {
            "email": user.email,
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert get_user_model().objects.filter(email=user.email).count() == 1


def test_login_with_email_and_password(client, user, password):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": password}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == HOME
    assert client.get(HOME).status_code == HTTPStatus.OK


def test_login_with_wrong_password_fails(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "wrong"}
    )
    assert response.status_code == HTTPStatus.OK
    assert client.get(HOME).status_code == HTTPStatus.FOUND


def test_logout_ends_the_session(client, user):
    client.force_login(user)
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(HOME).status_code == HTTPStatus.FOUND


def test_password_reset_sends_an_email_with_a_working_link(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = next(
        word for word in mail.outbox[0].body.split() if "/password/reset/key/" in word
    )
    form_page = client.get(link, follow=True)
    assert form_page.status_code == HTTPStatus.OK
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {
            "password1": "another-long-passphrase",
            "password2": "another-long-passphrase",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase")


@pytest.mark.parametrize("name", ["account_login", "account_signup"])
def test_auth_pages_use_the_app_layout(client, name):
    html = client.get(reverse(name)).content.decode()
    assert 'class="site-header"' in html
    assert "css/app.css" in html
