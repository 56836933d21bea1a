"""Back-office screens of the customer file (CUST-1…12).

Thin views: each validates a presentation form, calls one service or
selector, and renders. Services check permissions again and validate every
value; their refusals come back as field errors and an inline alert.
"""

from abc import ABCMeta, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin, require_covered
from robinet.backoffice.templatetags.backoffice import mask_iban, quantity
from robinet.core import exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import exports, forms, selectors, services
from robinet.customers.choices import (
    Channel,
    ContractEndReason,
    ParticularityKind,
    Requester,
)
from robinet.customers.models import Contract, CustomerAccount, Party
from robinet.customers.rules import format_phone
from robinet.customers.texts import BLOCTEL_NOTICE, CONTACT_CONSENT_NOTICE
from robinet.metering import selectors as metering_selectors
from robinet.metering.choices import AnomalyReason, AnomalyResolution, ReadingSource, ReadingStatus
from robinet.metering.forms import NOTICE_CHANNELS
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.referential import naf_get

# --- presentation of the audit trail (ORG-3) --------------------------------------------------

VERB_LABELS = {
    "customer_created": gettext_lazy("Création du client"),
    "customer_updated": gettext_lazy("Modification des données client"),
    "bloctel_notice_given": gettext_lazy("Information Bloctel donnée au client"),
    "bank_details_updated": gettext_lazy("Coordonnées bancaires modifiées"),
    "particularity_added": gettext_lazy("Particularité ajoutée"),
    "particularity_ended": gettext_lazy("Particularité levée"),
    "comment_added": gettext_lazy("Commentaire ajouté"),
    "returned_mail_recorded": gettext_lazy("Courrier revenu (NPAI) enregistré"),
    "returned_mail_cleared": gettext_lazy("Client retrouvé : NPAI levé"),
    "contract_moved_in": gettext_lazy("Arrivée (nouvel abonnement)"),
    "contract_moved_out": gettext_lazy("Départ (fin d'abonnement)"),
    "contract_holder_changed": gettext_lazy("Mutation (changement de titulaire)"),
    "gdpr_export": gettext_lazy("Export des données (RGPD)"),
    "customer_anonymised": gettext_lazy("Données anonymisées"),
    # metering (METER-1…5): events of the account's service points
    "reading_recorded": gettext_lazy("Relevé saisi"),
    "reading_corrected": gettext_lazy("Relevé corrigé"),
    "reading_anomaly_resolved": gettext_lazy("Anomalie de relève traitée"),
    "reading_estimated": gettext_lazy("Relevé estimé (compteur non vu)"),
    "meter_changed": gettext_lazy("Changement de compteur"),
    "abnormal_consumption_notice_created": gettext_lazy("Consommation anormale détectée"),
    "abnormal_consumption_notice_sent": gettext_lazy(
        "Information de consommation anormale envoyée"
    ),
}

DATA_LABELS = {
    "channel": gettext_lazy("canal"),
    "requester": gettext_lazy("demandeur"),
    "kind": gettext_lazy("particularité"),
    "received_on": gettext_lazy("reçu le"),
    "outcome": gettext_lazy("résultat"),
    "service_point": gettext_lazy("point de desserte"),
    "meter": gettext_lazy("compteur"),
    "start_index": gettext_lazy("index d'arrivée"),
    "start_date": gettext_lazy("arrivée le"),
    "end_index": gettext_lazy("index de départ"),
    "end_date": gettext_lazy("départ le"),
    "reason": gettext_lazy("motif"),
    "new_contract": gettext_lazy("nouvel abonnement"),
    "new_account": gettext_lazy("nouveau titulaire"),
    "free_of_charge": gettext_lazy("sans frais"),
    "serial": gettext_lazy("compteur"),
    "read_on": gettext_lazy("date de relève"),
    "index": gettext_lazy("index"),
    "source": gettext_lazy("origine"),
    "status": gettext_lazy("état"),
    "anomaly": gettext_lazy("anomalie"),
    "resolution": gettext_lazy("traitement"),
    "comment": gettext_lazy("commentaire"),
    "consumption": gettext_lazy("consommation"),
    "old": gettext_lazy("ancien compteur"),
    "new": gettext_lazy("nouveau compteur"),
}

