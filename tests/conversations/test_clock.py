"""Times as the server renders them, for the page to show in the reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.template import Context, Template

from conversations.templatetags.clock import relative_text

AT = datetime(2026, 11, 21, 18, 40, 12, tzinfo=UTC)


def render(source: str, **context) -> str:
    return Template("{% load clock %}" + source).render(Context(context))


def test_a_time_names_its_zone_until_the_page_localises_it():
    html = render("{% local_time at %}", at=AT)
    assert html == (
        '<time datetime="2026-11-21T18:40:12+00:00" data-local-time>'
        "21 Nov 2026, 18:40 UTC</time>"
    )


def test_a_relative_time_carries_the_full_time_as_its_title():
    html = render("{% local_time at relative=True %}", at=AT)
    assert 'data-local-time="relative"' in html
    assert 'title="21 Nov 2026, 18:40 UTC"' in html


def test_no_time_renders_nothing():
    assert render("{% local_time at %}", at=None) == ""


def test_under_a_minute_is_just_now():
    assert relative_text(AT, now=AT + timedelta(seconds=59)) == "just now"


def test_no_time_at_all_is_just_now():
    assert relative_text(AT, now=AT) == "just now"


def test_a_clock_a_little_ahead_is_just_now():
    assert relative_text(AT, now=AT - timedelta(seconds=5)) == "just now"


def test_a_minute_is_a_minute_ago():
    assert relative_text(AT, now=AT + timedelta(seconds=60)) == "1\xa0minute ago"


def test_days_and_hours_say_the_days_only():
    later = AT + timedelta(days=2, hours=3)
    assert relative_text(AT, now=later) == "2\xa0days ago"
