from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login

urlpatterns = [
    # Before the admin's own URLs: the admin signs in through allauth's login.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("conversations.urls")),
]
