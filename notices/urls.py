from django.urls import include, path
from django.views.generic import RedirectView

from .views import inbox, sent

app_name = "notices"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="notices:inbox")),  # /notices/ → the inbox
    path("inbox/", inbox.inbox_view, name="inbox"),
    path("inbox/<int:pk>/", inbox.read_view, name="read"),
    path("inbox/<int:pk>/receipt/", inbox.receipt_view, name="receipt"),
    path("inbox/<int:pk>/attachments/<int:att>/", inbox.attachment_view, name="attachment"),
    path("new/", sent.create_view, name="create"),
    path("sent/", sent.sent_list_view, name="sent"),
    path("sent/<int:pk>/", sent.detail_view, name="detail"),
    path("sent/<int:pk>/stats/", sent.stats_view, name="stats"),
    path("sent/<int:pk>/remind/", sent.remind_view, name="remind"),
    path("sent/<int:pk>/withdraw/", sent.withdraw_view, name="withdraw"),
    path("sent/<int:pk>/receipts.xlsx", sent.export_view, name="export"),
    path("sent/<int:pk>/receipts/<int:rid>/file/", sent.receipt_file_view, name="receipt_file"),
    path("", include("core.notify.urls")),
]
