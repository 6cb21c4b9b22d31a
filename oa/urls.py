app_name = "oa"

urlpatterns: list = []
