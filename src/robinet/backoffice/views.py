"""The back-office shell: home dashboard and the user's profile."""

from django.shortcuts import render
from django.views.generic import TemplateView

from robinet.backoffice.http import StaffViewMixin
from robinet.organisation import services as organisation_services
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.organisation.selectors import role_assignment_list


class HomeView(StaffViewMixin, TemplateView):
    template_name = "backoffice/home.html"

    def get_context_data(self, **kwargs):
        scope = scope_for(self.request.user)
        return super().get_context_data(
            can_search=scope.allows(Perm.CUSTOMER_VIEW),
            can_create=scope.allows(Perm.CUSTOMER_CHANGE),
            can_quality=scope.allows(Perm.QUALITY_VIEW),
            can_report=scope.allows(Perm.REPORT_VIEW),
            **kwargs,
        )


class ProfileView(StaffViewMixin, TemplateView):
    """The user's roles and entities; creates an API token on POST (shown once)."""

    template_name = "backoffice/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        assignments = role_assignment_list(user=user)
        return super().get_context_data(assignments=assignments, **kwargs)

    def post(self, request, *args, **kwargs):
        token = organisation_services.api_token_create(user=request.user)
        context = self.get_context_data(new_token=token)
        response = render(request, self.template_name, context)
        response["Cache-Control"] = "no-store"
        return response
