"""WebSocket routes of the conversations app."""

websocket_urlpatterns: list = []
