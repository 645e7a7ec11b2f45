"""The project boots: settings load and the database schema is in place."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_custom_user_model_is_used():
    assert get_user_model()._meta.label == "accounts.User"
