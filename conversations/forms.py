"""Forms of the conversation pages; they parse input, services validate and write."""

from __future__ import annotations

from django import forms

from .models import Conversation

TITLE_MAX_LENGTH = Conversation._meta.get_field("title").max_length


class ConversationCreateForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    system_instruction = forms.CharField(
        required=False,
        max_length=20_000,
        label="System instruction",
        help_text="Optional. How the assistant should behave in this conversation.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    mode = forms.ChoiceField(
        choices=Conversation.Mode.choices,
        initial=Conversation.Mode.VOICE,
        widget=forms.RadioSelect,
    )


class ConversationRenameForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
