"""URLs of report_urls (filled by its module)."""

urlpatterns: list = []
