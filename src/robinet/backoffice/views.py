"""The back-office shell: home dashboard and the user's profile."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from robinet.backoffice import two_factor
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
        pending = two_factor.pending_device(user)
        return super().get_context_data(
            assignments=assignments,
            two_factor_on=two_factor.has_device(user),
            two_factor_pending=pending,
            two_factor_qr=two_factor.qr_svg(pending) if pending else "",
            two_factor_secret=two_factor.secret_text(pending) if pending else "",
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "token")
        extra = {}
        if action == "token":
            extra["new_token"] = organisation_services.api_token_create(user=request.user)
        elif action == "2fa-start":
            two_factor.enrolment_start(request.user)
        elif action == "2fa-confirm":
            device = two_factor.pending_device(request.user)
            if device is None or not two_factor.enrolment_confirm(
                request, device, request.POST.get("code", "")
            ):
                extra["two_factor_error"] = _(
                    "Code incorrect : saisissez le code à 6 chiffres affiché par l'application."
                )
            else:
                extra["two_factor_done"] = _("Double authentification activée.")
        elif action == "2fa-disable" and not two_factor.disable(
            request, request.POST.get("code", "")
        ):
            extra["two_factor_error"] = _(
                "Code incorrect : la double authentification reste active."
            )
        response = render(request, self.template_name, self.get_context_data(**extra))
        response["Cache-Control"] = "no-store"
        return response


class LoginCodeView(LoginRequiredMixin, TemplateView):
    """The second step of a staff login: the code of the authenticator app."""

    template_name = "backoffice/login_code.html"

    def _next(self) -> str:
        url = self.request.POST.get("next") or self.request.GET.get("next") or "/"
        if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
            return url
        return "/"

    def get(self, request, *args, **kwargs):
        if request.user.is_verified() or not two_factor.has_device(request.user):
            return redirect(self._next())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if two_factor.verify(request, request.POST.get("code", "")):
            return redirect(self._next())
        context = self.get_context_data(error=_("Code incorrect ou expiré."), next=self._next())
        return render(request, self.template_name, context, status=400)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("next", self._next())
        return super().get_context_data(**kwargs)
