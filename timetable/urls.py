app_name = "timetable"

urlpatterns: list = []
