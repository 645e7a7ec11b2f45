"""The admin signs in through the site's login (allauth), never a form of its own.

So the admin gets the same login rate limits and session handling as the site.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send the admin's login to allauth's, keeping where to go afterwards.

    Credentials posted here are never read. A signed-in user without admin
    access is refused here: sending them to the login would only bounce them
    back (allauth redirects a signed-in user straight to `next`).
    """
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if not admin.site.has_permission(request):
            raise PermissionDenied
        return redirect(next_url)
    return redirect_to_login(next_url, resolve_url("account_login"))
