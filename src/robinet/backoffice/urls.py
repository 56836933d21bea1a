from django.urls import path

from robinet.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
]