_CHOICE_DATA = {
    "channel": dict(Channel.choices),
    "requester": dict(Requester.choices),
    "kind": dict(ParticularityKind.choices),
    "reason": {
        **dict(ContractEndReason.choices),
        **dict(forms.HOLDER_CHANGE_REASONS),
    },
    "source": dict(ReadingSource.choices),
    "status": dict(ReadingStatus.choices),
    "anomaly": dict(AnomalyReason.choices),
    "resolution": dict(AnomalyResolution.choices),
}
_HIDDEN_DATA = {"inquiry", "previous", "corrected_by", "reading", "removal", "install"}
_QUANTITIES = {"start_index", "end_index", "index", "consumption"}
_MASKED = {"iban"}


def _model_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for model in (Contract, CustomerAccount, Party):  # Party last: its labels win
        for field in model._meta.concrete_fields:
            fields[field.attname] = field
    return fields


def _mask(value: str) -> str:
    return mask_iban(value)


def _show(name: str, value: Any, fields: Mapping[str, Any], *, data: bool = False) -> str:
    """One audited value as the officer reads it (``data``: an event's extra data)."""
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if name in _MASKED:
        return _mask(str(value))
    if name in ("mobile", "landline"):
        return format_phone(str(value))
    if data and name in _CHOICE_DATA:
        return str(_CHOICE_DATA[name].get(value, value))
    if data and name in _QUANTITIES:
        return f"{quantity(value)} m³"
    field = fields.get(name)
    if not data and field is not None and field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, str) and len(value) == 10 and (day := parse_date(value)):
        return date_format(day, "SHORT_DATE_FORMAT")
    return str(value)


