from robinet.cases import case_urls, field_urls, report_urls

app_name = "cases"

urlpatterns = [
    *case_urls.urlpatterns,
    *field_urls.urlpatterns,
    *report_urls.urlpatterns,
]
