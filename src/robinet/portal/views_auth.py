"""Sign-up, sign-in, password and profile pages of the portal (PORTAL-1): thin views over ``auth``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from robinet.core.exceptions import ApplicationError
from robinet.customers.models import Contract
from robinet.portal import auth
from robinet.portal.access import (
    PortalLoginRequiredMixin,
    account_for,
    current_user,
    linked_accounts,
    portal_login,
    portal_logout,
)
from robinet.portal.forms_auth import (
    CodeRequestForm,
    LanguageForm,
    LinkForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    SignupForm,
)
from robinet.portal.models import TokenPurpose

PORTAL_PREFIX = "/espace-client/"
#: PORTAL-1: a portal session ends after 30 minutes without a request
SESSION_IDLE_SECONDS = 1800


def client_ip(request) -> str | None:
    """The client's address as the server sees it (the proxy must set REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None


def safe_next(request, value: str | None) -> str | None:
    """``value`` if it is a URL of the portal on this site, else None (no open redirect)."""
    if not value or not value.startswith(PORTAL_PREFIX):
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return value


def add_service_error(form, exc: ApplicationError) -> None:
    """Show a service's refusal next to its fields (or above the form)."""
    placed = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed or exc.message:
        form.add_error(None, exc.message)


def start_session(request, user) -> None:
    portal_login(request, user)
    request.session.set_expiry(SESSION_IDLE_SECONDS)


def _absolute(request, name: str):
    return lambda raw: request.build_absolute_uri(reverse(name, args=[raw]))


# --- sign-up ----------------------------------------------------------------------------


