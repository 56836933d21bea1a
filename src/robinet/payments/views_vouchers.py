"""Back-office screens of vouchers for administrations — *vignettes* (PAY-10).

Thin views: presentation forms, one service or selector call, render. The
services check permissions again; their refusals come back as field errors
or an alert.

* ``/payments/vouchers/``: agreements (filters) and stock alerts;
* agreement create / detail, with Signer, Payée par le Trésor, Clôturer and
  the movements that concern the administration (remise, retour, échange);
* stock by entity and face value, alert thresholds, movements (réception,
  dotation d'un centre, annulation);
* redemption at a counter (règlement d'une facture par vignettes);
* the yearly statement (*bilan d'exercice*), on screen and in CSV.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.forms import add_service_errors, date_field
from robinet.backoffice.http import StaffViewMixin
from robinet.billing import selectors as billing_selectors
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import can, scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.payments import voucher_selectors as selectors
from robinet.payments import vouchers
from robinet.payments.models import Denomination, VoucherAgreementStatus, VoucherMovementKind

LIST_LIMIT = 100
REDEEM_ROWS = 4


def _entities(user, perm: str = Perm.VOUCHER_MANAGE, kinds=(EntityKind.REGION, EntityKind.CENTRE)):
    return Entity.objects.filter(scope_for(user).entity_filter(perm), kind__in=kinds).order_by(
        "path"
    )


def _denomination_field(required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=gettext_lazy("Valeur faciale"),
        choices=([] if required else [("", "—")]) + list(Denomination.choices),
        coerce=int,
        required=required,
        empty_value=None,
    )


def _serial_field(label) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, required=False)


def _errors_message(exc: ApplicationError) -> str:
    problems = [m for ms in exc.fields.values() for m in ms]
    return " ".join([str(exc.message), *problems])


# --- home: agreements and alerts ---------------------------------------------------------------


class VoucherHomeView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        year = request.GET.get("year", "")
        status = request.GET.get("status", "")
        search = request.GET.get("q", "")
        agreements = list(
            selectors.agreement_list(
                user=request.user,
                year=int(year) if year.isdecimal() else None,
                status=status,
                search=search,
            )[:LIST_LIMIT]
        )
        context = {
            "agreements": agreements,
            "alerts": selectors.stock_alerts(user=request.user),
            "statuses": VoucherAgreementStatus.choices,
            "year": year,
            "status": status,
            "q": search,
            "limit": LIST_LIMIT,
            # agreements are signed by a region: only its managers create them
            "can_manage": _entities(request.user, kinds=(EntityKind.REGION,)).exists(),
            "can_take": can(request.user, Perm.PAYMENT_TAKE),
        }
        return render(request, "payments/voucher_list.html", context)


# --- agreements --------------------------------------------------------------------------------


class AgreementForm(forms.Form):
    region = forms.ModelChoiceField(
        label=gettext_lazy("Direction régionale"), queryset=Entity.objects.none()
    )
    year = forms.IntegerField(label=gettext_lazy("Exercice"), min_value=2000, max_value=2100)
    administration_account = forms.CharField(
        label=gettext_lazy("Compte client de l'administration"), max_length=16, required=False
    )
    administration_name = forms.CharField(
        label=gettext_lazy("Administration (si pas de compte)"), max_length=160, required=False
    )
    accounts = forms.CharField(
        label=gettext_lazy("Autres comptes couverts"),
        required=False,
        help_text=gettext_lazy(
            "Numéros de comptes clients séparés par des espaces ou des virgules."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _entities(user, kinds=(EntityKind.REGION,))
        for value, label in Denomination.choices:
            self.fields[f"quantity_{value}"] = forms.IntegerField(
                label=_("Quantité de %(v)s") % {"v": label}, min_value=0, required=False
            )

    @property
    def quantity_fields(self):
        return [self[f"quantity_{value}"] for value in Denomination.values]


class AgreementCreateView(StaffViewMixin, View):
    permission = Perm.VOUCHER_MANAGE

    def _render(self, form, error_message="", status=200):
        return render(
            self.request,
            "payments/voucher_agreement_form.html",
            {"form": form, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        regions = _entities(request.user, kinds=(EntityKind.REGION,))
        initial = {"year": clock.today().year, "region": regions.first()}
        return self._render(AgreementForm(user=request.user, initial=initial))

    def post(self, request):
        form = AgreementForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(form, status=422)
        data = form.cleaned_data
        try:
            account = None
            if data["administration_account"].strip():
                account = _account(
                    request.user, data["administration_account"], "administration_account"
                )
            covered = [
                _account(request.user, number, "accounts")
                for number in re.split(r"[\s,;]+", data["accounts"].strip())
                if number
            ]
            agreement = vouchers.agreement_create(
                actor=request.user,
                region=data["region"],
                year=data["year"],
                administration_account=account,
                administration_name=data["administration_name"],
                accounts=covered,
                quantities={value: data[f"quantity_{value}"] or 0 for value in Denomination.values},
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(form, exc.message, status=422)
        messages.success(request, _("Convention %(n)s créée.") % {"n": agreement.number})
        return redirect("payments:voucher-agreement-detail", agreement.pk)


def _account(user, number: str, field: str):
    try:
        return customer_selectors.account_get_for_user(
            user=user, number=number.strip(), perm=Perm.PAYMENT_VIEW
        )
    except exceptions.NotFound:
        raise exceptions.ValidationFailed(
            {field: [_("Compte client %(n)s introuvable.") % {"n": number.strip()}]}
        ) from None


class RangeForm(forms.Form):
    """One range of serials from or to an entity."""

    entity = forms.ModelChoiceField(
        label=gettext_lazy("Entité (stock)"), queryset=Entity.objects.none()
    )
    denomination = _denomination_field()
    serial_from = forms.IntegerField(label=gettext_lazy("Du n°"), min_value=1)
    serial_to = forms.IntegerField(label=gettext_lazy("Au n°"), min_value=1)
    occurred_on = date_field(gettext_lazy("Date"))
    note = forms.CharField(label=gettext_lazy("Observation"), max_length=200, required=False)

    def __init__(self, *args, user=None, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["entity"].queryset = _entities(user)

    def ranges(self):
        data = self.cleaned_data
        return [(data["denomination"], data["serial_from"], data["serial_to"])]


class ExchangeForm(forms.Form):
    entity = forms.ModelChoiceField(
        label=gettext_lazy("Entité (stock)"), queryset=Entity.objects.none()
    )
    taken_denomination = _denomination_field()
    taken_from = forms.IntegerField(label=gettext_lazy("Reprises : du n°"), min_value=1)
    taken_to = forms.IntegerField(label=gettext_lazy("au n°"), min_value=1)
    given_denomination = _denomination_field()
    given_from = forms.IntegerField(label=gettext_lazy("Remises : du n°"), min_value=1)
    given_to = forms.IntegerField(label=gettext_lazy("au n°"), min_value=1)

    def __init__(self, *args, user=None, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["entity"].queryset = _entities(user)
        self.fields["taken_denomination"].label = _("Valeur reprise")
        self.fields["given_denomination"].label = _("Valeur remise")


class PaidForm(forms.Form):
    paid_on = date_field(gettext_lazy("Payée le"), required=True)
    treasury_reference = forms.CharField(
        label=gettext_lazy("Référence du paiement (Trésor)"), max_length=80
    )


class AgreementMixin(StaffViewMixin):
    permission = Perm.PAYMENT_VIEW

    def get_agreement(self):
        return selectors.agreement_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class AgreementDetailView(AgreementMixin, View):
    def get(self, request, pk):
        agreement = self.get_agreement()
        can_manage = can(request.user, Perm.VOUCHER_MANAGE)
        can_region = can(request.user, Perm.VOUCHER_MANAGE, agreement.region)
        live = agreement.status in (VoucherAgreementStatus.SIGNED, VoucherAgreementStatus.PAID)
        figures = selectors.agreement_figures(agreement)
        context = {
            "agreement": agreement,
            "accounts": list(agreement.accounts.select_related("party").order_by("number")),
            "figures": figures,
            "totals": selectors.StatementRow(agreement, figures),
            "movements": selectors.movement_list(user=request.user, agreement=agreement),
            "can_sign": can_region and agreement.status == VoucherAgreementStatus.DRAFT,
            "can_pay": can_region and agreement.status == VoucherAgreementStatus.SIGNED,
            "can_close": can_region and agreement.status == VoucherAgreementStatus.PAID,
            "can_move": can_manage and live,
            "issue_form": RangeForm(
                user=request.user, prefix="issue", initial={"occurred_on": clock.today()}
            ),
            "return_form": RangeForm(
                user=request.user, prefix="return", initial={"occurred_on": clock.today()}
            ),
            "exchange_form": ExchangeForm(user=request.user, prefix="exchange"),
            "paid_form": PaidForm(initial={"paid_on": clock.today()}),
            "can_take": can(request.user, Perm.PAYMENT_TAKE) and live,
        }
        return render(request, "payments/voucher_agreement_detail.html", context)


class AgreementActionView(AgreementMixin, View):
    """Signer / Payée / Clôturer / Remettre / Retour / Échange."""

    permission = Perm.VOUCHER_MANAGE
    action = ""

    def post(self, request, pk):
        agreement = self.get_agreement()
        user = request.user
        try:
            if self.action == "sign":
                vouchers.agreement_sign(actor=user, agreement=agreement)
                messages.success(request, _("Convention signée."))
            elif self.action == "pay":
                form = PaidForm(request.POST)
                if not form.is_valid():
                    raise exceptions.ValidationFailed({k: list(v) for k, v in form.errors.items()})
                vouchers.agreement_mark_paid(
                    actor=user,
                    agreement=agreement,
                    paid_on=form.cleaned_data["paid_on"],
                    treasury_reference=form.cleaned_data["treasury_reference"],
                )
                messages.success(request, _("Paiement du Trésor enregistré."))
            elif self.action == "close":
                vouchers.agreement_close(actor=user, agreement=agreement)
                messages.success(request, _("Convention clôturée."))
            elif self.action in ("issue", "return"):
                form = RangeForm(request.POST, user=user, prefix=self.action)
                if not form.is_valid():
                    raise exceptions.ValidationFailed({k: list(v) for k, v in form.errors.items()})
                service = (
                    vouchers.voucher_issue if self.action == "issue" else vouchers.voucher_return
                )
                moved = service(
                    actor=user,
                    agreement=agreement,
                    entity=form.cleaned_data["entity"],
                    ranges=form.ranges(),
                    on=form.cleaned_data["occurred_on"],
                    note=form.cleaned_data["note"],
                )
                count = sum(m.quantity for m in moved)
                messages.success(
                    request,
                    (
                        _("%(n)s vignettes remises à l'administration.")
                        if self.action == "issue"
                        else _("%(n)s vignettes reprises en stock.")
                    )
                    % {"n": count},
                )
            elif self.action == "exchange":
                form = ExchangeForm(request.POST, user=user, prefix="exchange")
                if not form.is_valid():
                    raise exceptions.ValidationFailed({k: list(v) for k, v in form.errors.items()})
                data = form.cleaned_data
                vouchers.voucher_exchange(
                    actor=user,
                    agreement=agreement,
                    entity=data["entity"],
                    taken=[(data["taken_denomination"], data["taken_from"], data["taken_to"])],
                    given=[(data["given_denomination"], data["given_from"], data["given_to"])],
                )
                messages.success(request, _("Échange enregistré."))
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, _errors_message(exc))
        return redirect("payments:voucher-agreement-detail", agreement.pk)


# --- stock and movements -----------------------------------------------------------------------


class ThresholdForm(forms.Form):
    entity = forms.ModelChoiceField(label=gettext_lazy("Centre"), queryset=Entity.objects.none())
    denomination = _denomination_field()
    alert_threshold = forms.IntegerField(label=gettext_lazy("Seuil d'alerte"), min_value=0)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].queryset = _entities(user, kinds=(EntityKind.CENTRE,))


class StockView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        context = {
            "denominations": Denomination.choices,
            "rows": selectors.stock_by_entity(user=request.user),
            "alerts": selectors.stock_alerts(user=request.user),
            "movements": selectors.movement_list(user=request.user, limit=50),
            "can_manage": can(request.user, Perm.VOUCHER_MANAGE),
            "threshold_form": ThresholdForm(user=request.user),
        }
        return render(request, "payments/voucher_stock.html", context)


class ThresholdView(StaffViewMixin, View):
    permission = Perm.VOUCHER_MANAGE

    def post(self, request):
        form = ThresholdForm(request.POST, user=request.user)
        try:
            if not form.is_valid():
                raise exceptions.ValidationFailed({k: list(v) for k, v in form.errors.items()})
            data = form.cleaned_data
            vouchers.voucher_threshold_set(
                actor=request.user,
                entity=data["entity"],
                denomination=data["denomination"],
                threshold=data["alert_threshold"],
            )
            messages.success(request, _("Seuil d'alerte enregistré."))
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            messages.error(request, _errors_message(exc))
        return redirect("payments:voucher-stock")


STOCK_KINDS = [
    (VoucherMovementKind.RECEIPT, VoucherMovementKind.RECEIPT.label),
    (VoucherMovementKind.TRANSFER, VoucherMovementKind.TRANSFER.label),
    (VoucherMovementKind.CANCELLATION, VoucherMovementKind.CANCELLATION.label),
]


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Mouvement"), choices=STOCK_KINDS)
    source = forms.ModelChoiceField(
        label=gettext_lazy("Depuis (dotation, annulation)"),
        queryset=Entity.objects.none(),
        required=False,
    )
    destination = forms.ModelChoiceField(
        label=gettext_lazy("Vers (réception, dotation)"),
        queryset=Entity.objects.none(),
        required=False,
    )
    denomination = _denomination_field()
    serial_from = forms.IntegerField(label=gettext_lazy("Du n°"), min_value=1)
    serial_to = forms.IntegerField(label=gettext_lazy("Au n°"), min_value=1)
    occurred_on = date_field(gettext_lazy("Date"))
    note = forms.CharField(
        label=gettext_lazy("Observation (motif d'une annulation)"), max_length=200, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = _entities(user)
        self.fields["destination"].queryset = _entities(user)


class MovementCreateView(StaffViewMixin, View):
    permission = Perm.VOUCHER_MANAGE

    def _render(self, form, error_message="", status=200):
        return render(
            self.request,
            "payments/voucher_movement_form.html",
            {"form": form, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        initial = {"kind": request.GET.get("kind", ""), "occurred_on": clock.today()}
        return self._render(MovementForm(user=request.user, initial=initial))

    def post(self, request):
        form = MovementForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(form, status=422)
        data = form.cleaned_data
        ranges = [(data["denomination"], data["serial_from"], data["serial_to"])]
        user, on, kind = request.user, data["occurred_on"], data["kind"]
        try:
            if kind == VoucherMovementKind.RECEIPT:
                if data["destination"] is None:
                    raise exceptions.ValidationFailed({"destination": [_("Indiquez la région.")]})
                vouchers.voucher_receive(
                    actor=user, region=data["destination"], ranges=ranges, on=on, note=data["note"]
                )
            elif kind == VoucherMovementKind.TRANSFER:
                missing = {
                    f: [_("Champ obligatoire pour une dotation.")]
                    for f in ("source", "destination")
                    if data[f] is None
                }
                if missing:
                    raise exceptions.ValidationFailed(missing)
                vouchers.voucher_transfer(
                    actor=user,
                    source=data["source"],
                    destination=data["destination"],
                    ranges=ranges,
                    on=on,
                    note=data["note"],
                )
            else:
                if data["source"] is None:
                    raise exceptions.ValidationFailed(
                        {"source": [_("Indiquez le stock d'où les vignettes sont retirées.")]}
                    )
                vouchers.voucher_cancel(
                    actor=user, entity=data["source"], ranges=ranges, on=on, reason=data["note"]
                )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(
                form, exc, aliases={"serials": "serial_from", "entity": "destination"}
            )
            return self._render(form, exc.message, status=422)
        messages.success(request, _("Mouvement enregistré."))
        return redirect("payments:voucher-stock")


# --- redemption at a counter -------------------------------------------------------------------


class RedeemForm(forms.Form):
    account = forms.CharField(
        label=gettext_lazy("Compte client de l'administration"), max_length=16
    )
    invoice = forms.CharField(
        label=gettext_lazy("Facture réglée (facultatif)"), max_length=20, required=False
    )
    centre = forms.ModelChoiceField(label=gettext_lazy("Centre"), queryset=Entity.objects.none())
    received_on = date_field(gettext_lazy("Reçues le"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = _entities(
            user, Perm.PAYMENT_TAKE, kinds=(EntityKind.CENTRE,)
        )
        for row in range(1, REDEEM_ROWS + 1):
            self.fields[f"denomination_{row}"] = _denomination_field(required=False)
            self.fields[f"denomination_{row}"].label = _("Valeur (ligne %(n)s)") % {"n": row}
            self.fields[f"from_{row}"] = _serial_field(_("Du n° (ligne %(n)s)") % {"n": row})
            self.fields[f"to_{row}"] = _serial_field(_("Au n° (ligne %(n)s)") % {"n": row})

    @property
    def rows(self):
        return [
            (self[f"denomination_{n}"], self[f"from_{n}"], self[f"to_{n}"])
            for n in range(1, REDEEM_ROWS + 1)
        ]

    def ranges(self):
        data = self.cleaned_data
        result = []
        for n in range(1, REDEEM_ROWS + 1):
            values = (data[f"denomination_{n}"], data[f"from_{n}"], data[f"to_{n}"])
            if all(v in (None, "") for v in values):
                continue
            first, last = values[1], values[2] if values[2] is not None else values[1]
            result.append((values[0], first, last))
        return result


class RedeemView(StaffViewMixin, View):
    permission = Perm.PAYMENT_TAKE

    def _render(self, form, error_message="", status=200):
        return render(
            self.request,
            "payments/voucher_redeem.html",
            {"form": form, "error_message": error_message},
            status=status,
        )

    def get(self, request):
        centres = _entities(request.user, Perm.PAYMENT_TAKE, kinds=(EntityKind.CENTRE,))
        initial = {
            "account": request.GET.get("account", ""),
            "invoice": request.GET.get("invoice", ""),
            "centre": centres.first(),
            "received_on": clock.today(),
        }
        return self._render(RedeemForm(user=request.user, initial=initial))

    def post(self, request):
        form = RedeemForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(form, status=422)
        data = form.cleaned_data
        try:
            account = _account(request.user, data["account"], "account")
            invoice = None
            if data["invoice"].strip():
                try:
                    invoice = billing_selectors.invoice_get_for_user(
                        user=request.user, number=data["invoice"].strip(), perm=Perm.PAYMENT_VIEW
                    )
                except exceptions.NotFound:
                    raise exceptions.ValidationFailed(
                        {"invoice": [_("Facture introuvable.")]}
                    ) from None
            ranges = form.ranges()
            if any(r[0] is None or r[1] is None for r in ranges):
                raise exceptions.ValidationFailed(
                    {"serials": [_("Chaque ligne indique la valeur et le premier numéro.")]}
                )
            payment = vouchers.voucher_redeem(
                actor=request.user,
                account=account,
                ranges=ranges,
                invoice=invoice,
                centre=data["centre"],
                received_on=data["received_on"],
            )
        except exceptions.PermissionDenied:
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self._render(form, exc.message, status=422)
        messages.success(
            request,
            _("Règlement %(n)s de %(a)s € enregistré sur le compte %(c)s.")
            % {"n": payment.number, "a": payment.amount, "c": account.number},
        )
        return redirect(f"{request.path}?account={account.number}")


# --- yearly statement --------------------------------------------------------------------------


def _year(request) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdecimal() and 2000 <= int(value) <= 2100 else clock.today().year


class StatementView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        year = _year(request)
        result = selectors.statement(user=request.user, year=year)
        context = {
            "year": year,
            "statement": result,
            "by_denomination": result.by_denomination(),
            "stock": selectors.stock_by_entity(user=request.user),
            "denominations": Denomination.choices,
        }
        return render(request, "payments/voucher_statement.html", context)


class StatementCsvView(StaffViewMixin, View):
    permission = Perm.PAYMENT_VIEW

    def get(self, request):
        year = _year(request)
        content = selectors.statement_csv(selectors.statement(user=request.user, year=year))
        response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="bilan-vignettes-{year}.csv"'
        return response
