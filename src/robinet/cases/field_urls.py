"""URLs of field_urls (filled by its module)."""

urlpatterns: list = []
