"""Presentation forms of the dunning screens; the services validate (COLL-2, COLL-3)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from robinet.backoffice.forms import date_field
from robinet.collections.choices import BlockReason, ProposalStatus


class ProposeForm(forms.Form):
    """ "Lancer une proposition": the run date and, optionally, an entity."""

    on = date_field(_("Date de la proposition"), required=True)
    entity = forms.ChoiceField(label=_("Entité"), required=False)

    def __init__(self, *args, entities=(), whole_utility=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(e.code, f"{e.name} ({e.code})") for e in entities]
        if whole_utility:
            choices.insert(0, ("", _("Tout le service")))
        else:
            self.fields["entity"].required = True
        self.fields["entity"].choices = choices


class ExcludeForm(forms.Form):
    """The reason to leave an account or an item out of the notices (kept on the timeline)."""

    reason = forms.CharField(label=_("Motif de l'exclusion"), max_length=255, required=False)


class ProposalFilterForm(forms.Form):
    """Filters of a proposal (GET): an invalid value is ignored."""

    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=[("", _("Tous")), *ProposalStatus.choices]
    )
    level = forms.TypedChoiceField(
        label=_("Niveau"), required=False, coerce=int, empty_value=None, choices=[]
    )
    q = forms.CharField(label=_("Compte ou nom"), required=False, max_length=80)

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("Tous")), *((n, str(n)) for n in levels)]


class NoticeFilterForm(forms.Form):
    run = forms.IntegerField(label=_("Traitement n°"), required=False, min_value=1)
    account = forms.CharField(label=_("Compte client"), required=False, max_length=20)
    level = forms.TypedChoiceField(
        label=_("Niveau"), required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("Tous")), *((n, str(n)) for n in levels)]


class BlockForm(forms.Form):
    """Hold dunning on an account (COLL-3)."""

    # An agency or litigation hold comes with its file (assign the debt, open the file).
    reason = forms.ChoiceField(
        label=_("Motif"),
        choices=[
            (value, label)
            for value, label in BlockReason.choices
            if value not in (BlockReason.AGENCY, BlockReason.LITIGATION)
        ],
    )
    starts_on = date_field(_("À partir du"))
    ends_on = date_field(_("Jusqu'au"), help_text=_("Vide : jusqu'à la levée."))
    reference = forms.CharField(label=_("Référence"), max_length=40, required=False)
    comment = forms.CharField(label=_("Commentaire"), max_length=255, required=False)
