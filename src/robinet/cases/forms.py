"""Forms of the contact-centre screens (presentation only: the services validate)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.cases.choices import Channel, Nature, OfferOutcome, Service
from robinet.cases.models import CaseType, Team

#: what a customer's request can be (an internal request is never a customer's, seed 003 §4.2)
CUSTOMER_NATURES = [(Nature.REQUEST, Nature.REQUEST.label), (Nature.CLAIM, Nature.CLAIM.label)]


class RequestForm(forms.Form):
    """The officer's one step: the contact, then the case it opens or joins (CASE-1, CASE-2)."""

    channel = forms.ChoiceField(label=_("Canal du contact"), choices=Channel.choices)
    occurred_at = forms.DateTimeField(
        label=_("Date du contact"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Vide : maintenant. Courrier : date de numérisation."),
    )
    interlocutor = forms.CharField(
        label=_("Interlocuteur, s'il n'est pas le titulaire"), max_length=120, required=False
    )
    attach_to = forms.ChoiceField(label=_("Dossier"), required=False)
    case_type = forms.ModelChoiceField(
        label=_("Type de demande"),
        queryset=CaseType.objects.none(),
        required=False,
        empty_label=_("— choisir dans le dictionnaire —"),
    )
    nature = forms.ChoiceField(
        label=_("Nature"),
        choices=[("", _("Celle du type")), *CUSTOMER_NATURES],
        required=False,
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(
        label=_("Demande du client"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Texte du courrier ou de l'e-mail, ou résumé de l'appel."),
    )
    handled_now = forms.BooleanField(label=_("Traitée immédiatement : clôturer"), required=False)
    resolution = forms.CharField(
        label=_("Réponse apportée"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, open_cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_type"].queryset = CaseType.objects.filter(active=True).exclude(
            default_nature=Nature.INTERNAL
        )
        self.fields["attach_to"].choices = [
            ("", _("Nouveau dossier")),
            *[(str(c.pk), f"{c.number} — {c.case_type.label} — {c.subject}") for c in open_cases],
        ]


class AnswerForm(forms.Form):
    template_code = forms.ChoiceField(label=_("Modèle"), required=False)
    body = forms.CharField(
        label=_("Réponse personnalisée"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template_code"].choices = [("", _("Réponse personnalisée")), *templates]


class DeferForm(forms.Form):
    action = forms.CharField(label=_("Action à réaliser"), max_length=200)
    team = forms.ModelChoiceField(
        label=_("Service responsable"), queryset=Team.objects.filter(active=True), required=False
    )


class TextForm(forms.Form):
    """A single reason or resolution text."""

    text = forms.CharField(label=_("Texte"), widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Équipe"), queryset=Team.objects.filter(active=True), required=False
    )


class OfferForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), choices=Service.choices)
    outcome = forms.ChoiceField(label=_("Réponse du client"), choices=OfferOutcome.choices)
