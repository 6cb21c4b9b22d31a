"""URLs of the 学籍 statistics pages."""

urlpatterns = []
