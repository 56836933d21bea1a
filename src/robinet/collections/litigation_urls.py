"""URL patterns (filled by the views module)."""

urlpatterns: list = []
