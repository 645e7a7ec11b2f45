"""Staff accounts with chosen permissions, for the admin tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

# What support needs to see a conversation's runs and events, but not its words.
METADATA_PERMISSIONS = (
    "conversations.view_conversation",
    "conversations.view_run",
    "conversations.view_runevent",
)
TRANSCRIPT_PERMISSION = "conversations.view_transcript"


def make_staff(email: str, *permissions: str):
    user = get_user_model().objects.create_user(
        username=email, email=email, password="pw-staff-1", is_staff=True
    )
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


def make_superuser(email: str = "root@example.com"):
    return get_user_model().objects.create_superuser(
        username=email, email=email, password="pw-admin-1"
    )
