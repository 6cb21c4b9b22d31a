"""URLs of 我的消息 and 消息投递 (included by notices/urls.py, so they are named ``notices:…``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("messages/", views.inbox_view, name="messages"),
    path("messages/<int:pk>/", views.open_view, name="message_open"),
    path("messages/read-all/", views.mark_all_read_view, name="messages_read_all"),
    path("messages/badge/", views.unread_badge_view, name="unread_badge"),
    path("deliveries/", views.deliveries_view, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry_view, name="delivery_retry"),
]
