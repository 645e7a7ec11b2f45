"""The account pages read and behave as the app's own, on a desktop and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture(params=[False, True], ids=["desktop", "phone"])
def phone(request) -> bool:
    return request.param


def is_sentence_case(text: str) -> bool:
    return text == text[:1].upper() + text[1:].lower()


def texts(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def below(page: Page, upper: str, lower: str) -> bool:
    return box(page, lower)["y"] >= box(page, upper)["y"] + box(page, upper)["height"]


def sign_up(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.get_by_role("button", name="Sign up").click()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize(
    ("path", "heading", "button"),
    [
        ("/accounts/signup/", "Sign up", "Sign up"),
        ("/accounts/login/", "Sign in", "Sign in"),
        ("/accounts/password/reset/", "Reset your password", "Send the link"),
    ],
)
def test_a_signed_out_page_reads_in_sentence_case(
    new_context, phone, path, heading, button
):
    page = new_context(phone=phone).new_page()
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("form").get_by_role("button")).to_have_text([button])
    assert page.title() == f"{heading} · Continuum"


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/email/", "Email addresses"),
        ("/accounts/logout/", "Sign out"),
    ],
)
def test_a_signed_in_page_reads_in_sentence_case(
    new_context, user_email, phone, path, heading
):
    page = new_context(user_email, phone=phone).new_page()
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    buttons = texts(page, "main form button")
    assert buttons
    assert all(is_sentence_case(text) for text in buttons), buttons


@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
)
def test_no_label_ends_in_a_colon(new_context, phone, path):
    page = new_context(phone=phone).new_page()
    page.goto(path)
    labels = texts(page, "main label")
    assert labels
    assert not [label for label in labels if label.endswith(":")]
    assert all(is_sentence_case(label) for label in labels), labels


def test_the_password_change_labels_read_plainly(new_context, user_email, phone):
    page = new_context(user_email, phone=phone).new_page()
    page.goto("/accounts/password/change/")
    assert texts(page, "main label") == [
        "Current password",
        "New password",
        "New password (again)",
    ]


def test_remember_me_is_the_label_after_its_checkbox(new_context, phone):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/login/")
    checkbox = page.get_by_role("checkbox", name="Remember me")
    expect(checkbox).to_be_visible()
    checkbox_box = checkbox.bounding_box()
    label_box = box(page, "label[for=id_remember]")
    assert label_box["x"] >= checkbox_box["x"] + checkbox_box["width"]
    label_middle = label_box["y"] + label_box["height"] / 2
    assert (
        checkbox_box["y"] <= label_middle <= checkbox_box["y"] + checkbox_box["height"]
    )


def test_password_rules_are_help_under_the_new_password(new_context, phone):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/signup/")
    rules = page.get_by_label("Password", exact=True).get_attribute("aria-describedby")
    assert rules is not None
    help_text = page.locator(f"#{rules.split()[0]}")
    expect(help_text).to_contain_text("at least 8 characters")
    assert below(page, "#id_password1", f"#{rules.split()[0]}")
    assert below(page, f"#{rules.split()[0]}", "#id_password2")


def test_password_rules_are_shown_once(new_context, phone):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/signup/")
    expect(page.get_by_text("at least 8 characters")).to_have_count(1)


def test_the_login_page_shows_no_password_rules(new_context, phone):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/login/")
    expect(page.get_by_text("at least 8 characters")).to_have_count(0)


def test_a_password_error_is_shown_under_its_field(new_context, phone, screenshot):
    page = new_context(phone=phone).new_page()
    sign_up(page, "grace@example.com", password="123")
    error = page.locator("#id_password1_error")
    expect(error).to_contain_text("too short")
    assert below(page, "#id_password1", "#id_password1_error")
    assert below(page, "#id_password1_error", "#id_password2")
    screenshot(page, f"sign-up-error-{'phone' if phone else 'desktop'}")
    described = page.locator("#id_password1").get_attribute("aria-describedby") or ""
    assert "id_password1_error" in described.split()
    expect(page.locator("#id_password1")).to_have_attribute("aria-invalid", "true")


def test_a_mismatched_password_is_said_under_the_repeat(new_context, phone):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD + "x")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#id_password2_error")).to_contain_text("same password")
    assert below(page, "#id_password2", "#id_password2_error")


def test_a_taken_email_is_said_under_the_email(new_context, user_email, phone):
    page = new_context(phone=phone).new_page()
    sign_up(page, user_email)
    expect(page.locator("#id_email_error")).to_contain_text("already registered")
    assert below(page, "#id_email", "#id_email_error")
    assert below(page, "#id_email_error", "#id_password1")


def test_a_wrong_password_is_said_at_the_top_of_the_form(
    new_context, user_email, phone
):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/login/")
    sign_in(page, user_email, password="not-the-password")
    alert = page.locator("main form [role=alert]")
    expect(alert).to_contain_text("not correct")
    assert below(page, "main form [role=alert]", "#id_login")


def test_a_wrong_current_password_is_said_under_it(new_context, user_email, phone):
    page = new_context(user_email, phone=phone).new_page()
    page.goto("/accounts/password/change/")
    page.get_by_label("Current password").fill("not-the-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#id_oldpassword_error")).to_be_visible()
    assert below(page, "#id_oldpassword", "#id_oldpassword_error")
    assert below(page, "#id_oldpassword_error", "#id_password1")


def test_the_password_can_be_changed(new_context, user_email, phone, app_server):
    page = new_context(user_email, phone=phone).new_page()
    page.goto("/accounts/password/change/")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Password successfully changed")
    assert app_server.login(user_email, NEW_PASSWORD)


def test_signing_in_goes_where_the_user_was_going(new_context, user_email, phone):
    page = new_context(phone=phone).new_page()
    page.goto("/conversations/new/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    sign_in(page, user_email)
    expect(page).to_have_url(re.compile(r"/conversations/new/$"))


def test_signing_up_says_the_email_it_signed_in_with(new_context, phone):
    page = new_context(phone=phone).new_page()
    sign_up(page, "grace.hopper@example.com")
    expect(page.locator(".messages")).to_have_text(
        "Signed in as grace.hopper@example.com."
    )


def test_signing_in_says_the_email_it_signed_in_with(new_context, phone):
    page = new_context(phone=phone).new_page()
    # allauth makes the user name up from the email ("grace"): never shown.
    sign_up(page, "grace.hopper@example.com")
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    sign_in(page, "grace.hopper@example.com")
    expect(page.locator(".messages")).to_have_text(
        "Signed in as grace.hopper@example.com."
    )


def test_the_header_names_the_user_by_email(new_context, phone):
    page = new_context(phone=phone).new_page()
    sign_up(page, "grace.hopper@example.com")
    account = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="grace.hopper@example.com"
    )
    expect(account).to_be_visible()
    box_ = account.bounding_box()
    assert box_ is not None
    assert box_["x"] + box_["width"] <= page.viewport_size["width"]


def test_the_sign_out_page_names_the_user_by_email(new_context, phone):
    page = new_context(phone=phone).new_page()
    sign_up(page, "grace.hopper@example.com")
    page.goto("/accounts/logout/")
    expect(page.locator("main")).to_contain_text("grace.hopper@example.com")
    page.locator("main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_a_forgotten_password_is_reset_through_the_emailed_link(
    new_context, user_email, phone, app_server
):
    page = new_context(phone=phone).new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("Email").fill(user_email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    # The link the email carries (the test servers keep their mail in memory).
    link = app_server.run_python_json(
        "import json\n"
        "from allauth.account.forms import default_token_generator\n"
        "from allauth.account.utils import user_pk_to_url_str\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.urls import reverse\n"
        f"user = get_user_model().objects.get(email={user_email!r})\n"
        "print(json.dumps(reverse('account_reset_password_from_key', kwargs={"
        "'uidb36': user_pk_to_url_str(user), "
        "'key': default_token_generator.make_token(user)})))\n"
    )
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert texts(page, "main label") == ["New password", "New password (again)"]
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    assert app_server.login(user_email, NEW_PASSWORD)
