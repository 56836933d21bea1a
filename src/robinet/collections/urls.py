from robinet.collections import (
    agencies_urls,
    dunning_urls,
    litigation_urls,
    plan_urls,
    worklist_urls,
    writeoffs_urls,
)

app_name = "collections"

urlpatterns = [
    *dunning_urls.urlpatterns,
    *plan_urls.urlpatterns,
    *worklist_urls.urlpatterns,
    *agencies_urls.urlpatterns,
    *litigation_urls.urlpatterns,
    *writeoffs_urls.urlpatterns,
]