def history_rows(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Audit events as rows: who, when, what (in French), before → after."""
    fields = _model_fields()
    rows = []
    for event in events:
        changes = []
        for name, pair in (event.changes or {}).items():
            before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if before in (None, "", False) and after in (None, "", False):
                continue  # nothing to read (e.g. an empty field at creation)
            field = fields.get(name)
            label = capfirst(field.verbose_name) if field is not None else name
            changes.append((label, _show(name, before, fields), _show(name, after, fields)))
        details = [
            (DATA_LABELS.get(key, key), _show(key, value, fields, data=True))
            for key, value in (event.data or {}).items()
            if key not in _HIDDEN_DATA
        ]
        actor = event.actor
        rows.append(
            {
                "when": event.occurred_at,
                "who": (actor.get_full_name() or actor.get_username()) if actor else _("Système"),
                "verb": VERB_LABELS.get(event.verb, event.verb),
                "changes": changes,
                "details": details,
            }
        )
    return rows


def labelled_errors(errors: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """``{field: [messages]}`` from the consistency rules → ``[(label, message)]``."""
    fields = _model_fields()
    return [
        (capfirst(fields[name].verbose_name) if name in fields else name, message)
        for name, messages_ in errors.items()
        for message in messages_
    ]


# --- search -----------------------------------------------------------------------------------


class CustomerSearchView(StaffViewMixin, View):
    """One search box; htmx live results; a plain GET form without JavaScript."""

    permission = Perm.CUSTOMER_VIEW

    def get(self, request):
        query = request.GET.get("q", "").strip()
        results = selectors.customer_search(user=request.user, query=query) if query else []
        too_many = len(results) > selectors.SEARCH_LIMIT
        results = results[: selectors.SEARCH_LIMIT]
        context = {
            "query": query,
            "results": results,
            "too_many": too_many,
            "limit": selectors.SEARCH_LIMIT,
            "can_create": scope_for(request.user).allows(Perm.CUSTOMER_CHANGE),
        }
        partial = request.htmx and not request.htmx.history_restore_request
        template = "customers/_search_results.html" if partial else "customers/search.html"
        return render(request, template, context)


# --- one account ------------------------------------------------------------------------------


class AccountMixin(StaffViewMixin):
    """Loads the account of the URL: 404 outside the user's centres, 403 without ``account_perm``."""

    permission = Perm.CUSTOMER_VIEW
    account_perm = Perm.CUSTOMER_VIEW

    def get_account(self) -> CustomerAccount:
        account = selectors.account_get_for_user(
            user=self.request.user, number=self.kwargs["number"]
        )
        require_covered(self.request.user, self.account_perm, account.centre)
        return account

    def detail_url(self, anchor: str = "") -> str:
        url = reverse("customers:detail", args=[self.kwargs["number"]])
        return f"{url}#{anchor}" if anchor else url


def one_per_service_point(contracts: Iterable[Contract]) -> list[Contract]:
    """The first contract of each service point (the active one: contracts come active first)."""
    first: dict[int, Contract] = {}
    for contract in contracts:
        first.setdefault(contract.service_point_id, contract)
    return list(first.values())


class CustomerDetailView(AccountMixin, View):
    """The customer page (360°): party, account, contracts, particularities, history."""

    def get(self, request, number):
        account = self.get_account()
        overview = selectors.customer_overview(user=request.user, account=account)
        scope = scope_for(request.user)
        context = {
            **overview,
            "can_change": scope.covers(Perm.CUSTOMER_CHANGE, account.centre),
            "can_contract": scope.covers(Perm.CONTRACT_CHANGE, account.centre),
            "can_export": scope.covers(Perm.CUSTOMER_EXPORT, account.centre),
            "can_history": scope.covers(Perm.AUDIT_VIEW, account.centre),
            "can_bill": scope.covers(Perm.BILLING_VIEW, account.centre),
            "can_collect": scope.covers(Perm.COLLECTION_VIEW, account.centre),
            "can_see_cases": scope.covers(Perm.CASE_VIEW, account.centre),
            "can_handle_cases": scope.covers(Perm.CASE_HANDLE, account.centre),
            "naf_label": naf_get(account.naf_code) if account.naf_code else "",
            "history": history_rows(overview["events"]),
            "consistency_list": labelled_errors(overview["consistency_errors"]),
            "active_particularities": [
                p for p in overview["particularities"] if p.ended_on is None
            ],
            "past_particularities": [p for p in overview["particularities"] if p.ended_on],
            "NEC": ParticularityKind.NEC,
            # Readings (METER-1, 5, 6): one block per service point, loaded with htmx.
            "reading_contracts": one_per_service_point(overview["contracts"]),
            "abnormal_notices": metering_selectors.notice_list(account=account),
            "can_read": scope.covers(Perm.CUSTOMER_CHANGE, account.centre),
            "notice_channels": NOTICE_CHANNELS,
        }
        return render(request, "customers/detail.html", context)


class CustomerFormMixin:
    """Create and edit share the form, the Bloctel prompt (CUST-5) and the error mapping."""

    template_name = "customers/customer_form.html"

    def render_form(self, form, *, account=None, bloctel_required=False, error_message=""):
        show_notice = bloctel_required or (form.is_bound and form.data.get("bloctel_notice_given"))
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "account": account,
                "party": account.party if account else None,
                "bloctel_required": bloctel_required,
                "show_bloctel": bool(show_notice),
                "bloctel_notice": BLOCTEL_NOTICE,
                "contact_consent_notice": CONTACT_CONSENT_NOTICE,
                "error_message": error_message,
            },
        )

    def call_service(self, form, call):
        """Run ``call()``; returns (bloctel_required, error_message); adds field errors to ``form``."""
        try:
            call()
        except services.BloctelNoticeRequired:
            return True, ""
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return False, exc.message
        return False, None


