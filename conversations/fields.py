"""A text field stored encrypted (Fernet), read and written as a plain `str`.

A database dump or a read-only SQL user sees only ciphertext. "" stays "" (no
value), so "is there one?" can still be asked; nothing else can be filtered on.
A value that does not decrypt (the key changed) reads as "" and logs a warning.
"""

from __future__ import annotations

import base64
import functools
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError
from django.core.signals import setting_changed
from django.db import models
from django.db.models.lookups import Exact, IsNull

logger = logging.getLogger(__name__)


def derive_key(secret: str, purpose: str) -> bytes:
    """A Fernet key derived from `secret`, distinct for each `purpose`."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"continuum:{purpose}".encode(),
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@functools.cache
def fernet(key_setting: str) -> Fernet:
    """The cipher keyed by `settings.<key_setting>`, else derived from SECRET_KEY."""
    key = getattr(settings, key_setting, "")
    return Fernet(key or derive_key(settings.SECRET_KEY, key_setting))


def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    # Tests override keys; a cached cipher would outlive them.
    fernet.cache_clear()


setting_changed.connect(_forget_keys)


def encrypt(key_setting: str, value: str) -> str:
    return fernet(key_setting).encrypt(value.encode()).decode("ascii")


def decrypt(key_setting: str, token: str) -> str:
    """The plain value of `token`; raises `InvalidToken` if the key does not fit."""
    return fernet(key_setting).decrypt(token.encode("ascii")).decode()


class _ExactEmpty(Exact):
    """`field=""` only: with random IVs an equal value never matches anyway."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.output_field} is encrypted; it can only be compared "
                'with "" (no value).'
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text kept as a Fernet token under the key in `settings.<key_setting>`."""

    # The key is not part of the schema: changing it alters no column.
    non_db_attrs = (*models.TextField.non_db_attrs, "key_setting")

    def __init__(self, *args: Any, key_setting: str, **kwargs: Any) -> None:
        self.key_setting = key_setting
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["key_setting"] = self.key_setting
        return name, path, args, kwargs

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = super().get_db_prep_save(value, connection)
        if value is None or value == "":
            return value
        return encrypt(self.key_setting, value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            return decrypt(self.key_setting, value)
        except (InvalidToken, UnicodeError):
            # Never log the stored value; what it was matters less than that it
            # is unusable: callers treat "" as "none stored".
            logger.warning(
                "%s could not be decrypted with %s (changed key?); read as empty.",
                self,
                self.key_setting,
            )
            return ""

    def get_lookup(self, lookup_name: str) -> Any:
        # Any comparison with ciphertext (prefix, contains, ordering ranges) is
        # meaningless or a way to probe it; only emptiness can be asked.
        if lookup_name == "exact":
            return _ExactEmpty
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None


@checks.register(checks.Tags.security, deploy=True)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Warn when an encrypted field's key falls back to one derived from SECRET_KEY.

    That fallback works, but ties the field to SECRET_KEY: rotating SECRET_KEY
    (after a leak, say) then also makes every stored value unreadable.
    """
    unset = sorted(
        {
            field.key_setting
            for model in apps.get_models()
            for field in model._meta.get_fields()
            if isinstance(field, EncryptedTextField)
            and not getattr(settings, field.key_setting, "")
        }
    )
    return [
        checks.Warning(
            f"{name} is not set: its values are encrypted with a key derived "
            "from SECRET_KEY.",
            hint=f"Set {name} to a key of its own (see the README).",
            id="conversations.W001",
        )
        for name in unset
    ]
