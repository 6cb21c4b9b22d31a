from django.urls import path

from .views import browse, manage, push, stats

app_name = "resources"

urlpatterns = [
    path("", browse.browse_view, name="browse"),
    path("upload/", manage.upload_view, name="upload"),
    path("upload/knowledge/", manage.knowledge_options_view, name="knowledge_options"),
    path("mine/", manage.mine_view, name="mine"),
    path("review/", manage.review_view, name="review"),
    path("stats/", stats.stats_view, name="stats"),
    path("pushes/", push.pushes_view, name="pushes"),
    path("pushes/<int:pk>/", push.push_detail_view, name="push_detail"),
    path("tasks/", push.my_tasks_view, name="my_tasks"),
    path("tasks/<int:pk>/done/", push.task_done_view, name="task_done"),
    path("<int:pk>/", browse.detail_view, name="detail"),
    path("<int:pk>/download/", browse.download_view, name="download"),
    path("<int:pk>/preview/", browse.inline_view, name="inline"),
    path("<int:pk>/rate/", manage.rate_view, name="rate"),
    path("<int:pk>/comment/", manage.comment_view, name="comment"),
    path("<int:pk>/favorite/", manage.favorite_view, name="favorite"),
    path("<int:pk>/push/", push.push_create_view, name="push"),
    path("<int:pk>/<str:action>/", manage.action_view, name="action"),
]
