app_name = "homeschool"

urlpatterns: list = []
