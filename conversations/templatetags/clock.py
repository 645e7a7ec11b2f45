"""Times as the pages show them: one element the page localises, one fallback.

The server renders UTC with its zone named; static/js/local-time.js rewrites
each time into the reader's zone and locale, in the format the transcript uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

register = template.Library()

FALLBACK_FORMAT = "j M Y, H:i T"
JUST_NOW = timedelta(minutes=1)


def fallback_text(value: datetime) -> str:
    """The time as the server shows it: '21 Nov 2026, 18:40 UTC'."""
    return date_format(timezone.localtime(value), FALLBACK_FORMAT)


def relative_text(value: datetime, now: datetime | None = None) -> str:
    """'just now' under a minute, else '5 minutes ago', '2 days ago'."""
    now = now or timezone.now()
    if now - value < JUST_NOW:
        return "just now"
    return f"{timesince(value, now, depth=1)} ago"


@register.simple_tag
def local_time(value: datetime | None, relative: bool = False) -> SafeString | str:
    """A `<time>` the page shows in the reader's zone; `relative` says 'x ago'."""
    if value is None:
        return ""
    iso = value.isoformat()
    if relative:
        return format_html(
            '<time datetime="{}" data-local-time="relative" title="{}">{}</time>',
            iso,
            fallback_text(value),
            relative_text(value),
        )
    return format_html(
        '<time datetime="{}" data-local-time>{}</time>', iso, fallback_text(value)
    )
