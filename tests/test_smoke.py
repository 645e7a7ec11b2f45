"""The project boots: settings load, the schema is in place, the ASGI app serves."""

from __future__ import annotations

from http import HTTPStatus

import httpx
import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_custom_user_model_is_used():
    assert get_user_model()._meta.label == "accounts.User"


@pytest.mark.django_db(transaction=True)
async def test_asgi_application_serves_pages_and_asks_for_login():
    from config.asgi import application

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1"
    ) as client:
        home = await client.get("/")
        login = await client.get("/accounts/login/")
    assert home.status_code == HTTPStatus.FOUND
    assert home.headers["location"].startswith("/accounts/login/")
    assert login.status_code == HTTPStatus.OK
    assert "<h1>Sign in</h1>" in login.text


@pytest.mark.parametrize("template", ["400.html", "403.html", "404.html", "500.html"])
def test_error_pages_render_in_the_layout_without_a_request(template):
    from django.template.loader import render_to_string

    html = render_to_string(template)
    assert 'class="site-header"' in html
    assert "Go to your conversations" in html