class CustomerCreateView(CustomerFormMixin, StaffViewMixin, View):
    permission = Perm.CUSTOMER_CHANGE

    def form(self, data=None):
        centres = selectors.entity_centres_for(user=self.request.user)
        initial = {"kind": "person", "customer_class": "individual"}
        if len(centres) == 1:
            initial["centre"] = centres[0]
        return forms.CustomerCreateForm(data, initial=initial, centres=centres)

    def get(self, request):
        return self.render_form(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        created = {}

        def call():
            created["account"] = services.customer_create(
                actor=request.user,
                centre=form.cleaned_data["centre"],
                party=form.party_values(),
                account=form.account_values(),
                bloctel_notice_given=form.cleaned_data["bloctel_notice_given"],
            )

        bloctel_required, error_message = self.call_service(form, call)
        if error_message is None:
            account = created["account"]
            messages.success(request, _("Client %(number)s créé.") % {"number": account.number})
            return redirect("customers:detail", account.number)
        return self.render_form(
            form, bloctel_required=bloctel_required, error_message=error_message
        )


class CustomerEditView(CustomerFormMixin, AccountMixin, View):
    """Identity, contact data, address and customer class (CUST-2…5). Nothing saved on error."""

    account_perm = Perm.CUSTOMER_CHANGE

    def get(self, request, number):
        account = self.get_account()
        form = forms.CustomerForm(initial=forms.CustomerForm.initial_for(account))
        return self.render_form(form, account=account)

    def post(self, request, number):
        account = self.get_account()
        form = forms.CustomerForm(request.POST, initial=forms.CustomerForm.initial_for(account))
        if not form.is_valid():
            return self.render_form(form, account=account)

        def call():
            services.party_update(
                actor=request.user,
                account=account,
                party=form.party_values(),
                account_data=form.account_values(),
                bloctel_notice_given=form.cleaned_data["bloctel_notice_given"],
            )

        bloctel_required, error_message = self.call_service(form, call)
        if error_message is None:
            messages.success(request, _("Données du client enregistrées."))
            return redirect(self.detail_url())
        return self.render_form(
            form, account=account, bloctel_required=bloctel_required, error_message=error_message
        )


# --- small actions on an account (modal with htmx, plain page without) -----------------------


class AccountActionView(AccountMixin, View, metaclass=ABCMeta):
    """A small form on one account calling one service.

    Subclasses give ``form_class``, ``title`` and ``perform(form)``; a refusal
    (``ApplicationError``) is shown as an inline alert plus field errors.
    """

    form_class: type = None
    template_name = "customers/actions/form.html"
    title = ""
    intro = ""
    submit_label = gettext_lazy("Enregistrer")
    success_message = ""
    success_level = messages.SUCCESS
    success_anchor = ""
    danger = False
    #: service field name → form field name, when they differ
    aliases: Mapping[str, str] = {}

    def load(self) -> None:
        """Load what the action works on (besides the account)."""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {}

    def get_initial(self) -> dict[str, Any]:
        return {}

    @abstractmethod
    def perform(self, form) -> None:
        """Call the service with the valid form (raise ApplicationError to refuse)."""

    def get_context(self) -> dict[str, Any]:
        return {}

    def get(self, request, **kwargs):
        self.account = self.get_account()
        self.load()
        return self.render(self.form_class(initial=self.get_initial(), **self.get_form_kwargs()))

    def post(self, request, **kwargs):
        self.account = self.get_account()
        self.load()
        form = self.form_class(request.POST, initial=self.get_initial(), **self.get_form_kwargs())
        if not form.is_valid():
            return self.render(form)
        try:
            self.perform(form)
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc, self.aliases)
            return self.render(form, error_message=exc.message)
        messages.add_message(request, self.success_level, self.success_message)
        if request.htmx:
            # No fragment: from the customer page itself, a URL differing only by its
            # fragment would scroll instead of reloading the page.
            return HttpResponseClientRedirect(self.detail_url())
        return redirect(self.detail_url(self.success_anchor))

    def render(self, form, error_message: str = ""):
        modal = bool(self.request.htmx)
        context = {
            "account": self.account,
            "party": self.account.party,
            "form": form,
            "error_message": error_message,
            "title": self.title,
            "intro": self.intro,
            "submit_label": self.submit_label,
            "danger": self.danger,
            "action_url": self.request.path,
            "cancel_url": self.detail_url(self.success_anchor),
            "base_template": (
                "customers/actions/modal.html" if modal else "customers/actions/page.html"
            ),
            **self.get_context(),
        }
        return render(self.request, self.template_name, context)


