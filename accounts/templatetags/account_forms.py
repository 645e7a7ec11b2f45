"""Labels on the account pages read as the rest of the app: sentence case, no colon."""

from __future__ import annotations

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def sentence_case(label: object) -> str:
    """'Remember Me:' reads 'Remember me'; 'Password (again)' stays as it is."""
    text = str(label).strip().rstrip(":").strip()
    return text[:1].upper() + text[1:].lower()


@register.filter
def without_placeholder(field: BoundField) -> BoundField:
    """The field with no placeholder: its label above says the same, and stays."""
    field.field.widget.attrs.pop("placeholder", None)
    return field
