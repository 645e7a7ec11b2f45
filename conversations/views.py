"""Server-rendered pages of the conversations app; every one requires a login."""

from __future__ import annotations

import json
from http import HTTPStatus
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from . import exports, limits, selectors, services
from .browser_protocol import MAX_TURN_CHARS
from .forms import ConversationCreateForm, ConversationRenameForm
from .models import Conversation

PAGE_SIZE = 50


def _owned_conversation(request: HttpRequest, public_id: UUID) -> Conversation:
    """The conversation if the signed-in user owns it; 404 for anyone else."""
    conversation = selectors.conversation_for_user(
        user=request.user, public_id=public_id
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    conversations = selectors.conversations_for_user(request.user)
    return render(
        request,
        "conversations/conversation_list.html",
        {"conversations": conversations},
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_create(request: HttpRequest) -> HttpResponse:
    form = ConversationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not limits.allow_create(request.user.pk):
            form.add_error(None, limits.create_rate_message())
            return render(
                request,
                "conversations/conversation_form.html",
                {"form": form},
                status=HTTPStatus.TOO_MANY_REQUESTS,
            )
        try:
            conversation = services.create_conversation(
                owner=request.user,
                title=form.cleaned_data["title"],
                mode=form.cleaned_data["mode"],
                system_instruction=form.cleaned_data["system_instruction"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect(conversation)
    return render(request, "conversations/conversation_form.html", {"form": form})


@login_required
@require_GET
def conversation_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation = _owned_conversation(request, public_id)
    before = request.GET.get("before")
    before_seq: int | None = None
    if before:
        try:
            before_seq = int(before)
        except ValueError:
            return HttpResponseBadRequest("'before' must be a whole number.")
        if before_seq < 1:
            return HttpResponseBadRequest("'before' must be at least 1.")
    page = selectors.transcript_page(
        conversation=conversation, before_seq=before_seq, limit=PAGE_SIZE
    )
    if before_seq is None:
        last_seq = page.last_seq or 0
    else:
        last_seq = selectors.latest_seq(conversation=conversation)
    return render(
        request,
        "conversations/conversation_detail.html",
        {
            "conversation": conversation,
            "page": page,
            "items": page.items,
            "last_seq": last_seq,
            # The server's limits, for the page to hold typed turns to.
            "max_turn_chars": MAX_TURN_CHARS,
            "is_newest_page": before_seq is None or page.last_seq == last_seq,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_rename(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation = _owned_conversation(request, public_id)
    form = ConversationRenameForm(
        request.POST or None, initial={"title": conversation.title}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_conversation(
                conversation=conversation, title=form.cleaned_data["title"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Conversation renamed.")
            return redirect(conversation)
    return render(
        request,
        "conversations/conversation_rename.html",
        {"conversation": conversation, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation = _owned_conversation(request, public_id)
    if request.method == "POST":
        title, public_id = conversation.title, conversation.public_id
        services.delete_conversation(conversation=conversation)
        messages.success(request, f"Deleted “{title}”.")
        return redirect("conversations:conversation_list")
    return render(
        request,
        "conversations/conversation_confirm_delete.html",
        {"conversation": conversation},
    )


@login_required
@require_GET
def conversation_export_markdown(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation = _owned_conversation(request, public_id)
    items = selectors.all_transcript_items(conversation=conversation)
    response = HttpResponse(
        exports.conversation_as_markdown(conversation, items),
        content_type="text/markdown; charset=utf-8",
    )
    return _as_attachment(response, conversation.title, "md")


@login_required
@require_GET
def conversation_export_json(request: HttpRequest, public_id: UUID) -> HttpResponse:
    conversation = _owned_conversation(request, public_id)
    items = selectors.all_transcript_items(conversation=conversation)
    response = HttpResponse(
        json.dumps(
            exports.conversation_as_json(conversation, items),
            ensure_ascii=False,
            indent=2,
        ),
        content_type="application/json; charset=utf-8",
    )
    return _as_attachment(response, conversation.title, "json")


def _as_attachment(response: HttpResponse, title: str, extension: str) -> HttpResponse:
    filename = f"{slugify(title) or 'conversation'}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _add_errors(
    form: ConversationCreateForm | ConversationRenameForm, error: ValidationError
) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)
