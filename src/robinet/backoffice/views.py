from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "backoffice/home.html"


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "backoffice/profile.html"
