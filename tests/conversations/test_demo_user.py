"""`manage.py ensure_demo_user` creates one demo login and prints its password."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("ensure_demo_user", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    match = re.search(r"password: (\S+)", output)
    assert match, output
    return match.group(1)


def test_creates_a_demo_login_that_works_with_the_printed_password():
    password = printed_password(run_command())
    user = authenticate(username="demo@example.com", password=password)
    assert user is not None
    assert user.email == "demo@example.com"


def test_is_idempotent_and_keeps_the_password():
    password = printed_password(run_command())
    second = run_command()
    assert "password:" not in second
    assert get_user_model().objects.filter(email="demo@example.com").count() == 1
    assert authenticate(username="demo@example.com", password=password) is not None


def test_reset_password_prints_a_new_working_password():
    old = printed_password(run_command())
    new = printed_password(run_command("--reset-password"))
    assert new != old
    assert authenticate(username="demo@example.com", password=new) is not None