class BankDetailsView(AccountActionView):
    """IBAN/BIC (CUST-6): a third party's request must come in writing."""

    account_perm = Perm.CUSTOMER_CHANGE
    form_class = forms.BankDetailsForm
    title = gettext_lazy("Coordonnées bancaires")
    intro = gettext_lazy(
        "Une modification demandée par un tiers doit être faite par écrit : "
        "elle est refusée par téléphone ou à l'accueil."
    )
    success_message = gettext_lazy("Coordonnées bancaires enregistrées.")
    success_anchor = "account"

    def get_initial(self):
        return {"bic": self.account.bic, "channel": Channel.PHONE}

    def perform(self, form):
        data = form.cleaned_data
        services.bank_details_update(
            actor=self.request.user, account=self.account, iban=data["iban"], bic=data["bic"],
            channel=data["channel"], requester=data["requester"],
        )  # fmt: skip


class ParticularityAddView(AccountActionView):
    """CUST-7: NEC is a flag without any comment."""

    account_perm = Perm.CUSTOMER_CHANGE
    form_class = forms.ParticularityAddForm
    template_name = "customers/actions/particularity_add.html"
    title = gettext_lazy("Ajouter une particularité")
    success_message = gettext_lazy("Particularité ajoutée.")
    success_anchor = "particularities"

    def perform(self, form):
        data = form.cleaned_data
        services.particularity_add(
            actor=self.request.user, account=self.account, kind=data["kind"],
            comment=data.get("comment") or "", started_on=data.get("started_on"),
        )  # fmt: skip


class ParticularityEndView(AccountActionView):
    account_perm = Perm.CUSTOMER_CHANGE
    form_class = forms.ParticularityEndForm
    title = gettext_lazy("Lever une particularité")
    submit_label = gettext_lazy("Lever la particularité")
    success_message = gettext_lazy("Particularité levée.")
    success_anchor = "particularities"

    def load(self):
        self.particularity = selectors.particularity_get_for_user(
            user=self.request.user, account=self.account, pk=self.kwargs["pk"]
        )
        self.intro = self.particularity.get_kind_display()

    def perform(self, form):
        services.particularity_end(
            actor=self.request.user,
            particularity=self.particularity,
            ended_on=form.cleaned_data.get("ended_on"),
        )


class CommentAddView(AccountActionView):
    """CUST-8: comments are screened; the refusal explains what to rephrase."""

    account_perm = Perm.CUSTOMER_CHANGE
    form_class = forms.CommentForm
    title = gettext_lazy("Ajouter un commentaire")
    success_message = gettext_lazy("Commentaire ajouté.")
    success_anchor = "comments"

    def perform(self, form):
        services.comment_add(
            actor=self.request.user, account=self.account, text=form.cleaned_data["text"]
        )


class ReturnedMailView(AccountActionView):
    """CUST-11: the address is invalid, dunning pauses, a search task opens."""

    account_perm = Perm.CUSTOMER_CHANGE
    form_class = forms.ReturnedMailForm
    title = gettext_lazy("Courrier revenu (NPAI)")
    intro = gettext_lazy(
        "L'adresse sera marquée invalide, les relances du compte suspendues et une recherche "
        "d'adresse ouverte (mairie, autres sources)."
    )
    submit_label = gettext_lazy("Enregistrer le retour de courrier")
    success_message = gettext_lazy("Retour de courrier enregistré : relances suspendues.")
    danger = True

    def perform(self, form):
        services.returned_mail_record(
            actor=self.request.user,
            account=self.account,
            received_on=form.cleaned_data.get("received_on"),
        )


