"""Back-office screens of tariffs (BILL-1, BILL-1a, BILL-11).

* the list of tariff versions and the detail of one: its components rendered
  from the definition, the BILL-1a warnings with their computation, its
  history, the YAML export;
* entry and edit as the YAML document of ``docs/tariff-format.md`` (the same
  format as ``robinet tariffs import``): field-path errors, nothing saved on
  error;
* the simulation of a bill on a tariff (BILL-11), grouped under the three
  BILL-8 headings.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from robinet.backoffice.http import StaffViewMixin
from robinet.backoffice.templatetags.backoffice import quantity
from robinet.billing import selectors as billing_selectors
from robinet.billing.forms import TariffSimulationForm
from robinet.billing.views import BENEFICIARIES, HEADINGS, KINDS, bill_view, unit_price
from robinet.conf import BASE_DIR
from robinet.core import audit, clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm
from robinet.tariffs import schema, selectors, services
from robinet.tariffs.forms import TariffDocumentForm

ROUNDING_LABELS = {
    "line": gettext_lazy("par ligne HT, TVA par taux (par défaut)"),
    "unit_price_incl_vat": gettext_lazy("prix unitaire TTC arrondi au centime"),
    "total": gettext_lazy("prix non arrondis, total arrondi"),
}
COMMUNE_KINDS = {
    "standard": gettext_lazy("commune standard (part fixe ≤ 30 %)"),
    "rural": gettext_lazy("commune rurale (part fixe ≤ 40 %)"),
    "tourist": gettext_lazy("commune touristique (pas de plafond)"),
}
VERBS = {
    "tariff_created": gettext_lazy("Tarif créé"),
    "tariff_replaced": gettext_lazy("Tarif modifié"),
}
EXAMPLE = "EXAMPLE-2026.yaml"


def example_document() -> str:
    """The documented example, to start a new tariff from (empty when docs/ is not shipped)."""
    path = BASE_DIR.parents[1] / "docs" / "examples" / "tariffs" / EXAMPLE
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def error_rows(exc: ApplicationError) -> list[tuple[str, str]]:
    """``[(field path, message)]``: where in the document each error is."""
    return [(path, message) for path, msgs in exc.fields.items() for message in msgs]


def _price(value) -> str:
    return unit_price(Decimal(str(value))) if value not in (None, "") else ""


def _blocks(blocks) -> list[dict]:
    """Blocks as read by an officer: ``jusqu'à 30 m³/an : 1,10 €/m³``, French decimals."""
    return [
        {
            "up_to": quantity(b["up_to"]) if b.get("up_to") not in (None, "") else None,
            "only": len(blocks) == 1,
            "unit_price": _price(b.get("unit_price")),
        }
        for b in blocks or []
    ]


def component_rows(definition: dict) -> list[dict]:
    rows = []
    for index, c in enumerate(definition.get("components", [])):
        social = dict(c.get("social") or {})
        if social:
            social["blocks"] = _blocks(social.get("blocks"))
            social["annual_price"] = _price(social.get("annual_price"))
            social["diameters"] = [
                (d, _price(p)) for d, p in (social.get("annual_price_by_diameter") or {}).items()
            ]
        rows.append(
            {
                **c,
                "annual_price": _price(c.get("annual_price")),
                "blocks": _blocks(c.get("blocks")),
                "seasons": [
                    {**s, "blocks": _blocks(s.get("blocks"))} for s in c.get("seasons", [])
                ],
                "social": social,
                "index": index,
                "heading": HEADINGS.get(c.get("service"), c.get("service")),
                "beneficiary_label": BENEFICIARIES.get(c.get("beneficiary"), c.get("beneficiary")),
                "kind_label": KINDS.get(c.get("kind"), c.get("kind")),
                "diameters": [
                    (d, _price(p))
                    for d, p in sorted(
                        (c.get("annual_price_by_diameter") or {}).items(), key=lambda kv: int(kv[0])
                    )
                ],
            }
        )
    return rows


class TariffListView(StaffViewMixin, View):
    permission = Perm.TARIFF_VIEW

    def get(self, request):
        versions = selectors.tariff_list(user=request.user).prefetch_related("zones")
        return render(
            request,
            "tariffs/list.html",
            {
                "versions": versions,
                "can_change": scope_for(request.user).allows(Perm.TARIFF_CHANGE),
                "today": clock.today(),
            },
        )


