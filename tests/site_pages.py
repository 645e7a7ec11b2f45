"""Every page of the site, for the tests that check each one (headers, the policy).

`{id}` is a conversation's public id, `{pk}` its primary key, `{user_pk}` the
signed-in user's.
"""

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/no/such/page/",
]
USER_PAGES = [
    "/",
    "/conversations/new/",
    "/conversations/{id}/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/logout/",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/conversations/conversation/",
    "/admin/conversations/conversation/operations/",
    "/admin/conversations/conversation/{pk}/change/",
    "/admin/conversations/conversation/{pk}/transcript/",
    "/admin/conversations/conversation/{pk}/delete/",
    "/admin/conversations/conversation/{pk}/history/",
    "/admin/conversations/run/",
    "/admin/conversations/runevent/",
    "/admin/conversations/transcriptaccess/",
    "/admin/accounts/user/",
    "/admin/accounts/user/{user_pk}/change/",
    "/admin/accounts/user/{user_pk}/password/",
    "/admin/auth/group/",
    "/admin/auth/group/add/",
    "/admin/account/emailaddress/",
    "/admin/password_change/",
]
