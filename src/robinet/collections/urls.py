from robinet.collections import dunning_urls, plan_urls

app_name = "collections"

urlpatterns = [*dunning_urls.urlpatterns, *plan_urls.urlpatterns]
