"""Page routes of the conversations app."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "conversations"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("conversations/new/", views.conversation_create, name="conversation_create"),
    path(
        "conversations/<uuid:public_id>/",
        views.conversation_detail,
        name="conversation_detail",
    ),
    path(
        "conversations/<uuid:public_id>/rename/",
        views.conversation_rename,
        name="conversation_rename",
    ),
    path(
        "conversations/<uuid:public_id>/delete/",
        views.conversation_delete,
        name="conversation_delete",
    ),
    path(
        "conversations/<uuid:public_id>/export.md",
        views.conversation_export_markdown,
        name="conversation_export_markdown",
    ),
    path(
        "conversations/<uuid:public_id>/export.json",
        views.conversation_export_json,
        name="conversation_export_json",
    ),
]
