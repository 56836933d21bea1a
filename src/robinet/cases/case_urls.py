"""URLs of case_urls (filled by its module)."""

urlpatterns: list = []
