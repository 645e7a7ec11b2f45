"""Create the demo login used by `./run.sh serve`, once."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = (
        f"Create the demo login {DEMO_EMAIL} with a random password, printed once. "
        "Does nothing when it exists, unless --reset-password is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give the existing demo login a new random password and print it.",
        )

    @transaction.atomic
    def handle(self, *args: Any, reset_password: bool = False, **options: Any) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=DEMO_EMAIL).first()
        if user is not None and not reset_password:
            self.stdout.write(
                f"Demo login: {DEMO_EMAIL} (exists; its password was printed when it "
                "was created. New one: manage.py ensure_demo_user --reset-password)"
            )
            return
        password = secrets.token_urlsafe(12)
        if user is None:
            user = user_model.objects.create_user(
                username=DEMO_EMAIL, email=DEMO_EMAIL, password=password
            )
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user,
            email=DEMO_EMAIL,
            defaults={"verified": True, "primary": True},
        )
        self.stdout.write(
            self.style.SUCCESS(f"Demo login: {DEMO_EMAIL} / password: {password}")
        )
