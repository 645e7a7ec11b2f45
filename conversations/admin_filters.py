"""Changelist filters of the conversations admin.

They filter on annotations of `selectors.with_run_stats`, which the
conversation admin's queryset carries.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class _YesNoFilter(admin.SimpleListFilter):
    annotation = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(**{self.annotation: True})
        if self.value() == "no":
            return queryset.filter(**{self.annotation: False})
        return queryset


class HadErrorsFilter(_YesNoFilter):
    """A run ended with an error or was closed with 1011."""

    title = "had errors"
    parameter_name = "had_errors"
    annotation = "had_error"


class HadRestoreFilter(_YesNoFilter):
    """A run began from the stored transcript: Live had lost the context."""

    title = "had a restore from transcript"
    parameter_name = "had_restore"
    annotation = "had_restore"
