"""WebSocket routes of the conversations app."""

from django.urls import path

from .consumers import ConversationConsumer

websocket_urlpatterns = [
    path(
        "ws/conversations/<uuid:public_id>/",
        ConversationConsumer.as_asgi(),
        name="conversation_socket",
    ),
]
