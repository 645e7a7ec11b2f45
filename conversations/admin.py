"""Admin views for support: find a conversation, see what happened to its runs.

The admin reads; writes still go through services. The conversation page is the
session inspector (a timeline of runs, a per-run table, a continuity verdict).
Transcript content is on a page of its own that needs the `view_transcript`
permission, and every opening of it is recorded. The resumption handle is only
ever shown masked, and nothing filters, searches or sorts on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from . import (
    audit,
    charts,
    diagnostics,
    inspector,
    operations,
    selectors,
    services,
    timeline,
)
from .admin_filters import HadErrorsFilter, HadRestoreFilter
from .models import Conversation, Run, RunEvent, TranscriptAccess

HANDLE_FIELD = "resumption_handle"
TRANSCRIPT_PERMISSION = "conversations.view_transcript"
# Ending a live session and forgetting its handle change what the user sees.
ACT_PERMISSION = "conversations.change_conversation"
TRANSCRIPT_PAGE_SIZE = 100
EVENTS_LISTED_PER_RUN = 200


def mask_handle(handle: str) -> str:
    """Return a recognisable but unusable form of a resumption handle."""
    if not handle:
        return "—"
    tail = handle[-4:] if len(handle) >= 12 else ""
    return f"••••{tail} ({len(handle)} chars)"


def _mentions_handle(name: str) -> bool:
    return HANDLE_FIELD in name.split(LOOKUP_SEP)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class HandleGuardMixin:
    """No filtering on the handle, directly or through a relation.

    Results filtered by `resumption_handle__startswith=…` (or a range, or a
    regex) would tell its value a character at a time without ever showing it.
    The changelist answers such a request with 400.
    """

    def lookup_allowed(
        self, lookup: str, value: str, request: HttpRequest | None = None
    ) -> bool:
        if _mentions_handle(lookup):
            return False
        return bool(super().lookup_allowed(lookup, value, request))  # type: ignore[misc]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Also parameters the changelist would ignore rather than check.
        if any(_mentions_handle(name) for name in request.GET):
            raise DisallowedModelAdminLookup("Filtering by the handle is not allowed")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


@dataclass(frozen=True)
class RunRow:
    """A run as the conversation page shows it: its summary and events."""

    summary: inspector.RunSummary
    events: list[inspector.EventLine]
    hidden_events: int

    @property
    def duration(self) -> str:
        return inspector.human_duration(self.summary.duration)

    @property
    def recovery(self) -> str:
        return inspector.human_duration(self.summary.recovery)


@admin.register(Conversation)
class ConversationAdmin(HandleGuardMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "owner_email",
        "title",
        "mode",
        "state",
        "created_at",
        "last_activity_at",
        "run_count",
        "reconnect_count",
        "restore_count",
        "give_up_count",
        "last_close_code",
    ]
    list_display_links = ["title"]
    list_filter = [
        "state",
        "mode",
        "model",
        HadErrorsFilter,
        HadRestoreFilter,
        "created_at",
        "last_activity_at",
    ]
    search_fields = ["owner__email", "title", "=public_id"]
    list_select_related = ["owner"]
    date_hierarchy = "last_activity_at"
    view_on_site = False
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
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return selectors.with_run_stats(super().get_queryset(request))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm(TRANSCRIPT_PERMISSION):
            # Words the user wrote: shown only to those who may read them.
            fields.remove("system_instruction")
        return fields

    # -- changelist columns ------------------------------------------------------
    @admin.display(description="Owner", ordering="owner__email")
    def owner_email(self, obj: Conversation) -> str:
        return obj.owner.email

    @admin.display(description="Runs", ordering="run_total")
    def run_count(self, obj: Conversation) -> int:
        return int(obj.run_total)

    @admin.display(description="Reconnects", ordering="run_total")
    def reconnect_count(self, obj: Conversation) -> int:
        return max(int(obj.run_total) - 1, 0)

    @admin.display(description="Restores", ordering="restore_total")
    def restore_count(self, obj: Conversation) -> int:
        return int(obj.restore_total)

    @admin.display(description="Give-ups", ordering="give_up_total")
    def give_up_count(self, obj: Conversation) -> int:
        return int(obj.give_up_total)

    @admin.display(description="Last close code", ordering="last_close_code")
    def last_close_code(self, obj: Conversation) -> str:
        code = obj.last_close_code
        return "—" if code is None else str(code)

    # -- conversation page fields --------------------------------------------------
    @admin.display(description="Resumption handle")
    def masked_resumption_handle(self, obj: Conversation) -> str:
        return mask_handle(obj.resumption_handle)

    # -- the inspector ---------------------------------------------------------
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(self._inspector_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _inspector_context(
        self, request: HttpRequest, conversation: Conversation
    ) -> dict[str, Any]:
        session = selectors.session_records(
            conversation=conversation, now=timezone.now()
        )
        summaries = inspector.summarise(session)
        rows = []
        for summary in summaries:
            lines, hidden = inspector.event_lines(summary, EVENTS_LISTED_PER_RUN)
            rows.append(RunRow(summary, lines, hidden))
        return {
            # Built from escaped parts only (conversations.svg), no content.
            "timeline_svg": mark_safe(timeline.timeline_svg(session, summaries)),
            "run_rows": rows,
            "verdict": inspector.continuity(session, summaries),
            # With no run at all, attempts and a give-up are all there is.
            "stray_events": []
            if summaries
            else [
                inspector.EventLine(e.at, e.kind, inspector.describe_event(e), True)
                for e in session.events
            ],
            "runs_url": reverse("admin:conversations_run_changelist")
            + f"?conversation__id__exact={conversation.pk}",
            "can_read_transcript": request.user.has_perm(TRANSCRIPT_PERMISSION),
            "can_act": request.user.has_perm(ACT_PERMISSION),
            "can_delete": self.has_delete_permission(request, conversation),
            "transcript_url": reverse(
                "admin:conversations_conversation_transcript", args=[conversation.pk]
            ),
            "end_url": reverse(
                "admin:conversations_conversation_end", args=[conversation.pk]
            ),
            "expire_url": reverse(
                "admin:conversations_conversation_expire_handle",
                args=[conversation.pk],
            ),
            "export_url": reverse(
                "admin:conversations_conversation_export", args=[conversation.pk]
            ),
            "delete_url": reverse(
                "admin:conversations_conversation_delete", args=[conversation.pk]
            ),
        }

    # -- pages and actions of their own ------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "operations/",
                view(require_GET(self.operations_view)),
                name="conversations_conversation_operations",
            ),
            path(
                "<path:object_id>/transcript/",
                view(require_GET(self.transcript_view)),
                name="conversations_conversation_transcript",
            ),
            path(
                "<path:object_id>/end/",
                view(require_POST(self.end_view)),
                name="conversations_conversation_end",
            ),
            path(
                "<path:object_id>/expire-handle/",
                view(require_POST(self.expire_handle_view)),
                name="conversations_conversation_expire_handle",
            ),
            path(
                "<path:object_id>/export/",
                view(require_POST(self.export_view)),
                name="conversations_conversation_export",
            ),
            *super().get_urls(),
        ]

    def _viewable(self, request: HttpRequest, object_id: str) -> Conversation:
        conversation = self.get_object(request, unquote(object_id))
        if conversation is None:
            raise Http404("No such conversation.")
        if not self.has_view_permission(request, conversation):
            raise PermissionDenied
        return conversation

    def _change_url(self, conversation: Conversation) -> str:
        return reverse(
            "admin:conversations_conversation_change", args=[conversation.pk]
        )

    def transcript_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        conversation = self._viewable(request, object_id)
        if not request.user.has_perm(TRANSCRIPT_PERMISSION):
            raise PermissionDenied
        try:
            after = _whole_number(request, "after")
            before = _whole_number(request, "before")
        except ValueError as error:
            return HttpResponseBadRequest(str(error))
        window = selectors.transcript_window(
            conversation=conversation,
            after_seq=after,
            before_seq=before,
            limit=TRANSCRIPT_PAGE_SIZE,
        )
        audit.record_transcript_access(staff=request.user, conversation=conversation)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Transcript of “{conversation.title}”",
            "subtitle": conversation.owner.email,
            "conversation": conversation,
            "window": window,
            "change_url": self._change_url(conversation),
            "latest_before": conversation.next_seq,
        }
        return TemplateResponse(
            request, "admin/conversations/conversation/transcript.html", context
        )

    def _acting_on(self, request: HttpRequest, object_id: str) -> Conversation:
        conversation = self._viewable(request, object_id)
        if not request.user.has_perm(ACT_PERMISSION):
            raise PermissionDenied
        return conversation

    def end_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        conversation = self._acting_on(request, object_id)
        services.end_conversation_for_owner(conversation=conversation)
        self.message_user(
            request,
            "Asked the live session to end; the user's page will not reconnect.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(conversation))

    def expire_handle_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        conversation = self._acting_on(request, object_id)
        services.expire_resumption_handle(conversation=conversation)
        self.message_user(
            request,
            "The resumption handle is forgotten: the next connection is rebuilt "
            "from the stored transcript.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(conversation))

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        conversation = self._viewable(request, object_id)
        session = selectors.session_records(
            conversation=conversation, now=timezone.now()
        )
        payload = diagnostics.conversation_diagnostics(conversation, session)
        response = HttpResponse(
            json.dumps(payload, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        name = slugify(conversation.title) or "conversation"
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{conversation.public_id}-runs.json"'
        )
        return response

    def operations_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        chosen = operations.parse_range(
            request.GET.get("since"), request.GET.get("until"), now=now
        )
        since, until = chosen.since, chosen.until
        report = operations.build_report(
            since=since,
            until=until,
            started=selectors.runs_started_between(since=since, until=until),
            close_codes=selectors.close_codes_between(since=since, until=until),
            give_ups=selectors.give_ups_between(since=since, until=until),
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Operations",
            "report": report,
            "range_errors": chosen.errors,
            "since_value": _local_input(since),
            "until_value": _local_input(until),
            "charts": _operations_charts(report),
            "p50": _seconds(report.recovery_p50),
            "p95": _seconds(report.recovery_p95),
        }
        return TemplateResponse(
            request, "admin/conversations/conversation/operations.html", context
        )

    # -- deleting ----------------------------------------------------------------
    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        # Runs, items, events and access records go with their conversation and
        # are never deleted on their own, so their own admins' permissions (or
        # their having none) do not apply.
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: Conversation) -> None:
        services.delete_conversation(conversation=obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Conversation]
    ) -> None:
        for conversation in queryset:
            services.delete_conversation(conversation=conversation)


def _whole_number(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise ValueError(f"'{name}' must be a whole number.")
    return int(raw)


def _local_input(at: datetime) -> str:
    """The value of a `datetime-local` input, in UTC as the page says."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _operations_charts(report: operations.OperationsReport) -> dict[str, str]:
    """The report's charts as inline SVG (built from escaped parts only)."""
    fmt = "%H:%M" if report.per == "hour" else "%m-%d"
    every = max(len(report.reconnects) // 12, 1)

    def columns(buckets: list[operations.Bucket], caption: str, colour: str) -> str:
        bars = [(bucket.start.strftime(fmt), bucket.count) for bucket in buckets]
        return charts.column_chart(
            bars, caption=caption, colour=colour, label_every=every
        )

    built = {
        "reconnects": columns(
            report.reconnects, f"Reconnects per {report.per}", "#2f7fc1"
        ),
        "restores": columns(
            report.restores, f"Restores from transcript per {report.per}", "#c9a227"
        ),
        "give_ups": columns(report.give_ups, f"Give-ups per {report.per}", "#8b1a4f"),
        "close_codes": charts.bar_chart(
            report.close_codes, caption="Runs by close code", colour="#8a9ba8"
        ),
        "recovery": charts.bar_chart(
            report.recovery_histogram,
            caption="Recovery time: a run's end to the next run's start",
            colour="#2e9d4b",
        ),
    }
    return {name: mark_safe(chart) for name, chart in built.items()}


@admin.register(Run)
class RunAdmin(HandleGuardMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
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


@admin.register(RunEvent)
class RunEventAdmin(HandleGuardMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "conversation", "run_number", "kind", "summary"]
    list_filter = ["kind", "at"]
    search_fields = ["conversation__owner__email", "=conversation__public_id"]
    list_select_related = ["conversation", "run"]
    show_full_result_count = False
    readonly_fields = ["conversation", "run", "at", "kind", "data"]
    fields = readonly_fields

    @admin.display(description="Run", ordering="run__run_id")
    def run_number(self, obj: RunEvent) -> str:
        return "between runs" if obj.run is None else str(obj.run.run_id)

    @admin.display(description="What")
    def summary(self, obj: RunEvent) -> str:
        return inspector.describe_event(
            inspector.EventRecord(at=obj.at, kind=obj.kind, data=obj.data or {})
        )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TranscriptAccess)
class TranscriptAccessAdmin(HandleGuardMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who read which transcript, and when: a record nobody edits."""

    list_display = ["at", "staff", "conversation"]
    list_filter = ["at"]
    search_fields = ["staff__email", "conversation__owner__email"]
    list_select_related = ["staff", "conversation"]
    readonly_fields = ["at", "staff", "conversation"]
    fields = readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