class ReturnedMailClearView(AccountActionView):
    account_perm = Perm.CUSTOMER_CHANGE
    form_class = forms.ReturnedMailClearForm
    title = gettext_lazy("Client retrouvé")
    intro = gettext_lazy(
        "Si l'adresse a changé, modifiez-la plutôt dans la fiche : le NPAI est alors levé."
    )
    submit_label = gettext_lazy("Lever le NPAI")
    success_message = gettext_lazy("NPAI levé : les relances reprennent.")

    def perform(self, form):
        services.returned_mail_clear(
            actor=self.request.user, account=self.account, outcome=form.cleaned_data["outcome"]
        )


class MoveInView(AccountActionView):
    """CUST-10 move-in: a vacant service point, its meter serial checked, the move-in reading."""

    account_perm = Perm.CONTRACT_CHANGE
    form_class = forms.MoveInForm
    title = gettext_lazy("Arrivée (nouvel abonnement)")
    submit_label = gettext_lazy("Enregistrer l'arrivée")
    success_message = gettext_lazy("Arrivée enregistrée.")
    success_anchor = "contracts"

    def get_form_kwargs(self):
        service_points = selectors.vacant_service_points(
            user=self.request.user, centre=self.account.centre
        ).order_by("commune_insee", "street", "street_number", "reference")
        return {"service_points": service_points}

    def get_context(self):
        return {"no_choice": not self.get_form_kwargs()["service_points"].exists()}

    def perform(self, form):
        data = form.cleaned_data
        services.contract_move_in(
            actor=self.request.user, account=self.account, service_point=data["service_point"],
            start_date=data["start_date"], meter_serial=data["meter_serial"],
            start_index=data["start_index"],
        )  # fmt: skip


class ContractActionView(AccountActionView):
    """An action on one of the account's contracts (``contract`` in the URL)."""

    account_perm = Perm.CONTRACT_CHANGE
    success_anchor = "contracts"

    def load(self):
        contract = selectors.contract_get_for_user(
            user=self.request.user, number=self.kwargs["contract"]
        )
        if contract.account_id != self.account.pk:
            raise Http404
        self.contract = contract

    def get_context(self):
        return {"contract": self.contract}


class MoveOutView(ContractActionView):
    """CUST-10 move-out (*départ*) with the final reading; a third party writes."""

    form_class = forms.MoveOutForm
    title = gettext_lazy("Départ (fin d'abonnement)")
    submit_label = gettext_lazy("Enregistrer le départ")
    success_message = gettext_lazy("Départ enregistré.")
    danger = True

    def get_context(self):
        return {
            **super().get_context(),
            "intro": _("Abonnement %(number)s — %(address)s")
            % {"number": self.contract.number, "address": self.contract.service_point.address},
        }

    def get_initial(self):
        return {"reason": ContractEndReason.MOVE_OUT, "channel": Channel.PHONE}

    def perform(self, form):
        data = form.cleaned_data
        services.contract_move_out(
            actor=self.request.user, contract=self.contract, end_date=data["end_date"],
            end_index=data["end_index"], reason=data["reason"], channel=data["channel"],
            requester=data["requester"],
        )  # fmt: skip