class TariffDetailView(StaffViewMixin, View):
    permission = Perm.TARIFF_VIEW

    def get(self, request, code):
        version = selectors.tariff_get(user=request.user, code=code)
        definition = version.definition
        history = [
            {
                "when": e.occurred_at,
                "who": (e.actor.get_full_name() or e.actor.get_username())
                if e.actor
                else _("Système"),
                "verb": VERBS.get(e.verb, e.verb),
            }
            for e in audit.events_for(audit.label(version), [version.pk])
        ]
        context = {
            "version": version,
            "definition": definition,
            "components": component_rows(definition),
            "warnings": schema.check_tariff(selectors.priced(version)),
            "rounding": ROUNDING_LABELS.get(definition.get("rounding"), definition.get("rounding")),
            "commune_kind": COMMUNE_KINDS.get(definition.get("commune_kind", "standard")),
            "history": history,
            "used": services.used_by_invoices(version),
            "can_change": scope_for(request.user).allows(Perm.TARIFF_CHANGE),
        }
        return render(request, "tariffs/detail.html", context)


class TariffExportView(StaffViewMixin, View):
    """ "Exporter en YAML": the document ``robinet tariffs import`` reads back."""

    permission = Perm.TARIFF_VIEW

    def get(self, request, code):
        version = selectors.tariff_get(user=request.user, code=code)
        response = HttpResponse(
            services.tariff_export(version), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{version.code}.yaml"'
        return response


class TariffDocumentMixin(StaffViewMixin):
    """Create and edit share the YAML form, the error list and the save."""

    permission = Perm.TARIFF_CHANGE
    replace = False

    def render_form(self, form, *, version=None, errors=(), error_message="", status=200):
        return render(
            self.request,
            "tariffs/form.html",
            {
                "form": form,
                "version": version,
                "errors": errors,
                "error_message": error_message,
            },
            status=status,
        )

    def save(self, form, version=None):
        if not form.is_valid():
            return self.render_form(form, version=version, status=422)
        try:
            saved, created = services.tariff_save(
                actor=self.request.user, text=form.cleaned_data["document"], replace=self.replace
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            return self.render_form(
                form,
                version=version,
                errors=error_rows(exc),
                error_message=exc.message,
                status=422,
            )
        text = _("Tarif %(code)s créé.") if created else _("Tarif %(code)s modifié.")
        messages.success(self.request, text % {"code": saved.code})
        for warning in schema.check_tariff(selectors.priced(saved)):
            messages.warning(self.request, f"{warning.message} ({warning.path})")
        return redirect("tariffs:detail", saved.code)


class TariffCreateView(TariffDocumentMixin, View):
    def get(self, request):
        return self.render_form(TariffDocumentForm(initial={"document": example_document()}))

    def post(self, request):
        return self.save(TariffDocumentForm(request.POST))


class TariffEditView(TariffDocumentMixin, View):
    replace = True

    def get(self, request, code):
        version = selectors.tariff_get(user=request.user, code=code)
        form = TariffDocumentForm(initial={"document": services.tariff_export(version)})
        return self.render_form(form, version=version)

    def post(self, request, code):
        version = selectors.tariff_get(user=request.user, code=code)
        return self.save(TariffDocumentForm(request.POST), version=version)


class TariffSimulateView(StaffViewMixin, View):
    """BILL-11: a bill computed on a tariff without being issued (GET form, htmx result)."""

    permission = Perm.TARIFF_VIEW

    def get(self, request):
        tariffs = list(selectors.tariff_list(user=request.user))
        initial = {"diameter": 15, "dwellings": 1}
        if request.GET.get("tariff"):
            initial["tariff"] = request.GET["tariff"]
        submitted = "volume" in request.GET
        form = TariffSimulationForm(
            request.GET if submitted else None, initial=initial, tariffs=tariffs
        )
        bill, error_message = None, ""
        if submitted and form.is_valid():
            data = form.cleaned_data
            try:
                bill = billing_selectors.simulate(
                    tariff_code=data["tariff"],
                    volume=data["volume"],
                    start=data["start"],
                    end=data["end"],
                    diameter_mm=data["diameter"],
                    dwellings=data["dwellings"],
                    social=data["social"],
                )
            except ApplicationError as exc:
                error_message = exc.message
                for name, msgs in exc.fields.items():
                    target = {"to": "end", "diameter": "diameter"}.get(name, name)
                    for message in msgs:
                        form.add_error(target if target in form.fields else None, message)
        context = {"form": form, "bill": bill_view(bill), "error_message": error_message}
        partial = request.htmx and not request.htmx.history_restore_request
        template = "tariffs/_simulation_result.html" if partial else "tariffs/simulate.html"
        return render(request, template, context)
