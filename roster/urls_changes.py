"""URLs of the 学籍异动 pages (transfers, timeline, promotion, placement, 控辍保学)."""

urlpatterns = []