class ChangeHolderView(ContractActionView):
    """CUST-10 change of holder (*mutation*): in writing unless M. et Mme with a zero balance."""

    form_class = forms.ChangeHolderForm
    title = gettext_lazy("Mutation (changement de titulaire)")
    submit_label = gettext_lazy("Enregistrer la mutation")
    success_message = gettext_lazy("Mutation enregistrée.")
    aliases = {"new_account": "new_account_number", "proof_received": "proof_received"}

    def get_context(self):
        return {
            **super().get_context(),
            "intro": _(
                "Sans frais après une séparation ou un décès. Par téléphone ou à l'accueil "
                "seulement pour un contrat au nom de M. et Mme dont le compte est soldé ; "
                "sinon par écrit (avec un justificatif en cas de décès)."
            ),
        }

    def get_initial(self):
        return {"channel": Channel.LETTER}

    def perform(self, form):
        data = form.cleaned_data
        try:
            new_account = selectors.account_get_for_user(
                user=self.request.user, number=data["new_account_number"].strip()
            )
        except exceptions.NotFound:
            raise exceptions.ValidationFailed(
                {"new_account": [_("Aucun compte client de vos centres ne porte ce numéro.")]}
            ) from None
        services.contract_change_holder(
            actor=self.request.user, contract=self.contract, new_account=new_account,
            change_date=data["change_date"], index=data["index"], reason=data["reason"],
            channel=data["channel"], proof_received=data["proof_received"],
        )  # fmt: skip


class CustomerExportView(AccountMixin, View):
    """CUST-8: everything Robinet holds on the customer, as a JSON download (audited)."""

    account_perm = Perm.CUSTOMER_EXPORT

    def post(self, request, number):
        account = self.get_account()
        data = selectors.customer_data_export(account=account)
        exports.customer_data_exported(actor=request.user, account=account)
        response = JsonResponse(
            data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
        filename = f"robinet-client-{account.number}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


# --- data quality (CUST-12) -------------------------------------------------------------------


class QualityView(StaffViewMixin, View):
    permission = Perm.QUALITY_VIEW

    def get(self, request):
        report = selectors.quality_report(user=request.user)
        breaches = [
            {"account": row["account"], "errors": labelled_errors(row["errors"])}
            for row in selectors.consistency_breaches(user=request.user)
        ]
        measures = [label for label, _count, _rate in report[0]["rates"]] if report else []
        return render(
            request,
            "customers/quality.html",
            {"report": report, "measures": measures, "breaches": breaches},
        )


# --- invoices and bill simulation on the customer page (BILL-6, BILL-11) ----------------------


class AccountInvoicesView(AccountMixin, View):
    """The "Factures" block (loaded with htmx): last invoices, balance, "Simuler une facture".

    With the simulation's parameters (GET), the block shows the hypothetical bill of the
    chosen contract (``contract_simulation``: the run's engine, nothing issued).
    """

    permission = Perm.BILLING_VIEW
    account_perm = Perm.BILLING_VIEW
    LIMIT = 10

    def get(self, request, number):
        from robinet.billing import selectors as billing_selectors
        from robinet.billing.forms import ContractSimulationForm
        from robinet.billing.views import bill_view
        from robinet.ledger.selectors import account_balance

        account = self.get_account()
        invoices = list(billing_selectors.account_invoices(account)[: self.LIMIT + 1])
        contracts = list(
            account.contracts.select_related("service_point").order_by("-status", "-start_date")
        )
        submitted = "sim-volume" in request.GET
        form = ContractSimulationForm(
            request.GET if submitted else None, prefix="sim", contracts=contracts
        )
        bill, error_message = None, ""
        if submitted and form.is_valid():
            data = form.cleaned_data
            contract = next(c for c in contracts if c.number == data["contract"])
            try:
                bill = billing_selectors.contract_simulation(
                    contract=contract,
                    volume=data["volume"],
                    start=data["start"],
                    end=data["end"],
                    social=data["social"],
                )
            except ApplicationError as exc:
                error_message = exc.message
        context = {
            "account": account,
            "invoices": invoices[: self.LIMIT],
            "more_invoices": len(invoices) > self.LIMIT,
            "balance": account_balance(account),
            "sim_form": form,
            "bill": bill_view(bill),
            "sim_error": error_message,
            "has_contracts": bool(contracts),
            "can_view_account": scope_for(request.user).covers(Perm.PAYMENT_VIEW, account.centre),
        }
        return render(request, "customers/_invoices.html", context)
