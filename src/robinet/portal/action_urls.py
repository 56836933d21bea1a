"""URLs of the portal (filled by its module)."""

urlpatterns: list = []
