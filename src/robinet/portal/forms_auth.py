"""Forms of the portal's sign-up, sign-in, password and profile pages (presentation only)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

ACCOUNT_HELP = _("Il figure en haut de vos factures (par exemple C00012345).")


class ProofFields(forms.Form):
    """An account and its proof: one of its invoice numbers, or a code we sent."""

    account_number = forms.CharField(
        label=_("Numéro client"), max_length=16, help_text=ACCOUNT_HELP
    )
    invoice_number = forms.CharField(
        label=_("Numéro d'une facture de ce compte"),
        max_length=20,
        required=False,
        help_text=_("Ou, si vous n'avez pas de facture sous la main, le code reçu ci-dessous."),
    )
    code = forms.CharField(
        label=_("Code reçu (6 chiffres)"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("invoice_number") or "").strip() and not (data.get("code") or "").strip():
            self.add_error(
                "invoice_number",
                _("Indiquez le numéro d'une facture, ou le code que nous vous avons envoyé."),
            )
        return data


class SignupForm(ProofFields):
    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        help_text=_("Au moins 8 caractères, pas trop courant ni proche de votre adresse."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["email", "password", "account_number", "invoice_number", "code"]


class LinkForm(ProofFields):
    pass


class CodeRequestForm(forms.Form):
    account_number = forms.CharField(
        label=_("Numéro client"), max_length=16, help_text=ACCOUNT_HELP
    )
    channel = forms.ChoiceField(
        label=_("Recevoir le code par"),
        choices=[
            ("email", _("e-mail (l'adresse connue pour ce compte)")),
            ("sms", _("SMS (le portable connu pour ce compte)")),
        ],
        initial="email",
        widget=forms.RadioSelect,
    )


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordResetForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Nouveau mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("Nouveau mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Langue de l'espace client"), choices=settings.LANGUAGES)
