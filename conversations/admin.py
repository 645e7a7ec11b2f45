"""Admin views for support: find a user's conversations, read runs and transcripts.

The admin reads; writes still go through services. The resumption handle is
only ever shown masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .models import Conversation, Run, TranscriptItem


def mask_handle(handle: str) -> str:
    """Return a recognisable but unusable form of a resumption handle."""
    if not handle:
        return "—"
    tail = handle[-4:] if len(handle) >= 12 else ""
    return f"••••{tail} ({len(handle)} chars)"


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RunInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Run
    fields = ["run_id", "began", "started_at", "ended_at", "end_reason", "close_code"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "owner_email",
        "mode",
        "state",
        "run_count",
        "last_activity_at",
        "created_at",
    ]
    list_filter = ["mode", "state", "created_at", "last_activity_at"]
    search_fields = ["title", "owner__email", "=public_id"]
    list_select_related = ["owner"]
    date_hierarchy = "last_activity_at"
    fields = [
        "public_id",
        "owner",
        "title",
        "mode",
        "state",
        "model",
        "system_instruction",
        "created_at",
        "last_activity_at",
        "masked_resumption_handle",
        "resumption_handle_issued_at",
        "handle_covered_seq",
        "transcript_link",
    ]
    readonly_fields = fields
    inlines = [RunInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return super().get_queryset(request).annotate(run_total=Count("runs"))

    @admin.display(description="Owner", ordering="owner__email")
    def owner_email(self, obj: Conversation) -> str:
        return obj.owner.email

    @admin.display(description="Runs", ordering="run_total")
    def run_count(self, obj: Conversation) -> int:
        return int(obj.run_total)

    @admin.display(description="Resumption handle")
    def masked_resumption_handle(self, obj: Conversation) -> str:
        return mask_handle(obj.resumption_handle)

    @admin.display(description="Transcript")
    def transcript_link(self, obj: Conversation) -> str:
        url = reverse("admin:conversations_transcriptitem_changelist")
        return format_html(
            '<a href="{}?conversation__id__exact={}">{} items</a>',
            url,
            obj.pk,
            obj.next_seq - 1,
        )

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        # Runs and items go with their conversation and are never deleted on
        # their own, so their own (read-only) admins' permissions do not apply.
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: Conversation) -> None:
        services.delete_conversation(conversation=obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Conversation]
    ) -> None:
        for conversation in queryset:
            services.delete_conversation(conversation=conversation)


@admin.register(Run)
class RunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "conversation",
        "run_id",
        "began",
        "started_at",
        "ended_at",
        "end_reason",
        "close_code",
    ]
    list_filter = ["began", "end_reason", "started_at"]
    search_fields = ["conversation__title", "conversation__owner__email"]
    list_select_related = ["conversation"]
    readonly_fields = [
        "conversation",
        "run_id",
        "began",
        "started_at",
        "ended_at",
        "end_reason",
        "close_code",
        "close_reason",
    ]
    fields = readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TranscriptItem)
class TranscriptItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "seq",
        "conversation",
        "role",
        "modality",
        "short_content",
        "created_at",
    ]
    list_filter = ["role", "modality", "interrupted", "created_at"]
    search_fields = ["conversation__title", "conversation__owner__email", "content"]
    list_select_related = ["conversation"]
    ordering = ["conversation", "-seq"]
    show_full_result_count = False
    readonly_fields = [
        "conversation",
        "run",
        "seq",
        "role",
        "modality",
        "interrupted",
        "content",
        "created_at",
    ]
    fields = readonly_fields

    @admin.display(description="Content")
    def short_content(self, obj: TranscriptItem) -> str:
        return obj.content if len(obj.content) <= 80 else obj.content[:79] + "…"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
