from __future__ import annotations

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A Continuum user; signs in with an email address."""
