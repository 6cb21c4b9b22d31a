from . import urls_manage, urls_report

app_name = "exams"
urlpatterns = [
    *urls_manage.urlpatterns,
    *urls_report.urlpatterns,
]