class SignupView(FormView):
    template_name = "portal/auth/signup.html"
    form_class = SignupForm

    def get_initial(self):
        return {"account_number": self.request.GET.get("compte", "")[:16]}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "code_form",
            CodeRequestForm(
                prefix="code", initial={"account_number": self.request.GET.get("compte", "")[:16]}
            ),
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = auth.signup(
                email=data["email"],
                password=data["password"],
                account_number=data["account_number"],
                invoice_number=data["invoice_number"],
                code=data["code"],
                url_for=_absolute(self.request, "portal:verify"),
                ip=client_ip(self.request),
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        start_session(self.request, user)
        messages.success(
            self.request,
            _(
                "Votre espace client est créé. Nous vous avons envoyé un e-mail : "
                "cliquez sur le lien pour confirmer votre adresse."
            ),
        )
        return redirect("portal:profile")


def _code_sent_message() -> str:
    return _(
        "Si ce numéro client correspond à un compte dont nous connaissons l'e-mail ou le "
        "portable choisi, un code valable 15 minutes vient d'y être envoyé."
    )


class SignupCodeView(View):
    """Send a link code for sign-up; the same answer whatever the number (PORTAL-1)."""

    http_method_names = ["post"]

    def post(self, request):
        form = CodeRequestForm(request.POST, prefix="code")
        if not form.is_valid():
            return render(
                request,
                "portal/auth/signup.html",
                {"form": SignupForm(), "code_form": form},
                status=400,
            )
        auth.request_link_code(
            account_number=form.cleaned_data["account_number"],
            channel=form.cleaned_data["channel"],
            ip=client_ip(request),
        )
        messages.info(request, _code_sent_message())
        number = form.cleaned_data["account_number"].strip().upper()
        return HttpResponseRedirect(f"{reverse('portal:signup')}?compte={number}#code-entry")


class VerifyView(View):
    """The link of the verification e-mail: marks the address verified (single use, 48 h)."""

    def get(self, request, token):
        try:
            auth.verify_email(token)
        except ApplicationError as exc:
            return render(request, "portal/auth/verify.html", {"error": exc.message}, status=400)
        return render(request, "portal/auth/verify.html", {"error": None})


class VerifyResendView(PortalLoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        user = current_user(request)
        if not auth.is_verified(user):
            auth.send_verification(user, _absolute(request, "portal:verify"))
        messages.info(
            request,
            _("Un nouveau lien de confirmation a été envoyé à %(email)s.") % {"email": user.email},
        )
        return redirect("portal:profile")


# --- sign-in ----------------------------------------------------------------------------


class LoginView(FormView):
    template_name = "portal/auth/login.html"
    form_class = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = safe_next(
            self.request, self.request.POST.get("next") or self.request.GET.get("next")
        )
        return context

    def form_valid(self, form):
        try:
            user = auth.authenticate(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(self.request),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        start_session(self.request, user)
        target = safe_next(self.request, self.request.POST.get("next"))
        return HttpResponseRedirect(target or reverse("portal:home"))


class LogoutView(View):
    http_method_names = ["post"]

    def post(self, request):
        portal_logout(request)
        messages.info(request, _("Vous êtes déconnecté."))
        return redirect("portal:login")


# --- password reset ---------------------------------------------------------------------


class PasswordResetView(FormView):
    template_name = "portal/auth/password_reset.html"
    form_class = PasswordResetForm

    def form_valid(self, form):
        auth.request_password_reset(
            email=form.cleaned_data["email"],
            url_for=_absolute(self.request, "portal:password-reset-confirm"),
        )
        messages.info(
            self.request,
            _(
                "Si un espace client existe pour cette adresse, un e-mail vient d'y être envoyé "
                "avec un lien valable une heure."
            ),
        )
        return redirect("portal:login")


class PasswordResetConfirmView(FormView):
    template_name = "portal/auth/password_reset_confirm.html"
    form_class = SetPasswordForm

    def dispatch(self, request, *args, **kwargs):
        if auth.live_token(kwargs["token"], TokenPurpose.RESET_PASSWORD) is None:
            return render(request, self.template_name, {"invalid": True, "form": None}, status=400)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            user = auth.reset_password(
                raw=self.kwargs["token"], password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        start_session(self.request, user)
        messages.success(self.request, _("Votre mot de passe est changé."))
        return redirect("portal:home")


# --- profile ----------------------------------------------------------------------------


class ProfileView(PortalLoginRequiredMixin, TemplateView):
    template_name = "portal/auth/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = current_user(self.request)
        contracts = Contract.objects.filter(status="active").select_related("service_point")
        accounts = list(
            linked_accounts(user).prefetch_related(
                Prefetch("contracts", queryset=contracts, to_attr="active_contracts")
            )
        )
        context.update(
            {
                "user": user,
                "verified": auth.is_verified(user),
                "accounts": accounts,
                "can_unlink": len(accounts) > 1,
                "link_form": LinkForm(prefix="link"),
                "code_form": CodeRequestForm(prefix="code"),
                "password_form": PasswordChangeForm(prefix="pw"),
                "language_form": LanguageForm(prefix="lang", initial={"language": user.language}),
            }
        )
        context.update(kwargs)
        return context

    def invalid(self, status=400, **forms):
        return self.render_to_response(self.get_context_data(**forms), status=status)


class LinkAccountView(ProfileView):
    http_method_names = ["post"]

    def post(self, request):
        form = LinkForm(request.POST, prefix="link")
        if form.is_valid():
            try:
                link = auth.link_account(
                    user=current_user(request),
                    account_number=form.cleaned_data["account_number"],
                    invoice_number=form.cleaned_data["invoice_number"],
                    code=form.cleaned_data["code"],
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Le compte %(number)s est rattaché.") % {"number": link.account.number},
                )
                return redirect("portal:profile")
        return self.invalid(link_form=form)


class LinkCodeView(ProfileView):
    http_method_names = ["post"]

    def post(self, request):
        form = CodeRequestForm(request.POST, prefix="code")
        if not form.is_valid():
            return self.invalid(code_form=form)
        user = current_user(request)
        try:
            auth.require_verified(user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.invalid(status=403, code_form=form)
        auth.request_link_code(
            account_number=form.cleaned_data["account_number"],
            channel=form.cleaned_data["channel"],
            user=user,
            ip=client_ip(request),
        )
        messages.info(request, _code_sent_message())
        return HttpResponseRedirect(reverse("portal:profile") + "#link")


class UnlinkAccountView(ProfileView):
    http_method_names = ["post"]

    def post(self, request, number):
        user = current_user(request)
        account = account_for(user, number)
        try:
            auth.unlink_account(user=user, account=account)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Le compte %(number)s n'est plus rattaché.") % {"number": account.number}
            )
        return redirect("portal:profile")


class PasswordChangeView(ProfileView):
    http_method_names = ["post"]

    def post(self, request):
        form = PasswordChangeForm(request.POST, prefix="pw")
        if form.is_valid():
            try:
                user = auth.change_password(
                    user=current_user(request),
                    current=form.cleaned_data["current_password"],
                    new=form.cleaned_data["new_password"],
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                start_session(request, user)  # this session goes on; the others end
                messages.success(request, _("Votre mot de passe est changé."))
                return redirect("portal:profile")
        return self.invalid(password_form=form)


class LanguageView(ProfileView):
    http_method_names = ["post"]

    def post(self, request):
        form = LanguageForm(request.POST, prefix="lang")
        if not form.is_valid():
            return self.invalid(language_form=form)
        auth.set_language(user=current_user(request), language=form.cleaned_data["language"])
        response = redirect("portal:profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            form.cleaned_data["language"],
            samesite="Lax",
            secure=request.is_secure(),
        )
        return response
